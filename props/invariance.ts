import fc from "fast-check";
import { fromArrays, type MarketInstance } from "../market/instance.ts";
import { solveStackelberg } from "../market/stackelberg.ts";
import { tenantBestResponse } from "../market/tenantBestResponse.ts";
import { waterFill } from "../market/waterFill.ts";
import {
  type MarketArbOptions,
  marketArb,
  permutationArb,
  type RelabelCase,
  relabelCaseArb,
} from "./arbitraries.ts";
import { type EquilibriumPoint, nashConvWith, type SolveFn } from "./equilibrium.ts";
import type { TenantResponseFn } from "./tenant.ts";

/**
 * Property suite for invariances of an equilibrium solver (MODEL.md sections 1-3): the game has no
 * built-in order of devices or tenants, and no unit of money.
 *
 * - relabel-devices: solving a market with its devices permuted gives the permuted solution.
 * - relabel-tenants: likewise for tenants (budgets permute with them).
 * - scale-money: multiplying every cost c_ij and budget B_i by k > 0 multiplies every price by k
 *   and leaves participation unchanged.
 *
 * Solutions are compared entry by entry to a relative tolerance (default 1e-7), with an absolute
 * floor of `floor` times the largest entry of the vector, so entries that are 0 up to rounding do
 * not fail on noise. Two things make exact agreement too strong a demand, and are handled openly:
 *
 * 1. Non-unique equilibria. When a device sits at the kink between congested and not (mu_j = 0 with
 *    its capacity exactly used by two or more tenants), each tenant's first-order condition there is
 *    an inclusion, and the equilibria can form a continuum: different labellings may legitimately
 *    land on different points of it (see `kinkDevices`; invariance.test.ts has an example). If the
 *    solutions disagree and either has such a device, the property accepts the pair when the
 *    transformed solution, mapped back, is itself an equilibrium of the original market
 *    (NashConv <= nashTol, budgets kept).
 * 2. Order-dependent iterations. A solver that sweeps tenants in label order (Gauss-Seidel) stops at
 *    a point accepted by NashConv <= 1e-6, which pins the point down only to about sqrt(NashConv),
 *    not to 1e-7; relabelling tenants changes the order. So relabel-tenants uses `tenantRelTol`
 *    (default 1e-4). Relabelling devices and scaling money leave the iteration itself unchanged, so
 *    they keep the strict tolerance.
 */

export interface InvarianceSuiteOptions {
  readonly market?: MarketArbOptions;
  /** Markets to test on, replacing the generator built from `market`. */
  readonly markets?: fc.Arbitrary<MarketInstance>;
  /** Relative tolerance per entry for relabel-devices and scale-money (default 1e-7). */
  readonly relTol?: number;
  /** Relative tolerance per entry for relabel-tenants (default 1e-4; see the file comment). */
  readonly tenantRelTol?: number;
  /** Absolute floor as a fraction of the vector's largest entry (default 1e-9). */
  readonly floor?: number;
  /** Range of log10 k for scale-money (default [-3, 3]). */
  readonly log10Scale?: { readonly min: number; readonly max: number };
  /** NashConv threshold of the fallback check at kinks (default 1e-6). */
  readonly nashTol?: number;
  /** Best response used by the fallback check (default: the reference tenantBestResponse). */
  readonly respond?: TenantResponseFn;
  /** Cap on shrink steps after a failure (default 200). */
  readonly maxShrinks?: number;
}

/**
 * Devices at a kink at these prices: mu_j = 0 (relative 1e-9 of the largest price there), capacity
 * used up to 1e-9, and at least two tenants with q_ij > 0. Where there is one, the equilibrium need
 * not be unique.
 */
export function kinkDevices(m: MarketInstance, prices: Float64Array, tol = 1e-9): number[] {
  const { participation: q, congestion: mu } = waterFill(m, prices);
  const out: number[] = [];
  for (let j = 0; j < m.N; j++) {
    let sum = 0;
    let active = 0;
    let top = 0;
    for (let i = 0; i < m.M; i++) {
      const k = i * m.N + j;
      if (!(m.value[k] > 0)) continue;
      sum += q[k];
      if (q[k] > 0) active++;
      top = Math.max(top, prices[k]);
    }
    if (active >= 2 && sum >= 1 - tol && mu[j] <= tol * top) out.push(j);
  }
  return out;
}

/** The market with devices relabelled: new device j is old device perm[j]. */
export function permuteDevices(m: MarketInstance, perm: readonly number[]): MarketInstance {
  const { M, N } = m;
  const cost = new Float64Array(M * N);
  const value = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      cost[i * N + j] = m.cost[i * N + perm[j]];
      value[i * N + j] = m.value[i * N + perm[j]];
    }
  return fromArrays({ M, N, tau: m.tau, cost, value, budget: m.budget.slice() });
}

/** The market with tenants relabelled: new tenant i is old tenant perm[i]. */
export function permuteTenants(m: MarketInstance, perm: readonly number[]): MarketInstance {
  const { M, N } = m;
  const cost = new Float64Array(M * N);
  const value = new Float64Array(M * N);
  const budget = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    cost.set(m.cost.subarray(perm[i] * N, (perm[i] + 1) * N), i * N);
    value.set(m.value.subarray(perm[i] * N, (perm[i] + 1) * N), i * N);
    budget[i] = m.budget[perm[i]];
  }
  return fromArrays({ M, N, tau: m.tau, cost, value, budget });
}

/** The market with every cost and budget multiplied by k. */
export function scaleMoney(m: MarketInstance, k: number): MarketInstance {
  return fromArrays({
    M: m.M,
    N: m.N,
    tau: m.tau,
    cost: m.cost.map((c) => c * k),
    value: m.value.slice(),
    budget: m.budget.map((b) => b * k),
  });
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(10) : String(x));

/**
 * Compares `got` with `want(k)` entry by entry; throws naming the first mismatch.
 * Tolerance: relTol * max(|got|, |want|, floor * max_k |want_k|).
 */
function expectClose(
  what: string,
  m: MarketInstance,
  got: Float64Array,
  want: (k: number) => number,
  relTol: number,
  floor: number,
) {
  let top = 0;
  for (let k = 0; k < got.length; k++) top = Math.max(top, Math.abs(want(k)));
  for (let k = 0; k < got.length; k++) {
    const a = got[k];
    const b = want(k);
    if (!(Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b), floor * top)))
      throw new Error(
        `${what}: entry [${Math.floor(k / m.N)}][${k % m.N}] is ${fmt(a)}, expected ${fmt(b)} ` +
          `(relative difference ${fmt(Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)))} > ${relTol})`,
      );
  }
}

/** The invariance suite's properties by name (see the file comment). */
export function invarianceProperties(solve: SolveFn = solveStackelberg, opts: InvarianceSuiteOptions = {}) {
  const relTol = opts.relTol ?? 1e-7;
  const tenantRelTol = opts.tenantRelTol ?? 1e-4;
  const floor = opts.floor ?? 1e-9;
  const range = opts.log10Scale ?? { min: -3, max: 3 };
  const nashTol = opts.nashTol ?? 1e-6;
  const respond = opts.respond ?? tenantBestResponse;
  const maxShrinks = opts.maxShrinks ?? 200;
  const markets = fc.limitShrink(opts.markets ?? marketArb(opts.market), maxShrinks);
  const cases = fc.limitShrink(
    opts.markets
      ? opts.markets.chain((market) =>
          fc
            .tuple(permutationArb(market.N), permutationArb(market.M))
            .map(([devicePerm, tenantPerm]): RelabelCase => ({ market, devicePerm, tenantPerm })),
        )
      : relabelCaseArb(opts.market),
    maxShrinks,
  );

  /**
   * Compares the transformed solution b with the transform of a (entries given by wantP, wantQ).
   * If they disagree and a device sits at a kink, accepts the pair when b mapped back (backP) is an
   * equilibrium of the original market.
   */
  const compare = (
    what: string,
    m: MarketInstance,
    mt: MarketInstance,
    a: EquilibriumPoint,
    b: EquilibriumPoint,
    wantP: (k: number) => number,
    wantQ: (k: number) => number,
    backP: () => Float64Array,
    tol: number,
  ) => {
    let strict: Error | null = null;
    try {
      expectClose(`prices after ${what}`, m, b.prices, wantP, tol, floor);
      expectClose(`participation after ${what}`, m, b.participation, wantQ, tol, floor);
      return;
    } catch (e) {
      strict = e as Error;
    }
    const kinks = [...kinkDevices(m, a.prices), ...kinkDevices(mt, b.prices)];
    if (kinks.length === 0) throw strict;
    const back = backP();
    const nc = nashConvWith(m, back, respond);
    const worst = Math.max(...nc);
    if (!(worst <= nashTol))
      throw new Error(
        `${strict.message}; a device sits at a kink, where equilibria need not be unique, but the ` +
          `solution after ${what}, mapped back, is not an equilibrium of the original market either ` +
          `(NashConv ${fmt(worst)} > ${nashTol})`,
      );
    const q = waterFill(m, back).participation;
    for (let i = 0; i < m.M; i++) {
      let spend = 0;
      for (let j = 0; j < m.N; j++) spend += back[i * m.N + j] * q[i * m.N + j];
      if (!(spend <= m.budget[i] * (1 + 1e-9)))
        throw new Error(
          `${strict.message}; a device sits at a kink, but the solution after ${what}, mapped back, ` +
            `overspends tenant ${i}'s budget`,
        );
    }
  };

  const relabelDevices = fc.property(cases, (c: RelabelCase) => {
    const { market: m, devicePerm: perm } = c;
    const { N } = m;
    const mt = permuteDevices(m, perm);
    const a = solve(m);
    const b = solve(mt);
    const at = (x: Float64Array) => (k: number) => x[Math.floor(k / N) * N + perm[k % N]];
    const back = () => {
      const p = new Float64Array(m.M * N);
      for (let k = 0; k < p.length; k++) p[Math.floor(k / N) * N + perm[k % N]] = b.prices[k];
      return p;
    };
    compare("relabelling devices", m, mt, a, b, at(a.prices), at(a.participation), back, relTol);
  });

  const relabelTenants = fc.property(cases, (c: RelabelCase) => {
    const { market: m, tenantPerm: perm } = c;
    const { N } = m;
    const mt = permuteTenants(m, perm);
    const a = solve(m);
    const b = solve(mt);
    const at = (x: Float64Array) => (k: number) => x[perm[Math.floor(k / N)] * N + (k % N)];
    const back = () => {
      const p = new Float64Array(m.M * N);
      for (let k = 0; k < p.length; k++) p[perm[Math.floor(k / N)] * N + (k % N)] = b.prices[k];
      return p;
    };
    compare("relabelling tenants", m, mt, a, b, at(a.prices), at(a.participation), back, tenantRelTol);
  });

  const lo = Math.round(range.min * 10);
  const hi = Math.round(range.max * 10);
  const scales = fc.integer({ min: lo, max: hi }).map((x) => 10 ** (x / 10));
  const scaleProp = fc.property(markets, scales, (m, k) => {
    const mt = scaleMoney(m, k);
    const a = solve(m);
    const b = solve(mt);
    compare(
      `scaling money by k = ${fmt(k)}`,
      m,
      mt,
      a,
      b,
      (x) => k * a.prices[x],
      (x) => a.participation[x],
      () => b.prices.map((p) => p / k),
      relTol,
    );
  });

  return {
    "invariance/relabel-devices": relabelDevices,
    "invariance/relabel-tenants": relabelTenants,
    "invariance/scale-money": scaleProp,
  };
}
