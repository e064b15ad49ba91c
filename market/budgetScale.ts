import type { MarketInstance } from "./instance.ts";
import { deviceWaterFill, waterFill } from "./waterFill.ts";

/**
 * One tenant's prices scaled by a factor, and the one root search that every "largest factor within
 * the budget" in the project uses: the baselines' "scaled to the budget" (MODEL.md section 7) and
 * the environment's budget guard (section 4, market/budgetGuard.ts).
 *
 * Tenant i posts s * x_j (a shape x >= 0) against fixed prices of the other tenants; the devices
 * play water-filling. Its expected spend sum_j s x_j q_ij(s x) is continuous and nondecreasing in s
 * (q_ij grows with the own price at fixed others), strictly increasing once any q_ij > 0, and
 * unbounded (q_ij -> 1 as the price grows), so the largest feasible s exists and the budget binds
 * there, unless a cap on s is reached first.
 */

/** Stop when the spend is this close (relative) under the budget: far below any test tolerance. */
const BUDGET_TOL = 1e-14;

/**
 * Tenant `row`'s spend as a function of the factor on `shape`, evaluated on just the devices that
 * can respond (eligible, positive shape entry): each such device's column of the others' prices
 * (fixed) and costs is gathered once, and a trial water-fills only those columns.
 */
export interface RowSpend {
  /** The devices that respond (indices into 0..N-1). */
  readonly devices: readonly number[];
  /** Spend at factor s; with `fill`, also writes the row's prices and participation (length N). */
  spendAt(s: number, fill?: { prices: Float64Array; participation: Float64Array }): number;
  /** A first guess of the factor that spends `budget`: uncongested, uncapped devices. */
  guess(budget: number): number;
}

/**
 * Builds the RowSpend of tenant `row` posting multiples of `shape` (length N, finite, >= 0, not
 * checked here) against `others` (tenant-major M x N, own row ignored; null = all zero).
 */
export function rowSpend(
  m: MarketInstance,
  row: number,
  shape: ArrayLike<number>,
  others: Float64Array | null,
): RowSpend {
  const { M, N, tau } = m;
  const devices: number[] = [];
  for (let j = 0; j < N; j++) if (shape[j] > 0 && m.value[row * N + j] > 0) devices.push(j);
  const n = devices.length;
  const colP = new Float64Array(n * M);
  const colC = new Float64Array(n * M);
  const xs = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const j = devices[a];
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
  const spendAt = (s: number, fill?: { prices: Float64Array; participation: Float64Array }) => {
    guardCounters.spendEvaluations++;
    let total = 0;
    for (let a = 0; a < n; a++) {
      const price = s * xs[a];
      pCols[a][row] = price;
      deviceWaterFill(pCols[a], cCols[a], tau, M, q);
      total += price * q[row];
      if (fill) {
        fill.prices[devices[a]] = price;
        fill.participation[devices[a]] = q[row];
      }
    }
    return total;
  };
  const guess = (budget: number) => {
    const e = 1 / (tau - 1);
    let unit = 0;
    for (let a = 0; a < n; a++) unit += xs[a] * (xs[a] / (tau * colC[a * M + row])) ** e;
    const s0 = (budget / unit) ** (1 / (1 + e));
    if (Number.isFinite(s0) && s0 > 0) return s0;
    // a shape so large that its unit spend overflows: the same guess, computed relative to its top
    let top = 0;
    for (let a = 0; a < n; a++) top = Math.max(top, xs[a]);
    let rel = 0;
    for (let a = 0; a < n; a++) rel += (xs[a] / top) * (xs[a] / top / (tau * colC[a * M + row])) ** e;
    const s1 = (budget / rel) ** (1 / (1 + e)) / top;
    return Number.isFinite(s1) && s1 > 0 ? s1 : 1;
  };
  return { devices, spendAt, guess };
}

/**
 * How many spend evaluations the root searches have made since the process started (benchmarks
 * read it; results never depend on it).
 */
export const guardCounters = {
  /** One-tenant spend evaluations (a trial of a root search), by anyone. */
  spendEvaluations: 0,
  /** Of those, made by the budget guard. */
  guardSpendEvaluations: 0,
  /** Full water-fills of the whole market made by the budget guard. */
  guardWaterFills: 0,
  /** Calls of the budget guard. */
  guardCalls: 0,
};

/**
 * The largest s in [0, cap] with spend(s) <= budget, for a continuous nondecreasing spend with
 * spend(0) = 0: `cap` when spend(cap) <= budget, otherwise a factor whose spend is within relative
 * 1e-14 under the budget. Brackets the root from `guess` by doubling or halving, then runs Illinois
 * regula falsi on g(t) = log(spend(e^t) / B), t = log s: spend is close to a power of s
 * (s^(tau/(tau-1)) on free devices, s on saturated ones), so g is nearly linear in t and this takes
 * a handful of evaluations where bisection takes fifty. Bisection steps stand in whenever spend(lo)
 * is 0 (devices priced out by the others) or the interpolant leaves the bracket.
 */
export function largestFactorWithin(
  spend: (s: number) => number,
  budget: number,
  guess: number,
  cap = Number.POSITIVE_INFINITY,
): number {
  if (!(budget > 0)) return 0;
  let fcap = Number.NaN;
  if (cap < Number.POSITIVE_INFINITY) {
    fcap = spend(cap);
    if (fcap <= budget) return cap;
  }
  let lo = 0;
  let hi = Number.isFinite(guess) && guess > 0 ? Math.min(guess, cap) : Math.min(1, cap);
  let flo = 0;
  let fhi = hi === cap ? fcap : spend(hi);
  if (fhi <= budget) {
    for (let it = 0; it < 2100; it++) {
      lo = hi;
      flo = fhi;
      hi = Math.min(2 * hi, cap);
      fhi = hi === cap ? fcap : spend(hi);
      if (fhi > budget) break;
    }
  } else {
    for (let it = 0; it < 2100; it++) {
      const next = hi / 2;
      if (next === 0) break;
      const f = spend(next);
      if (f <= budget) {
        lo = next;
        flo = f;
        break;
      }
      hi = next;
      fhi = f;
    }
  }
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
    const f = spend(mid);
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
  return lo;
}

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
  const { N } = m;
  checkRow(m, row, others);
  if (shape.length !== N) throw new RangeError(`shape has length ${shape.length}, expected N = ${N}`);
  if (!(budget >= 0 && Number.isFinite(budget))) throw new RangeError(`budget must be finite and >= 0`);
  for (let j = 0; j < N; j++) {
    const x = shape[j];
    if (!(x >= 0 && Number.isFinite(x))) throw new RangeError(`shape[${j}] = ${x}; must be finite and >= 0`);
  }
  const prices = new Float64Array(N);
  const participation = new Float64Array(N);
  const rs = rowSpend(m, row, shape, others);
  if (rs.devices.length === 0 || budget === 0) return { scale: 0, prices, participation, spend: 0 };
  const scale = largestFactorWithin((s) => rs.spendAt(s), budget, rs.guess(budget));
  const spend = rs.spendAt(scale, { prices, participation });
  return { scale, prices, participation, spend };
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
