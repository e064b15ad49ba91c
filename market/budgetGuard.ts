import { guardCounters, largestFactorWithin, rowSpend } from "./budgetScale.ts";
import type { MarketInstance } from "./instance.ts";
import { solveLinear } from "./multipliers.ts";
import { spendElasticities } from "./spendElasticity.ts";
import { type DeviceResponse, waterFill } from "./waterFill.ts";

/**
 * The budget guard (MODEL.md section 4, docs/model.md), the same for every pricing policy: if a
 * tenant's expected spend sum_j P_ij q_ij exceeds B_i once devices have responded, its prices are
 * scaled down by the largest factor that meets the budget.
 *
 * With shared devices the factors are one joint problem: lowering one tenant's prices raises its
 * rivals' participation and spend there. Tenant i posting s_i P_i, its spend_i(s) rises with s_i
 * and falls with every other s_k, so phi_i(s_-i) = the largest s_i <= 1 with spend_i <= B_i rises
 * with the others' factors. The feasible set F = {s in [0,1]^M : spend_i(s) <= B_i for all i} is
 * then closed under componentwise max (if s, t are in F and s_i >= t_i, tenant i at max(s, t)
 * posts s_i against others at least as high as in s, so it spends at most spend_i(s)), and F has a
 * greatest element s*: the greatest fixed point of phi (Tarski). The guard returns s*, each tenant
 * at the largest feasible factor given the others: every tenant either keeps its posted prices
 * (s_i = 1) or ends at its budget, and no feasible scaling gives any tenant a larger factor.
 *
 * It is computed by Gauss-Seidel sweeps of exact one-tenant root searches (market/budgetScale.ts):
 * each tenant over its budget, or scaled and under it, is moved to phi_i given the others. Started
 * at s = 1 the sweeps decrease monotonically to s*. Tenants bidding far above each other's
 * budgets on a shared device descend in tiny steps (each stays just above the other's price): when
 * sweeps stop shrinking, one common factor brings the group within budget (a point of F, below s*)
 * and the sweeps climb from there; a point of F only ever moves up to phi, so it stays in F.
 */
export interface GuardResult {
  readonly prices: Float64Array;
  readonly response: DeviceResponse;
  /** Per tenant, the factor applied to its posted prices (1 = untouched). */
  readonly scale: Float64Array;
  readonly spend: Float64Array;
  /** True when every tenant's spend is <= its budget (false only if maxSweeps ran out). */
  readonly withinBudget: boolean;
  /** Gauss-Seidel sweeps used (0: the posted prices were within every budget). */
  readonly sweeps: number;
}

/** Expected spend per tenant, sum_j P_ij q_ij. */
export function spendOf(
  m: MarketInstance,
  prices: Float64Array,
  participation: Float64Array,
  out?: Float64Array,
) {
  const { M, N } = m;
  const spend = out ?? new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let j = i * N; j < (i + 1) * N; j++) s += prices[j] * participation[j];
    spend[i] = s;
  }
  return spend;
}

/**
 * A scaled tenant whose spend is within this (relative) under its budget counts as at its budget;
 * root searches aim a little lower (AIM), so the tiny increases its rivals' later moves cause do
 * not push it back over. Both far below any figure the project reports.
 */
export const GUARD_BIND_TOL = 1e-12;
const AIM = 1e-13;

/** A failed Newton step with a violation above this (relative, in log) calls the common factor. */
const JOINT_ABOVE = 0.01;

export function enforceBudgets(m: MarketInstance, input: Float64Array, maxSweeps = 1000): GuardResult {
  const evaluations = guardCounters.spendEvaluations;
  guardCounters.guardCalls++;
  try {
    return guard(m, input, maxSweeps);
  } finally {
    guardCounters.guardSpendEvaluations += guardCounters.spendEvaluations - evaluations;
  }
}

function guard(m: MarketInstance, input: Float64Array, maxSweeps: number): GuardResult {
  const { M, N } = m;
  const prices = input.slice();
  const scale = new Float64Array(M).fill(1);
  let response = fullFill(m, prices);
  const spend = spendOf(m, prices, response.participation);
  let over = false;
  for (let i = 0; i < M; i++) if (spend[i] > m.budget[i]) over = true;
  if (!over) return { prices, response, scale, spend, withinBudget: true, sweeps: 0 };
  const setRow = (i: number, s: number) => {
    scale[i] = s;
    for (let j = i * N; j < (i + 1) * N; j++) prices[j] = input[j] * s;
  };
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    sweeps++;
    let moved = false;
    for (let i = 0; i < M; i++) {
      const B = m.budget[i];
      const rs = rowSpend(m, i, input.subarray(i * N, (i + 1) * N), prices);
      if (rs.devices.length === 0) continue; // it spends nothing at any factor
      const si = scale[i];
      const f = rs.spendAt(si);
      const down = f > B;
      if (!down && !(si < 1 && f < B * (1 - GUARD_BIND_TOL))) continue;
      const target = B * (1 - AIM);
      const guess = down && Number.isFinite(f) && f > 0 ? si * (target / f) : si;
      const next = largestFactorWithin(
        (s) => rs.spendAt(s),
        target,
        guess > 0 ? guess : rs.guess(target),
        down ? si : 1,
      );
      if (next !== si) {
        moved = true;
        setRow(i, next);
      }
    }
    if (!moved) break;
    const nt = newtonStep(m, prices, scale, setRow, response);
    response = nt.response;
    // Newton cannot help a price war: a tenant priced just under its rival's far too high price
    // (the budget window below one ulp of it, or spend 0). One common factor ends it.
    if (!nt.accepted && nt.violation > JOINT_ABOVE) response = scaleJointly(m, prices, scale, setRow);
  }
  response = fullFill(m, prices, response);
  spendOf(m, prices, response.participation, spend);
  let withinBudget = true;
  for (let i = 0; i < M; i++) if (spend[i] > m.budget[i]) withinBudget = false;
  return { prices, response, scale, spend, withinBudget, sweeps };
}

/**
 * How far the factors are from the guard's fixed point: the largest relative amount by which a
 * tenant overspends, or (scaled and under its budget) could spend more.
 */
function violation(m: MarketInstance, scale: Float64Array, spend: Float64Array): number {
  let v = 0;
  for (let i = 0; i < m.M; i++) {
    const B = m.budget[i];
    if (spend[i] > B) v = Math.max(v, Math.log(spend[i] / B));
    else if (scale[i] < 1 && spend[i] < B * (1 - GUARD_BIND_TOL))
      v = Math.max(v, spend[i] > 0 ? Math.log((B * (1 - AIM)) / spend[i]) : Number.POSITIVE_INFINITY);
  }
  return v;
}

/**
 * One Newton step on log s for the tenants that are scaled or over budget, aiming each spend at
 * its target (spendElasticities gives the Jacobian), with the step halved up to five times until
 * the violation falls; the factors are left alone when no step helps. Sweeps do the rest: they
 * only ever move a tenant to its exact largest feasible factor, so Newton speeds them up where
 * tenants are tightly coupled and cannot make the answer wrong.
 */
function newtonStep(
  m: MarketInstance,
  prices: Float64Array,
  scale: Float64Array,
  setRow: (i: number, s: number) => void,
  response: DeviceResponse,
): { response: DeviceResponse; accepted: boolean; violation: number } {
  const { M } = m;
  let res = fullFill(m, prices, response);
  const { spend, elasticity } = spendElasticities(m, prices, res.participation, res.congestion);
  const base = violation(m, scale, spend);
  const fail = () => ({ response: res, accepted: false, violation: base });
  if (base === 0) return fail();
  const free: number[] = [];
  for (let i = 0; i < M; i++) if (spend[i] > 0 && (scale[i] < 1 || spend[i] > m.budget[i])) free.push(i);
  const n = free.length;
  if (n === 0) return fail();
  const A = new Float64Array(n * n);
  const b = new Float64Array(n);
  free.forEach((i, a) => {
    b[a] = -Math.log(spend[i] / (m.budget[i] * (1 - AIM)));
    free.forEach((k, c) => {
      A[a * n + c] = elasticity[i * M + k];
    });
  });
  const step = solveLinear(A, b, n);
  if (!step?.every(Number.isFinite)) return fail();
  const start = scale.slice();
  const trialSpend = new Float64Array(M);
  for (let lambda = 1, tries = 0; tries < 6; tries++, lambda /= 2) {
    free.forEach((i, a) => {
      setRow(i, Math.min(1, start[i] * Math.exp(lambda * step[a])));
    });
    res = fullFill(m, prices, res);
    spendOf(m, prices, res.participation, trialSpend);
    if (violation(m, scale, trialSpend) < base) return { response: res, accepted: true, violation: base };
  }
  for (const i of free) setRow(i, start[i]);
  res = fullFill(m, prices, res);
  return fail();
}

/**
 * Multiplies the factors of every tenant now over budget or already scaled by one common factor,
 * the largest (bisection in log space, to 1e-9) at which none of them overspends; all spends fall
 * to 0 with the factor, so one exists. The result is below the guard's answer, and the sweeps
 * climb from there.
 */
function scaleJointly(
  m: MarketInstance,
  prices: Float64Array,
  scale: Float64Array,
  setRow: (i: number, s: number) => void,
): DeviceResponse {
  const { M } = m;
  const spend = new Float64Array(M);
  let response = fullFill(m, prices);
  spendOf(m, prices, response.participation, spend);
  const group: number[] = [];
  for (let i = 0; i < M; i++) if (spend[i] > m.budget[i] || scale[i] < 1) group.push(i);
  const start = Float64Array.from(group, (i) => scale[i]);
  const trial = (t: number) => {
    group.forEach((i, g) => {
      setRow(i, start[g] * t);
    });
    response = fullFill(m, prices, response);
    spendOf(m, prices, response.participation, spend);
    return group.every((i) => spend[i] <= m.budget[i]);
  };
  let lo = -745; // log of the factor: exp(-745) is the smallest positive double
  let hi = 0;
  while (hi - lo > 1e-9) {
    const mid = 0.5 * (lo + hi);
    if (trial(Math.exp(mid))) lo = mid;
    else hi = mid;
  }
  trial(Math.exp(lo));
  return response;
}

/** waterFill of the whole market, counted for the benchmarks (bench/guard.ts). */
function fullFill(m: MarketInstance, prices: Float64Array, out?: DeviceResponse): DeviceResponse {
  guardCounters.guardWaterFills++;
  return waterFill(m, prices, out);
}
