import { InputError, type InputIssue } from "./errors.ts";

/**
 * Aggregation rules for one round of one tenant (MODEL.md section 3).
 *
 * Each of the tenant's N devices j takes part independently with probability q_j; S is the set that
 * did. Device j's local update is Delta_j (a Float64Array of length D, the parameter dimension) and
 * a_j is its data weight (sum_j a_j = 1). The target every rule is judged against is the
 * full-participation update sum_j a_j Delta_j.
 *
 * The participant set S is a mask: a Uint8Array of length N with S[j] !== 0 iff device j took part.
 * A mask rather than an index list because it cannot hold a device twice or an index out of range,
 * it is what per-device Bernoulli sampling produces directly, and scanning N flags is cheap next to
 * the O(|S| D) work of summing the updates.
 *
 * Hot paths write into a caller-supplied `out` (length D, must not be one of the deltas) and
 * allocate nothing per element; without `out` one result vector is allocated.
 */

/** The built-in rules: bias-resilient (inverse-probability weighted) and FedAvg over participants. */
export type AggregationRule = "unbiased" | "fedavg";

/**
 * The shape of any aggregation rule, built-in or user-supplied (the property suites in props/ take
 * one of these). Rules that do not need q ignore it. A rule may ignore `out` and return a fresh
 * vector, but must not modify its inputs.
 */
export type AggregateFn = (
  deltas: readonly Float64Array[],
  a: Float64Array,
  q: Float64Array,
  S: Uint8Array,
  out?: Float64Array,
) => Float64Array;

/** Checks the shapes shared by all rules and returns the zeroed output vector. */
function prepare(
  deltas: readonly Float64Array[],
  a: Float64Array,
  q: Float64Array | null,
  S: Uint8Array | null,
  out: Float64Array | undefined,
): Float64Array {
  const N = deltas.length;
  const D = N > 0 ? deltas[0].length : (out?.length ?? 0);
  const issues: InputIssue[] = [];
  if (a.length !== N)
    issues.push({ path: "a", message: `has length ${a.length}, expected N = ${N} (one per delta)` });
  if (q && q.length !== N) issues.push({ path: "q", message: `has length ${q.length}, expected N = ${N}` });
  if (S && S.length !== N)
    issues.push({ path: "S", message: `mask has length ${S.length}, expected N = ${N}` });
  for (let j = 0; j < N; j++) {
    if (deltas[j].length !== D)
      issues.push({ path: `deltas[${j}]`, message: `has length ${deltas[j].length}, deltas[0] has ${D}` });
    if (deltas[j] === out)
      issues.push({ path: "out", message: `is deltas[${j}]; the output must not alias an input update` });
  }
  if (out && out.length !== D)
    issues.push({ path: "out", message: `has length ${out.length}, expected D = ${D}` });
  if (issues.length) throw new InputError(issues, "aggregation input");
  if (out) {
    out.fill(0);
    return out;
  }
  return new Float64Array(D);
}

/** out += s * x, in place. */
function axpy(out: Float64Array, s: number, x: Float64Array): void {
  for (let k = 0; k < out.length; k++) out[k] += s * x[k];
}

/**
 * sum_{j in S} (a_j / q_j) Delta_j.
 *
 * Why: each device appears with probability q_j, so weighting it by 1/q_j makes the expectation over
 * S exactly sum_j a_j Delta_j, whatever the q_j are. That is what lets the convergence bound hold
 * with the valuation V = sum_j w_j / q_j, and why a tenant can buy low participation from
 * expensive devices without biasing its model. A participant with q_j <= 0 is a contradiction (it
 * could not have been sampled) and would divide by zero, so it is an error.
 */
export function aggregateUnbiased(
  deltas: readonly Float64Array[],
  a: Float64Array,
  q: Float64Array,
  S: Uint8Array,
  out?: Float64Array,
): Float64Array {
  const res = prepare(deltas, a, q, S, out);
  for (let j = 0; j < deltas.length; j++) {
    if (S[j] === 0) continue;
    if (!(q[j] > 0)) {
      throw new InputError(
        [{ path: `q[${j}]`, message: `device ${j} took part but q = ${q[j]}; participants need q > 0` }],
        "aggregation input",
      );
    }
    axpy(res, a[j] / q[j], deltas[j]);
  }
  return res;
}

/**
 * sum_{j in S} (a_j / sum_{k in S} a_k) Delta_j: FedAvg over the participants.
 *
 * Kept because the baselines of the literature use it. Its expectation over S weights device j by
 * roughly a_j q_j / sum_k a_k q_k, so it is biased towards frequent participants whenever the q_j
 * differ. With no participant (or participants of zero weight) the update is zero: nothing to
 * average.
 */
export function aggregateFedAvg(
  deltas: readonly Float64Array[],
  a: Float64Array,
  S: Uint8Array,
  out?: Float64Array,
): Float64Array {
  const res = prepare(deltas, a, null, S, out);
  let total = 0;
  for (let j = 0; j < deltas.length; j++) if (S[j] !== 0) total += a[j];
  if (!(total > 0)) return res;
  for (let j = 0; j < deltas.length; j++) if (S[j] !== 0) axpy(res, a[j] / total, deltas[j]);
  return res;
}

/** sum_j a_j Delta_j: the update with every device taking part, which unbiased rules match in expectation. */
export function fullParticipationUpdate(
  deltas: readonly Float64Array[],
  a: Float64Array,
  out?: Float64Array,
): Float64Array {
  const res = prepare(deltas, a, null, null, out);
  for (let j = 0; j < deltas.length; j++) axpy(res, a[j], deltas[j]);
  return res;
}

/** FedAvg with the common AggregateFn signature (q is ignored). */
const fedAvgFn: AggregateFn = (deltas, a, _q, S, out) => aggregateFedAvg(deltas, a, S, out);

/** The function behind a built-in rule name (or the function itself). */
export function aggregationRuleFn(rule: AggregationRule | AggregateFn): AggregateFn {
  if (typeof rule === "function") return rule;
  if (rule === "unbiased") return aggregateUnbiased;
  if (rule === "fedavg") return fedAvgFn;
  throw new InputError([
    { path: "rule", message: `unknown rule "${String(rule)}"; use "unbiased" or "fedavg"` },
  ]);
}

/** Applies the named rule; q is used by "unbiased" and ignored by "fedavg". */
export function aggregate(
  rule: AggregationRule,
  deltas: readonly Float64Array[],
  a: Float64Array,
  q: Float64Array,
  S: Uint8Array,
  out?: Float64Array,
): Float64Array {
  return aggregationRuleFn(rule)(deltas, a, q, S, out);
}

/** Above this many devices the 2^N enumeration of expectedUpdate is too slow to be useful. */
export const MAX_EXACT_DEVICES = 20;

/**
 * The exact expectation of a rule's update over all 2^N participation sets, device j taking part
 * independently with probability q_j. Sets of probability zero are skipped (a rule may reject
 * them, as the unbiased one rejects participants with q_j = 0).
 *
 * Why: unbiasedness is a statement about this expectation, and for small N it can be checked
 * exactly instead of statistically; the property suite in props/aggregation.ts relies on it.
 * Throws for N > 20.
 */
export function expectedUpdate(
  rule: AggregationRule | AggregateFn,
  deltas: readonly Float64Array[],
  a: Float64Array,
  q: Float64Array,
  out?: Float64Array,
): Float64Array {
  const N = deltas.length;
  if (N > MAX_EXACT_DEVICES) {
    throw new InputError(
      [{ path: "deltas", message: `has ${N} devices; exact expectation enumerates 2^N sets, so N <= 20` }],
      "aggregation input",
    );
  }
  const res = prepare(deltas, a, q, null, out);
  for (let j = 0; j < N; j++) {
    if (!(q[j] >= 0 && q[j] <= 1))
      throw new InputError(
        [{ path: `q[${j}]`, message: `must be in [0, 1] (got ${q[j]})` }],
        "aggregation input",
      );
  }
  const fn = aggregationRuleFn(rule);
  const S = new Uint8Array(N);
  const scratch = new Float64Array(res.length);
  const sets = 2 ** N;
  for (let mask = 0; mask < sets; mask++) {
    let p = 1;
    for (let j = 0; j < N; j++) {
      const inS = (mask >>> j) & 1;
      S[j] = inS;
      p *= inS ? q[j] : 1 - q[j];
    }
    if (p === 0) continue;
    const u = fn(deltas, a, q, S, scratch);
    axpy(res, p, u);
  }
  return res;
}
