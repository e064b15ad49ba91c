import { describe, expect, it } from "vitest";
import { expectedSpend, guardCounters, largestFactorWithin, scaleToBudget } from "./budgetScale.ts";
import { createMarket } from "./instance.ts";
import { solveStackelberg } from "./stackelberg.ts";
import { randomMarket } from "./testMarkets.ts";

const eligibleShape = (value: Float64Array, N: number, row: number) =>
  Float64Array.from({ length: N }, (_, j) => (value[row * N + j] > 0 ? 1 : 0));

describe("scaleToBudget", () => {
  it("matches hand-computed prices on one device, capped and uncapped", () => {
    // alone, c = 1, tau = 2: q = P/2, spend P^2/2 = B => P = sqrt(2B) while P <= 2; beyond, q = 1, P = B
    const alone = (B: number) =>
      scaleToBudget(createMarket({ budget: [B], cost: [[1]], value: [[1]] }), 0, [1], null);
    expect(alone(0.5).prices[0]).toBeCloseTo(1, 14);
    expect(alone(0.5).participation[0]).toBeCloseTo(0.5, 14);
    expect(alone(5).prices[0]).toBeCloseTo(5, 12);
    expect(alone(5).participation[0]).toBe(1);
    // against a competitor posting 2 (c = 1 each): mu = P/2, q = P/4, spend P^2/4 = 1 => P = 2, q = 1/2
    const m = createMarket({ budget: [1, 1], cost: [[1], [1]], value: [[1], [1]] });
    const r = scaleToBudget(m, 0, [1], Float64Array.of(123, 2));
    expect(r.prices[0]).toBeCloseTo(2, 13);
    expect(r.participation[0]).toBeCloseTo(0.5, 13);
  });

  it("finds the largest feasible factor: spend within 1e-9 of B_i, and any larger factor overspends", () => {
    for (const seed of [1, 2, 3]) {
      const m = randomMarket({ M: 3, N: 30, seed, budgetPerDevice: 0.5 });
      const others = solveStackelberg(m).prices; // congested devices, so the others' prices matter
      for (let i = 0; i < m.M; i++) {
        const shape = Float64Array.from({ length: m.N }, (_, j) =>
          m.value[i * m.N + j] > 0 ? 1 + (j % 5) : 0,
        );
        const r = scaleToBudget(m, i, shape, others);
        const check = expectedSpend(m, i, r.prices, others);
        expect(check.spend).toBeLessThanOrEqual(m.budget[i]);
        expect(m.budget[i] - check.spend).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(check.spend - r.spend)).toBeLessThanOrEqual(1e-12 * m.budget[i]);
        expect(Array.from(check.participation)).toEqual(Array.from(r.participation));
        const bigger = r.prices.map((p) => p * (1 + 1e-9));
        expect(expectedSpend(m, i, bigger, others).spend).toBeGreaterThan(m.budget[i]);
        for (let j = 0; j < m.N; j++) {
          if (m.value[i * m.N + j] === 0) expect(r.prices[j]).toBe(0);
          else expect(r.prices[j]).toBeCloseTo(r.scale * shape[j], 12);
        }
      }
    }
  });

  it("depends on the shape only up to a factor, and treats null others as zero prices", () => {
    const m = randomMarket({ M: 2, N: 20, seed: 9 });
    const shape = eligibleShape(m.value, m.N, 1);
    const a = scaleToBudget(m, 1, shape, null);
    const b = scaleToBudget(
      m,
      1,
      shape.map((x) => 7 * x),
      new Float64Array(m.M * m.N),
    );
    for (let j = 0; j < m.N; j++) expect(b.prices[j]).toBeCloseTo(a.prices[j], 12);
    expect(b.scale * 7).toBeCloseTo(a.scale, 12);
  });

  it("posts nothing for a shape with no positive eligible entry, and rejects bad input", () => {
    const m = randomMarket({ M: 2, N: 10, seed: 4 });
    const r = scaleToBudget(m, 0, new Float64Array(m.N), null);
    expect(r.scale).toBe(0);
    expect(r.spend).toBe(0);
    expect(Array.from(r.prices).every((p) => p === 0)).toBe(true);
    expect(() => scaleToBudget(m, 0, new Float64Array(3), null)).toThrow(/shape has length 3/);
    expect(() => scaleToBudget(m, 2, new Float64Array(m.N), null)).toThrow(/row 2 out of range/);
    expect(() => scaleToBudget(m, 0, new Float64Array(m.N).fill(-1), null)).toThrow(/shape\[0\]/);
    expect(() => scaleToBudget(m, 0, new Float64Array(m.N), new Float64Array(5))).toThrow(/expected M\*N/);
  });
});

describe("largestFactorWithin", () => {
  it("finds the root of a power law in a few evaluations, stops at the cap, and handles spend 0", () => {
    let calls = 0;
    const spend = (s: number) => {
      calls++;
      return s ** 3;
    };
    const s = largestFactorWithin(spend, 8, 0.3);
    expect(s ** 3).toBeLessThanOrEqual(8);
    expect(8 - s ** 3).toBeLessThanOrEqual(1e-13 * 8);
    expect(calls).toBeLessThan(15); // bisection from [1.2, 2.4] to 1e-14 takes about 45
    expect(largestFactorWithin(spend, 8, 0.3, 1.5)).toBe(1.5);
    expect(largestFactorWithin(spend, 8, 0.3, 3)).toBeCloseTo(2, 13);
    expect(largestFactorWithin(() => 0, 1, 0.5, 1)).toBe(1);
    expect(largestFactorWithin(spend, 0, 0.5)).toBe(0);
    // a tenant priced out below a threshold (spend 0 there), capped far above it: still the root
    const step = (x: number) => (x < 1e-3 ? 0 : x * 1e6);
    const r = largestFactorWithin(step, 5e3, 1e-9, 1);
    expect(step(r)).toBeLessThanOrEqual(5e3);
    expect(step(r)).toBeGreaterThan(5e3 * (1 - 1e-13));
  });

  it("counts spend evaluations for the benchmarks", () => {
    const m = createMarket({ budget: [1], cost: [[1]], value: [[1]] });
    const before = guardCounters.spendEvaluations;
    scaleToBudget(m, 0, [1], null);
    expect(guardCounters.spendEvaluations).toBeGreaterThan(before);
  });
});
