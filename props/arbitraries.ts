import fc from "fast-check";
import { fromArrays, type MarketInstance, toMarketInput } from "../market/instance.ts";

/**
 * fast-check arbitraries for markets (MODEL.md sections 1-3), shared by the property suites.
 *
 * Costs and values are log-normal (device populations are log-normal in speed and bandwidth, and
 * w_ij = a_ij^2 G_ij^2 multiplies such quantities); some values are 0 (device not eligible), and every
 * tenant keeps at least one eligible device. Budgets are set relative to the cost of buying each
 * eligible device's fair share of capacity (1 / number of tenants that can use it), times a
 * log-uniform factor: below 1 devices are rarely congested, above 1 tenants compete for them. The
 * default range gives congested devices (mu_j > 0) at the equilibrium in most multi-tenant markets,
 * which is what gives the suites their teeth (props/arbitraries.test.ts measures it).
 *
 * Every random number comes from an integer grid mapped through a fixed function, so shrinking moves
 * towards the median (cost 1, value 1, three times the fair-share budget, everyone eligible) and
 * counterexamples stay readable. fast-check biases some runs towards the ends of each grid, so tails
 * are a little heavier than log-normal: extreme costs and values get tried on purpose.
 */

/** tau itself, or a range [min, max] sampled on a grid of step 0.05 (e.g. {min: 1.2, max: 2}). */
export type TauSpec = number | { readonly min: number; readonly max: number };

export interface MarketArbOptions {
  /** Tenant count range (default 1..4). */
  readonly minTenants?: number;
  readonly maxTenants?: number;
  /** Device count range (default 1..12). */
  readonly minDevices?: number;
  readonly maxDevices?: number;
  /** Cost exponent (default 2). */
  readonly tau?: TauSpec;
  /** Log-normal sigma of the costs c_ij (default 0.6) and of the values w_ij (default 1.5). */
  readonly costSigma?: number;
  readonly valueSigma?: number;
  /** Probability that a pair (i, j) is ineligible, w_ij = 0 (default 0.25). */
  readonly ineligibleRate?: number;
  /**
   * Range of the budget factor s_i (log-uniform, default [0.3, 30]): B_i = s_i * sum_{j in E_i}
   * tau c_ij (1/n_j)^tau, where n_j is the number of tenants eligible at device j.
   */
  readonly budgetFactor?: { readonly min: number; readonly max: number };
}

const GRID = 500;

// Coefficients of Acklam's normal quantile approximation.
const QA = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const QB = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const QC = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const QD = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function normalQuantile(u: number): number {
  const lo = 0.02425;
  if (u < lo) {
    const q = Math.sqrt(-2 * Math.log(u));
    return (
      (((((QC[0] * q + QC[1]) * q + QC[2]) * q + QC[3]) * q + QC[4]) * q + QC[5]) /
      ((((QD[0] * q + QD[1]) * q + QD[2]) * q + QD[3]) * q + 1)
    );
  }
  if (u > 1 - lo) return -normalQuantile(1 - u);
  const q = u - 0.5;
  const r = q * q;
  return (
    ((((((QA[0] * r + QA[1]) * r + QA[2]) * r + QA[3]) * r + QA[4]) * r + QA[5]) * q) /
    (((((QB[0] * r + QB[1]) * r + QB[2]) * r + QB[3]) * r + QB[4]) * r + 1)
  );
}

/** A standard normal draw on a 1001-point quantile grid; shrinks towards 0. */
export function standardNormalArb(): fc.Arbitrary<number> {
  return fc.integer({ min: -GRID, max: GRID }).map((k) => normalQuantile((k + GRID + 0.5) / (2 * GRID + 1)));
}

/** exp(z) with z uniform on [log min, log max] (1001-point grid); shrinks towards the geometric mean. */
export function logUniformArb(min: number, max: number): fc.Arbitrary<number> {
  const lmin = Math.log(min);
  const lmax = Math.log(max);
  return fc
    .integer({ min: -GRID, max: GRID })
    .map((k) => Math.exp(0.5 * (lmin + lmax) + ((lmax - lmin) * k) / (2 * GRID)));
}

function tauArb(spec: TauSpec): fc.Arbitrary<number> {
  if (typeof spec === "number") {
    if (!(spec > 1)) throw new RangeError("tau must be > 1");
    return fc.constant(spec);
  }
  if (!(spec.min > 1 && spec.max >= spec.min)) throw new RangeError("tau range must satisfy 1 < min <= max");
  // grid of step 0.05 inside [min, max], shrinking towards max (2 for the convex range)
  const lo = Math.ceil(spec.min * 20 - 1e-9);
  const hi = Math.floor(spec.max * 20 + 1e-9);
  if (hi < lo) return fc.constant(spec.max);
  return fc.integer({ min: 0, max: hi - lo }).map((k) => (hi - k) / 20);
}

/** Resolved generator settings. */
interface Settings {
  minM: number;
  maxM: number;
  minN: number;
  maxN: number;
  tau: fc.Arbitrary<number>;
  costSigma: number;
  valueSigma: number;
  cut: number;
  factor: { min: number; max: number };
}

function settings(opts: MarketArbOptions): Settings {
  const pOut = opts.ineligibleRate ?? 0.25;
  const s: Settings = {
    minM: opts.minTenants ?? 1,
    maxM: opts.maxTenants ?? 4,
    minN: opts.minDevices ?? 1,
    maxN: opts.maxDevices ?? 12,
    tau: tauArb(opts.tau ?? 2),
    costSigma: opts.costSigma ?? 0.6,
    valueSigma: opts.valueSigma ?? 1.5,
    cut: Math.round(100 * (1 - pOut)),
    factor: { min: opts.budgetFactor?.min ?? 0.3, max: opts.budgetFactor?.max ?? 30 },
  };
  if (!(Number.isInteger(s.minM) && s.minM >= 1 && s.maxM >= s.minM))
    throw new RangeError("tenant range must satisfy 1 <= minTenants <= maxTenants");
  if (!(Number.isInteger(s.minN) && s.minN >= 1 && s.maxN >= s.minN))
    throw new RangeError("device range must satisfy 1 <= minDevices <= maxDevices");
  if (!(pOut >= 0 && pOut < 1)) throw new RangeError("ineligibleRate must be in [0, 1)");
  return s;
}

/**
 * The raw draws behind a market. Arrays have the largest size (maxM x maxN, entry (i, j) at
 * i * maxN + j) whatever M and N are, so shrinking M or N keeps every other draw: a counterexample
 * loses tenants and devices without its remaining numbers changing.
 */
interface MarketDraws {
  M: number;
  N: number;
  tau: number;
  zc: number[];
  zw: number[];
  drop: number[];
  anchor: number[];
  factor: number[];
}

function drawsArb(s: Settings): fc.Arbitrary<MarketDraws> {
  const n = s.maxM * s.maxN;
  return fc.record({
    M: fc.integer({ min: s.minM, max: s.maxM }),
    N: fc.integer({ min: s.minN, max: s.maxN }),
    tau: s.tau,
    zc: fc.array(standardNormalArb(), { minLength: n, maxLength: n }),
    zw: fc.array(standardNormalArb(), { minLength: n, maxLength: n }),
    // pair ineligible iff draw >= cut; shrinks towards eligible
    drop: fc.array(fc.integer({ min: 0, max: 99 }), { minLength: n, maxLength: n }),
    // one device per tenant that always stays eligible (index modulo N)
    anchor: fc.array(fc.nat({ max: s.maxN - 1 }), { minLength: s.maxM, maxLength: s.maxM }),
    factor: fc.array(logUniformArb(s.factor.min, s.factor.max), { minLength: s.maxM, maxLength: s.maxM }),
  });
}

function buildMarket(d: MarketDraws, s: Settings): MarketInstance {
  const { M, N, tau } = d;
  const cost = new Float64Array(M * N);
  const value = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const r = i * s.maxN + j;
      cost[i * N + j] = Math.exp(s.costSigma * d.zc[r]);
      value[i * N + j] = d.drop[r] < s.cut || d.anchor[i] % N === j ? Math.exp(s.valueSigma * d.zw[r]) : 0;
    }
  }
  const budget = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    let base = 0;
    for (let j = 0; j < N; j++) {
      if (!(value[i * N + j] > 0)) continue;
      let n = 0;
      for (let k = 0; k < M; k++) if (value[k * N + j] > 0) n++;
      base += tau * cost[i * N + j] * (1 / n) ** tau;
    }
    budget[i] = d.factor[i] * base;
  }
  return fromArrays({ M, N, tau, cost, value, budget });
}

/** Random markets. The instance is built with fromArrays, so it is frozen and valid by construction. */
export function marketArb(opts: MarketArbOptions = {}): fc.Arbitrary<MarketInstance> {
  const s = settings(opts);
  return drawsArb(s).map((d) => buildMarket(d, s));
}

/** A market with posted prices (tenant-major M x N). */
export interface PricedMarket {
  readonly market: MarketInstance;
  readonly prices: Float64Array;
}

export interface PriceArbOptions {
  /**
   * Range of the demand level x_ij each price asks for alone (log-uniform, default [0.02, 2]):
   * P_ij = tau c_ij x_ij^(tau-1), the price at which device j would give tenant i participation
   * x_ij if no one else bid. With several tenants these sum past 1, so devices congest.
   */
  readonly demand?: { readonly min: number; readonly max: number };
  /** Probability that a price is exactly 0 (default 0.1). */
  readonly zeroRate?: number;
  /** Put nonzero prices on ineligible pairs too (they must be ignored; default true). */
  readonly priceIneligible?: boolean;
}

interface PriceDraws {
  x: number[];
  z: number[];
}

function priceDrawsArb(n: number, opts: PriceArbOptions): fc.Arbitrary<PriceDraws> {
  const demand = opts.demand ?? { min: 0.02, max: 2 };
  return fc.record({
    x: fc.array(logUniformArb(demand.min, demand.max), { minLength: n, maxLength: n }),
    // price is 0 iff draw < zero cut; 99 - d shrinks towards a nonzero price
    z: fc.array(
      fc.nat({ max: 99 }).map((d) => 99 - d),
      { minLength: n, maxLength: n },
    ),
  });
}

function buildPrices(m: MarketInstance, d: PriceDraws, stride: number, opts: PriceArbOptions): Float64Array {
  const zeroCut = Math.round(100 * (opts.zeroRate ?? 0.1));
  const onIneligible = opts.priceIneligible ?? true;
  const p = new Float64Array(m.M * m.N);
  for (let i = 0; i < m.M; i++) {
    for (let j = 0; j < m.N; j++) {
      const k = i * m.N + j;
      const r = i * stride + j;
      if (d.z[r] < zeroCut) continue;
      if (!onIneligible && !(m.value[k] > 0)) continue;
      p[k] = m.tau * m.cost[k] * d.x[r] ** (m.tau - 1);
    }
  }
  return p;
}

/** Price vectors for a given market. */
export function pricesArb(m: MarketInstance, opts: PriceArbOptions = {}): fc.Arbitrary<Float64Array> {
  return priceDrawsArb(m.M * m.N, opts).map((d) => buildPrices(m, d, m.N, opts));
}

/** Markets together with price vectors. */
export function pricedMarketArb(
  marketOpts: MarketArbOptions = {},
  priceOpts: PriceArbOptions = {},
): fc.Arbitrary<PricedMarket> {
  const s = settings(marketOpts);
  return fc.tuple(drawsArb(s), priceDrawsArb(s.maxM * s.maxN, priceOpts)).map(([d, pd]): PricedMarket => {
    const market = buildMarket(d, s);
    return { market, prices: buildPrices(market, pd, s.maxN, priceOpts) };
  });
}

/** A market, posted prices, and the tenant whose response is under test. */
export interface TenantCase extends PricedMarket {
  readonly tenant: number;
}

export function tenantCaseArb(
  marketOpts: MarketArbOptions = {},
  priceOpts: PriceArbOptions = {},
): fc.Arbitrary<TenantCase> {
  const maxM = marketOpts.maxTenants ?? 4;
  return fc
    .tuple(pricedMarketArb(marketOpts, priceOpts), fc.nat({ max: maxM - 1 }))
    .map(([c, t]): TenantCase => ({ ...c, tenant: t % c.market.M }));
}

/** A market with a permutation of its devices and one of its tenants. */
export interface RelabelCase {
  readonly market: MarketInstance;
  /** New device j is old device devicePerm[j]. */
  readonly devicePerm: number[];
  /** New tenant i is old tenant tenantPerm[i]. */
  readonly tenantPerm: number[];
}

export function relabelCaseArb(marketOpts: MarketArbOptions = {}): fc.Arbitrary<RelabelCase> {
  const s = settings(marketOpts);
  return fc.tuple(drawsArb(s), sortKeysArb(s.maxN), sortKeysArb(s.maxM)).map(([d, kd, kt]): RelabelCase => {
    const market = buildMarket(d, s);
    return {
      market,
      devicePerm: permutationFromKeys(kd, market.N),
      tenantPerm: permutationFromKeys(kt, market.M),
    };
  });
}

function sortKeysArb(n: number): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: 1000 }), { minLength: n, maxLength: n });
}

/** Sorts 0..n-1 by the first n keys; equal keys (what shrinking produces) keep their order. */
function permutationFromKeys(keys: readonly number[], n: number): number[] {
  return Array.from({ length: n }, (_, k) => k).sort((a, b) => keys[a] - keys[b] || a - b);
}

/** A permutation of 0..n-1 (shrinks towards the identity). */
export function permutationArb(n: number): fc.Arbitrary<number[]> {
  return sortKeysArb(n).map((keys) => permutationFromKeys(keys, n));
}

/**
 * A small seeded uniform generator (splitmix32) for the many random directions a property tries
 * per case: the case carries one integer seed, so it replays exactly and stays small.
 */
export function seededUniform(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let t = s ^ (s >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * A JSON-friendly copy of a counterexample: markets in their `sfl-market solve` input form, typed
 * arrays as number arrays, other objects and arrays recursively.
 */
export function toPlain(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === "object") {
    if (isMarket(v)) return toMarketInput(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
    return out;
  }
  return v;
}

function isMarket(v: object): v is MarketInstance {
  const m = v as Partial<MarketInstance>;
  return (
    typeof m.M === "number" &&
    typeof m.N === "number" &&
    typeof m.tau === "number" &&
    m.cost instanceof Float64Array &&
    m.value instanceof Float64Array &&
    m.budget instanceof Float64Array
  );
}
