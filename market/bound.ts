import { InputError, type InputIssue } from "./errors.ts";

/**
 * The convergence bound that prices participation (MODEL.md section 3).
 *
 * With the unbiased aggregation rule, after Gamma rounds
 *
 *     E[F_i(w^Gamma)] - F_i*  <=  (alpha_i V_i(q_i) + beta_i) / Gamma,
 *     V_i(q_i) = sum_{j in E_i} w_ij / q_ij.
 *
 * alpha_i and beta_i belong to the learner (smoothness, step size, noise, ...) and do not depend on
 * participation, so V_i is the only part a tenant can buy down with prices: it is the tenant's
 * valuation, and a device's contribution is w_ij / q_ij. Rounds to reach a target eps_i follow by
 * solving the bound for Gamma.
 */

/**
 * V_i(q_i) for tenant i of a tenant-major market (entry (i, j) at i * N + j).
 *
 * Only eligible devices (value[i*N+j] > 0) count. An eligible device that never takes part
 * (q = 0) makes V infinite: the unbiased rule then never sees its data, the expected update is no
 * longer the full-participation one, and the bound gives no finite number of rounds.
 */
export function valuation(value: Float64Array, q: Float64Array, i: number, N: number): number {
  const start = i * N;
  if (!(Number.isInteger(i) && i >= 0 && Number.isInteger(N) && N >= 0 && start + N <= value.length)) {
    throw new RangeError(`valuation: tenant ${i} with N = ${N} is outside value (length ${value.length})`);
  }
  if (q.length !== value.length) {
    throw new RangeError(`valuation: q has length ${q.length}, value has length ${value.length}`);
  }
  let V = 0;
  for (let k = start; k < start + N; k++) {
    const w = value[k];
    if (w > 0) {
      if (!(q[k] > 0)) return Number.POSITIVE_INFINITY;
      V += w / q[k];
    }
  }
  return V;
}

/** V(q) for one tenant's row: w and q are that tenant's value weights and participation levels. */
export function valuationOf(w: ArrayLike<number>, q: ArrayLike<number>): number {
  if (w.length !== q.length) {
    throw new RangeError(`valuationOf: w has length ${w.length}, q has length ${q.length}`);
  }
  let V = 0;
  for (let j = 0; j < w.length; j++) {
    if (w[j] > 0) {
      if (!(q[j] > 0)) return Number.POSITIVE_INFINITY;
      V += w[j] / q[j];
    }
  }
  return V;
}

/** The learner's constants in the bound (alpha_i, beta_i) and the tenant's target gap eps_i. */
export interface BoundConstants {
  /** Weight of the participation term V in the bound; >= 0. */
  alpha: number;
  /** Participation-independent part of the bound (initial distance, noise); >= 0. */
  beta: number;
  /** Target loss gap eps_i; > 0. */
  eps: number;
}

/**
 * Relative slack applied before rounding up: (alpha V + beta) / eps computed in floating point can
 * land a hair above an exact integer (0.3 / 0.1 = 3.0000000000000004), which would otherwise cost a
 * spurious extra round.
 */
const CEIL_SLACK = 1e-12;

function checkConstants(c: BoundConstants, needEps: boolean): void {
  const issues: InputIssue[] = [];
  if (!(Number.isFinite(c.alpha) && c.alpha >= 0))
    issues.push({ path: "alpha", message: `must be a finite number >= 0 (got ${c.alpha})` });
  if (!(Number.isFinite(c.beta) && c.beta >= 0))
    issues.push({ path: "beta", message: `must be a finite number >= 0 (got ${c.beta})` });
  if (needEps && !(Number.isFinite(c.eps) && c.eps > 0))
    issues.push({ path: "eps", message: `must be a finite number > 0 (got ${c.eps})` });
  if (issues.length) throw new InputError(issues, "bound constants");
}

function checkV(V: number): void {
  if (!(V >= 0)) throw new InputError([{ path: "V", message: `must be >= 0 (got ${V})` }], "valuation");
}

/**
 * Gamma_i(q) = ceil((alpha V + beta) / eps): the rounds the bound needs to reach the target gap.
 * Infinity when V is (some eligible device never participates), whatever alpha is: without that
 * device the unbiased update is biased and the bound does not hold at all.
 */
export function roundsToTarget(c: BoundConstants, V: number): number {
  checkConstants(c, true);
  checkV(V);
  if (V === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const x = (c.alpha * V + c.beta) / c.eps;
  return Math.max(0, Math.ceil(x * (1 - CEIL_SLACK)));
}

/**
 * (alpha V + beta) / rounds: the bound on E[F(w)] - F* after `rounds` rounds (eps is not used).
 * Infinity when V is infinite (no guarantee).
 */
export function boundGap(c: BoundConstants, V: number, rounds: number): number {
  checkConstants(c, false);
  checkV(V);
  if (!(rounds > 0)) {
    throw new InputError([{ path: "rounds", message: `must be > 0 (got ${rounds})` }], "bound query");
  }
  if (V === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  return (c.alpha * V + c.beta) / rounds;
}

/** One measured run: valuation V of the participation used, rounds it took to reach the target eps. */
export interface BoundSample {
  V: number;
  rounds: number;
  eps: number;
}

/** Fitted constants and the coefficient of determination of the fit of rounds * eps on V. */
export interface BoundFit {
  alpha: number;
  beta: number;
  /**
   * 1 - SSE / SST on y = rounds * eps, in [0, 1]: y > 0, so the intercept-only fit (beta = mean y,
   * SSE = SST) is always feasible and the constrained fit is never worse. For constant y it is 1 when
   * the fit is exact and 0 otherwise.
   */
  r2: number;
}

/**
 * Fits alpha, beta >= 0 by least squares on rounds * eps ~ alpha V + beta, one point per run.
 *
 * Why this regression: the bound says a run needs about (alpha V + beta) / eps rounds, so
 * rounds * eps is linear in V with the learner's constants as slope and intercept. Both constants
 * are non-negative by construction; if the unconstrained fit makes one negative, the optimum of the
 * constrained problem lies on a boundary, so both boundaries (alpha = 0 with the best beta, beta = 0
 * with the best alpha) are refitted and the one with the smaller squared error is kept.
 * Needs at least two distinct V values: with one, slope and intercept cannot be told apart.
 */
export function fitBoundConstants(samples: readonly BoundSample[]): BoundFit {
  const issues: InputIssue[] = [];
  samples.forEach((s, k) => {
    if (!(Number.isFinite(s.V) && s.V >= 0))
      issues.push({ path: `samples[${k}].V`, message: `must be a finite number >= 0 (got ${s.V})` });
    if (!(Number.isFinite(s.rounds) && s.rounds > 0))
      issues.push({ path: `samples[${k}].rounds`, message: `must be a finite number > 0 (got ${s.rounds})` });
    if (!(Number.isFinite(s.eps) && s.eps > 0))
      issues.push({ path: `samples[${k}].eps`, message: `must be a finite number > 0 (got ${s.eps})` });
  });
  if (issues.length) throw new InputError(issues, "bound samples");
  const n = samples.length;
  let mx = 0;
  let my = 0;
  for (const s of samples) {
    mx += s.V;
    my += s.rounds * s.eps;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let sx2 = 0;
  let sxyRaw = 0;
  for (const s of samples) {
    const y = s.rounds * s.eps;
    sxx += (s.V - mx) ** 2;
    sxy += (s.V - mx) * (y - my);
    syy += (y - my) ** 2;
    sx2 += s.V * s.V;
    sxyRaw += s.V * y;
  }
  if (!(n >= 2 && sxx > 0)) {
    throw new InputError(
      [
        {
          path: "samples",
          message: "need at least two runs with (numerically) different V to separate alpha from beta",
        },
      ],
      "bound samples",
    );
  }
  const sse = (alpha: number, beta: number) => {
    let e = 0;
    for (const s of samples) e += (s.rounds * s.eps - alpha * s.V - beta) ** 2;
    return e;
  };
  let alpha = sxy / sxx;
  let beta = my - alpha * mx;
  if (alpha < 0 || beta < 0) {
    // Boundary candidates: slope only (through the origin) and intercept only (the mean).
    const a0 = Math.max(0, sxyRaw / sx2);
    const b0 = Math.max(0, my);
    if (sse(a0, 0) <= sse(0, b0)) {
      alpha = a0;
      beta = 0;
    } else {
      alpha = 0;
      beta = b0;
    }
  }
  // y constant up to round-off (its mean is not exact in floating point, so syy is rarely exactly
  // 0): R^2 is then 1 if the fit is exact up to the same round-off, else 0.
  let sumY2 = 0;
  for (const s of samples) sumY2 += (s.rounds * s.eps) ** 2;
  const noise = 1e-24 * sumY2;
  const e = sse(alpha, beta);
  const r2 = syy > noise ? Math.min(1, Math.max(0, 1 - e / syy)) : e <= noise ? 1 : 0;
  return { alpha, beta, r2 };
}
