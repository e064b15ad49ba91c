import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { expectedSpend } from "./budgetScale.ts";
import { marketObservation } from "./testObservation.ts";
import { uniformPolicy } from "./uniform.ts";

describe("uniform", () => {
  it("posts one price on every eligible device, 0 elsewhere, spending the budget to within 1e-9", async () => {
    for (const seed of [1, 2, 3]) {
      const m = randomMarket({ M: 3, N: 30, seed, budgetPerDevice: 0.5 });
      const policy = uniformPolicy();
      expect(policy.aggregation).toBe("fedavg");
      for (const lastPrices of [null, solveStackelberg(m).prices]) {
        const obs = marketObservation(m, { step: lastPrices ? 1 : 0, lastPrices });
        for (let i = 0; i < m.M; i++) {
          const p = await policy.price(obs, i);
          let level = -1;
          for (let j = 0; j < m.N; j++) {
            if (m.value[i * m.N + j] === 0) {
              expect(p[j]).toBe(0);
              continue;
            }
            if (level < 0) level = p[j];
            expect(p[j]).toBe(level);
          }
          expect(level).toBeGreaterThan(0);
          // the budget always binds: a price high enough buys every eligible device outright
          const { spend } = expectedSpend(m, i, p, lastPrices);
          expect(spend).toBeLessThanOrEqual(m.budget[i]);
          expect(m.budget[i] - spend).toBeLessThanOrEqual(1e-9);
          // and it is the largest such price
          const higher = p.map((x) => x * (1 + 1e-9));
          expect(expectedSpend(m, i, higher, lastPrices).spend).toBeGreaterThan(m.budget[i]);
        }
      }
    }
  });

  it("answers the other tenants' last prices: congestion lowers the participation a budget buys", async () => {
    const m = randomMarket({ M: 3, N: 30, seed: 8, budgetPerDevice: 0.6 });
    const last = solveStackelberg(m).prices;
    const policy = uniformPolicy();
    const alone = await policy.price(marketObservation(m), 0);
    const crowded = await policy.price(marketObservation(m, { step: 1, lastPrices: last }), 0);
    const qAlone = expectedSpend(m, 0, alone, null).participation;
    const qCrowded = expectedSpend(m, 0, crowded, last).participation;
    const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
    expect(sum(qCrowded)).toBeLessThan(sum(qAlone));
  });

  it("takes the aggregation option", () => {
    expect(uniformPolicy({ aggregation: "unbiased" }).aggregation).toBe("unbiased");
    expect(() => uniformPolicy({ price: 1 })).toThrow(/unknown option; "uniform" takes: aggregation/);
  });
});
