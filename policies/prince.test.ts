import { describe, expect, it, vi } from "vitest";
import { spendOf } from "../market/budgetGuard.ts";
import { fromArrays } from "../market/instance.ts";
import { nashConv, solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { waterFill } from "../market/waterFill.ts";
import { princePolicy, sameMarket } from "./prince.ts";
import { marketObservation, policyContext } from "./testObservation.ts";
import type { MarketObservation, TenantPolicy } from "./types.ts";

/** Every row's prices for one observation, assembled tenant-major. */
async function postAll(policy: TenantPolicy, obs: MarketObservation): Promise<Float64Array> {
  const { M, N } = obs.market;
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) out.set(await policy.price(obs, i), i * N);
  return out;
}

describe("prince", () => {
  it("posts Stackelberg-equilibrium prices: NashConv <= 1e-6, within budget, unbiased aggregation", async () => {
    for (const [M, N, b, seed] of [
      [2, 12, 0.3, 1],
      [3, 25, 0.05, 2],
      [4, 40, 0.6, 3],
    ] as const) {
      const m = randomMarket({ M, N, seed, budgetPerDevice: b });
      const policy = princePolicy();
      policy.reset?.(policyContext(seed, "prince"));
      expect(policy.aggregation).toBe("unbiased");
      const prices = await postAll(policy, marketObservation(m));
      const nc = nashConv(m, prices);
      for (const v of nc) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1e-6);
      }
      const spend = spendOf(m, prices, waterFill(m, prices).participation);
      for (let i = 0; i < M; i++) expect(spend[i]).toBeLessThanOrEqual(m.budget[i]);
      expect(Array.from(prices)).toEqual(Array.from(solveStackelberg(m).prices));
      expect(policy.warnings).toEqual([]);
    }
  });

  it("solves once per market step and serves every tenant from that solve", async () => {
    const m = randomMarket({ M: 4, N: 30, seed: 7, budgetPerDevice: 0.5 });
    const policy = princePolicy();
    policy.reset?.(policyContext(1));
    const first = await postAll(policy, marketObservation(m, { step: 0 }));
    expect(policy.solves).toBe(1);
    expect(policy.lastSolve?.step).toBe(0);
    // answers are copies: a caller writing into them cannot corrupt the cache
    const row0 = await policy.price(marketObservation(m, { step: 0 }), 0);
    row0.fill(-1);
    expect(Array.from(await policy.price(marketObservation(m, { step: 0 }), 0))).toEqual(
      Array.from(first.subarray(0, m.N)),
    );
    expect(policy.solves).toBe(1);
    // next step, same game (a fresh but equal instance): the cached equilibrium is reused
    const same = fromArrays({ ...m, cost: m.cost.slice(), value: m.value.slice(), budget: m.budget.slice() });
    expect(sameMarket(m, same)).toBe(true);
    expect(await postAll(policy, marketObservation(same, { step: 1 }))).toEqual(first);
    expect(policy.solves).toBe(1);
    expect(policy.lastSolve?.step).toBe(1);
    // a changed market (a budget grew) is re-solved, even under the same step number
    const budget = m.budget.slice();
    budget[0] *= 2;
    const changed = fromArrays({ ...m, budget });
    expect(sameMarket(m, changed)).toBe(false);
    const next = await postAll(policy, marketObservation(changed, { step: 1 }));
    expect(policy.solves).toBe(2);
    expect(Math.max(...nashConv(changed, next))).toBeLessThanOrEqual(1e-6);
    expect(next).not.toEqual(first);
    // reset starts a new episode
    policy.reset?.(policyContext(2));
    expect(policy.solves).toBe(0);
    expect(policy.lastSolve).toBeNull();
  });

  it("posts the solver's best point and records a warning when it does not converge", async () => {
    const m = randomMarket({ M: 4, N: 40, seed: 3, budgetPerDevice: 0.6 });
    const policy = princePolicy({ method: "sweeps", maxSweeps: 1, tol: 1e-14 });
    policy.reset?.(policyContext(1));
    const obs = marketObservation(m, { step: 5 });
    const prices = await postAll(policy, obs);
    expect(policy.lastSolve?.result?.converged).toBe(false);
    expect(policy.warnings).toHaveLength(1);
    expect(policy.warnings[0].code).toBe("NOT_CONVERGED");
    expect(policy.warnings[0].step).toBe(5);
    expect(policy.warnings[0].message).toMatch(/did not converge after 1 iterations/);
    expect(Array.from(prices)).toEqual(Array.from(policy.lastSolve?.result?.prices ?? []));
    const spend = spendOf(m, prices, waterFill(m, prices).participation);
    for (let i = 0; i < m.M; i++) expect(spend[i]).toBeLessThanOrEqual(m.budget[i]);
    policy.reset?.(policyContext(1));
    expect(policy.warnings).toEqual([]);
  });

  it("falls back to single-tenant prices under the budget guard if the solver throws", async () => {
    vi.resetModules();
    vi.doMock("../market/stackelberg.ts", async (importOriginal) => ({
      ...(await importOriginal<typeof import("../market/stackelberg.ts")>()),
      solveStackelberg: () => {
        throw new Error("boom");
      },
    }));
    try {
      const { princePolicy: mocked } = await import("./prince.ts");
      const { enforceBudgets } = await import("../market/budgetGuard.ts");
      const { tenantBestResponse } = await import("../market/tenantBestResponse.ts");
      const m = randomMarket({ M: 3, N: 20, seed: 4, budgetPerDevice: 0.5 });
      const policy = mocked();
      const prices = await postAll(policy, marketObservation(m, { step: 2 }));
      expect(policy.warnings.map((w) => [w.step, w.code])).toEqual([[2, "SOLVE_FAILED"]]);
      expect(policy.warnings[0].message).toContain("boom");
      expect(policy.lastSolve?.result).toBeNull();
      const alone = new Float64Array(m.M * m.N);
      for (let i = 0; i < m.M; i++)
        alone.set(tenantBestResponse(m, new Float64Array(m.M * m.N), i).prices, i * m.N);
      expect(Array.from(prices)).toEqual(Array.from(enforceBudgets(m, alone).prices));
    } finally {
      vi.doUnmock("../market/stackelberg.ts");
      vi.resetModules();
    }
  });

  it("takes the aggregation rule and solver options from its options, and rejects bad ones", () => {
    expect(princePolicy({ aggregation: "fedavg" }).aggregation).toBe("fedavg");
    expect(() => princePolicy({ tol: 0 })).toThrow(/options\.tol: must be a finite number > 0/);
    expect(() => princePolicy({ sweeps: 3 })).toThrow(/options\.sweeps: unknown option/);
    const m = randomMarket({ M: 2, N: 5, seed: 1 });
    expect(() => princePolicy().price(marketObservation(m), 2)).toThrow(/row 2 out of range/);
  });
});
