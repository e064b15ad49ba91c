import { describe, expect, it } from "vitest";
import { createMarket } from "./instance.ts";
import { congestionPrice, deviceWaterFill, waterFill } from "./waterFill.ts";

const fill = (p: number[], c: number[], tau = 2) => {
  const q = new Float64Array(p.length);
  const mu = deviceWaterFill(p, c, tau, p.length, q);
  return { q: Array.from(q), mu };
};

describe("deviceWaterFill", () => {
  it("leaves an uncongested device at mu = 0 with q = P / (2c)", () => {
    const { q, mu } = fill([0.5, 0.5], [1, 1]);
    expect(mu).toBe(0);
    expect(q).toEqual([0.25, 0.25]);
  });

  it("shares a congested device: equal prices split it evenly at mu = P - c", () => {
    // q = (2 - mu)/2 each, sum 1 => mu = 1
    const { q, mu } = fill([2, 2], [1, 1]);
    expect(mu).toBeCloseTo(1, 14);
    expect(q[0]).toBeCloseTo(0.5, 14);
    expect(q[1]).toBeCloseTo(0.5, 14);
  });

  it("drops a tenant whose price is at or below the congestion price", () => {
    // the top tenant alone: (3 - mu)/2 = 1 => mu = 1 = the other's price, so it gets nothing
    const { q, mu } = fill([3, 1], [1, 1]);
    expect(mu).toBeCloseTo(1, 14);
    expect(q[0]).toBeCloseTo(1, 14);
    expect(q[1]).toBe(0);
  });

  it("keeps its precision at prices far above the costs (headroom, not p - mu)", () => {
    // the answer depends on the price differences and the costs only: (P + 1, P) on c = (1, 1)
    // gives q = (P + 1 - mu)/2 + (P - mu)/2 = 1 => mu = P - 1/2, q = (3/4, 1/4) for every P
    for (const P of [1e3, 1e12]) {
      const { q, mu } = fill([P + 1, P], [1, 1]);
      expect(q[0]).toBeCloseTo(0.75, 9);
      expect(q[1]).toBeCloseTo(0.25, 9);
      expect(mu).toBeCloseTo(P - 0.5, 3);
    }
    // one tenant alone at 1e300 on c = 1: the device is all its (q = 1), never 0
    for (const tau of [2, 3]) expect(fill([1e300], [1], tau).q[0]).toBeCloseTo(1, 12);
    expect(fill([1e300, 1e300], [1, 3]).q).toEqual([0.75, 0.25]);
  });

  it("uses the exponent 1/(tau-1) for tau != 2", () => {
    // tau = 3: q = sqrt((p - mu) / (3c)); p = 12, c = 1 gives 2 at mu = 0, so mu = 9
    const { q, mu } = fill([12], [1], 3);
    expect(mu).toBeCloseTo(9, 10);
    expect(q[0]).toBeCloseTo(1, 10);
    expect(fill([3], [1], 3).mu).toBe(0);
  });

  it("congestionPrice fills a smaller capacity", () => {
    // (2 - mu)/2 + (2 - mu)/2 = 0.5 => mu = 1.5
    expect(congestionPrice([2, 2], [1, 1], 2, 2, 0.5)).toBeCloseTo(1.5, 14);
    expect(congestionPrice([2, 2], [1, 1], 2, 2, 0)).toBeCloseTo(2, 14);
  });
});

describe("waterFill", () => {
  it("ignores prices on ineligible pairs and never exceeds capacity", () => {
    const m = createMarket({
      tau: 2,
      budget: [1, 1],
      cost: [
        [1, 1],
        [1, 1],
      ],
      value: [
        [1, 0],
        [1, 1],
      ],
    });
    const prices = Float64Array.from([2, 5, 2, 0.4]);
    const r = waterFill(m, prices);
    expect(Array.from(r.participation)).toEqual([0.5, 0, 0.5, 0.2]);
    expect(r.congestion[0]).toBeCloseTo(1, 14);
    expect(r.congestion[1]).toBe(0);
  });

  it("rejects a price vector of the wrong length", () => {
    const m = createMarket({ budget: [1], cost: [[1]], value: [[1]] });
    expect(() => waterFill(m, new Float64Array(2))).toThrow(/length 2/);
  });
});
