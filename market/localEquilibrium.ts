import type { MarketInstance } from "./instance.ts";

/**
 * The equilibrium at each device for given budget multipliers nu (tau = 2).
 *
 * At a Stackelberg equilibrium each tenant's best response decomposes by device once its budget
 * multiplier nu_i is known: q_ij minimises w_ij / q + nu_i Pay_ij(q). Every eligible tenant keeps
 * q_ij > 0 (otherwise V_i is infinite), so at a congested device all eligible tenants are active and
 * tenant i's congestion slope is mu'(q) = 1 / R_-i with R_-i = sum_{k != i eligible} 1/(2 c_kj).
 * The first-order condition w/q^2 = nu (mu + q/R_-i + 4 c q) then gives, for each mu, one q per
 * tenant, and mu is set so the device's capacity binds. Where the uncongested answers sum to less
 * than 1, mu = 0. Between the two lies a kink: mu = 0, capacity exactly used, and each tenant's
 * first-order condition holds as an inclusion; we pick the point that interpolates every tenant's
 * interval by one common fraction (any such point is an equilibrium; NashConv checks the result).
 *
 * So the whole equilibrium is a function of the M multipliers, and solveStackelberg only has to
 * find the nu that make every budget bind: an M-dimensional root-finding problem.
 */
export interface LocalEquilibrium {
  /** q_ij, tenant-major. */
  readonly participation: Float64Array;
  /** mu_j. */
  readonly congestion: Float64Array;
  /** P_ij = mu_j + 2 c_ij q_ij on eligible pairs, 0 elsewhere. */
  readonly prices: Float64Array;
  /** sum_j P_ij q_ij. */
  readonly spend: Float64Array;
}

export function localEquilibrium(
  m: MarketInstance,
  nu: Float64Array,
  out?: LocalEquilibrium,
): LocalEquilibrium {
  const { M, N } = m;
  if (m.tau !== 2) throw new RangeError("localEquilibrium is defined for tau = 2");
  const participation = out?.participation ?? new Float64Array(M * N);
  const congestion = out?.congestion ?? new Float64Array(N);
  const prices = out?.prices ?? new Float64Array(M * N);
  const spend = out?.spend ?? new Float64Array(M);
  spend.fill(0);
  const y = new Float64Array(M);
  const kappa = new Float64Array(M);
  const q = new Float64Array(M);
  const qu = new Float64Array(M);
  const elig = new Uint8Array(M);
  for (let j = 0; j < N; j++) {
    let n = 0;
    let R = 0;
    let sumU = 0;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      const w = m.value[k];
      elig[i] = w > 0 ? 1 : 0;
      q[i] = 0;
      if (!elig[i]) continue;
      n++;
      R += 1 / (2 * m.cost[k]);
      y[i] = w / nu[i];
      qu[i] = Math.cbrt(y[i] / (4 * m.cost[k]));
      sumU += qu[i];
    }
    let mu = 0;
    if (n === 1) {
      for (let i = 0; i < M; i++) if (elig[i]) q[i] = Math.min(1, qu[i]);
    } else if (n > 1 && sumU <= 1) {
      for (let i = 0; i < M; i++) if (elig[i]) q[i] = qu[i];
    } else if (n > 1) {
      let sumK = 0;
      for (let i = 0; i < M; i++) {
        if (!elig[i]) continue;
        const c = m.cost[i * N + j];
        kappa[i] = 1 / (R - 1 / (2 * c)) + 4 * c;
        q[i] = Math.cbrt(y[i] / kappa[i]);
        sumK += q[i];
      }
      if (sumK <= 1) {
        // kink: mu = 0, sum q = 1, q_i between its congested and uncongested answers
        const theta = (1 - sumK) / (sumU - sumK);
        for (let i = 0; i < M; i++) if (elig[i]) q[i] += theta * (qu[i] - q[i]);
      } else mu = congestedMu(M, elig, y, kappa, q);
    }
    congestion[j] = mu;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      participation[k] = q[i];
      const p = elig[i] ? mu + 2 * m.cost[k] * q[i] : 0;
      prices[k] = p;
      spend[i] += p * q[i];
    }
  }
  return { participation, congestion, prices, spend };
}

/**
 * Finds mu > 0 with sum_i q_i(mu) = 1, where q_i(mu) solves q^2 (mu + kappa_i q) = y_i.
 * On entry q holds the answers at mu = 0 (sum > 1); on exit it holds the answers at mu.
 */
function congestedMu(
  M: number,
  elig: Uint8Array,
  y: Float64Array,
  kappa: Float64Array,
  q: Float64Array,
): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < M; i++) if (elig[i]) hi += Math.sqrt(y[i]);
  hi *= hi; // at this mu every q_i <= sqrt(y_i / mu), so the sum is <= 1
  let mu = 0;
  for (let it = 0; it < 200; it++) {
    let f = -1;
    let df = 0;
    for (let i = 0; i < M; i++) {
      if (!elig[i]) continue;
      const qi = cubic(mu, kappa[i], y[i], q[i]);
      q[i] = qi;
      f += qi;
      df -= qi / (2 * mu + 3 * kappa[i] * qi);
    }
    if (f > 0) lo = mu;
    else hi = mu;
    if (Math.abs(f) <= 1e-15 || hi - lo <= 1e-16 * hi) break;
    let next = mu - f / df;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    mu = next;
  }
  return mu;
}

/** The root of kappa q^3 + mu q^2 = y for q > 0 by Newton from an upper bound (convex there). */
function cubic(mu: number, kappa: number, y: number, start: number): number {
  let q = Math.min(Math.cbrt(y / kappa), mu > 0 ? Math.sqrt(y / mu) : Number.POSITIVE_INFINITY);
  if (start > 0 && start < q && start * start * (mu + kappa * start) >= y) q = start;
  for (let it = 0; it < 100; it++) {
    const f = q * q * (mu + kappa * q) - y;
    if (f <= 0) break;
    const next = q - f / (2 * mu * q + 3 * kappa * q * q);
    if (q - next <= 1e-16 * q) {
      q = next;
      break;
    }
    q = next;
  }
  return q;
}
