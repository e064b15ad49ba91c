import { enforceBudgets } from "./budgetGuard.ts";
import type { MarketInstance } from "./instance.ts";
import { saturatedTenants, solveMultipliers } from "./multipliers.ts";
import { assertFinite, isIdentity, marketScale, normalise, scaleInPlace } from "./scale.ts";
import { type BestResponse, tenantBestResponse } from "./tenantBestResponse.ts";

/**
 * The Stackelberg equilibrium (MODEL.md section 3). Start from every tenant's single-tenant
 * solution. For tau = 2 the equilibrium is a function of the tenants' budget multipliers
 * (localEquilibrium.ts), so a Newton solve on those M numbers finds it in a handful of passes over
 * the devices ("multipliers"). Otherwise, or if that solve fails or its point does not pass the
 * NashConv test, Gauss-Seidel sweeps of best responses take over ("sweeps"): each tenant in turn
 * replaces its prices by its best response to the others'. Devices always play water-filling.
 * Whatever the method, the returned point is checked the same way: every tenant best-responds.
 *
 * Convergence is measured by NashConv, a per-tenant vector: the relative improvement
 * (V_i(now) - V_i(best response)) / V_i(now) each tenant could still get by deviating, never
 * negative. The point is accepted when the largest entry is <= tol.
 */
export interface SolveOptions {
  /** Acceptance threshold on the largest NashConv entry (default 1e-6). */
  readonly tol?: number;
  /** Maximum number of Gauss-Seidel sweeps (default 2000). */
  readonly maxSweeps?: number;
  /** Starting prices (tenant-major M x N); default: the single-tenant solutions. */
  readonly initialPrices?: Float64Array;
  /** "auto" (default): multipliers when tau = 2, then sweeps if needed; "sweeps": sweeps only. */
  readonly method?: "auto" | "sweeps";
  /** Called after each sweep (for progress); must not throw. */
  readonly onSweep?: (info: SweepInfo) => void;
  /**
   * Polled between iterations; when it returns true the solve stops and returns its best point so
   * far with its NashConv (converged false, stopped true). The market layer has no clock: the CLI
   * passes a deadline check here (`solve --max-seconds`).
   */
  readonly shouldStop?: () => boolean;
}

export interface SweepInfo {
  readonly sweep: number;
  /** Largest relative improvement a tenant got from its response during this sweep. */
  readonly maxImprovement: number;
}

export interface SolveResult {
  /** P_ij, tenant-major M x N. */
  readonly prices: Float64Array;
  /** q_ij, the devices' water-filling response to `prices`, tenant-major. */
  readonly participation: Float64Array;
  /** mu_j per device. */
  readonly congestion: Float64Array;
  /** sum_j P_ij q_ij per tenant (<= B_i). */
  readonly spend: Float64Array;
  /** V_i(q_i) per tenant. */
  readonly objective: Float64Array;
  /** Per-tenant NashConv at the returned point, each >= 0. */
  readonly nashConv: Float64Array;
  /** Iterations performed: Newton steps on the multipliers plus Gauss-Seidel sweeps. */
  readonly iterations: number;
  /** Which method produced the point. */
  readonly method: "multipliers" | "sweeps";
  /** True when max(nashConv) <= tol. */
  readonly converged: boolean;
  /** The acceptance threshold used. */
  readonly tol: number;
  /** True when every best response was exact (tau <= 2). */
  readonly exact: boolean;
  /** Largest relative duality gap of the tenants' best responses at the returned point. */
  readonly dualityGap: number;
  /** True when `shouldStop` ended the solve before it converged. */
  readonly stopped: boolean;
  /**
   * When not converged and double precision is the reason, says why (see precisionNote); else
   * undefined.
   */
  readonly note?: string;
}

/**
 * Solves in normalised units (market/scale.ts) and scales prices, congestion, spend and V_i back;
 * an answer with no finite double in the input's units is an InputError that says so.
 */
export function solveStackelberg(m: MarketInstance, opts: SolveOptions = {}): SolveResult {
  const s = marketScale(m);
  if (isIdentity(s)) return solveNormalised(m, opts);
  const init = opts.initialPrices ? scaleInPlace(opts.initialPrices.slice(), s.credits) : undefined;
  const r = solveNormalised(normalise(m, s), { ...opts, initialPrices: init });
  // V_i is infinite when an eligible device has q = 0 (a point that is reported, not an overflow)
  const overflow = r.objective.map((v) => (Number.isFinite(v) ? v / s.value : 0));
  const out = {
    ...r,
    prices: scaleInPlace(r.prices, 1 / s.credits),
    congestion: scaleInPlace(r.congestion, 1 / s.credits),
    spend: scaleInPlace(r.spend, 1 / s.credits),
    objective: scaleInPlace(r.objective, 1 / s.value),
  };
  assertFinite({
    prices: { values: out.prices, input: "cost" },
    spend: { values: out.spend, input: "budget" },
    objective: { values: overflow, input: "value" },
  });
  return out;
}

function solveNormalised(m: MarketInstance, opts: SolveOptions): SolveResult {
  const r = solveUnnoted(m, opts);
  if (r.converged) return r;
  const note = precisionNote(m, r, r.tol);
  return note ? { ...r, note } : r;
}

/**
 * Prices are doubles, and a device reads its participation off P_ij - mu_j = tau c q^(tau-1): when
 * the congestion price mu_j dwarfs that own-cost term (budgets far above what the devices' capacity
 * costs), the last bit of P_ij moves q_ij by a relative 2^-52 P / ((tau - 1) (P - mu)). When that
 * is above the acceptance threshold, no double-precision price vector can pass the NashConv test;
 * the note names the device and the ratio.
 */
export function precisionNote(
  m: MarketInstance,
  r: Pick<SolveResult, "prices" | "participation" | "congestion">,
  tol: number,
): string | undefined {
  const { M, N, tau } = m;
  let worst = 0;
  let at = -1;
  let ratio = 0;
  for (let j = 0; j < N; j++) {
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      if (!(m.value[k] > 0) || !(r.congestion[j] > 0)) continue;
      const own = r.prices[k] - r.congestion[j];
      const sens = own > 0 ? (2 ** -52 * r.prices[k]) / ((tau - 1) * own) : Number.POSITIVE_INFINITY;
      if (sens > worst) {
        worst = sens;
        at = j;
        ratio = own > 0 ? r.congestion[j] / own : Number.POSITIVE_INFINITY;
      }
    }
  }
  if (!(worst > tol)) return undefined;
  const size = Number.isFinite(ratio)
    ? `the congestion price is ${ratio.toExponential(1)} times a tenant's own-cost price term`
    : "rounding has left a tenant's price at or below the congestion price";
  return (
    `beyond double precision: at device ${at} ${size}, so one rounding of a price moves participation by ` +
    `${Number.isFinite(worst) ? worst.toExponential(1) : "all of it"} (relative), more than tol; the budgets ` +
    "are too large relative to the devices' costs for double-precision prices to express this equilibrium"
  );
}

/** Sweeps between two multiplier solves from the sweeps' multipliers (method "auto"). */
const POLISH = 10;

function solveUnnoted(m: MarketInstance, opts: SolveOptions): SolveResult {
  const { M, N } = m;
  const tol = opts.tol ?? 1e-6;
  const maxSweeps = opts.maxSweeps ?? 2000;
  if (!(tol > 0)) throw new RangeError("tol must be > 0");
  const prices = new Float64Array(M * N);
  const nu = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    // A tenant that could buy every eligible device outright when alone (nu = 0) usually cannot
    // once it competes; start it from the multiplier its budget would have without the cap q <= 1.
    const solo = soloMultiplier(m, i);
    nu[i] = solo > 0 ? solo : uncappedMultiplier(m, i);
  }
  let pricesReady = false;
  const startPrices = () => {
    if (pricesReady) return;
    pricesReady = true;
    if (opts.initialPrices) {
      if (opts.initialPrices.length !== M * N)
        throw new RangeError(`initialPrices must have length ${M * N}`);
      prices.set(opts.initialPrices);
    } else {
      // single-tenant solutions: each tenant's best response as if alone on the market
      const zero = new Float64Array(M * N);
      for (let i = 0; i < M; i++) prices.set(tenantBestResponse(m, zero, i).prices, i * N);
    }
  };
  if (opts.initialPrices) startPrices();
  let sweeps = 0;
  let converged = false;
  let stopped = false;
  const stop = () => {
    if (!stopped && opts.shouldStop?.()) stopped = true;
    return stopped;
  };
  let nash = new Float64Array(M);
  let gap = 0;
  let point = enforceBudgets(m, prices);
  let method: "multipliers" | "sweeps" = "sweeps";
  let newton = 0;
  const auto = (opts.method ?? "auto") === "auto";
  const saturated = saturatedTenants(m);
  // The multiplier Newton solve from multipliers nu0; keeps its point if it passes the NashConv test.
  const tryMultipliers = (nu0: Float64Array) => {
    if (!nu0.every((v) => v > 0)) return false;
    const start = nu0.map((v, i) => (saturated.mask[i] ? saturated.nu[i] : v));
    const sol = solveMultipliers(m, start, { frozen: saturated.mask, shouldStop: stop });
    if (!sol) return false;
    newton += sol.iterations;
    const p = enforceBudgets(m, sol.point.prices);
    const at = nashConvAt(m, p.prices, sol.nu);
    if (max(at.nash) > tol && pricesReady) return false;
    point = p;
    prices.set(p.prices);
    nu.set(sol.nu);
    ({ nash, gap } = at);
    pricesReady = true;
    return max(nash) <= tol;
  };
  if (auto && !opts.initialPrices && tryMultipliers(nu)) {
    converged = true;
    method = "multipliers";
  }
  if (!converged) startPrices();
  while (!converged && sweeps < maxSweeps && !stop()) {
    let maxImp = 0;
    for (let i = 0; i < M; i++) {
      const br = tenantBestResponse(m, prices, i, { nuHint: nu[i] });
      maxImp = Math.max(maxImp, improvement(br));
      prices.set(br.prices, i * N);
      if (br.nu > 0) nu[i] = br.nu;
    }
    sweeps++;
    opts.onSweep?.({ sweep: sweeps, maxImprovement: maxImp });
    // Acceleration: every POLISH sweeps, a Newton solve from the sweeps' multipliers; Gauss-Seidel
    // alone converges linearly (hundreds of sweeps on congested markets).
    if (auto && sweeps % POLISH === 0 && tryMultipliers(nu)) {
      converged = true;
      method = "multipliers";
      break;
    }
    if (maxImp <= tol || sweeps === maxSweeps || stop()) {
      point = enforceBudgets(m, prices);
      prices.set(point.prices);
      ({ nash, gap } = nashConvAt(m, prices, nu));
      if (max(nash) <= tol) {
        converged = true;
        break;
      }
    }
  }
  if (!converged && sweeps === 0) {
    point = enforceBudgets(m, prices);
    prices.set(point.prices);
    ({ nash, gap } = nashConvAt(m, prices, nu));
    converged = max(nash) <= tol;
  }
  const participation = point.response.participation;
  const objective = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let v = 0;
    for (let j = 0; j < N; j++) {
      const w = m.value[i * N + j];
      if (w > 0) v += w / participation[i * N + j];
    }
    objective[i] = v;
  }
  return {
    prices,
    participation,
    congestion: point.response.congestion,
    spend: point.spend,
    objective,
    nashConv: nash,
    iterations: newton + sweeps,
    method,
    converged,
    tol,
    exact: m.tau <= 2,
    dualityGap: gap,
    stopped: stopped && !converged,
  };
}

/** Relative improvement a best response offers over the current point; never negative. */
export function improvement(br: BestResponse): number {
  if (!Number.isFinite(br.currentObjective)) return 1;
  return Math.max(0, (br.currentObjective - br.objective) / br.currentObjective);
}

/** Per-tenant NashConv at the given prices (each tenant best-responds to the others, no update). */
export function nashConv(m: MarketInstance, prices: Float64Array): Float64Array {
  return nashConvAt(m, prices, new Float64Array(m.M)).nash;
}

function nashConvAt(m: MarketInstance, prices: Float64Array, nu: Float64Array) {
  const nash = new Float64Array(m.M);
  let gap = 0;
  for (let i = 0; i < m.M; i++) {
    const br = tenantBestResponse(m, prices, i, { nuHint: nu[i] });
    nash[i] = improvement(br);
    gap = Math.max(gap, br.dualityGap);
  }
  return { nash, gap };
}

/**
 * No congestion, no cap: q = (w / (nu tau^2 c))^(1/(tau+1)), so spend(nu) = sum_j tau c q^tau =
 * nu^(-tau/(tau+1)) S with S = sum_j tau c (w / (tau^2 c))^(tau/(tau+1)); solve spend = B.
 */
function uncappedMultiplier(m: MarketInstance, i: number): number {
  const { tau } = m;
  let s = 0;
  for (let j = 0; j < m.N; j++) {
    const w = m.value[i * m.N + j];
    const c = m.cost[i * m.N + j];
    if (w > 0) s += tau * c * (w / (tau * tau * c)) ** (tau / (tau + 1));
  }
  return (s / m.budget[i]) ** ((tau + 1) / tau);
}

/**
 * The multiplier of tenant i alone on the market: spend(nu) = sum_j tau c q_j^tau with
 * q_j = min(1, (w / (nu tau^2 c))^(1/(tau+1))) falls as nu grows; 0 when buying every eligible
 * device outright fits the budget. Bisection in log nu from the uncapped answer (an upper bound).
 */
function soloMultiplier(m: MarketInstance, i: number): number {
  const { N, tau } = m;
  const B = m.budget[i] * (1 - 5e-13);
  let all = 0;
  for (let j = 0; j < N; j++) if (m.value[i * N + j] > 0) all += tau * m.cost[i * N + j];
  if (all <= B) return 0;
  // Newton on log spend in x = log nu (d log q / dx = -1/(tau+1) where q < 1), kept in a bracket
  let lo = Number.NEGATIVE_INFINITY; // spend > B
  let hi = Math.log(uncappedMultiplier(m, i)); // spend <= B
  let x = hi;
  for (let it = 0; it < 100; it++) {
    let s = 0;
    let ds = 0;
    for (let j = 0; j < N; j++) {
      const w = m.value[i * N + j];
      if (!(w > 0)) continue;
      const c = m.cost[i * N + j];
      const qu = (w / (Math.exp(x) * tau * tau * c)) ** (1 / (tau + 1));
      if (qu >= 1) s += tau * c;
      else {
        const pay = tau * c * qu ** tau;
        s += pay;
        ds -= (tau / (tau + 1)) * pay;
      }
    }
    if (s > B) lo = x;
    else hi = x;
    if (Math.abs(s - B) <= 1e-14 * B || hi - lo <= 1e-15 * Math.max(1, Math.abs(hi))) break;
    let next = ds < 0 ? x - (Math.log(s) - Math.log(B)) / (ds / s) : Number.NaN;
    if (!(next > lo && next < hi)) next = Number.isFinite(lo) ? 0.5 * (lo + hi) : hi - 1 - 2 * (hi - x);
    x = next;
  }
  return Math.exp(hi);
}

function max(a: Float64Array): number {
  let x = 0;
  for (const v of a) if (v > x) x = v;
  return x;
}
