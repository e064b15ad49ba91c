import { largestFactorWithin, rowSpend } from "./budgetScale.ts";
import type { MarketInstance } from "./instance.ts";
import { type DeviceResponse, waterFill } from "./waterFill.ts";

/**
 * The budget guard (MODEL.md section 4), the same for every pricing policy: if a tenant's expected
 * spend sum_j P_ij q_ij exceeds B_i once devices have responded, scale that tenant's prices down by
 * the largest factor that meets the budget. Lowering one tenant's prices raises the others'
 * participation (and so their spend) on shared congested devices, so the guard repeats until every
 * tenant is within budget; prices only ever decrease, so it terminates. A tenant it scales is
 * brought a hair under its budget (relative GUARD_MARGIN), so the small spend increases that later
 * scalings of its rivals cause rarely push it back over, and passes stay few.
 */
export interface GuardResult {
  readonly prices: Float64Array;
  readonly response: DeviceResponse;
  /** Per tenant, the product of the factors applied (1 = untouched). */
  readonly scale: Float64Array;
  readonly spend: Float64Array;
  /** True when every tenant's spend is <= its budget (false only if maxPasses ran out). */
  readonly withinBudget: boolean;
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

/** Relative room left under the budget of a tenant the guard scales. */
const GUARD_MARGIN = 1e-9;

/**
 * Passes of one-tenant-at-a-time scaling after which the guard first lowers every overspending
 * tenant's prices together. Tenants bidding far above each other's budgets on a shared device back
 * off in tiny steps when scaled one at a time (each stays just above the other's price), so a
 * common factor first brings the whole group near its budgets, then the per-tenant passes resume.
 */
const PASSES_BEFORE_JOINT = 20;

export function enforceBudgets(m: MarketInstance, input: Float64Array, maxPasses = 1000): GuardResult {
  const { M, N } = m;
  const prices = input.slice();
  const scale = new Float64Array(M).fill(1);
  let response = waterFill(m, prices);
  const spend = spendOf(m, prices, response.participation);
  for (let pass = 0; pass < maxPasses; pass++) {
    if (pass > 0 && pass % PASSES_BEFORE_JOINT === 0) {
      response = scaleJointly(m, prices, spend, scale, response);
    }
    let changed = false;
    for (let i = 0; i < M; i++) {
      if (spend[i] <= m.budget[i]) continue;
      changed = true;
      const row = prices.subarray(i * N, (i + 1) * N);
      const base = row.slice();
      const lo = largestFactor(m, prices, i, base, m.budget[i] * (1 - GUARD_MARGIN));
      for (let j = 0; j < N; j++) row[j] = base[j] * lo;
      scale[i] *= lo;
      response = waterFill(m, prices, response);
      spendOf(m, prices, response.participation, spend);
    }
    if (!changed) break;
  }
  let withinBudget = true;
  for (let i = 0; i < M; i++) if (spend[i] > m.budget[i]) withinBudget = false;
  return { prices, response, scale, spend, withinBudget };
}

/**
 * Scales the prices of every tenant now over budget or already scaled by one common factor, the
 * largest (found by bisection in log space) at which none of them overspends any more; all spends
 * fall to 0 with the factor, so such a factor exists. Updates prices, spend and scale in place.
 */
function scaleJointly(
  m: MarketInstance,
  prices: Float64Array,
  spend: Float64Array,
  scale: Float64Array,
  response: DeviceResponse,
): DeviceResponse {
  const { M, N } = m;
  const group: number[] = [];
  // the tenants over budget and those the guard has already scaled: they are the ones bidding
  // against each other
  for (let i = 0; i < M; i++) if (spend[i] > m.budget[i] || scale[i] < 1) group.push(i);
  if (group.length < 2 || group.every((i) => spend[i] <= m.budget[i])) return response;
  const base = prices.slice();
  const trial = (s: number) => {
    for (const i of group) for (let j = i * N; j < (i + 1) * N; j++) prices[j] = base[j] * s;
    response = waterFill(m, prices, response);
    spendOf(m, prices, response.participation, spend);
    return group.every((i) => spend[i] <= m.budget[i]);
  };
  let lo = -745; // log of the factor: exp(-745) is the smallest positive double
  let hi = 0;
  for (let it = 0; it < 60 && hi - lo > 1e-12; it++) {
    const mid = 0.5 * (lo + hi);
    if (trial(Math.exp(mid))) lo = mid;
    else hi = mid;
  }
  trial(Math.exp(lo));
  for (const i of group) scale[i] *= Math.exp(lo);
  return response;
}

/**
 * The largest s in [0, 1] with tenant i's spend at prices (s * base on row i, others fixed) <= cap:
 * the root search the baselines' budget scaling uses (market/budgetScale.ts).
 */
function largestFactor(
  m: MarketInstance,
  prices: Float64Array,
  i: number,
  base: Float64Array,
  cap: number,
): number {
  const rs = rowSpend(m, i, base, prices);
  if (rs.devices.length === 0) return 1; // it spends nothing at any factor
  return largestFactorWithin((s) => rs.spendAt(s), cap, rs.guess(cap), 1);
}
