import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { marketArb } from "../props/arbitraries.ts";
import { marketPriceOfAnarchy, priceOfAnarchy, solveCooperative } from "./cooperative.ts";
import { createMarket, fromArrays, type MarketInstance } from "./instance.ts";
import { solveStackelberg } from "./stackelberg.ts";
import { waterFill } from "./waterFill.ts";

const SEED = 20261202;

/** The same market with every device given to one tenant only (the first eligible, cyclically). */
function unshared(m: MarketInstance): MarketInstance {
  const { M, N } = m;
  const value = new Float64Array(M * N);
  for (let j = 0; j < N; j++) {
    const i = j % M;
    value[i * N + j] = m.value[i * N + j] > 0 ? m.value[i * N + j] : 1;
  }
  return fromArrays({ M, N, tau: m.tau, cost: m.cost, value, budget: m.budget });
}

describe("solveCooperative", () => {
  it("buys a lone device up to the budget or capacity (by hand), at prices devices answer with q", () => {
    // min w/q s.t. 2 c q^2 <= B, q <= 1: q = min(1, sqrt(B / 2c)); c = 1
    for (const [B, want] of [
      [0.5, 0.5],
      [8, 1],
    ]) {
      const m = createMarket({ budget: [B], cost: [[1]], value: [[3]] });
      const r = solveCooperative(m);
      expect(r.participation[0]).toBeCloseTo(want, 10);
      expect(r.total).toBeCloseTo(3 / want, 9);
      expect(r.spend[0]).toBeLessThanOrEqual(B);
    }
    // two tenants, one device, budgets to spare: capacity splits by sqrt(w) (w/q^2 equal)
    const m = createMarket({ budget: [100, 100], cost: [[1], [1]], value: [[4], [1]] });
    const r = solveCooperative(m);
    expect(r.participation[0]).toBeCloseTo(2 / 3, 8);
    expect(r.participation[1]).toBeCloseTo(1 / 3, 8);
    // its prices, posted, give back its participation (mu = 0 suffices)
    const back = waterFill(m, r.prices).participation;
    for (let k = 0; k < 2; k++) expect(back[k]).toBeCloseTo(r.participation[k], 12);
  });

  it("is feasible and certified: spends within budgets, devices within capacity, tiny duality gap", () => {
    fc.assert(
      fc.property(marketArb({ maxTenants: 3, maxDevices: 8, tau: { min: 1.2, max: 3 } }), (m) => {
        const r = solveCooperative(m);
        for (let i = 0; i < m.M; i++) expect(r.spend[i]).toBeLessThanOrEqual(m.budget[i] * (1 + 1e-12));
        for (let j = 0; j < m.N; j++) {
          let s = 0;
          for (let i = 0; i < m.M; i++) s += r.participation[i * m.N + j];
          expect(s).toBeLessThanOrEqual(1 + 1e-12);
        }
        expect(r.lowerBound).toBeLessThanOrEqual(r.total * (1 + 1e-12));
        expect(r.dualityGap).toBeLessThan(1e-8);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});

describe("price of anarchy", () => {
  it("is >= 1 in total: the SE's participation is a feasible cooperative point", () => {
    fc.assert(
      fc.property(marketArb({ minTenants: 2, maxTenants: 3, maxDevices: 6 }), (m) => {
        const se = solveStackelberg(m);
        fc.pre(se.converged && se.objective.every(Number.isFinite));
        const poa = priceOfAnarchy(se, solveCooperative(m));
        expect(poa.total).toBeGreaterThanOrEqual(1 - 1e-9);
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it("is 1, in total and per tenant, when no device is shared", () => {
    fc.assert(
      fc.property(marketArb({ minTenants: 2, maxTenants: 3, minDevices: 3, maxDevices: 6 }), (m0) => {
        const m = unshared(m0);
        const se = solveStackelberg(m);
        fc.pre(se.converged);
        const poa = priceOfAnarchy(se, solveCooperative(m));
        expect(poa.total).toBeCloseTo(1, 6);
        for (const x of poa.perTenant) expect(x).toBeCloseTo(1, 6);
      }),
      { seed: SEED, numRuns: 25 },
    );
  });
});

describe("marketPriceOfAnarchy", () => {
  it("is the SE's objective over the optimum's, from one call", () => {
    const m = createMarket({
      budget: [1.81, 1.54],
      cost: [
        [1, 1],
        [1, 2],
      ],
      value: [
        [1, 2],
        [1, 1],
      ],
    });
    const r = marketPriceOfAnarchy(m);
    const se = solveStackelberg(m);
    expect(Array.from(r.se.objective)).toEqual(Array.from(se.objective));
    expect(r.poa.total).toBeCloseTo((se.objective[0] + se.objective[1]) / r.optimum.total, 12);
    expect(r.poa.total).toBeGreaterThanOrEqual(1);
  });
});
