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
  /** If given (M x M, row i = tenant), receives d spend_i / d log nu_k, by implicit differentiation. */
  jacobian?: Float64Array,
): LocalEquilibrium {
  const { M, N } = m;
  if (m.tau !== 2) throw new RangeError("localEquilibrium is defined for tau = 2");
  const participation = out?.participation ?? new Float64Array(M * N);
  const congestion = out?.congestion ?? new Float64Array(N);
  const prices = out?.prices ?? new Float64Array(M * N);
  const spend = out?.spend ?? new Float64Array(M);
  spend.fill(0);
  jacobian?.fill(0);
  const y = new Float64Array(M);
  const kappa = new Float64Array(M);
  const q = new Float64Array(M);
  const qu = new Float64Array(M);
  const qk = new Float64Array(M);
  const elig = new Uint8Array(M);
  const warm = out !== undefined;
  for (let j = 0; j < N; j++) {
    const mu0 = warm ? congestion[j] : 0;
    let n = 0;
    let R = 0;
    let sumU = 0;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      const w = m.value[k];
      elig[i] = w > 0 ? 1 : 0;
      if (!elig[i]) {
        q[i] = 0;
        continue;
      }
      n++;
      R += 1 / (2 * m.cost[k]);
      y[i] = w / nu[i];
      q[i] = warm ? participation[k] : 0;
      qu[i] = Math.cbrt(y[i] / (4 * m.cost[k]));
      sumU += qu[i];
    }
    let mu = 0;
    let kind = UNCONGESTED;
    if (n === 1) {
      for (let i = 0; i < M; i++) if (elig[i]) q[i] = Math.min(1, qu[i]);
    } else if (n === 0) {
      // no tenant can use this device
    } else if (sumU <= 1) {
      for (let i = 0; i < M; i++) if (elig[i]) q[i] = qu[i];
    } else {
      let sumK = 0;
      for (let i = 0; i < M; i++) {
        if (!elig[i]) continue;
        const c = m.cost[i * N + j];
        kappa[i] = 1 / (R - 1 / (2 * c)) + 4 * c;
        qk[i] = Math.cbrt(y[i] / kappa[i]);
        sumK += qk[i];
      }
      if (sumK <= 1) {
        // kink: mu = 0, sum q = 1, q_i between its congested and uncongested answers
        const theta = (1 - sumK) / (sumU - sumK);
        for (let i = 0; i < M; i++) if (elig[i]) q[i] = qk[i] + theta * (qu[i] - qk[i]);
        kind = KINK;
        if (jacobian) kinkJacobian(m, j, elig, q, qk, qu, sumK, sumU, jacobian);
      } else {
        mu = congestedMu(M, elig, y, kappa, q, qk, mu0);
        kind = CONGESTED;
        if (jacobian) congestedJacobian(m, j, mu, elig, y, kappa, q, jacobian);
      }
    }
    if (jacobian && kind === UNCONGESTED) {
      // q_i = (y_i / 4c)^(1/3) unless capped at 1: d spend_i / dx_i = 4 c q dq, dq = -q/3
      for (let i = 0; i < M; i++) {
        if (elig[i] && q[i] < 1) jacobian[i * M + i] -= (4 * m.cost[i * N + j] * q[i] * q[i]) / 3;
      }
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

const UNCONGESTED = 0;
const KINK = 1;
const CONGESTED = 2;

/**
 * Congested device: F_i = q_i^2 (mu + kappa_i q_i) - y_i = 0 with y_i = w_i e^(-x_i), and sum q = 1.
 * With g_i = 2 q_i mu + 3 kappa_i q_i^2, a_i = q_i^2 / g_i, b_i = y_i / g_i, S = sum a_i:
 * dmu/dx_k = -b_k / S and dq_i/dx_k = -delta_ik b_i + a_i b_k / S.
 */
function congestedJacobian(
  m: MarketInstance,
  j: number,
  mu: number,
  elig: Uint8Array,
  y: Float64Array,
  kappa: Float64Array,
  q: Float64Array,
  jac: Float64Array,
) {
  const { M, N } = m;
  let S = 0;
  for (let i = 0; i < M; i++) if (elig[i]) S += (q[i] * q[i]) / (2 * q[i] * mu + 3 * kappa[i] * q[i] * q[i]);
  for (let k = 0; k < M; k++) {
    if (!elig[k]) continue;
    const bk = y[k] / (2 * q[k] * mu + 3 * kappa[k] * q[k] * q[k]);
    const dmu = -bk / S;
    for (let i = 0; i < M; i++) {
      if (!elig[i]) continue;
      const gi = 2 * q[i] * mu + 3 * kappa[i] * q[i] * q[i];
      let dq = ((q[i] * q[i]) / gi) * (bk / S);
      if (i === k) dq -= y[i] / gi;
      jac[i * M + k] += dq * (mu + 4 * m.cost[i * N + j] * q[i]) + q[i] * dmu;
    }
  }
}

/**
 * Kink device (mu = 0): q_i = qk_i + theta (qu_i - qk_i), theta = (1 - sumK) / (sumU - sumK), where
 * qk_i and qu_i both scale as e^(-x_i / 3). Spend is 2 c q^2, so d spend_i = 4 c_i q_i dq_i.
 */
function kinkJacobian(
  m: MarketInstance,
  j: number,
  elig: Uint8Array,
  q: Float64Array,
  qk: Float64Array,
  qu: Float64Array,
  sumK: number,
  sumU: number,
  jac: Float64Array,
) {
  const { M, N } = m;
  const D = sumU - sumK;
  const theta = (1 - sumK) / D;
  for (let k = 0; k < M; k++) {
    if (!elig[k]) continue;
    const dK = -qk[k] / 3;
    const dU = -qu[k] / 3;
    const dTheta = (-dK * D - (1 - sumK) * (dU - dK)) / (D * D);
    for (let i = 0; i < M; i++) {
      if (!elig[i]) continue;
      let dq = dTheta * (qu[i] - qk[i]);
      if (i === k) dq += dK + theta * (dU - dK);
      jac[i * M + k] += 4 * m.cost[i * N + j] * q[i] * dq;
    }
  }
}

/**
 * Finds mu > 0 with sum_i q_i(mu) = 1, where q_i(mu) solves q^2 (mu + kappa_i q) = y_i.
 * q0 holds the answers at mu = 0 (their sum is > 1); `q` holds starting guesses (0 = none) and on
 * exit the answers at mu; mu0 > 0 is a starting guess for mu. Safeguarded Newton on mu.
 */
function congestedMu(
  M: number,
  elig: Uint8Array,
  y: Float64Array,
  kappa: Float64Array,
  q: Float64Array,
  q0: Float64Array,
  mu0: number,
): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < M; i++) if (elig[i]) hi += Math.sqrt(y[i]);
  hi *= hi; // at this mu every q_i <= sqrt(y_i / mu), so the sum is <= 1
  let mu = mu0 > 0 && mu0 < hi ? mu0 : 0;
  for (let i = 0; i < M; i++) if (!(q[i] > 0)) q[i] = q0[i];
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
    if (Math.abs(f) <= 4e-16 || hi - lo <= 1e-16 * hi) break;
    let next = mu - f / df;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next === mu) break;
    mu = next;
  }
  return mu;
}

/** The root of kappa q^3 + mu q^2 = y for q > 0 by Newton from `start` (convex increasing). */
function cubic(mu: number, kappa: number, y: number, start: number): number {
  let q = start > 0 ? start : Math.cbrt(y / kappa);
  for (let it = 0; it < 100; it++) {
    const f = q * q * (mu + kappa * q) - y;
    let next = q - f / (2 * mu * q + 3 * kappa * q * q);
    if (!(next > 0)) next = 0.5 * q;
    if (Math.abs(next - q) <= 1e-15 * q) return next;
    q = next;
  }
  return q;
}
