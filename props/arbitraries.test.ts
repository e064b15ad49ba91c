import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { waterFill } from "../market/waterFill.ts";
import {
  logUniformArb,
  marketArb,
  normalQuantile,
  permutationArb,
  pricedMarketArb,
  relabelCaseArb,
  seededUniform,
  tenantCaseArb,
  toPlain,
} from "./arbitraries.ts";

describe("marketArb", () => {
  it("generates valid small markets with tau = 2, log-normal costs and some ineligible pairs", () => {
    const markets = fc.sample(marketArb(), { seed: 11, numRuns: 300 });
    let zeros = 0;
    let pairs = 0;
    const sizes = new Set<string>();
    for (const m of markets) {
      expect(m.tau).toBe(2);
      expect(m.M).toBeGreaterThanOrEqual(1);
      expect(m.M).toBeLessThanOrEqual(4);
      expect(m.N).toBeGreaterThanOrEqual(1);
      expect(m.N).toBeLessThanOrEqual(12);
      expect(Object.isFrozen(m)).toBe(true);
      sizes.add(`${m.M}x${m.N}`);
      for (let i = 0; i < m.M; i++) {
        const row = m.value.subarray(i * m.N, (i + 1) * m.N);
        expect(row.some((w) => w > 0)).toBe(true); // every tenant keeps an eligible device
        expect(m.budget[i]).toBeGreaterThan(0);
      }
      for (const c of m.cost) expect(c).toBeGreaterThan(0);
      zeros += m.value.filter((w) => w === 0).length;
      pairs += m.M * m.N;
    }
    expect(zeros / pairs).toBeGreaterThan(0.1);
    expect(zeros / pairs).toBeLessThan(0.35);
    expect(sizes.size).toBeGreaterThan(25);
    // log-normal: log costs have mean ~0 and sd ~0.6 (a little more: fast-check biases some runs
    // towards extreme draws)
    const logs = markets.flatMap((m) => Array.from(m.cost, Math.log));
    const mean = logs.reduce((s, x) => s + x, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / logs.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(sd).toBeGreaterThan(0.5);
    expect(sd).toBeLessThan(0.85);
  });

  it("makes devices congested at the equilibrium in most multi-tenant markets", () => {
    // The suites only have teeth if tenants compete for devices (mu_j > 0) often enough.
    const markets = fc.sample(marketArb(), { seed: 3, numRuns: 200 });
    let multi = 0;
    let congestedMarkets = 0;
    let devices = 0;
    let congestedDevices = 0;
    for (const m of markets) {
      const r = solveStackelberg(m);
      const c = r.congestion.filter((mu) => mu > 0).length;
      devices += m.N;
      congestedDevices += c;
      if (m.M > 1) {
        multi++;
        if (c > 0) congestedMarkets++;
      }
    }
    expect(multi).toBeGreaterThan(120);
    expect(congestedMarkets / multi).toBeGreaterThan(0.8);
    expect(congestedDevices / devices).toBeGreaterThan(0.25);
  });

  it("honours size, tau and rate options", () => {
    const convex = fc.sample(marketArb({ tau: { min: 1.2, max: 2 }, minTenants: 2, maxTenants: 2 }), {
      seed: 1,
      numRuns: 100,
    });
    const taus = new Set(convex.map((m) => m.tau));
    expect(taus.size).toBeGreaterThan(5);
    for (const m of convex) {
      expect(m.M).toBe(2);
      expect(m.tau).toBeGreaterThanOrEqual(1.2);
      expect(m.tau).toBeLessThanOrEqual(2);
      expect(Math.abs(m.tau * 20 - Math.round(m.tau * 20))).toBeLessThan(1e-9);
    }
    const dense = fc.sample(marketArb({ ineligibleRate: 0 }), { seed: 1, numRuns: 50 });
    for (const m of dense) expect(m.value.every((w) => w > 0)).toBe(true);
    expect(() => marketArb({ tau: 1 })).toThrow(RangeError);
    expect(() => marketArb({ minTenants: 3, maxTenants: 2 })).toThrow(RangeError);
  });

  it("is deterministic for a seed and shrinks towards the median market", () => {
    const a = fc.sample(marketArb(), { seed: 5, numRuns: 5 });
    const b = fc.sample(marketArb(), { seed: 5, numRuns: 5 });
    expect(a.map(toPlain)).toEqual(b.map(toPlain));
    const details = fc.check(
      fc.property(marketArb(), (m) => m.M < 2),
      { seed: 2 },
    );
    expect(details.failed).toBe(true);
    const shrunk = toPlain(details.counterexample?.[0]) as { budget: number[] };
    expect(shrunk).toMatchObject({ tau: 2, cost: [[1], [1]], value: [[1], [1]] });
    // budget factor at the geometric mean of [0.3, 30], i.e. 3 x the fair share 2 * 1 * (1/2)^2
    expect(shrunk.budget[0]).toBeCloseTo(1.5, 12);
    expect(shrunk.budget[1]).toBeCloseTo(1.5, 12);
  });
});

describe("prices and cases", () => {
  it("prices congest devices, are sometimes 0 and sometimes sit on ineligible pairs", () => {
    const cases = fc.sample(pricedMarketArb(), { seed: 4, numRuns: 300 });
    let devices = 0;
    let congested = 0;
    let zero = 0;
    let ineligiblePriced = 0;
    let n = 0;
    for (const { market: m, prices } of cases) {
      expect(prices).toHaveLength(m.M * m.N);
      const r = waterFill(m, prices);
      devices += m.N;
      congested += r.congestion.filter((mu) => mu > 0).length;
      n += prices.length;
      zero += prices.filter((p) => p === 0).length;
      prices.forEach((p, k) => {
        if (p > 0 && m.value[k] === 0) ineligiblePriced++;
      });
    }
    expect(congested / devices).toBeGreaterThan(0.2);
    expect(zero / n).toBeGreaterThan(0.05);
    expect(ineligiblePriced).toBeGreaterThan(0);
  });

  it("tenant cases pick a valid tenant; relabel cases carry permutations", () => {
    for (const c of fc.sample(tenantCaseArb(), { seed: 2, numRuns: 100 })) {
      expect(c.tenant).toBeGreaterThanOrEqual(0);
      expect(c.tenant).toBeLessThan(c.market.M);
    }
    for (const c of fc.sample(relabelCaseArb(), { seed: 2, numRuns: 100 })) {
      expect([...c.devicePerm].sort((x, y) => x - y)).toEqual(
        Array.from({ length: c.market.N }, (_, k) => k),
      );
      expect([...c.tenantPerm].sort((x, y) => x - y)).toEqual(
        Array.from({ length: c.market.M }, (_, k) => k),
      );
    }
    for (const p of fc.sample(permutationArb(6), { seed: 3, numRuns: 50 }))
      expect([...p].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe("helpers", () => {
  it("normalQuantile matches known values", () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-normalQuantile(0.99), 9);
  });

  it("logUniformArb stays in range; seededUniform is deterministic and in [0, 1)", () => {
    for (const x of fc.sample(logUniformArb(0.1, 10), { seed: 1, numRuns: 200 })) {
      expect(x).toBeGreaterThanOrEqual(0.1 * (1 - 1e-12));
      expect(x).toBeLessThanOrEqual(10 * (1 + 1e-12));
    }
    const a = seededUniform(42);
    const b = seededUniform(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05);
  });

  it("toPlain turns markets and typed arrays into JSON", () => {
    const [m] = fc.sample(marketArb({ minTenants: 2, maxTenants: 2, minDevices: 3, maxDevices: 3 }), {
      seed: 1,
      numRuns: 1,
    });
    const plain = toPlain({ market: m, prices: new Float64Array([1, 2]), n: 3, list: [new Int32Array([4])] });
    expect(plain).toMatchObject({ prices: [1, 2], n: 3, list: [[4]] });
    const market = (plain as { market: { cost: number[][]; budget: number[]; tau: number } }).market;
    expect(market.cost).toHaveLength(2);
    expect(market.cost[0]).toHaveLength(3);
    expect(market.tau).toBe(2);
    expect(JSON.parse(JSON.stringify(plain))).toEqual(plain);
  });
});
