import type { MarketInstance } from "../../market/instance.ts";

/**
 * The learned tenant's price parametrisation (docs/learned.md): three numbers (log s, a, b) give
 * tenant i's whole price vector,
 *
 *     P_ij = s * s0 * x_ij,   x_ij = exp(a (ln w_ij - <ln w_i>) + b (ln c_ij - <ln c_i>))
 *
 * on its eligible devices (w_ij > 0), 0 elsewhere; <.> is the mean over the eligible devices (so
 * changing a or b reshapes the prices without moving their overall level), and s0 is the reference
 * scale at which the shape x would spend exactly B_i if no device were congested or saturated:
 * s0 = (B_i / sum_j x_j^(1+e) / (tau c_ij)^e)^(1/(1+e)), e = 1/(tau - 1). The environment's budget
 * guard scales the prices down whenever they would overspend.
 *
 * Why this family: with tau = 2 the best response of a tenant whose devices are not congested nor
 * saturated (MODEL.md section 3: q_ij minimises w_ij/q + nu Pay_ij(q) with Pay = 2 c q^2) is
 * q_ij ~ (w_ij / c_ij)^(1/3), i.e. P_ij = 2 c_ij q_ij ~ w_ij^(1/3) c_ij^(2/3): a = 1/3, b = 2/3,
 * and log s = 0 (for general tau, loneOptimum). So the family holds the single-tenant optimum
 * exactly and the Stackelberg prices on every uncongested device; congested
 * devices (where the SE adds the congestion price mu_j) are where it can only approximate.
 */
export const ACTION_NAMES = ["logScale", "a", "b"] as const;
export const ACTION_SIZE = ACTION_NAMES.length;

/** Where actions are clamped before they become prices (the Gaussian sample itself is not). */
export const ACTION_LOW = Object.freeze([-3, -1, -1]);
export const ACTION_HIGH = Object.freeze([3, 2, 3]);

/** The optimum of the family for a lone, uncongested tenant with exponent tau (see above). */
export function loneOptimum(tau: number): { a: number; b: number } {
  // Pay(q) = tau c q^tau, so w/q^2 = nu tau^2 c q^(tau-1) gives q ~ (w/c)^(1/(tau+1)), and the price
  // that buys it, P = tau c q^(tau-1), is ~ w^((tau-1)/(tau+1)) c^(2/(tau+1)).
  return { a: (tau - 1) / (tau + 1), b: 2 / (tau + 1) };
}

/** Prices of row `row` of `m` for action `u` = (log s, a, b), clamped to the action box. */
export function actionPrices(m: MarketInstance, row: number, u: ArrayLike<number>): Float64Array {
  const { N, tau } = m;
  const logS = clampTo(u[0], 0);
  const a = clampTo(u[1], 1);
  const b = clampTo(u[2], 2);
  const idx: number[] = [];
  let mw = 0;
  let mc = 0;
  for (let j = 0; j < N; j++) {
    const k = row * N + j;
    if (!(m.value[k] > 0)) continue;
    idx.push(j);
    mw += Math.log(m.value[k]);
    mc += Math.log(m.cost[k]);
  }
  const prices = new Float64Array(N);
  const n = idx.length;
  if (n === 0 || !(m.budget[row] > 0)) return prices;
  mw /= n;
  mc /= n;
  const e = 1 / (tau - 1);
  const x = new Float64Array(n);
  let unit = 0;
  for (let t = 0; t < n; t++) {
    const k = row * N + idx[t];
    const z = a * (Math.log(m.value[k]) - mw) + b * (Math.log(m.cost[k]) - mc);
    x[t] = Math.exp(Math.max(-60, Math.min(60, z)));
    unit += x[t] * (x[t] / (tau * m.cost[k])) ** e;
  }
  const s0 = (m.budget[row] / unit) ** (1 / (1 + e));
  const s = Math.exp(logS) * s0;
  for (let t = 0; t < n; t++) prices[idx[t]] = s * x[t];
  return prices;
}

function clampTo(v: number, k: number): number {
  const x = Number.isFinite(v) ? v : 0;
  return Math.max(ACTION_LOW[k], Math.min(ACTION_HIGH[k], x));
}
