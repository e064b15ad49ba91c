import type { MarketInstance } from "../market/instance.ts";
import { deviceWaterFill, waterFill } from "../market/waterFill.ts";
import type { MarketObservation } from "./types.ts";

/**
 * "Scaled to the budget", the one rule every budget-constrained baseline uses (MODEL.md section 7):
 * a baseline picks the shape x_j of tenant i's prices, and posts s * x_j with the largest factor s
 * whose expected spend sum_j s x_j q_ij(s x) is at most B_i, where the devices play water-filling
 * against the other tenants' last posted prices (zero at the first market step).
 *
 * Why against the last prices: a baseline does not model the other tenants; the last posted prices
 * are what it can observe. The environment's budget guard still scales the posted prices down if
 * the others' new prices make the spend exceed B_i.
 *
 * The spend is continuous and nondecreasing in s (q_ij grows with the own price at fixed others),
 * strictly increasing once any q_ij > 0, and unbounded (q_ij -> 1 as the price grows), so the
 * largest feasible s exists and the budget binds there: bracket it by doubling, then close in on the
 * budget (relative 1e-14), keeping the feasible side.
 */
/** Stop when the spend is this close (relative) under the budget: far below any test tolerance. */
const BUDGET_TOL = 1e-14;

export interface ScaledPrices {
  /** The factor s (0 when the shape has no positive entry on an eligible device). */
  readonly scale: number;
  /** s * x_j on eligible devices, 0 elsewhere (length N). */
  readonly prices: Float64Array;
  /** q_ij, the devices' water-filling response to these prices given the others' (length N). */
  readonly participation: Float64Array;
  /** Expected spend sum_j P_ij q_ij (<= the budget). */
  readonly spend: number;
}

/**
 * The largest multiple of `shape` (length N, >= 0) that tenant `row` can post within `budget`
 * (default B_i) given the other tenants' prices `others` (tenant-major M x N, own row ignored;
 * null = all zero).
 */
export function scaleToBudget(
  m: MarketInstance,
  row: number,
  shape: ArrayLike<number>,
  others: Float64Array | null,
  budget: number = m.budget[row],
): ScaledPrices {
  const { M, N, tau } = m;
  checkRow(m, row, others);
  if (shape.length !== N) throw new RangeError(`shape has length ${shape.length}, expected N = ${N}`);
  if (!(budget >= 0 && Number.isFinite(budget))) throw new RangeError(`budget must be finite and >= 0`);
  // The devices that can respond: eligible, with a positive shape entry. For each, its column of
  // prices (others' fixed, own slot set per trial) and costs.
  const idx: number[] = [];
  for (let j = 0; j < N; j++) {
    const x = shape[j];
    if (!(x >= 0 && Number.isFinite(x))) throw new RangeError(`shape[${j}] = ${x}; must be finite and >= 0`);
    if (x > 0 && m.value[row * N + j] > 0) idx.push(j);
  }
  const n = idx.length;
  const prices = new Float64Array(N);
  const participation = new Float64Array(N);
  if (n === 0 || budget === 0) return { scale: 0, prices, participation, spend: 0 };
  const colP = new Float64Array(n * M);
  const colC = new Float64Array(n * M);
  const xs = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const j = idx[a];
    xs[a] = shape[j];
    for (let k = 0; k < M; k++) {
      const kk = k * N + j;
      colP[a * M + k] = k !== row && others && m.value[kk] > 0 ? others[kk] : 0;
      colC[a * M + k] = m.cost[kk];
    }
  }
  const pCols = Array.from({ length: n }, (_, a) => colP.subarray(a * M, (a + 1) * M));
  const cCols = Array.from({ length: n }, (_, a) => colC.subarray(a * M, (a + 1) * M));
  const q = new Float64Array(M);
  /** Spend at factor s; with `fill`, also writes prices and participation. */
  const spendAt = (s: number, fill = false): number => {
    let total = 0;
    for (let a = 0; a < n; a++) {
      const price = s * xs[a];
      pCols[a][row] = price;
      deviceWaterFill(pCols[a], cCols[a], tau, M, q);
      total += price * q[row];
      if (fill) {
        prices[idx[a]] = price;
        participation[idx[a]] = q[row];
      }
    }
    return total;
  };
  // Initial guess: the factor that spends the budget on uncongested, uncapped devices.
  const e = 1 / (tau - 1);
  let unit = 0;
  for (let a = 0; a < n; a++) unit += xs[a] * (xs[a] / (tau * colC[a * M + row])) ** e;
  const s0 = (budget / unit) ** (1 / (1 + e));
  let lo = 0;
  let hi = Number.isFinite(s0) && s0 > 0 ? s0 : 1;
  if (spendAt(hi) <= budget) {
    for (let it = 0; it < 2100; it++) {
      lo = hi;
      hi *= 2;
      if (spendAt(hi) > budget) break;
    }
  } else {
    for (let it = 0; it < 2100; it++) {
      const next = hi / 2;
      if (next === 0) break;
      if (spendAt(next) <= budget) {
        lo = next;
        break;
      }
      hi = next;
    }
  }
  // Illinois regula falsi on g(t) = log(spend(e^t) / B), t = log s: spend is close to a power of s
  // (s^(tau/(tau-1)) on free devices, s on saturated ones), so g is nearly linear in t and this takes
  // a handful of evaluations where bisection takes fifty. Bisection steps stand in whenever spend(lo)
  // is 0 (devices priced out by the others) or the interpolant leaves the bracket.
  let flo = spendAt(lo);
  const fhi = spendAt(hi);
  let glo = flo > 0 ? Math.log(flo / budget) : Number.NEGATIVE_INFINITY;
  let ghi = Math.log(fhi / budget);
  let kept = 0; // which end survived the last step: -1 lo, +1 hi (Illinois halves a stale end's g)
  for (let it = 0; it < 200; it++) {
    if (budget - flo <= BUDGET_TOL * budget) break;
    let mid = Number.NaN;
    if (Number.isFinite(glo) && lo > 0) {
      const a = Math.log(lo);
      const b = Math.log(hi);
      mid = Math.exp(b - (ghi * (b - a)) / (ghi - glo));
    }
    if (!(mid > lo && mid < hi)) mid = 0.5 * (lo + hi);
    if (!(mid > lo && mid < hi)) break;
    const f = spendAt(mid);
    if (f <= budget) {
      lo = mid;
      flo = f;
      glo = f > 0 ? Math.log(f / budget) : Number.NEGATIVE_INFINITY;
      if (kept === 1) ghi *= 0.5;
      kept = 1;
    } else {
      hi = mid;
      ghi = Math.log(f / budget);
      if (kept === -1) glo *= 0.5;
      kept = -1;
    }
  }
  const spend = spendAt(lo, true);
  return { scale: lo, prices, participation, spend };
}

/** scaleToBudget for the observing tenant: its budget, against the last posted prices. */
export function budgetScaledPrices(
  obs: MarketObservation,
  row: number,
  shape: ArrayLike<number>,
): Float64Array {
  return scaleToBudget(obs.market, row, shape, obs.lastPrices).prices;
}

/**
 * Tenant `row`'s expected spend and participation when it posts `rowPrices` (length N) and the
 * others post `others` (null = zero), computed with the market's full water-filling. An independent
 * check of scaleToBudget, and what a baseline expects to pay.
 */
export function expectedSpend(
  m: MarketInstance,
  row: number,
  rowPrices: Float64Array,
  others: Float64Array | null,
): { spend: number; participation: Float64Array } {
  const { M, N } = m;
  checkRow(m, row, others);
  if (rowPrices.length !== N) throw new RangeError(`rowPrices has length ${rowPrices.length}, expected ${N}`);
  const all = others ? others.slice() : new Float64Array(M * N);
  all.set(rowPrices, row * N);
  const q = waterFill(m, all).participation.slice(row * N, (row + 1) * N);
  let spend = 0;
  for (let j = 0; j < N; j++) if (m.value[row * N + j] > 0) spend += rowPrices[j] * q[j];
  return { spend, participation: q };
}

function checkRow(m: MarketInstance, row: number, others: Float64Array | null): void {
  if (!(Number.isInteger(row) && row >= 0 && row < m.M))
    throw new RangeError(`row ${row} out of range 0..${m.M - 1}`);
  if (others && others.length !== m.M * m.N)
    throw new RangeError(`other tenants' prices have length ${others.length}, expected M*N = ${m.M * m.N}`);
}
