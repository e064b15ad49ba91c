import { describe, expect, it } from "vitest";
import { createMarket } from "./instance.ts";
import { tenantBestResponse } from "./tenantBestResponse.ts";
import { randomMarket } from "./testMarkets.ts";
import { waterFill } from "./waterFill.ts";

describe("tenantBestResponse", () => {
  it("matches the single-tenant closed form q_j = (w_j / (4 nu c_j))^(1/3)", () => {
    // two identical devices, w = c = 1, B = 0.5: spend 2 * 2 q^2 = 0.5 => q = sqrt(1/8), V = 2 / q
    const m = createMarket({ budget: [0.5], cost: [[1, 1]], value: [[1, 1]] });
    for (const method of ["auto", "generic"] as const) {
      const br = tenantBestResponse(m, new Float64Array(2), 0, { method });
      expect(br.participation[0]).toBeCloseTo(Math.sqrt(1 / 8), 8);
      expect(br.objective).toBeCloseTo(2 / Math.sqrt(1 / 8), 7);
      expect(br.spend).toBeLessThanOrEqual(0.5);
      expect(br.spend).toBeCloseTo(0.5, 10);
      expect(br.budgetBinds).toBe(true);
    }
  });

  it("buys all capacity when the budget does not bind", () => {
    const m = createMarket({ budget: [100], cost: [[1, 2]], value: [[1, 1]] });
    const br = tenantBestResponse(m, new Float64Array(2), 0);
    expect(br.budgetBinds).toBe(false);
    expect(Array.from(br.participation)).toEqual([1, 1]);
    expect(Array.from(br.prices)).toEqual([2, 4]);
  });

  it("pays the inverse supply price against a rival: best response to P_o = 2b on a shared device is 2b", () => {
    // symmetric tenants, one device, w = c = 1, budget b = 1: the rival posts 2; the response is 2 too
    const m = createMarket({ budget: [1, 1], cost: [[1], [1]], value: [[1], [1]] });
    const prices = Float64Array.from([0, 2]);
    const br = tenantBestResponse(m, prices, 0);
    expect(br.prices[0]).toBeCloseTo(2, 9);
    expect(br.participation[0]).toBeCloseTo(0.5, 9);
  });

  it("fast path (tau = 2) agrees with the generic numerical path on random congested markets", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const m = randomMarket({ M: 3, N: 7, seed, budgetPerDevice: 0.4 });
      const prices = new Float64Array(m.M * m.N);
      for (let k = 0; k < prices.length; k++) prices[k] = m.value[k] > 0 ? 0.2 + ((k * 7919) % 13) / 5 : 0;
      for (let i = 0; i < m.M; i++) {
        const fast = tenantBestResponse(m, prices, i);
        const slow = tenantBestResponse(m, prices, i, { method: "generic" });
        expect(fast.objective / slow.objective).toBeCloseTo(1, 7);
        for (let j = 0; j < m.N; j++) expect(fast.participation[j]).toBeCloseTo(slow.participation[j], 6);
      }
    }
  });

  it("its prices buy exactly the participation it reports (water-filling check)", () => {
    const m = randomMarket({ M: 4, N: 30, seed: 7, budgetPerDevice: 0.5 });
    const prices = new Float64Array(m.M * m.N);
    for (let k = 0; k < prices.length; k++) prices[k] = m.value[k] > 0 ? 1 + (k % 5) / 2 : 0;
    const br = tenantBestResponse(m, prices, 2);
    prices.set(br.prices, 2 * m.N);
    const q = waterFill(m, prices).participation.subarray(2 * m.N, 3 * m.N);
    for (let j = 0; j < m.N; j++) expect(Math.abs(q[j] - br.participation[j])).toBeLessThan(1e-12);
    expect(br.spend).toBeLessThanOrEqual(m.budget[2]);
  });

  it("is exact for tau in (1, 2] and reports a small duality gap for tau > 2", () => {
    const m15 = randomMarket({ M: 2, N: 5, seed: 3, tau: 1.5 });
    const a = tenantBestResponse(m15, new Float64Array(10), 0);
    expect(a.exact).toBe(true);
    expect(a.dualityGap).toBeLessThan(1e-7);
    const m3 = randomMarket({ M: 2, N: 5, seed: 3, tau: 3 });
    const b = tenantBestResponse(m3, new Float64Array(10), 0);
    expect(b.exact).toBe(false);
    expect(b.dualityGap).toBeGreaterThanOrEqual(0);
    expect(b.dualityGap).toBeLessThan(1e-6);
    expect(b.spend).toBeLessThanOrEqual(m3.budget[0]);
  });

  it("rejects a bad tenant index", () => {
    const m = createMarket({ budget: [1], cost: [[1]], value: [[1]] });
    expect(() => tenantBestResponse(m, new Float64Array(1), 1)).toThrow(/out of range/);
  });
});
