import { describe, expect, it } from "vitest";
import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { randomDevicePolicy } from "./randomDevice.ts";
import { deviceIndices, deviceObservation, feasibilityViolations, policyContext } from "./testObservation.ts";
import type { DeviceObservation } from "./types.ts";

const m = randomMarket({ M: 4, N: 40, seed: 51, budgetPerDevice: 0.6 });
const prices = solveStackelberg(m).prices;

async function respond(seed: number, obs: DeviceObservation, devices = deviceIndices(m.N), options = {}) {
  const p = randomDevicePolicy(options);
  p.reset?.(policyContext(seed, "random-device"));
  return Array.from(await p.respond(obs, devices));
}

describe("random devices", () => {
  it("returns feasible q: >= 0, at most 1 per device, 0 on ineligible and unpriced pairs", async () => {
    const priced = prices.map((p, k) => (k % 7 === 0 ? 0 : p));
    for (const seed of [1, 2, 3]) {
      for (const alpha of [0.05, 1, 20]) {
        const q = Float64Array.from(await respond(seed, deviceObservation(m, priced), undefined, { alpha }));
        expect(feasibilityViolations(m, q)).toEqual([]);
        for (let k = 0; k < q.length; k++) if (priced[k] === 0) expect(q[k]).toBe(0);
        expect(q.some((x) => x > 0)).toBe(true);
      }
    }
    // pricedOnly: false also serves unpaid eligible tenants
    const q = await respond(1, deviceObservation(m, new Float64Array(m.M * m.N)), undefined, {
      pricedOnly: false,
    });
    expect(feasibilityViolations(m, Float64Array.from(q))).toEqual([]);
    expect(q.some((x) => x > 0)).toBe(true);
    expect(await respond(1, deviceObservation(m, new Float64Array(m.M * m.N)))).toEqual(
      new Array(m.M * m.N).fill(0),
    );
  });

  it("is reproducible from the seed, differs across seeds and steps", async () => {
    const obs = deviceObservation(m, prices, 3);
    const a = await respond(7, obs);
    expect(await respond(7, obs)).toEqual(a);
    expect(await respond(8, obs)).not.toEqual(a);
    expect(await respond(7, deviceObservation(m, prices, 4))).not.toEqual(a);
  });

  it("gives a device the same q whichever other devices the instance controls", async () => {
    const obs = deviceObservation(m, prices, 1);
    const all = await respond(11, obs);
    const some = await respond(11, obs, deviceIndices(m.N, [5, 30, 2]));
    for (let k = 0; k < all.length; k++) expect(some[k]).toBe([5, 30, 2].includes(k % m.N) ? all[k] : 0);
  });

  it("needs its random stream and valid options", () => {
    expect(() => randomDevicePolicy().respond(deviceObservation(m, prices), deviceIndices(m.N))).toThrow(
      /call reset\(ctx\)/,
    );
    expect(() => randomDevicePolicy({ alpha: 0 })).toThrow(/options\.alpha/);
  });
});
