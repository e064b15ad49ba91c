import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { waterFill } from "../market/waterFill.ts";
import { bestResponseDevicePolicy } from "./bestResponseDevice.ts";
import { deviceIndices, deviceObservation, feasibilityViolations } from "./testObservation.ts";

describe("best-response devices", () => {
  it("matches waterFill exactly, congested devices included, for any tau", async () => {
    for (const tau of [2, 1.5, 3]) {
      const m = randomMarket({ M: 4, N: 30, seed: 31, tau, budgetPerDevice: 0.6 });
      const prices =
        tau === 2 ? solveStackelberg(m).prices : Float64Array.from(m.cost, (c, k) => 3 * c * (1 + (k % 3)));
      const wf = waterFill(m, prices);
      expect(wf.congestion.some((mu) => mu > 0)).toBe(true);
      const q = await bestResponseDevicePolicy().respond(deviceObservation(m, prices), deviceIndices(m.N));
      expect(Array.from(q)).toEqual(Array.from(wf.participation));
      expect(feasibilityViolations(m, q)).toEqual([]);
    }
  });

  it("answers only for the devices it controls", async () => {
    const m = randomMarket({ M: 3, N: 20, seed: 2, budgetPerDevice: 0.6 });
    const prices = solveStackelberg(m).prices;
    const wf = waterFill(m, prices).participation;
    const mine = [3, 0, 17];
    const q = await bestResponseDevicePolicy().respond(
      deviceObservation(m, prices),
      deviceIndices(m.N, mine),
    );
    for (let i = 0; i < m.M; i++)
      for (let j = 0; j < m.N; j++) expect(q[i * m.N + j]).toBe(mine.includes(j) ? wf[i * m.N + j] : 0);
  });

  it("rejects mismatched inputs and options", () => {
    const m = randomMarket({ M: 2, N: 5, seed: 1 });
    const p = bestResponseDevicePolicy();
    expect(() => p.respond(deviceObservation(m, new Float64Array(3)), deviceIndices(5))).toThrow(/prices/);
    expect(() => p.respond(deviceObservation(m, new Float64Array(10)), Int32Array.of(5))).toThrow(
      /device index 5/,
    );
    expect(() => bestResponseDevicePolicy({ greedy: true })).toThrow(/takes: none/);
  });
});
