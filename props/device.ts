import fc from "fast-check";
import type { MarketInstance } from "../market/instance.ts";
import { type DeviceResponse, waterFill } from "../market/waterFill.ts";
import {
  type MarketArbOptions,
  type PriceArbOptions,
  type PricedMarket,
  pricedMarketArb,
  seededUniform,
} from "./arbitraries.ts";

/**
 * Property suite for the devices' best response (MODEL.md section 2): given a market and posted
 * prices, every device j chooses q_.j to maximise lambda_j = sum_i (P_ij q_ij - c_ij q_ij^tau) subject
 * to sum_i q_ij <= 1, q >= 0, q_ij = 0 where w_ij = 0.
 *
 * - feasible: q finite, in [0, 1], sum over tenants <= 1, 0 where ineligible; congestion mu_j >= 0;
 *   inputs untouched.
 * - kkt: the KKT residual of each device's problem, with the multiplier read off q itself (so it does
 *   not trust the reported congestion), is ~0 relative to the device's largest price.
 * - congestion: the reported mu_j is that multiplier (> 0 only when the device's capacity is full).
 * - no-better-response: no feasible perturbation of q_.j (moves towards random feasible points, large
 *   and small) raises lambda_j.
 * - monotone: raising P_ij weakly raises q_ij, weakly lowers every rival's q_kj, and leaves the other
 *   devices alone; raising a rival's price weakly lowers q_ij.
 */

/** A device best response: market and prices (tenant-major) in, participation and mu_j out. */
export type DeviceResponseFn = (m: MarketInstance, prices: Float64Array) => DeviceResponse;

export interface DeviceSuiteOptions {
  /** Market generator options (default: marketArb's). */
  readonly market?: MarketArbOptions;
  /** Cases to test on, replacing the generator built from `market` and `prices`. */
  readonly cases?: fc.Arbitrary<PricedMarket>;
  /** Price generator options (default: pricesArb's, which congests many devices). */
  readonly prices?: PriceArbOptions;
  /** Relative tolerance of the KKT residual and the congestion price (default 1e-9). */
  readonly kktTol?: number;
  /** Relative tolerance on utility gains from perturbations (default 1e-10). */
  readonly utilityTol?: number;
  /** Absolute tolerance on participation (feasibility, monotonicity; default 1e-12). */
  readonly qTol?: number;
  /** Random perturbations tried per case by no-better-response (default 24). */
  readonly perturbations?: number;
  /** Cap on shrink steps after a failure (default 400). */
  readonly maxShrinks?: number;
}

/** lambda_j(q) for device j. */
export function deviceUtility(
  m: MarketInstance,
  prices: Float64Array,
  q: ArrayLike<number>,
  j: number,
): number {
  let u = 0;
  for (let i = 0; i < m.M; i++) {
    const k = i * m.N + j;
    if (m.value[k] > 0) u += prices[k] * q[k] - m.cost[k] * q[k] ** m.tau;
  }
  return u;
}

/** KKT diagnosis of one device's response. */
export interface DeviceKkt {
  /** The multiplier implied by q: 0 when capacity is slack, else the largest active marginal gain. */
  readonly mu: number;
  /** Largest stationarity/complementarity violation, relative to the device's largest price. */
  readonly residual: number;
  /** Which tenant attains it (-1 if none). */
  readonly tenant: number;
}

/**
 * KKT residual of device j's problem at q. With g_i = P_ij - tau c_ij q_ij^(tau-1) (the marginal
 * gain), optimality means: some mu >= 0 with g_i = mu where q_ij > 0, g_i <= mu where q_ij = 0, and
 * mu = 0 unless sum_i q_ij = 1. mu is taken from q: 0 if sum_i q_ij < 1 - capTol, else the largest
 * active g_i (clamped at 0).
 */
export function deviceKkt(
  m: MarketInstance,
  prices: Float64Array,
  q: ArrayLike<number>,
  j: number,
  capTol = 1e-9,
): DeviceKkt {
  const { M, N, tau } = m;
  let sum = 0;
  let scale = 0;
  let mu = 0;
  for (let i = 0; i < M; i++) {
    const k = i * N + j;
    if (!(m.value[k] > 0)) continue;
    sum += q[k];
    scale = Math.max(scale, Math.abs(prices[k]), tau * m.cost[k] * q[k] ** (tau - 1));
  }
  if (sum >= 1 - capTol) {
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      if (m.value[k] > 0 && q[k] > 0) mu = Math.max(mu, prices[k] - tau * m.cost[k] * q[k] ** (tau - 1));
    }
  }
  let residual = 0;
  let tenant = -1;
  if (scale === 0) return { mu, residual, tenant };
  for (let i = 0; i < M; i++) {
    const k = i * N + j;
    if (!(m.value[k] > 0)) continue;
    const g = prices[k] - tau * m.cost[k] * q[k] ** (tau - 1);
    const r = (q[k] > 0 ? Math.abs(g - mu) : Math.max(0, g - mu)) / scale;
    if (r > residual || Number.isNaN(r)) {
      residual = Number.isNaN(r) ? Number.POSITIVE_INFINITY : r;
      tenant = i;
    }
  }
  return { mu, residual, tenant };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(6) : String(x));

function respond(impl: DeviceResponseFn, c: PricedMarket): DeviceResponse {
  const r = impl(c.market, c.prices.slice());
  const { M, N } = c.market;
  if (r.participation.length !== M * N)
    throw new Error(`participation has length ${r.participation.length}, expected M*N = ${M * N}`);
  return r;
}

/** The device suite's properties by name (see the file comment). */
export function deviceResponseProperties(impl: DeviceResponseFn = waterFill, opts: DeviceSuiteOptions = {}) {
  const kktTol = opts.kktTol ?? 1e-9;
  const utilityTol = opts.utilityTol ?? 1e-10;
  const qTol = opts.qTol ?? 1e-12;
  const tries = opts.perturbations ?? 24;
  const cases = fc.limitShrink(
    opts.cases ?? pricedMarketArb(opts.market, opts.prices),
    opts.maxShrinks ?? 400,
  );

  const feasible = fc.property(cases, (c) => {
    const { market: m, prices } = c;
    const before = prices.slice();
    const r = impl(m, prices);
    if (prices.some((p, k) => !Object.is(p, before[k]))) throw new Error("the response modified the prices");
    const q = r.participation;
    if (q.length !== m.M * m.N)
      throw new Error(`participation has length ${q.length}, expected ${m.M * m.N}`);
    for (let j = 0; j < m.N; j++) {
      let sum = 0;
      for (let i = 0; i < m.M; i++) {
        const k = i * m.N + j;
        const x = q[k];
        if (!(Number.isFinite(x) && x >= 0 && x <= 1 + qTol))
          throw new Error(`q[${i}][${j}] = ${x} is not in [0, 1]`);
        if (!(m.value[k] > 0) && x !== 0)
          throw new Error(`q[${i}][${j}] = ${x} but device ${j} is ineligible`);
        sum += x;
      }
      if (!(sum <= 1 + qTol)) throw new Error(`device ${j} over capacity: sum_i q_ij = ${sum} > 1`);
      const mu = r.congestion[j];
      if (!(Number.isFinite(mu) && mu >= 0))
        throw new Error(`congestion mu[${j}] = ${mu} is not a finite number >= 0`);
    }
  });

  const kkt = fc.property(cases, (c) => {
    const { market: m, prices } = c;
    const q = respond(impl, c).participation;
    for (let j = 0; j < m.N; j++) {
      const d = deviceKkt(m, prices, q, j);
      if (!(d.residual <= kktTol))
        throw new Error(
          `device ${j}: KKT residual ${fmt(d.residual)} > ${kktTol} at tenant ${d.tenant} ` +
            `(implied mu = ${fmt(d.mu)}, q = ${fmt(q[d.tenant * m.N + j])}, P = ${fmt(prices[d.tenant * m.N + j])})`,
        );
    }
  });

  const congestion = fc.property(cases, (c) => {
    const { market: m, prices } = c;
    const r = respond(impl, c);
    for (let j = 0; j < m.N; j++) {
      const d = deviceKkt(m, prices, r.participation, j);
      let scale = 0;
      for (let i = 0; i < m.M; i++)
        if (m.value[i * m.N + j] > 0) scale = Math.max(scale, prices[i * m.N + j]);
      const mu = r.congestion[j];
      if (!(Math.abs(mu - d.mu) <= kktTol * Math.max(scale, 1e-300)))
        throw new Error(
          `device ${j}: reported congestion price ${fmt(mu)}, but the participation implies ${fmt(d.mu)}`,
        );
    }
  });

  const noBetterResponse = fc.property(cases, fc.integer(), (c, seed) => {
    const { market: m, prices } = c;
    const { M, N } = m;
    const q = respond(impl, c).participation;
    const rnd = seededUniform(seed);
    const alt = Float64Array.from(q);
    const steps = [1, 0.3, 0.03, 1e-3];
    for (let t = 0; t < tries; t++) {
      const step = steps[t % steps.length];
      const mode = Math.floor(t / steps.length) % 3; // 0: random point, 1: a vertex, 2: interior scaled
      for (let j = 0; j < N; j++) {
        // a random feasible point r of device j: Dirichlet weights over eligible tenants and slack
        let total = -Math.log(1 - rnd());
        const target = new Float64Array(M);
        const pick = Math.floor(rnd() * (M + 1));
        for (let i = 0; i < M; i++) {
          if (!(m.value[i * N + j] > 0)) continue;
          target[i] = mode === 1 ? (i === pick ? 1 : 0) : -Math.log(1 - rnd());
          total += target[i];
        }
        const shrink = mode === 2 ? rnd() : 1;
        for (let i = 0; i < M; i++) {
          const k = i * N + j;
          const rk = mode === 1 ? target[i] : (shrink * target[i]) / total;
          alt[k] = q[k] + step * (rk - q[k]);
        }
        const u0 = deviceUtility(m, prices, q, j);
        const u1 = deviceUtility(m, prices, alt, j);
        let scale = 0;
        for (let i = 0; i < M; i++) {
          const k = i * N + j;
          if (!(m.value[k] > 0)) continue;
          scale += prices[k] * (q[k] + alt[k]) + m.cost[k] * (q[k] ** m.tau + alt[k] ** m.tau);
        }
        if (u1 > u0 + utilityTol * scale) {
          const show = Array.from({ length: M }, (_, i) => fmt(alt[i * N + j])).join(", ");
          throw new Error(
            `device ${j}: utility ${fmt(u0)} at the response, but ${fmt(u1)} at the feasible point ` +
              `q_.j = [${show}] (step ${step} towards a random feasible point)`,
          );
        }
        for (let i = 0; i < M; i++) alt[i * N + j] = q[i * N + j];
      }
    }
  });

  const bumpArb = fc.record({
    tenant: fc.nat(),
    device: fc.nat(),
    rival: fc.nat(),
    factor: fc.integer({ min: 1, max: 1000 }).map((k) => 1 + k / 100),
  });
  const monotone = fc.property(cases, bumpArb, (c, b) => {
    const { market: m, prices } = c;
    const { M, N } = m;
    const i = b.tenant % M;
    const j = b.device % N;
    const q0 = respond(impl, c).participation.slice();
    const k = i * N + j;
    const bump = (x: number, ck: number) => (x + m.tau * ck * 0.01) * b.factor;
    // own price up
    const up = prices.slice();
    up[k] = bump(up[k], m.cost[k]);
    const q1 = impl(m, up.slice()).participation;
    if (m.value[k] > 0 && !(q1[k] >= q0[k] - qTol))
      throw new Error(
        `raising P[${i}][${j}] from ${fmt(prices[k])} to ${fmt(up[k])} lowered q[${i}][${j}] ` +
          `from ${fmt(q0[k])} to ${fmt(q1[k])}`,
      );
    for (let r = 0; r < M; r++) {
      const kr = r * N + j;
      if (r !== i && !(q1[kr] <= q0[kr] + qTol))
        throw new Error(
          `raising P[${i}][${j}] from ${fmt(prices[k])} to ${fmt(up[k])} raised rival ${r}'s q[${r}][${j}] ` +
            `from ${fmt(q0[kr])} to ${fmt(q1[kr])}`,
        );
    }
    for (let x = 0; x < M * N; x++) {
      if (x % N !== j && !(Math.abs(q1[x] - q0[x]) <= qTol))
        throw new Error(
          `raising P[${i}][${j}] changed q[${Math.floor(x / N)}][${x % N}] at another device ` +
            `from ${fmt(q0[x])} to ${fmt(q1[x])}`,
        );
    }
    // a rival's price up
    if (M > 1) {
      const r = (i + 1 + (b.rival % (M - 1))) % M;
      const kr = r * N + j;
      const rivalUp = prices.slice();
      rivalUp[kr] = bump(rivalUp[kr], m.cost[kr]);
      const q2 = impl(m, rivalUp.slice()).participation;
      if (!(q2[k] <= q0[k] + qTol))
        throw new Error(
          `raising rival ${r}'s P[${r}][${j}] from ${fmt(prices[kr])} to ${fmt(rivalUp[kr])} raised ` +
            `q[${i}][${j}] from ${fmt(q0[k])} to ${fmt(q2[k])}`,
        );
    }
  });

  return {
    "device/feasible": feasible,
    "device/kkt": kkt,
    "device/congestion": congestion,
    "device/no-better-response": noBetterResponse,
    "device/monotone": monotone,
  };
}
