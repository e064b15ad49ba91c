import { largestFactorWithin } from "./budgetScale.ts";
import type { MarketInstance } from "./instance.ts";
import { type SolveOptions, type SolveResult, solveStackelberg } from "./stackelberg.ts";

/**
 * The cooperative optimum and the price of anarchy (issue 13; docs/model.md).
 *
 * Formulation. The tenants jointly choose prices to minimise sum_i V_i, each under its own budget
 * B_i, the devices still water-filling. Any participation q with sum_i q_ij <= 1 is bought at
 * P_ij = tau c_ij q_ij^(tau-1) with mu_j = 0 (water-filling at those prices gives back q), and that
 * is the cheapest way to buy it: any prices with response q pay P_ij = mu_j + tau c_ij q^(tau-1)
 * >= that. So the optimum over prices is the convex program, for every tau > 1,
 *
 *   minimise sum_i sum_{j in E_i} w_ij / q_ij
 *   subject to sum_j tau c_ij q_ij^tau <= B_i (each tenant), sum_i q_ij <= 1 (each device).
 *
 * It is solved through its dual: for budget multipliers nu_i, each device's part separates; with a
 * capacity multiplier mu_j >= 0, q_ij solves w_ij / q^2 = nu_i tau^2 c_ij q^(tau-1) + mu_j
 * (closed form at mu_j = 0; else mu_j by bisection so the device is exactly full, each q_ij by
 * Newton). The nu_i are set by Gauss-Seidel root searches (market/budgetScale.ts) so each budget
 * binds (or nu_i -> 0 when capacity alone limits the tenant). The answer is certified by the
 * duality gap: the dual function at nu bounds the optimum from below, the primal point (scaled
 * into every budget) from above.
 *
 * The SE's participation is feasible for this program (its spend sum_j P_ij q_ij is at least
 * sum_j tau c_ij q_ij^tau), so the total price of anarchy sum_i V_i(SE) / sum_i V_i(optimum) is
 * >= 1, up to the gap; with no shared device both are every tenant's single-tenant optimum, and
 * it is 1. Per tenant the ratio V_i(SE) / V_i(optimum) can fall below 1: the optimum may give one
 * tenant less so that the others gain more.
 */
export interface CooperativeResult {
  /** P_ij = tau c_ij q_ij^(tau-1) on eligible pairs (tenant-major M x N). */
  readonly prices: Float64Array;
  readonly participation: Float64Array;
  /** V_i at the optimum. */
  readonly objective: Float64Array;
  /** sum_i V_i (primal, feasible). */
  readonly total: number;
  /** Lower bound on the optimum from the dual function. */
  readonly lowerBound: number;
  /** (total - lowerBound) / total. */
  readonly dualityGap: number;
  readonly spend: Float64Array;
  /** Budget multipliers nu_i. */
  readonly nu: Float64Array;
  readonly sweeps: number;
}

export interface CooperativeOptions {
  /** Stop when no nu_i moves by more than this (relative) in a sweep (default 1e-11). */
  readonly tol?: number;
  readonly maxSweeps?: number;
}

const NU_CAP = 1e300; // 1 / nu: a tenant limited by capacity alone sits at nu = 1e-300

export function solveCooperative(m: MarketInstance, opts: CooperativeOptions = {}): CooperativeResult {
  const { M, N, tau } = m;
  const tol = opts.tol ?? 1e-11;
  const maxSweeps = opts.maxSweeps ?? 500;
  const q = new Float64Array(M * N);
  const mu = new Float64Array(N);
  const nu = new Float64Array(M);
  const e = 1 / (tau + 1);
  // start: the multipliers that spend each budget with no capacity limit
  for (let i = 0; i < M; i++) {
    let K = 0;
    for (let j = 0; j < N; j++) {
      const k = i * N + j;
      if (m.value[k] > 0) K += tau * m.cost[k] * (m.value[k] / (tau * tau * m.cost[k])) ** (tau * e);
    }
    nu[i] = K > 0 && m.budget[i] > 0 ? (K / m.budget[i]) ** (1 / (tau * e)) : 0;
  }
  for (let j = 0; j < N; j++) mu[j] = deviceOptimum(m, nu, j, q);
  const spendOfTenant = (i: number) => {
    let s = 0;
    for (let j = 0; j < N; j++) {
      const k = i * N + j;
      if (m.value[k] > 0) s += tau * m.cost[k] * q[k] ** tau;
    }
    return s;
  };
  let sweeps = 0;
  while (sweeps < maxSweeps) {
    sweeps++;
    let change = 0;
    for (let i = 0; i < M; i++) {
      if (!(m.budget[i] > 0) || nu[i] === 0) continue;
      const cols: number[] = [];
      for (let j = 0; j < N; j++) if (m.value[i * N + j] > 0) cols.push(j);
      const at = (inv: number) => {
        nu[i] = 1 / inv;
        for (const j of cols) mu[j] = deviceOptimum(m, nu, j, q);
        return spendOfTenant(i);
      };
      const before = nu[i];
      const inv = largestFactorWithin(at, m.budget[i], 1 / before, NU_CAP);
      at(inv);
      change = Math.max(change, Math.abs(Math.log(nu[i] / before)));
    }
    if (change <= tol) break;
  }
  // primal: scale any tenant still a hair over its budget into it (capacity only gets slack)
  const spend = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    const s = spendOfTenant(i);
    if (s > m.budget[i]) {
      const f = (m.budget[i] / s) ** (1 / tau);
      for (let j = i * N; j < (i + 1) * N; j++) q[j] *= f;
    }
    spend[i] = spendOfTenant(i);
  }
  const objective = new Float64Array(M);
  const prices = new Float64Array(M * N);
  for (let k = 0; k < M * N; k++) {
    if (!(m.value[k] > 0)) continue;
    objective[Math.floor(k / N)] += m.value[k] / q[k];
    prices[k] = tau * m.cost[k] * q[k] ** (tau - 1);
  }
  const total = objective.reduce((a, b) => a + b, 0);
  const lowerBound = dualValue(m, nu);
  return {
    prices,
    participation: q,
    objective,
    total,
    lowerBound,
    dualityGap: Math.max(0, (total - lowerBound) / total),
    spend,
    nu,
    sweeps,
  };
}

/** q_ij minimising w/q + nu tau c q^tau + mu q: the root of nu tau^2 c q^(tau+1) + mu q^2 = w. */
function pairOptimum(w: number, a: number, mu: number, tau: number): number {
  // each term alone gives an upper bound; Newton from above on an increasing convex function
  let x = a > 0 ? (w / a) ** (1 / (tau + 1)) : Number.POSITIVE_INFINITY;
  if (mu > 0) x = Math.min(x, Math.sqrt(w / mu));
  for (let it = 0; it < 100; it++) {
    const f = a * x ** (tau + 1) + mu * x * x - w;
    const df = (tau + 1) * a * x ** tau + 2 * mu * x;
    const next = x - f / df;
    if (!(next < x) || !(next > 0)) break;
    if (x - next <= 1e-16 * x) {
      x = next;
      break;
    }
    x = next;
  }
  return x;
}

/** Device j's part of the dual at nu: writes q_.j and returns mu_j. */
function deviceOptimum(m: MarketInstance, nu: Float64Array, j: number, q: Float64Array): number {
  const { M, N, tau } = m;
  const fill = (mu: number) => {
    let s = 0;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      if (!(m.value[k] > 0)) continue;
      q[k] = pairOptimum(m.value[k], nu[i] * tau * tau * m.cost[k], mu, tau);
      s += q[k];
    }
    return s;
  };
  if (fill(0) <= 1) return 0;
  let wmax = 0;
  for (let i = 0; i < M; i++) wmax = Math.max(wmax, m.value[i * N + j]);
  let lo = 0;
  let hi = wmax * M * M; // every q <= sqrt(w / mu) <= 1/M there
  for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const mid = lo === 0 ? hi / 2 : Math.sqrt(lo * hi);
    if (fill(mid) > 1) lo = mid;
    else hi = mid;
  }
  fill(hi); // the full side of the bisection: sum_i q_ij <= 1
  return hi;
}

/** The dual function: min over q of the Lagrangian, at nu (a lower bound on the optimum). */
function dualValue(m: MarketInstance, nu: Float64Array): number {
  const { M, N, tau } = m;
  const q = new Float64Array(M * N);
  let g = 0;
  for (let i = 0; i < M; i++) g -= nu[i] * m.budget[i];
  for (let j = 0; j < N; j++) {
    const mu = deviceOptimum(m, nu, j, q);
    let s = 0;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      if (!(m.value[k] > 0)) continue;
      g += m.value[k] / q[k] + nu[i] * tau * m.cost[k] * q[k] ** tau;
      s += q[k];
    }
    g += mu * (s - 1);
  }
  return g;
}

export interface PriceOfAnarchy {
  /** sum_i V_i(SE) / sum_i V_i(cooperative optimum); >= 1 up to the optimum's duality gap. */
  readonly total: number;
  /** V_i(SE) / V_i(cooperative optimum); may be below 1 for some tenants. */
  readonly perTenant: Float64Array;
}

/** The price of anarchy of an SE (its objective is V_i) against the cooperative optimum. */
export function priceOfAnarchy(se: Pick<SolveResult, "objective">, opt: CooperativeResult): PriceOfAnarchy {
  let seTotal = 0;
  for (const v of se.objective) seTotal += v;
  return {
    total: seTotal / opt.total,
    perTenant: Float64Array.from(se.objective, (v, i) => v / opt.objective[i]),
  };
}

/**
 * The SE, the cooperative optimum and the price of anarchy of one market, e.g. the first market
 * step of a scenario (what `compare` can print: the active tenants' market at step 0).
 */
export function marketPriceOfAnarchy(
  m: MarketInstance,
  solve: SolveOptions = {},
): { se: SolveResult; optimum: CooperativeResult; poa: PriceOfAnarchy } {
  const se = solveStackelberg(m, solve);
  const optimum = solveCooperative(m);
  return { se, optimum, poa: priceOfAnarchy(se, optimum) };
}
