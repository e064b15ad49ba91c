import { describe, expect, it } from "vitest";
import { InputError } from "./errors.ts";
import { fromArrays, type MarketInstance } from "./instance.ts";
import { marketScale, normalise } from "./scale.ts";
import { solveStackelberg } from "./stackelberg.ts";
import { randomMarket } from "./testMarkets.ts";

/** Numbers at the edges (issue 11): the game is scale-invariant, and the solver works in normalised units. */
describe("solving in normalised units", () => {
  const base = randomMarket({ M: 3, N: 8, seed: 3, budgetPerDevice: 0.5 });
  const scaled = (m: MarketInstance, credits: number, value: number, budget = credits) =>
    fromArrays({
      ...m,
      cost: m.cost.map((c) => c * credits),
      value: m.value.map((w) => w * value),
      budget: m.budget.map((b) => b * budget),
    });
  const ref = solveStackelberg(base);

  it("normalised markets have costs and values near 1, by exact powers of two", () => {
    const s = marketScale(scaled(base, 1e300, 1e-300));
    expect(Number.isInteger(Math.log2(s.credits))).toBe(true);
    const n = normalise(scaled(base, 1e300, 1e-300), s);
    const mean = (a: Float64Array) => Math.exp(a.reduce((x, y) => x + Math.log(y), 0) / a.length);
    expect(mean(n.cost)).toBeGreaterThan(0.5);
    expect(mean(n.cost)).toBeLessThan(2);
  });

  it.each([
    [1e300, 1],
    [1e-300, 1],
    [1, 1e300],
    [1, 1e-300],
    [1e300, 1e-300],
    [1e-300, 1e300],
    [2 ** 1000, 1],
  ])("costs and budgets x %s, values x %s: the same participation, prices scaled", (credits, value) => {
    const r = solveStackelberg(scaled(base, credits, value));
    expect(r.converged).toBe(true);
    for (let k = 0; k < ref.participation.length; k++) {
      expect(Math.abs(r.participation[k] - ref.participation[k])).toBeLessThan(1e-12);
      if (ref.prices[k] > 0) expect(r.prices[k] / (ref.prices[k] * credits)).toBeCloseTo(1, 10);
    }
    for (let i = 0; i < base.M; i++) {
      expect(r.objective[i] / (ref.objective[i] * value)).toBeCloseTo(1, 10);
      expect(r.spend[i]).toBeLessThanOrEqual(base.budget[i] * credits);
    }
  });

  it("costs near the largest double: a finite answer, or a named input error where prices exceed it", () => {
    const r = solveStackelberg(scaled(base, 1e308 / Math.max(...base.cost), 1));
    expect(r.converged).toBe(true);
    expect(r.prices.every(Number.isFinite)).toBe(true);
    // alone on one device: spend 2 c q^2 = B gives q = 0.92 and P = 2 c q = 1.84e308 > 1.8e308
    const m = fromArrays({
      M: 1,
      N: 1,
      tau: 2,
      cost: Float64Array.of(1e308),
      value: Float64Array.of(1),
      budget: Float64Array.of(1.7e308),
    });
    expect(() => solveStackelberg(m)).toThrow(InputError);
    expect(() => solveStackelberg(m)).toThrow(/cost: too large: the equilibrium's prices\[0\] is Infinity/);
  });

  it("budgets tiny against costs (1e-100): converged, participation tiny but positive", () => {
    const r = solveStackelberg(scaled(base, 1, 1, 1e-100));
    expect(r.converged).toBe(true);
    for (let k = 0; k < r.participation.length; k++)
      if (base.value[k] > 0) expect(r.participation[k]).toBeGreaterThan(0);
  });

  it("budgets huge against costs (1e20): not converged, finite prices and a note naming double precision", () => {
    const r = solveStackelberg(scaled(base, 1, 1, 1e20), { maxSweeps: 5 });
    expect(r.converged).toBe(false);
    expect(r.prices.every(Number.isFinite)).toBe(true);
    expect(r.note).toMatch(/^beyond double precision: at device \d+ /);
  });
});
