import fc from "fast-check";
import { spendOf } from "../market/budgetGuard.ts";
import type { MarketInstance } from "../market/instance.ts";
import { waterFill } from "../market/waterFill.ts";
import {
  logUniformArb,
  type MarketArbOptions,
  type PriceArbOptions,
  type PricedMarket,
  pricedMarketArb,
  seededUniform,
} from "./arbitraries.ts";

/**
 * Property suite for the budget guard (MODEL.md section 4, docs/model.md): posted prices go in,
 * every tenant's prices come out scaled by a factor s_i in [0, 1], and
 *
 * - within-budget: at the scaled prices (devices water-filling, recomputed here) every tenant
 *   spends at most B_i;
 * - scales-only: row i is s_i times the posted row, s_i in [0, 1], and a market already within
 *   every budget is returned untouched;
 * - largest-given-others: a tenant the guard scales (s_i < 1) is at its budget: raising its factor
 *   alone by a hair would overspend. Together with within-budget, every tenant is at the largest
 *   feasible factor given the others (a fixed point of the joint problem);
 * - maximal: no feasible vector of factors gives any tenant a larger one. Checked against feasible
 *   points built independently here: random factors brought within budget by a common factor
 *   (bisection) and then raised tenant by tenant while they stay feasible.
 *
 * Prices are drawn at a level from 1 to 10^6 times what pricesArb asks for, and some runs post
 * 1e300 everywhere, so most tenants start far over budget and the shared devices make their
 * factors one joint problem.
 */

/** A guard: market and posted prices (tenant-major) in, scaled prices out. */
export type BudgetGuardFn = (m: MarketInstance, prices: Float64Array) => { readonly prices: Float64Array };

export interface BudgetGuardSuiteOptions {
  readonly market?: MarketArbOptions;
  readonly prices?: PriceArbOptions;
  /** Cases to test on, replacing the generator. */
  readonly cases?: fc.Arbitrary<PricedMarket>;
  /** Relative slack on budgets and on "at its budget" (default 1e-9). */
  readonly tol?: number;
}

/** Guard cases: priced markets whose prices are raised by a log-uniform level (or set to 1e300). */
export function guardCaseArb(
  marketOpts: MarketArbOptions = { minTenants: 2, maxTenants: 4, maxDevices: 8 },
  priceOpts: PriceArbOptions = {},
): fc.Arbitrary<PricedMarket> {
  return fc
    .tuple(pricedMarketArb(marketOpts, priceOpts), logUniformArb(1, 1e6), fc.nat({ max: 19 }))
    .map(([c, level, huge]) => ({
      market: c.market,
      prices: c.prices.map((p) => (p > 0 ? (huge === 0 ? 1e300 : p * level) : 0)),
    }));
}

/** Per-tenant spends at these prices, devices water-filling. */
function spends(m: MarketInstance, prices: Float64Array): Float64Array {
  return spendOf(m, prices, waterFill(m, prices).participation);
}

function feasible(m: MarketInstance, prices: Float64Array, tol: number): boolean {
  const s = spends(m, prices);
  for (let i = 0; i < m.M; i++) if (!(s[i] <= m.budget[i] * (1 + tol))) return false;
  return true;
}

/** Row i of `posted` times f[i]. */
function scaled(m: MarketInstance, posted: Float64Array, f: ArrayLike<number>): Float64Array {
  return posted.map((p, k) => p * f[Math.floor(k / m.N)]);
}

/** The factors s_i with out = s_i x posted row by row (NaN where a row is not a multiple). */
function factorsOf(m: MarketInstance, posted: Float64Array, out: Float64Array): Float64Array {
  const { M, N } = m;
  const f = new Float64Array(M).fill(1);
  for (let i = 0; i < M; i++) {
    let top = 0;
    for (let j = 0; j < N; j++) {
      const p = posted[i * N + j];
      if (m.value[i * N + j] > 0 && p > top) {
        top = p;
        f[i] = out[i * N + j] / p;
      }
    }
    for (let j = 0; j < N; j++) {
      const k = i * N + j;
      const want = f[i] * posted[k];
      if (m.value[k] > 0 && !(Math.abs(out[k] - want) <= 1e-12 * Math.max(Math.abs(out[k]), want)))
        f[i] = Number.NaN;
    }
  }
  return f;
}

/** The largest t in (0, 1] (bisection in log space) with every tenant feasible at t * f. */
function commonFactor(m: MarketInstance, posted: Float64Array, f: Float64Array, tol: number): number {
  if (feasible(m, scaled(m, posted, f), tol)) return 1;
  let lo = -745;
  let hi = 0;
  for (let it = 0; it < 60; it++) {
    const mid = 0.5 * (lo + hi);
    if (
      feasible(
        m,
        scaled(
          m,
          posted,
          f.map((x) => x * Math.exp(mid)),
        ),
        tol,
      )
    )
      lo = mid;
    else hi = mid;
  }
  return Math.exp(lo);
}

export function budgetGuardProperties(
  guard: BudgetGuardFn,
  opts: BudgetGuardSuiteOptions = {},
): Record<string, fc.IPropertyWithHooks<[PricedMarket]> | fc.IPropertyWithHooks<[PricedMarket, number]>> {
  const tol = opts.tol ?? 1e-9;
  const cases = opts.cases ?? guardCaseArb(opts.market, opts.prices);
  const run = (c: PricedMarket) => {
    const posted = c.prices.slice();
    const out = guard(c.market, c.prices).prices;
    if (!c.prices.every((p, k) => p === posted[k])) throw new Error("the guard modified its input prices");
    return { posted, out, f: factorsOf(c.market, posted, out) };
  };
  return {
    "within-budget": fc.property(cases, (c) => {
      const { out } = run(c);
      const s = spends(c.market, out);
      for (let i = 0; i < c.market.M; i++)
        if (!(s[i] <= c.market.budget[i] * (1 + tol)))
          throw new Error(`tenant ${i} spends ${s[i]} > budget ${c.market.budget[i]} after the guard`);
    }),
    "scales-only": fc.property(cases, (c) => {
      const { posted, out, f } = run(c);
      for (let i = 0; i < c.market.M; i++)
        if (!(f[i] >= 0 && f[i] <= 1 + 1e-15))
          throw new Error(
            `tenant ${i}'s prices are not its posted prices times a factor in [0, 1] (${f[i]})`,
          );
      if (feasible(c.market, posted, 0) && !out.every((p, k) => p === posted[k] || !(c.market.value[k] > 0)))
        throw new Error("prices within every budget were changed");
    }),
    "largest-given-others": fc.property(cases, (c) => {
      const { posted, f } = run(c);
      const s = spends(c.market, scaled(c.market, posted, f));
      for (let i = 0; i < c.market.M; i++) {
        if (f[i] >= 1) continue;
        if (!(s[i] >= c.market.budget[i] * (1 - tol)))
          throw new Error(
            `tenant ${i} was scaled to ${f[i]} but spends ${s[i]} of its budget ${c.market.budget[i]}: ` +
              "a larger factor given the others was feasible",
          );
      }
    }),
    maximal: fc.property(cases, fc.integer({ min: 1, max: 2 ** 30 }), (c, seed) => {
      const { market: m } = c;
      const { posted, f } = run(c);
      const u = seededUniform(seed);
      // an independent feasible point: random factors, a common factor, then each tenant raised
      // (bisection) while everyone stays feasible
      const t = Float64Array.from({ length: m.M }, () => 0.05 + 0.95 * u());
      const k = commonFactor(m, posted, t, 0);
      for (let i = 0; i < m.M; i++) t[i] *= k;
      for (let i = 0; i < m.M; i++) {
        let lo = t[i];
        let hi = 1;
        const at = (x: number) =>
          feasible(
            m,
            scaled(
              m,
              posted,
              t.map((y, r) => (r === i ? x : y)),
            ),
            0,
          );
        if (at(1)) lo = 1;
        else
          for (let it = 0; it < 40; it++) {
            const mid = 0.5 * (lo + hi);
            if (at(mid)) lo = mid;
            else hi = mid;
          }
        t[i] = lo;
      }
      for (let i = 0; i < m.M; i++)
        if (!(t[i] <= f[i] * (1 + 1e-7)))
          throw new Error(
            `the feasible factors ${Array.from(t).join(", ")} give tenant ${i} more than the guard's ` +
              `${Array.from(f).join(", ")}`,
          );
    }),
  };
}
