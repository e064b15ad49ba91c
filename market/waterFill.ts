import type { MarketInstance } from "./instance.ts";

/**
 * The devices' exact best response (MODEL.md section 2).
 *
 * Device j maximises sum_i (P_ij q_ij - c_ij q_ij^tau) subject to sum_i q_ij <= 1, q >= 0,
 * q_ij = 0 where w_ij = 0. The KKT conditions give water-filling with a congestion price mu_j:
 *   q_ij = (max(P_ij - mu_j, 0) / (tau c_ij))^(1/(tau-1)),
 *   mu_j = 0 if those sum to <= 1 at mu_j = 0, else the unique mu_j > 0 where they sum to 1.
 */
export interface DeviceResponse {
  /** q_ij, tenant-major (i * N + j). */
  readonly participation: Float64Array;
  /** mu_j >= 0 per device; > 0 means device j is congested. */
  readonly congestion: Float64Array;
}

/**
 * Water-filling for every device of the market at the posted prices (tenant-major, M x N).
 * Prices on ineligible pairs (w_ij = 0) are ignored. Pass `out` to reuse buffers in hot loops.
 */
export function waterFill(m: MarketInstance, prices: Float64Array, out?: DeviceResponse): DeviceResponse {
  const { M, N } = m;
  if (prices.length !== M * N)
    throw new RangeError(`prices has length ${prices.length}, expected M*N = ${M * N}`);
  const participation = out?.participation ?? new Float64Array(M * N);
  const congestion = out?.congestion ?? new Float64Array(N);
  const p = new Float64Array(M);
  const c = new Float64Array(M);
  const q = new Float64Array(M);
  for (let j = 0; j < N; j++) {
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      p[i] = m.value[k] > 0 ? prices[k] : 0;
      c[i] = m.cost[k];
    }
    congestion[j] = deviceWaterFill(p, c, m.tau, M, q);
    for (let i = 0; i < M; i++) participation[i * N + j] = q[i];
  }
  return { participation, congestion };
}

/**
 * One device's water-filling over `len` tenants: writes q into `q` and returns mu.
 * Entries with p <= 0 get q = 0 (ineligible pairs must be passed with p = 0).
 */
export function deviceWaterFill(
  p: ArrayLike<number>,
  c: ArrayLike<number>,
  tau: number,
  len: number,
  q: Float64Array,
): number {
  let mu = congestionPrice(p, c, tau, len);
  const e = 1 / (tau - 1);
  // Prices far above the costs leave p_i - mu to cancellation (at 1e300 every q would be 0):
  // then work with the headroom d = top - mu and x_i = (p_i - top) + d.
  let top = 0;
  let d = 0;
  if (mu > 0) {
    for (let i = 0; i < len; i++) if (p[i] > top) top = p[i];
    if (!(top - mu > HEADROOM_REL * top)) {
      d = headroomAtTop(p, c, tau, len, top);
      mu = top - d;
    } else top = 0;
  }
  for (let i = 0; i < len; i++) {
    const x = top > 0 ? p[i] - top + d : p[i] - mu;
    q[i] = x > 0 ? (tau === 2 ? x / (2 * c[i]) : (x / (tau * c[i])) ** e) : 0;
  }
  if (mu > 0) {
    // Remove the last ulps of rounding so the capacity constraint holds exactly.
    let s = 0;
    for (let i = 0; i < len; i++) s += q[i];
    if (s > 1) for (let i = 0; i < len; i++) q[i] /= s;
  }
  return mu;
}

/** Below this relative headroom (top - mu) / top, deviceWaterFill recomputes it exactly. */
const HEADROOM_REL = 2 ** -26;

/**
 * The headroom d = top - mu of a congested device, solved directly (demand
 * sum_i (((p_i - top) + d)^+ / (tau c_i))^(1/(tau-1)) = 1, increasing in d) so that prices far
 * above the costs keep their precision. The top tenant alone fills the device at d = tau c_top.
 */
function headroomAtTop(p: ArrayLike<number>, c: ArrayLike<number>, tau: number, len: number, top: number) {
  const e = 1 / (tau - 1);
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  for (let i = 0; i < len; i++) if (p[i] === top) hi = Math.min(hi, tau * c[i]);
  let d = hi;
  for (let it = 0; it < 200; it++) {
    let g = -1;
    let dg = 0;
    for (let i = 0; i < len; i++) {
      const x = p[i] - top + d;
      if (p[i] > 0 && x > 0) {
        const qi = (x / (tau * c[i])) ** e;
        g += qi;
        dg += (e * qi) / x;
      }
    }
    if (g > 0) hi = d;
    else lo = d;
    if (g === 0 || hi - lo <= 1e-15 * hi) break;
    let next = dg > 0 ? d - g / dg : Number.NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    d = next;
  }
  return d;
}

/** Demand sum_i ((p_i - mu)^+ / (tau c_i))^(1/(tau-1)) of one device at congestion price mu. */
export function demandAt(
  p: ArrayLike<number>,
  c: ArrayLike<number>,
  tau: number,
  len: number,
  mu: number,
): number {
  const e = 1 / (tau - 1);
  let s = 0;
  for (let i = 0; i < len; i++) {
    const x = p[i] - mu;
    if (x > 0) s += tau === 2 ? x / (2 * c[i]) : (x / (tau * c[i])) ** e;
  }
  return s;
}

/**
 * The congestion price mu at which the demand of prices p fills capacity `cap` (default 1):
 * 0 when demand at mu = 0 is <= cap. For tau = 2 the demand is piecewise linear and the
 * answer is closed-form once the active set is known; otherwise a safeguarded Newton solve.
 */
export function congestionPrice(
  p: ArrayLike<number>,
  c: ArrayLike<number>,
  tau: number,
  len: number,
  cap = 1,
): number {
  if (demandAt(p, c, tau, len, 0) <= cap) return 0;
  let hi = 0;
  for (let i = 0; i < len; i++) if (p[i] > hi) hi = p[i];
  // No capacity left: the smallest mu at which nobody demands anything is the top price, exactly.
  if (cap <= 0) return hi;
  if (tau === 2) return congestionPriceTau2(p, c, len, cap);
  let lo = 0;
  let mu = 0;
  const e = 1 / (tau - 1);
  for (let it = 0; it < 200; it++) {
    let g = -cap;
    let dg = 0;
    for (let i = 0; i < len; i++) {
      const x = p[i] - mu;
      if (x > 0) {
        const base = x / (tau * c[i]);
        const qi = base ** e;
        g += qi;
        dg -= (e * qi) / x;
      }
    }
    if (g > 0) lo = mu;
    else hi = mu;
    if (g === 0 || hi - lo <= 1e-15 * hi) break;
    let next = dg < 0 ? mu - g / dg : Number.NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    mu = next;
  }
  return mu;
}

/** Scratch for congestionPriceTau2 (grown on demand; JavaScript runs this single-threaded). */
let sortedP = new Float64Array(16);
let sortedR = new Float64Array(16);

/**
 * tau = 2: the demand of active set A is sum_A (p_i - mu) r_i with r_i = 1/(2 c_i). Sort the priced
 * tenants by price (insertion sort: len is the number of tenants, small), then add them from the
 * highest price down; mu = (sum_A p_i r_i - cap) / sum_A r_i is the answer as soon as it is at least
 * the next lower price (those tenants would demand nothing at that mu).
 */
function congestionPriceTau2(p: ArrayLike<number>, c: ArrayLike<number>, len: number, cap: number): number {
  if (sortedP.length < len) {
    sortedP = new Float64Array(len);
    sortedR = new Float64Array(len);
  }
  let n = 0;
  for (let i = 0; i < len; i++) {
    const pi = p[i];
    if (!(pi > 0)) continue;
    const ri = 1 / (2 * c[i]);
    let k = n++;
    while (k > 0 && sortedP[k - 1] < pi) {
      sortedP[k] = sortedP[k - 1];
      sortedR[k] = sortedR[k - 1];
      k--;
    }
    sortedP[k] = pi;
    sortedR[k] = ri;
  }
  let a = 0;
  let r = 0;
  for (let k = 0; k < n; k++) {
    a += sortedP[k] * sortedR[k];
    r += sortedR[k];
    const next = k + 1 < n ? sortedP[k + 1] : 0;
    if (next === sortedP[k]) continue; // ties enter the active set together
    const mu = (a - cap) / r;
    if (mu >= next) return Math.max(0, mu);
  }
  return r > 0 ? Math.max(0, (a - cap) / r) : 0;
}
