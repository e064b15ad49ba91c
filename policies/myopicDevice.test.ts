import { describe, expect, it } from "vitest";
import { createMarket } from "../market/instance.ts";
import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { myopicDevicePolicy } from "./myopicDevice.ts";
import { deviceIndices, deviceObservation, feasibilityViolations } from "./testObservation.ts";

describe("myopic devices", () => {
  it("serves only the best P/c tenant, at its single-tenant optimum min(1, (P/(tau c))^(1/(tau-1)))", async () => {
    for (const tau of [2, 1.5, 3]) {
      const m = randomMarket({ M: 4, N: 30, seed: 41, tau, budgetPerDevice: 0.6 });
      const { M, N } = m;
      const prices =
        tau === 2 ? solveStackelberg(m).prices : Float64Array.from(m.cost, (c, k) => c * (0.5 + (k % 4)));
      const q = await myopicDevicePolicy().respond(deviceObservation(m, prices), deviceIndices(N));
      expect(feasibilityViolations(m, q)).toEqual([]);
      for (let j = 0; j < N; j++) {
        const offers = [...Array(M).keys()].filter((i) => m.value[i * N + j] > 0 && prices[i * N + j] > 0);
        const served = [...Array(M).keys()].filter((i) => q[i * N + j] > 0);
        if (offers.length === 0) {
          expect(served).toEqual([]);
          continue;
        }
        const ratio = (i: number) => prices[i * N + j] / m.cost[i * N + j];
        const best = offers.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
        expect(served).toEqual([best]);
        const k = best * N + j;
        expect(q[k]).toBe(Math.min(1, (prices[k] / (tau * m.cost[k])) ** (1 / (tau - 1))));
      }
    }
  });

  it("works for one tenant by hand, and caps at full capacity", async () => {
    const m = createMarket({
      budget: [1, 1],
      cost: [
        [1, 1],
        [2, 1],
      ],
      value: [
        [1, 1],
        [1, 0],
      ],
    });
    // device 0: P/c = 1 vs 3/2 -> tenant 1, q = 3/4; device 1: tenant 1 ineligible -> tenant 0, q = min(1, 5/2)
    const q = await myopicDevicePolicy().respond(
      deviceObservation(m, Float64Array.of(1, 5, 3, 100)),
      deviceIndices(2),
    );
    expect(Array.from(q)).toEqual([0, 1, 0.75, 0]);
  });
});
