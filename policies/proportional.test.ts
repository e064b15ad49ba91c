import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { expectedSpend } from "./budgetScale.ts";
import { proportionalPolicy } from "./proportional.ts";
import { marketObservation, policyContext } from "./testObservation.ts";

/** Checks p_j / weight_j is one constant on eligible devices and p_j = 0 elsewhere. */
function expectProportional(
  p: Float64Array,
  weight: (j: number) => number,
  eligible: (j: number) => boolean,
) {
  let ratio = Number.NaN;
  for (let j = 0; j < p.length; j++) {
    if (!eligible(j)) {
      expect(p[j]).toBe(0);
      continue;
    }
    const r = p[j] / weight(j);
    if (Number.isNaN(ratio)) ratio = r;
    expect(r).toBeCloseTo(ratio, 12);
  }
  expect(ratio).toBeGreaterThan(0);
}

describe("proportional", () => {
  it("prices proportionally to the data weight a_ij and spends the budget", async () => {
    const m = randomMarket({ M: 3, N: 25, seed: 3, budgetPerDevice: 0.5 });
    const { M, N } = m;
    // data weights: any positive numbers on the eligible pairs, normalised per tenant
    const a = new Float64Array(M * N);
    for (let i = 0; i < M; i++) {
      let s = 0;
      for (let j = 0; j < N; j++) if (m.value[i * N + j] > 0) s += a[i * N + j] = 1 + ((7 * j + i) % 11);
      for (let j = 0; j < N; j++) a[i * N + j] /= s;
    }
    const last = solveStackelberg(m).prices;
    const policy = proportionalPolicy();
    policy.reset?.(policyContext(0));
    expect(policy.aggregation).toBe("fedavg");
    for (let i = 0; i < M; i++) {
      const p = await policy.price(marketObservation(m, { step: 1, lastPrices: last, dataWeight: a }), i);
      expectProportional(
        p,
        (j) => a[i * N + j],
        (j) => m.value[i * N + j] > 0,
      );
      const { spend } = expectedSpend(m, i, p, last);
      expect(spend).toBeLessThanOrEqual(m.budget[i]);
      expect(m.budget[i] - spend).toBeLessThanOrEqual(1e-9);
    }
    expect(policy.warnings).toEqual([]);
  });

  it("falls back to sqrt(w_ij) without dataWeight, and says so once per episode", async () => {
    const m = randomMarket({ M: 2, N: 20, seed: 6 });
    const policy = proportionalPolicy();
    for (const step of [0, 1])
      for (let i = 0; i < m.M; i++) {
        const p = await policy.price(marketObservation(m, { step }), i);
        expectProportional(
          p,
          (j) => Math.sqrt(m.value[i * m.N + j]),
          (j) => m.value[i * m.N + j] > 0,
        );
      }
    expect(policy.warnings.map((w) => [w.step, w.code])).toEqual([[0, "NO_DATA_WEIGHT"]]);
    policy.reset?.(policyContext(0));
    expect(policy.warnings).toEqual([]);
  });

  it("rejects a dataWeight of the wrong shape", () => {
    const m = randomMarket({ M: 2, N: 5, seed: 1 });
    expect(() =>
      proportionalPolicy().price(marketObservation(m, { dataWeight: new Float64Array(3) }), 0),
    ).toThrow(/dataWeight has length 3/);
  });
});
