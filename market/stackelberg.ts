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

function solveUnnoted(m: MarketInstance, opts: SolveOptions): SolveResult {
  const { M, N } = m;
  const tol = opts.tol ?? 1e-6;
  const maxSweeps = opts.maxSweeps ?? 2000;
  if (!(tol > 0)) throw new RangeError("tol must be > 0");
  const prices = new Float64Array(M * N);
  const nu = new Float64Array(M);
  if (opts.initialPrices) {
    if (opts.initialPrices.length !== M * N) throw new RangeError(`initialPrices must have length ${M * N}`);
    prices.set(opts.initialPrices);
  } else {
    // single-tenant solutions: each tenant's best response as if alone on the market
    const zero = new Float64Array(M * N);
    for (let i = 0; i < M; i++) {
      const br = tenantBestResponse(m, zero, i);
      prices.set(br.prices, i * N);
      // A tenant that could buy every eligible device outright when alone (nu = 0) usually cannot
      // once it competes; start it from the multiplier its budget would have without the cap q <= 1.
      nu[i] = br.nu > 0 ? br.nu : uncappedMultiplier(m, i);
    }
  }
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
  if (m.tau === 2 && (opts.method ?? "auto") === "auto" && !opts.initialPrices && nu.every((v) => v > 0)) {
    const saturated = saturatedTenants(m);
    const nu0 = nu.map((v, i) => (saturated.mask[i] ? saturated.nu[i] : v));
    const sol = solveMultipliers(m, nu0, { frozen: saturated.mask });
    if (sol) {
      newton = sol.iterations;
      nu.set(sol.nu);
      point = enforceBudgets(m, sol.point.prices);
      prices.set(point.prices);
      ({ nash, gap } = nashConvAt(m, prices, nu));
      if (max(nash) <= tol) {
        converged = true;
        method = "multipliers";
      }
    }
  }
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

/** tau = 2, no congestion, no cap: spend(nu) = nu^(-2/3) sum_j 2c (w/4c)^(2/3); solve spend = B. */
function uncappedMultiplier(m: MarketInstance, i: number): number {
  let s = 0;
  for (let j = 0; j < m.N; j++) {
    const w = m.value[i * m.N + j];
    const c = m.cost[i * m.N + j];
    if (w > 0) s += 2 * c * (w / (4 * c)) ** (2 / 3);
  }
  return (s / m.budget[i]) ** 1.5;
}

function max(a: Float64Array): number {
  let x = 0;
  for (const v of a) if (v > x) x = v;
  return x;
}
