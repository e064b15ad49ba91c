import type { MarketInstance } from "./instance.ts";
import { type LocalEquilibrium, localEquilibrium } from "./localEquilibrium.ts";

/**
 * Finds the budget multipliers nu at which every tenant's spend at the device-wise equilibrium
 * (localEquilibrium) equals its budget: Newton's method on x = log nu for the residual
 * r_i = log spend_i - log target_i, with the Jacobian from implicit differentiation of the
 * device-wise equilibria and a backtracking line search on max |r|. Spend targets sit a hair under the budgets so rounding never overspends.
 * Returns null when it fails to reach `rtol` (the caller then falls back to best-response sweeps).
 */
export interface MultiplierSolution {
  readonly nu: Float64Array;
  readonly point: LocalEquilibrium;
  readonly iterations: number;
  readonly residual: number;
}

export function solveMultipliers(
  m: MarketInstance,
  nu0: Float64Array,
  opts: {
    rtol?: number;
    maxIter?: number;
    slack?: number;
    /** Tenants whose budget cannot bind (see saturatedTenants): their nu stays as given. */
    frozen?: Uint8Array;
    /** Polled once per Newton step; true ends the solve (returns null unless converged). */
    shouldStop?: () => boolean;
  } = {},
): MultiplierSolution | null {
  const { M } = m;
  const frozen = opts.frozen ?? new Uint8Array(M);
  const rtol = opts.rtol ?? 1e-13;
  const maxIter = opts.maxIter ?? 60;
  const slack = opts.slack ?? 5e-13;
  const logT = Float64Array.from(m.budget, (b) => Math.log(b * (1 - slack)));
  let x = Float64Array.from(nu0, (v) => Math.log(v));
  const dS = new Float64Array(M * M);
  const dSTrial = new Float64Array(M * M);
  let work = localEquilibrium(m, x.map(Math.exp), undefined, dS);
  let trial = localEquilibrium(m, x.map(Math.exp));
  const residual = (s: Float64Array, r: Float64Array) => {
    let worst = 0;
    for (let i = 0; i < M; i++) {
      r[i] = frozen[i] ? 0 : Math.log(s[i]) - logT[i];
      if (!Number.isFinite(r[i])) return Number.POSITIVE_INFINITY;
      worst = Math.max(worst, Math.abs(r[i]));
    }
    return worst;
  };
  const r = new Float64Array(M);
  const rt = new Float64Array(M);
  let norm = residual(work.spend, r);
  const J = new Float64Array(M * M);
  const nu = new Float64Array(M);
  for (let it = 0; it < maxIter; it++) {
    if (norm <= rtol) return { nu: x.map(Math.exp), point: work, iterations: it, residual: norm };
    if (opts.shouldStop?.()) return null;
    // Jacobian of r_i = log spend_i - log T_i in x = log nu, from the implicit derivatives
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < M; k++) {
        if (frozen[i] || frozen[k]) J[i * M + k] = i === k ? 1 : 0;
        else J[i * M + k] = dS[i * M + k] / work.spend[i];
      }
    }
    const lineSearch = (dx: Float64Array) => {
      let step = 1;
      for (let ls = 0; ls < 40; ls++) {
        const xt = x.map((v, i) => v + step * dx[i]);
        for (let i = 0; i < M; i++) nu[i] = Math.exp(xt[i]);
        trial = localEquilibrium(m, nu, trial, dSTrial);
        const nt = residual(trial.spend, rt);
        if (nt < norm) {
          x = xt;
          norm = nt;
          r.set(rt);
          dS.set(dSTrial);
          [work, trial] = [trial, work];
          return true;
        }
        step *= 0.5;
      }
      return false;
    };
    const dx = solveLinear(
      J,
      r.map((v) => -v),
      M,
    );
    // Where devices sit at kinks, spend is flat along common scalings of nu (capacity fixes q) and J
    // is singular: then step each tenant alone by the uncongested slope d log spend / d log nu =
    // -tau / (tau + 1), which moves the market out of the flat region.
    const alone = r.map((v, i) => (frozen[i] ? 0 : (v * (m.tau + 1)) / m.tau));
    const ok = dx?.every(Number.isFinite) ? lineSearch(dx) || lineSearch(alone) : lineSearch(alone);
    if (!ok) break;
  }
  return norm <= rtol * 1e3
    ? { nu: x.map(Math.exp), point: work, iterations: maxIter, residual: norm }
    : null;
}

/** Gaussian elimination with partial pivoting on a small dense system; null if singular. */
export function solveLinear(A0: Float64Array, b0: Float64Array, n: number): Float64Array | null {
  const A = A0.slice();
  const b = b0.slice();
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[p * n + c])) p = r;
    if (!(Math.abs(A[p * n + c]) > 0)) return null;
    if (p !== c) {
      for (let k = 0; k < n; k++) [A[c * n + k], A[p * n + k]] = [A[p * n + k], A[c * n + k]];
      [b[c], b[p]] = [b[p], b[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / A[c * n + c];
      for (let k = c; k < n; k++) A[r * n + k] -= f * A[c * n + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= A[r * n + k] * x[k];
    x[r] = s / A[r * n + r];
  }
  return x;
}

/**
 * Tenants whose budget cannot bind: every eligible device is theirs alone and buying all of it
 * (price tau c at q = 1) costs at most the budget. They take q = 1 on their devices whatever the
 * others do, so their multiplier is 0; the Newton solve keeps them at a multiplier small enough to
 * cap every device at 1 (w / (tau^2 c q^(tau+1)) >= nu at q = 1) and leaves them out of the system.
 * Returns the mask and those multipliers.
 */
export function saturatedTenants(m: MarketInstance, slack = 5e-13): { mask: Uint8Array; nu: Float64Array } {
  const { M, N } = m;
  const mask = new Uint8Array(M);
  const nu = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let payAll = 0;
    let cap = Number.POSITIVE_INFINITY;
    let alone = true;
    for (let j = 0; j < N && alone; j++) {
      const w = m.value[i * N + j];
      if (!(w > 0)) continue;
      for (let k = 0; k < M; k++) if (k !== i && m.value[k * N + j] > 0) alone = false;
      const c = m.cost[i * N + j];
      payAll += m.tau * c;
      cap = Math.min(cap, w / (m.tau * m.tau * c));
    }
    if (alone && payAll <= m.budget[i] * (1 - slack)) {
      mask[i] = 1;
      nu[i] = 0.5 * cap;
    }
  }
  return { mask, nu };
}
