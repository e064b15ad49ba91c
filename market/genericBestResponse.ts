import type { MarketInstance } from "./instance.ts";

/**
 * Tenant i's best response for any tau (the generic path of tenantBestResponse; MODEL.md section 3).
 *
 * Each device's one-dimensional problem min_q h(q) = w/q + nu Pay(q) is parameterised without any
 * nested root-finding. With the others' demand D(mu) = sum_k ((P_k - mu)^+ / (tau c_k))^(1/(tau-1)):
 * - for q <= q0 = 1 - D(0) the device is not congested: Pay(q) = tau c q^tau;
 * - beyond, q(mu) = 1 - D(mu) is explicit in the congestion price mu in [0, max P_k], and
 *   Pay = q (mu + tau c q^(tau-1)), Pay'(q) = mu + q / (-D'(mu)) + tau^2 c q^(tau-1).
 * For tau <= 2 Pay is convex, h' is increasing along both pieces, and a bracketed secant solve on
 * h' finds the minimiser (exact to rounding). For tau > 2 a grid over both pieces finds the global
 * basin first, then the same solve refines it; the duality gap bounds what that may miss.
 * The budget multiplier nu is found by a bracketed secant solve on log spend against log nu.
 * (Earlier this computed mu(q) by Newton inside a bisection on q inside a bisection on nu: ~1e6
 * congestion solves per best response, the reason best-response sweeps crawled at tau != 2.)
 */
export interface GenericResult {
  readonly q: Float64Array;
  readonly prices: Float64Array;
  readonly nu: number;
  readonly spend: number;
  readonly budgetBinds: boolean;
  readonly dualityGap: number;
}

interface Device {
  j: number;
  w: number;
  c: number;
  /** others' active prices and costs */
  p: Float64Array;
  oc: Float64Array;
  pmax: number;
  q0: number;
}

const GRID = 48;

function demand(d: Device, tau: number, mu: number): { D: number; dD: number } {
  const e = 1 / (tau - 1);
  let D = 0;
  let dD = 0;
  for (let k = 0; k < d.p.length; k++) {
    const x = d.p[k] - mu;
    if (x > 0) {
      const qk = (x / (tau * d.oc[k])) ** e;
      D += qk;
      dD -= (e * qk) / x;
    }
  }
  return { D, dD };
}

/** The point of the congested piece at congestion price mu: q, Pay, Pay'. */
function congestedAt(d: Device, tau: number, mu: number) {
  const { D, dD } = demand(d, tau, mu);
  const q = Math.max(0, 1 - D);
  const own = tau * d.c * q ** (tau - 1);
  const slope = dD < 0 ? mu + q / -dD + tau * own : Number.POSITIVE_INFINITY;
  return { q, pay: q * (mu + own), slope, price: mu + own };
}

/** The minimiser of w/q + nu Pay(q) at one device; returns q and the price that buys it. */
function minimiseDevice(d: Device, tau: number, nu: number, convex: boolean): { q: number; price: number } {
  const { w, c, q0, pmax } = d;
  const t2 = tau * tau;
  const unc = (q: number) => ({ q, price: tau * c * q ** (tau - 1) });
  // uncongested stationary point
  const qu = (w / (nu * t2 * c)) ** (1 / (tau + 1));
  if (convex) {
    if (qu <= q0 || d.p.length === 0) return unc(Math.min(qu, q0 > 0 ? q0 : 1, 1));
    return congestedRoot(d, tau, nu, 0, pmax);
  }
  // tau > 2: the best of the candidates on a grid over both pieces, refined in its cell
  const h = (q: number, pay: number) => (q > 0 ? w / q + nu * pay : Number.POSITIVE_INFINITY);
  let best = Number.POSITIVE_INFINITY;
  let out = unc(Math.min(1, q0 > 0 ? q0 : 1));
  if (q0 > 0) {
    const cand = Math.min(qu, q0);
    const v = h(cand, tau * c * cand ** tau);
    if (v < best) {
      best = v;
      out = unc(cand);
    }
  }
  if (d.p.length === 0 || q0 >= 1) return out;
  let bestG = -1;
  let bestV = Number.POSITIVE_INFINITY;
  for (let g = 0; g <= GRID; g++) {
    const mu = (pmax * g) / GRID;
    const at = congestedAt(d, tau, mu);
    const v = h(at.q, at.pay);
    if (v < bestV) {
      bestV = v;
      bestG = g;
    }
  }
  const lo = (pmax * Math.max(0, bestG - 1)) / GRID;
  const hi = (pmax * Math.min(GRID, bestG + 1)) / GRID;
  const r = congestedRoot(d, tau, nu, lo, hi);
  const at = congestedAt(d, tau, muOf(d, tau, r.q, lo, hi));
  const v = h(at.q, at.pay);
  if (v < best) return r;
  return out;
}

/** mu in [lo, hi] with q(mu) = q (q(mu) is increasing): bisection, used once per refined device. */
function muOf(d: Device, tau: number, q: number, lo: number, hi: number): number {
  for (let it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (congestedAt(d, tau, mid).q < q) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Root in mu in [lo, hi] of h'(q(mu)) = -w/q^2 + nu Pay'(q), increasing in mu (Illinois secant). */
function congestedRoot(
  d: Device,
  tau: number,
  nu: number,
  lo: number,
  hi: number,
): { q: number; price: number } {
  const f = (mu: number) => {
    const at = congestedAt(d, tau, mu);
    return { v: at.q > 0 ? -d.w / (at.q * at.q) + nu * at.slope : Number.NEGATIVE_INFINITY, at };
  };
  let a = lo;
  let fa = f(a);
  if (fa.v >= 0) return { q: fa.at.q, price: fa.at.price };
  let b = hi;
  let fb = f(b);
  if (!(fb.v > 0)) return { q: fb.at.q, price: fb.at.price };
  let side = 0;
  let best = fb;
  for (let it = 0; it < 200; it++) {
    const va = Number.isFinite(fa.v) ? fa.v : -1e300;
    let x = b - (fb.v * (b - a)) / (fb.v - va);
    if (!(x > a && x < b)) x = 0.5 * (a + b);
    const fx = f(x);
    if (fx.v === 0 || b - a <= 1e-15 * b) {
      best = fx;
      break;
    }
    if (fx.v > 0) {
      b = x;
      fb = fx;
      if (side === 1) fa = { v: fa.v / 2, at: fa.at };
      side = 1;
    } else {
      a = x;
      fa = fx;
      if (side === -1) fb = { v: fb.v / 2, at: fb.at };
      side = -1;
    }
    best = fx;
  }
  return { q: best.at.q, price: best.at.price };
}

export function genericBestResponse(
  m: MarketInstance,
  prices: Float64Array,
  i: number,
  nuHint: number | undefined,
  budgetSlack: number,
  tolerance: number,
): GenericResult {
  const { M, N, tau } = m;
  const convex = tau <= 2;
  const devices: Device[] = [];
  for (let j = 0; j < N; j++) {
    const w = m.value[i * N + j];
    if (!(w > 0)) continue;
    const p: number[] = [];
    const oc: number[] = [];
    for (let k = 0; k < M; k++) {
      const idx = k * N + j;
      if (k === i || !(m.value[idx] > 0) || !(prices[idx] > 0)) continue;
      p.push(prices[idx]);
      oc.push(m.cost[idx]);
    }
    const d: Device = {
      j,
      w,
      c: m.cost[i * N + j],
      p: Float64Array.from(p),
      oc: Float64Array.from(oc),
      pmax: p.length ? Math.max(...p) : 0,
      q0: 0,
    };
    d.q0 = Math.max(0, 1 - demand(d, tau, 0).D);
    devices.push(d);
  }
  const q = new Float64Array(N);
  const out = new Float64Array(N);
  // the price that buys q = 1: tau c alone, else the others' top price plus tau c
  const fill = (nu: number) => {
    let spend = 0;
    for (const d of devices) {
      const r = nu === 0 ? { q: 1, price: d.pmax + tau * d.c } : minimiseDevice(d, tau, nu, convex);
      q[d.j] = r.q;
      out[d.j] = r.price;
      spend += r.q * r.price;
    }
    return spend;
  };
  const B = m.budget[i];
  const target = B * (1 - budgetSlack);
  let nu = 0;
  let budgetBinds = true;
  if (fill(0) <= target) budgetBinds = false;
  else {
    // bracket log nu, then Illinois secant on log spend - log target (spend falls as nu grows)
    const x = Math.log(nuHint && nuHint > 0 ? nuHint : 1);
    const g = (xx: number) => Math.log(fill(Math.exp(xx)) / target);
    let gx = g(x);
    let lo = x;
    let glo = gx;
    let hi = x;
    let ghi = gx;
    let step = 1;
    if (gx > 0) {
      while (ghi > 0 && hi < 1400) {
        lo = hi;
        glo = ghi;
        hi += step;
        step *= 2;
        ghi = g(hi);
      }
    } else {
      while (glo <= 0 && lo > -1400) {
        hi = lo;
        ghi = glo;
        lo -= step;
        step *= 2;
        glo = g(lo);
      }
    }
    let side = 0;
    for (let it = 0; it < 200 && hi - lo > 1e-14 * Math.max(1, Math.abs(hi)); it++) {
      let xn = hi - (ghi * (hi - lo)) / (ghi - glo);
      if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
      gx = g(xn);
      if (gx > 0) {
        lo = xn;
        glo = gx;
        if (side === 1) ghi /= 2;
        side = 1;
      } else {
        hi = xn;
        ghi = gx;
        if (side === -1) glo /= 2;
        side = -1;
        if (-gx <= tolerance) break;
      }
    }
    nu = Math.exp(hi);
  }
  const spend = fill(nu);
  let dual = 0;
  let objective = 0;
  for (const d of devices) {
    objective += d.w / q[d.j];
    dual += d.w / q[d.j] + nu * q[d.j] * out[d.j];
  }
  dual -= nu * B;
  const gap = budgetBinds && !convex ? Math.max(0, (objective - dual) / objective) : 0;
  return { q, prices: out, nu, spend, budgetBinds, dualityGap: gap };
}
