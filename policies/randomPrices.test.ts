import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { expectedSpend } from "./budgetScale.ts";
import { randomPricesPolicy } from "./randomPrices.ts";
import { marketObservation, policyContext, rowOf } from "./testObservation.ts";
import type { MarketObservation, TenantPolicy } from "./types.ts";

const m = randomMarket({ M: 3, N: 30, seed: 12, budgetPerDevice: 0.5 });

function episode(seed: number | string, options?: Record<string, unknown>): TenantPolicy {
  const policy = randomPricesPolicy(options);
  policy.reset?.(policyContext(seed, "random"));
  return policy;
}

async function prices(policy: TenantPolicy, obs: MarketObservation, rows = [0, 1, 2]): Promise<number[][]> {
  const out: number[][] = [];
  for (const i of rows) out[i] = Array.from(await policy.price(obs, i));
  return out;
}

describe("random prices", () => {
  it("is reproducible from the seed and differs across seeds", async () => {
    const obs = marketObservation(m);
    const a = await prices(episode(42), obs);
    expect(await prices(episode(42), obs)).toEqual(a);
    expect(await prices(episode(43), obs)).not.toEqual(a);
    expect(a[0]).not.toEqual(a[1]);
  });

  it("does not depend on the order in which tenants are asked", async () => {
    const obs = marketObservation(m);
    const forward = await prices(episode(5), obs, [0, 1, 2]);
    const backward = await prices(episode(5), obs, [2, 1, 0]);
    expect(backward).toEqual(forward);
  });

  it("redraws at every market step, or keeps one draw per episode with redraw: false", async () => {
    const p = episode(9);
    const s0 = await prices(p, marketObservation(m, { step: 0 }));
    const s1 = await prices(p, marketObservation(m, { step: 1 }));
    expect(s1).not.toEqual(s0);
    const fixed = episode(9, { redraw: false });
    expect(await prices(fixed, marketObservation(m, { step: 1 }))).toEqual(
      await prices(fixed, marketObservation(m, { step: 0 })),
    );
  });

  it("prices exactly the eligible devices within 10^decades of each other, and spends the budget", async () => {
    const last = solveStackelberg(m).prices;
    for (const decades of [0.5, 2, 4]) {
      const p = episode(3, { decades });
      const obs = marketObservation(m, { step: 2, lastPrices: last });
      for (let i = 0; i < m.M; i++) {
        const row = await p.price(obs, i);
        const elig = rowOf(m.value, m.N, i).map((w) => w > 0);
        const paid = Array.from(row).filter((x, j) => elig[j] && x > 0);
        expect(paid.length).toBe(elig.filter(Boolean).length);
        expect(Array.from(row).every((x, j) => elig[j] || x === 0)).toBe(true);
        expect(Math.max(...paid) / Math.min(...paid)).toBeLessThanOrEqual(10 ** decades * (1 + 1e-12));
        const { spend } = expectedSpend(m, i, row, last);
        expect(spend).toBeLessThanOrEqual(m.budget[i]);
        expect(m.budget[i] - spend).toBeLessThanOrEqual(1e-9);
      }
    }
  });

  it("needs its random stream: price() before reset() is a clear error", () => {
    expect(() => randomPricesPolicy().price(marketObservation(m), 0)).toThrow(/call reset\(ctx\)/);
    expect(randomPricesPolicy().aggregation).toBe("fedavg");
  });
});
