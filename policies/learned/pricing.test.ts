import { describe, expect, it } from "vitest";
import { fromArrays } from "../../market/instance.ts";
import { tenantBestResponse } from "../../market/tenantBestResponse.ts";
import { randomMarket } from "../../market/testMarkets.ts";
import { waterFill } from "../../market/waterFill.ts";
import { ACTION_HIGH, ACTION_LOW, actionPrices, loneOptimum } from "./pricing.ts";

describe("actionPrices", () => {
  it("(log s, a, b) = (0, 1/3, 2/3) is a lone tenant's exact best response when no device saturates", () => {
    for (const seed of [1, 2, 3]) {
      // one tenant, a small budget: every q_ij < 1 at the optimum (checked below)
      const r = randomMarket({ M: 1, N: 30, seed, budgetPerDevice: 0.02 });
      const m = fromArrays({ M: 1, N: r.N, tau: 2, cost: r.cost, value: r.value, budget: r.budget });
      const best = tenantBestResponse(m, new Float64Array(m.N), 0);
      expect(Math.max(...best.participation)).toBeLessThan(1);
      const { a, b } = loneOptimum(2);
      expect([a, b]).toEqual([1 / 3, 2 / 3]);
      const p = actionPrices(m, 0, [0, a, b]);
      for (let j = 0; j < m.N; j++) {
        if (m.value[j] > 0) expect(p[j]).toBeCloseTo(best.prices[j], 9);
        else expect(p[j]).toBe(0);
      }
      const q = waterFill(m, p).participation;
      let V = 0;
      let spend = 0;
      for (let j = 0; j < m.N; j++)
        if (m.value[j] > 0) {
          V += m.value[j] / q[j];
          spend += p[j] * q[j];
        }
      expect(V / best.objective).toBeCloseTo(1, 9);
      expect(spend / m.budget[0]).toBeCloseTo(1, 9);
    }
  });

  it("clamps actions to the box and ignores non-finite entries", () => {
    const m = randomMarket({ M: 2, N: 10, seed: 4 });
    const inBox = actionPrices(m, 1, [ACTION_HIGH[0], ACTION_LOW[1], ACTION_HIGH[2]]);
    expect(actionPrices(m, 1, [99, -99, 99])).toEqual(inBox);
    const p = actionPrices(m, 0, [Number.NaN, Number.POSITIVE_INFINITY, 0]);
    for (const x of p) expect(Number.isFinite(x) && x >= 0).toBe(true);
  });
});
