import fc from "fast-check";
import { type AggregateFn, expectedUpdate, fullParticipationUpdate } from "../market/aggregation.ts";

/**
 * Property suite for aggregation rules: is a rule unbiased, i.e. does its expected update over the
 * random participant set S equal the full-participation update sum_j a_j Delta_j (MODEL.md
 * section 3)? The convergence bound, and with it every price PRINCE posts, assumes it is.
 *
 * Users run it on their own rule (any function with the AggregateFn signature; the participant set
 * is a Uint8Array mask). FedAvg over participants fails it whenever participation probabilities
 * differ, which is why the generated cases always have distinct q_j.
 *
 * Counterexamples are plain JSON-friendly objects ({ q, a, deltas } as number arrays) so that a
 * failure can be written to a file and replayed by seed and path.
 */

/** One round's inputs in plain-array form: q_j in [minQ, 1] distinct, a_j > 0 summing to 1. */
export interface AggregationCase {
  q: number[];
  a: number[];
  deltas: number[][];
}

/** A case plus the seed of the Monte Carlo participation sampler used on it. */
export interface SampledAggregationCase extends AggregationCase {
  samplerSeed: number;
}

/** Size limits of generated cases. */
export interface CaseSize {
  minDevices: number;
  maxDevices: number;
  maxDim: number;
  /**
   * Smallest participation probability (default 1e-3: PRINCE's equilibria on the paper preset go
   * down to about 0.017, and a rule that floors q must not pass).
   */
  minQ?: number;
}

/** q_k on a log grid from minQ (k = 0) to 1 (k = Q_GRID). */
const Q_GRID = 1000;

/**
 * Generates cases. Every number comes from a grid, so counterexamples shrink to readable values
 * and no subnormal or huge magnitude makes round-off, rather than bias, the story:
 * q_j = minQ^(1 - k/1000), k in {0, ..., 1000} without repetition (log-spaced from minQ to 1, so
 * the q_j always differ, by a factor of at least minQ^(-1/1000); shrinking goes towards the rare
 * devices); data weights from {1, ..., 100}, normalised to a_j; update coordinates from
 * {-10, -9.99, ..., 10}.
 */
export function aggregationCaseArb(size: CaseSize): fc.Arbitrary<AggregationCase> {
  const minQ = size.minQ ?? 1e-3;
  if (!(minQ > 0 && minQ < 1)) throw new RangeError(`minQ must be in (0, 1) (got ${minQ})`);
  return fc.integer({ min: 1, max: size.maxDim }).chain((D) =>
    fc
      .uniqueArray(
        fc.record({
          qk: fc.integer({ min: 0, max: Q_GRID }),
          weight: fc.integer({ min: 1, max: 100 }),
          delta: fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: D, maxLength: D }),
        }),
        { minLength: size.minDevices, maxLength: size.maxDevices, selector: (d) => d.qk },
      )
      .map((devices) => {
        const total = devices.reduce((s, d) => s + d.weight, 0);
        return {
          q: devices.map((d) => (d.qk === Q_GRID ? 1 : minQ ** (1 - d.qk / Q_GRID))),
          a: devices.map((d) => d.weight / total),
          deltas: devices.map((d) => d.delta.map((x) => x / 100)),
        };
      }),
  );
}

/** Typed-array form of a case, as the rules take it. */
function toArrays(c: AggregationCase) {
  return {
    q: Float64Array.from(c.q),
    a: Float64Array.from(c.a),
    deltas: c.deltas.map((d) => Float64Array.from(d)),
  };
}

/**
 * Per-coordinate scale for tolerances: sum_j a_j |Delta_jk| / q_j, the size of the largest terms an
 * inverse-probability rule adds up. Relative to it, round-off is tiny and real bias is not.
 */
function scaleOf(c: AggregationCase): Float64Array {
  const D = c.deltas[0]?.length ?? 0;
  const s = new Float64Array(D);
  c.deltas.forEach((d, j) => {
    for (let k = 0; k < D; k++) s[k] += (c.a[j] * Math.abs(d[k])) / c.q[j];
  });
  return s;
}

/** mulberry32: a tiny seeded 32-bit generator, enough for sampling participation in a test. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ExactOptions {
  /** Largest N generated; <= 8 keeps the 2^N enumeration cheap (default 8). */
  maxDevices?: number;
  /** Largest parameter dimension D (default 4). */
  maxDim?: number;
  /** Smallest q_j generated (default 1e-3). */
  minQ?: number;
  /** Allowed error relative to sum_j a_j |Delta_j| / q_j, per coordinate (default 1e-9). */
  relTol?: number;
}

/**
 * For small N: the exact expectation of the rule over all 2^N participation sets equals the
 * full-participation update to `relTol`. No sampling, so no false alarms: a failure is bias.
 */
export function unbiasedExactProperty(
  fn: AggregateFn,
  opts: ExactOptions = {},
): fc.IPropertyWithHooks<[AggregationCase]> {
  const maxDevices = Math.min(opts.maxDevices ?? 8, 20);
  const relTol = opts.relTol ?? 1e-9;
  const arb = aggregationCaseArb({ minDevices: 2, maxDevices, maxDim: opts.maxDim ?? 4, minQ: opts.minQ });
  return fc.property(arb, (c) => {
    const { q, a, deltas } = toArrays(c);
    const expected = expectedUpdate(fn, deltas, a, q);
    const full = fullParticipationUpdate(deltas, a);
    const scale = scaleOf(c);
    for (let k = 0; k < full.length; k++) {
      const err = Math.abs(expected[k] - full[k]);
      if (!(err <= relTol * scale[k])) {
        throw new Error(
          `biased: coordinate ${k}: E_S[update] = ${expected[k]}, full-participation update = ${full[k]}, ` +
            `|difference| = ${err} > ${relTol} x ${scale[k]}`,
        );
      }
    }
  });
}

export interface StatisticalOptions {
  /** Mixed into every case's sampler seed, to rerun the same cases with fresh participation draws. */
  seed?: number;
  /** Participation sets sampled per case (default 2000). */
  samples?: number;
  /** Allowed deviation of the Monte Carlo mean, in estimated standard errors (default 6). */
  sigmas?: number;
  /** Device count range (default 50 to 200). */
  minDevices?: number;
  /**
   * Smallest q_j (default 0.01, not the exact property's 1e-3: a device with q = 1e-3 is absent
   * from all 2000 sampled sets one time in seven, and its missing term would be a false alarm).
   */
  minQ?: number;
  maxDevices?: number;
  /** Largest parameter dimension D (default 3). */
  maxDim?: number;
  /**
   * Cap on the shrink candidates tried after a failure (default 200). Each try costs `samples` rule
   * calls, and removing devices one by one from a 200-device case can take thousands of them; the
   * exact property already yields minimal counterexamples, so this one stops early.
   */
  maxShrinks?: number;
}

/**
 * For realistic N (50-200) where enumeration is impossible: the mean of the rule's update over
 * `samples` participation sets drawn with a seeded generator is within `sigmas` estimated standard
 * errors of the full-participation update, in every coordinate.
 *
 * Tolerances: the Monte Carlo mean of an unbiased rule is close to Gaussian here (an average of
 * 2000 sums of N independent bounded terms), so a 6-sigma band has a false-alarm rate near 2e-9
 * per coordinate; over a suite's few hundred coordinates that stays negligible. FedAvg's bias is of
 * the order of the spread of the update coordinates themselves (q_j span [0.01, 1]), while the
 * standard error at 2000 samples is a few hundredths of it, so it fails reliably.
 */
export function unbiasedStatisticalProperty(
  fn: AggregateFn,
  opts: StatisticalOptions = {},
): fc.IPropertyWithHooks<[SampledAggregationCase]> {
  const samples = opts.samples ?? 2000;
  if (!(Number.isInteger(samples) && samples >= 2)) {
    throw new RangeError(`samples must be an integer >= 2 to estimate a standard error (got ${samples})`);
  }
  const sigmas = opts.sigmas ?? 6;
  const salt = Math.imul((opts.seed ?? 0) | 0, 0x9e3779b9);
  const cases = fc
    .tuple(
      aggregationCaseArb({
        minDevices: opts.minDevices ?? 50,
        maxDevices: opts.maxDevices ?? 200,
        maxDim: opts.maxDim ?? 3,
        minQ: opts.minQ ?? 0.01,
      }),
      fc.integer(),
    )
    .map(([c, samplerSeed]): SampledAggregationCase => ({ ...c, samplerSeed }));
  const arb = fc.limitShrink(cases, opts.maxShrinks ?? 200);
  return fc.property(arb, (c) => {
    const { q, a, deltas } = toArrays(c);
    const N = q.length;
    const full = fullParticipationUpdate(deltas, a);
    const D = full.length;
    const rng = mulberry32(c.samplerSeed ^ salt);
    const S = new Uint8Array(N);
    const scratch = new Float64Array(D);
    // Welford running mean and sum of squared deviations, per coordinate.
    const mean = new Float64Array(D);
    const m2 = new Float64Array(D);
    for (let n = 1; n <= samples; n++) {
      for (let j = 0; j < N; j++) S[j] = rng() < q[j] ? 1 : 0;
      const u = fn(deltas, a, q, S, scratch);
      for (let k = 0; k < D; k++) {
        const d = u[k] - mean[k];
        mean[k] += d / n;
        m2[k] += d * (u[k] - mean[k]);
      }
    }
    const scale = scaleOf(c);
    for (let k = 0; k < D; k++) {
      const se = Math.sqrt(m2[k] / (samples - 1) / samples);
      const err = Math.abs(mean[k] - full[k]);
      if (!(err <= sigmas * se + 1e-9 * scale[k])) {
        throw new Error(
          `biased: coordinate ${k}: mean update over ${samples} sampled sets = ${mean[k]} ` +
            `(standard error ${se}), full-participation update = ${full[k]}, ` +
            `|difference| = ${err} = ${(err / se).toFixed(2)} standard errors > ${sigmas}`,
        );
      }
    }
  });
}

/**
 * Deterministic sanity check: when every device takes part for sure (q_j = 1, S = everyone) the
 * rule must return the full-participation update, and it must leave its inputs untouched.
 */
export function fullParticipationProperty(
  fn: AggregateFn,
  opts: ExactOptions = {},
): fc.IPropertyWithHooks<[AggregationCase]> {
  const arb = aggregationCaseArb({
    minDevices: 1,
    maxDevices: opts.maxDevices ?? 8,
    maxDim: opts.maxDim ?? 4,
  });
  return fc.property(arb, (c) => {
    const { a, deltas } = toArrays(c);
    const q = new Float64Array(a.length).fill(1);
    const S = new Uint8Array(a.length).fill(1);
    const full = fullParticipationUpdate(deltas, a);
    const u = fn(deltas, a, q, S);
    const touched =
      a.some((x, j) => x !== c.a[j]) ||
      q.some((x) => x !== 1) ||
      S.some((x) => x !== 1) ||
      deltas.some((d, j) => d.some((x, k) => !Object.is(x, c.deltas[j][k])));
    if (touched) throw new Error("the rule modified its inputs (deltas, a, q or S)");
    const relTol = opts.relTol ?? 1e-9;
    const scale = scaleOf({ ...c, q: Array.from(q) });
    for (let k = 0; k < full.length; k++) {
      const err = Math.abs(u[k] - full[k]);
      if (!(err <= relTol * scale[k])) {
        throw new Error(`coordinate ${k}: update with everyone taking part = ${u[k]}, expected ${full[k]}`);
      }
    }
  });
}

/** Options of runAggregationSuite. */
export interface AggregationSuiteOptions {
  /** fast-check seed for every property (default: fast-check picks one; it is reported either way). */
  seed?: number;
  /** Runs of the exact and full-participation properties (default 100). */
  numRuns?: number;
  /** Runs of the statistical property, which costs `samples` rule calls each (default 30). */
  statisticalRuns?: number;
  /** Options of the statistical property (its `seed` defaults to the suite's seed). */
  statistical?: StatisticalOptions;
  /** Options of the exact and full-participation properties. */
  exact?: ExactOptions;
}

/** One property's outcome. On failure, seed and path replay it: fc.check(prop, { seed, path }). */
export interface AggregationSuiteResult {
  name: string;
  passed: boolean;
  numRuns: number;
  seed: number;
  counterexample?: AggregationCase | SampledAggregationCase;
  path?: string;
  message?: string;
  numShrinks?: number;
}

/** The suite's properties by name, for running one alone or replaying a failure. */
export function aggregationProperties(fn: AggregateFn, opts: AggregationSuiteOptions = {}) {
  return {
    "full-participation": fullParticipationProperty(fn, opts.exact),
    "unbiased-exact": unbiasedExactProperty(fn, opts.exact),
    "unbiased-statistical": unbiasedStatisticalProperty(fn, { seed: opts.seed, ...opts.statistical }),
  };
}

/**
 * Runs every property on `fn` with fc.check and reports, without throwing, which passed; failures
 * carry the shrunk counterexample, the error message, and the seed and path that replay them.
 */
export function runAggregationSuite(
  fn: AggregateFn,
  opts: AggregationSuiteOptions = {},
): AggregationSuiteResult[] {
  const props = aggregationProperties(fn, opts);
  const numRuns = opts.numRuns ?? 100;
  const runs: Record<keyof typeof props, number> = {
    "full-participation": numRuns,
    "unbiased-exact": numRuns,
    "unbiased-statistical": opts.statisticalRuns ?? 30,
  };
  return (Object.keys(props) as (keyof typeof props)[]).map((name) => {
    const details = fc.check(props[name] as fc.IProperty<[AggregationCase]>, {
      seed: opts.seed,
      numRuns: runs[name],
    });
    const result: AggregationSuiteResult = {
      name,
      passed: !details.failed,
      numRuns: details.numRuns,
      seed: details.seed,
    };
    if (details.failed) {
      result.counterexample = details.counterexample?.[0];
      result.path = details.counterexamplePath ?? undefined;
      result.numShrinks = details.numShrinks;
      const e = details.errorInstance;
      result.message = e instanceof Error ? e.message : String(e);
    }
    return result;
  });
}
