import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { budgetScaledPrices, scaleToBudget } from "./budgetScale.ts";
import { marketObservation } from "./testObservation.ts";

const eligibleShape = (value: Float64Array, N: number, row: number) =>
  Float64Array.from({ length: N }, (_, j) => (value[row * N + j] > 0 ? 1 : 0));

describe("budgetScaledPrices", () => {
  it("budgetScaledPrices uses the observation's last prices and the tenant's budget", () => {
    const m = randomMarket({ M: 3, N: 15, seed: 5, budgetPerDevice: 0.6 });
    const last = solveStackelberg(m).prices;
    const shape = eligibleShape(m.value, m.N, 2);
    expect(budgetScaledPrices(marketObservation(m, { lastPrices: last }), 2, shape)).toEqual(
      scaleToBudget(m, 2, shape, last).prices,
    );
    expect(budgetScaledPrices(marketObservation(m), 2, shape)).toEqual(
      scaleToBudget(m, 2, shape, null).prices,
    );
  });
});
