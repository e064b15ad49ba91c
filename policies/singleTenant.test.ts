import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { tenantBestResponse } from "../market/tenantBestResponse.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { singleTenantPolicy } from "./singleTenant.ts";
import { marketObservation } from "./testObservation.ts";

describe("single-tenant", () => {
  it("equals each tenant's best response against zero prices, whatever the others posted", async () => {
    for (const tau of [2, 1.5, 3]) {
      const m = randomMarket({ M: 3, N: 15, seed: 21, tau, budgetPerDevice: 0.4 });
      const policy = singleTenantPolicy();
      expect(policy.aggregation).toBe("unbiased");
      const last = tau === 2 ? solveStackelberg(m).prices : new Float64Array(m.M * m.N).fill(1);
      for (let i = 0; i < m.M; i++) {
        const expected = Array.from(tenantBestResponse(m, new Float64Array(m.M * m.N), i).prices);
        expect(Array.from(await policy.price(marketObservation(m), i))).toEqual(expected);
        expect(
          Array.from(await policy.price(marketObservation(m, { step: 1, lastPrices: last }), i)),
        ).toEqual(expected);
      }
    }
  });

  it("takes the aggregation option", () => {
    expect(singleTenantPolicy({ aggregation: "fedavg" }).aggregation).toBe("fedavg");
  });
});
