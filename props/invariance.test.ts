import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMarket, type MarketInstance } from "../market/instance.ts";
import { nashConv, solveStackelberg } from "../market/stackelberg.ts";
import { waterFill } from "../market/waterFill.ts";
import { marketArb } from "./arbitraries.ts";
import type { SolveFn } from "./equilibrium.ts";
import {
  invarianceProperties,
  kinkDevices,
  permuteDevices,
  permuteTenants,
  scaleMoney,
} from "./invariance.ts";
import { type PropertyResult, runSuite } from "./runner.ts";

const SEED = 99;

function byName(results: PropertyResult[], name: string): PropertyResult {
  const r = results.find((x) => x.name === name);
  if (!r) throw new Error(`no result ${name}`);
  return r;
}

const withPrices = (m: MarketInstance, prices: Float64Array) => ({
  prices,
  participation: waterFill(m, prices).participation,
});

/** Adds a constant to every eligible price: not homogeneous in money. */
const addsConstant: SolveFn = (m) => {
  const r = solveStackelberg(m);
  return withPrices(
    m,
    r.prices.map((p, k) => (m.value[k] > 0 ? p + 0.01 : 0)),
  );
};

/** Rounds prices to 3 decimals: an absolute tolerance in money units. */
const roundsPrices: SolveFn = (m) => {
  const r = solveStackelberg(m);
  return withPrices(
    m,
    r.prices.map((p) => Math.round(p * 1000) / 1000),
  );
};

/** Tenant 0 gets a 1% premium on its prices: label-dependent. */
const favoursTenantZero: SolveFn = (m) => {
  const r = solveStackelberg(m);
  return withPrices(
    m,
    r.prices.map((p, k) => (k < m.N ? p * 1.01 : p)),
  );
};

/** Device 0 gets a 1% premium from everyone: label-dependent. */
const favoursDeviceZero: SolveFn = (m) => {
  const r = solveStackelberg(m);
  return withPrices(
    m,
    r.prices.map((p, k) => (k % m.N === 0 ? p * 1.01 : p)),
  );
};

describe("invariance suite on the built-in solver", () => {
  it("passes every property", () => {
    const results = runSuite(invarianceProperties(), { seed: SEED, numRuns: 100 });
    expect(results.map((r) => r.name)).toEqual([
      "invariance/relabel-devices",
      "invariance/relabel-tenants",
      "invariance/scale-money",
    ]);
    for (const r of results) expect(r, r.error).toMatchObject({ passed: true, numRuns: 100 });
  });

  it("market transforms are invertible and keep the instance valid", () => {
    for (const m of fc.sample(marketArb(), { seed: 2, numRuns: 30 })) {
      const pd = Array.from({ length: m.N }, (_, j) => (j + 1) % m.N);
      const pt = Array.from({ length: m.M }, (_, i) => m.M - 1 - i);
      const d = permuteDevices(m, pd);
      const t = permuteTenants(m, pt);
      for (let i = 0; i < m.M; i++)
        for (let j = 0; j < m.N; j++) {
          expect(d.cost[i * m.N + j]).toBe(m.cost[i * m.N + pd[j]]);
          expect(t.value[i * m.N + j]).toBe(m.value[pt[i] * m.N + j]);
        }
      expect(Array.from(t.budget)).toEqual(pt.map((i) => m.budget[i]));
      const s = scaleMoney(m, 10);
      expect(s.budget[0]).toBeCloseTo(10 * m.budget[0], 12);
      expect(Array.from(s.value)).toEqual(Array.from(m.value));
    }
  });

  it("equilibria are not unique at a kink; the solver's selection rule picks the same one for both labellings", () => {
    // Device 1 sits at the kink (mu = 0, capacity exactly used by both tenants). The older solver
    // reached two different equilibria (1e-3 apart in price) for the two labellings; the common-weight
    // rule of docs/solver.md makes them agree.
    const m = createMarket({
      tau: 2,
      budget: [3.8519568766281953, 0.7745781993403588],
      cost: [
        [1.5662984436778458, 1.666585821070505],
        [2.301118331000154, 2.6759546662707216],
      ],
      value: [
        [0.4046938839536047, 0.6277421913428827],
        [1.011332395246523, 0.31765640101511916],
      ],
    });
    const a = solveStackelberg(m, { tol: 1e-13 });
    const b = solveStackelberg(permuteTenants(m, [1, 0]), { tol: 1e-13 });
    const back = new Float64Array(4);
    back.set(b.prices.subarray(2, 4), 0);
    back.set(b.prices.subarray(0, 2), 2);
    expect(Math.max(...nashConv(m, a.prices))).toBeLessThan(1e-12);
    expect(Math.max(...nashConv(m, back))).toBeLessThan(1e-12);
    expect(Math.abs(back[0] - a.prices[0]) / a.prices[0]).toBeLessThan(1e-9);
    expect(kinkDevices(m, a.prices)).toEqual([1]);
    expect(kinkDevices(m, back)).toEqual([1]);
    // and the suite accepts the pair through its fallback
    const r = runSuite(
      invarianceProperties((x) => solveStackelberg(x, { tol: 1e-13 }), { markets: fc.constant(m) }),
      {
        seed: 1,
        numRuns: 3,
      },
    );
    for (const x of r) expect(x, x.error).toMatchObject({ passed: true });
  });
});

describe("invariance suite catches broken solvers", () => {
  const run = (solve: SolveFn) => runSuite(invarianceProperties(solve), { seed: SEED, numRuns: 100 });

  it("adding a constant to prices fails scale-money", () => {
    const results = run(addsConstant);
    const r = byName(results, "invariance/scale-money");
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/scaling money by k = /);
    expect(Array.isArray(r.counterexample)).toBe(true); // [market, k]
    const [market, k] = r.counterexample as [unknown, number];
    expect(market).toHaveProperty("budget");
    expect(k).not.toBe(1);
    // relabelling does not notice a constant
    expect(byName(results, "invariance/relabel-devices").passed).toBe(true);
    expect(byName(results, "invariance/relabel-tenants").passed).toBe(true);
  });

  it("rounding prices in absolute money units fails scale-money", () => {
    expect(byName(run(roundsPrices), "invariance/scale-money").passed).toBe(false);
  });

  it("favouring tenant 0 fails relabel-tenants", () => {
    const results = run(favoursTenantZero);
    const r = byName(results, "invariance/relabel-tenants");
    expect(r.passed).toBe(false);
    expect(r.counterexample).toHaveProperty("tenantPerm");
    expect(r.error).toMatch(/relabelling tenants/);
    // relabelling devices and scaling money do not notice the premium
    expect(byName(results, "invariance/relabel-devices").passed).toBe(true);
    expect(byName(results, "invariance/scale-money").passed).toBe(true);
  });

  it("favouring device 0 fails relabel-devices", () => {
    const results = run(favoursDeviceZero);
    const r = byName(results, "invariance/relabel-devices");
    expect(r.passed).toBe(false);
    expect(r.counterexample).toHaveProperty("devicePerm");
    expect(r.error).toMatch(/relabelling devices/);
    expect(byName(results, "invariance/relabel-tenants").passed).toBe(true);
    expect(byName(results, "invariance/scale-money").passed).toBe(true);
  });
});
