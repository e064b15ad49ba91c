import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { expectedSpend } from "./budgetScale.ts";
import { greedyTopKPolicy } from "./greedyTopK.ts";
import { marketObservation } from "./testObservation.ts";

const m = randomMarket({ M: 3, N: 40, seed: 17, budgetPerDevice: 0.5 });
const { N } = m;

/** Eligible devices of tenant i ranked by w/c, best first (computed independently of the policy). */
function ranked(i: number): number[] {
  const js = [...Array(N).keys()].filter((j) => m.value[i * N + j] > 0);
  return js
    .map((j) => ({ j, r: m.value[i * N + j] / m.cost[i * N + j] }))
    .sort((a, b) => b.r - a.r)
    .map((x) => x.j);
}

describe("greedy-topk", () => {
  it("pays exactly the top K devices by w/c (default K = 20% of eligible), one price, the budget spent", async () => {
    const policy = greedyTopKPolicy();
    expect(policy.aggregation).toBe("fedavg");
    const last = solveStackelberg(m).prices;
    for (let i = 0; i < m.M; i++) {
      const order = ranked(i);
      const K = Math.round(0.2 * order.length);
      expect(K).toBeGreaterThan(1);
      const p = await policy.price(marketObservation(m, { step: 1, lastPrices: last }), i);
      const paid = [...Array(N).keys()].filter((j) => p[j] > 0);
      expect(paid.length).toBe(K);
      expect(new Set(paid)).toEqual(new Set(order.slice(0, K)));
      expect(new Set(paid.map((j) => p[j])).size).toBe(1);
      const { spend } = expectedSpend(m, i, p, last);
      expect(spend).toBeLessThanOrEqual(m.budget[i]);
      expect(m.budget[i] - spend).toBeLessThanOrEqual(1e-9);
    }
  });

  it("takes K from k (capped at the eligible count) or from fraction (at least 1)", async () => {
    const obs = marketObservation(m);
    const count = async (options: Record<string, unknown>, i = 0) =>
      Array.from(await greedyTopKPolicy(options).price(obs, i)).filter((x) => x > 0).length;
    const eligible = ranked(0).length;
    expect(await count({ k: 3 })).toBe(3);
    expect(await count({ k: 1 })).toBe(1);
    expect(await count({ k: 1000 })).toBe(eligible);
    expect(await count({ fraction: 1 })).toBe(eligible);
    expect(await count({ fraction: 0.001 })).toBe(1);
    expect(await count({ fraction: 0.5 })).toBe(Math.round(0.5 * eligible));
    const top3 = await greedyTopKPolicy({ k: 3 }).price(obs, 0);
    expect(new Set([...Array(N).keys()].filter((j) => top3[j] > 0))).toEqual(new Set(ranked(0).slice(0, 3)));
    expect(() => greedyTopKPolicy({ k: 0 })).toThrow(/options\.k/);
    expect(() => greedyTopKPolicy({ fraction: 1.5 })).toThrow(/options\.fraction/);
  });
});
