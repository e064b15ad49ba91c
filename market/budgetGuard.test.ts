import { describe, expect, it } from "vitest";
import { enforceBudgets } from "./budgetGuard.ts";
import { createMarket } from "./instance.ts";
import { randomMarket } from "./testMarkets.ts";

describe("enforceBudgets", () => {
  it("scales one tenant by the largest factor that meets its budget (by hand)", () => {
    // c = 1: q = P/2 up to 1, spend = P^2/2 for P <= 2; B = 0.5 => P = 1, so 4 is scaled by 1/4
    const m = createMarket({ budget: [0.5], cost: [[1]], value: [[1]] });
    const g = enforceBudgets(m, Float64Array.from([4]));
    expect(g.prices[0]).toBeCloseTo(1, 8);
    expect(g.scale[0]).toBeCloseTo(0.25, 8);
    expect(g.spend[0]).toBeLessThanOrEqual(0.5);
    expect(g.withinBudget).toBe(true);
  });

  it("leaves tenants within budget untouched", () => {
    const m = createMarket({ budget: [10, 10], cost: [[1], [1]], value: [[1], [1]] });
    const g = enforceBudgets(m, Float64Array.from([1, 2]));
    expect(Array.from(g.scale)).toEqual([1, 1]);
    expect(Array.from(g.prices)).toEqual([1, 2]);
  });

  it("ends rivals bidding far above their budgets on a shared device at their budgets (issue 13)", () => {
    // c = 1, one device, both posting p: at the fixed point q1 = (P1 - P2 + 2)/4 and both spend
    // their budgets, whatever p (the earlier guard left tenant 0 at 1.54 of 1.81 from p = 1e6)
    const m = createMarket({ budget: [1.81, 1.54], cost: [[1], [1]], value: [[1], [1]] });
    for (const p of [10, 1e3, 1e6, 1e12, 1e300]) {
      const g = enforceBudgets(m, Float64Array.from([p, p]));
      expect(g.withinBudget).toBe(true);
      const [P1, P2] = g.prices;
      const q1 = (P1 - P2 + 2) / 4;
      expect(P1 * q1).toBeCloseTo(1.81, 10);
      expect(P2 * (1 - q1)).toBeCloseTo(1.54, 10);
      for (const i of [0, 1]) {
        expect(g.spend[i]).toBeLessThanOrEqual(m.budget[i]);
        expect(g.spend[i]).toBeGreaterThan(m.budget[i] * (1 - 1e-12));
      }
      expect(g.sweeps).toBeLessThan(20);
    }
  });

  it("leaves no tenant at spend 0 among three rivals, and keeps a tenant within budget at its prices", () => {
    // three tenants on two shared devices; tenant 2 posts a modest price within its budget alone
    const m = createMarket({
      budget: [1.81, 1.54, 5],
      cost: [
        [1, 1],
        [1, 2],
        [1, 1],
      ],
      value: [
        [1, 1],
        [1, 1],
        [1, 0],
      ],
    });
    for (const p of [1e3, 1e6]) {
      const g = enforceBudgets(m, Float64Array.from([p, p, p, p, 0.5, 0]));
      expect(g.withinBudget).toBe(true);
      expect(g.scale[2]).toBe(1);
      for (const i of [0, 1]) expect(g.spend[i]).toBeGreaterThan(m.budget[i] * (1 - 1e-12));
    }
  });

  it("scales prices of 1e300 down like any other (issue 11: they used to get spend 0)", () => {
    const alone = enforceBudgets(
      createMarket({ budget: [0.5], cost: [[1, 2]], value: [[1, 1]] }),
      Float64Array.from([1e300, 1e300]),
    );
    expect(alone.spend[0]).toBeLessThanOrEqual(0.5);
    expect(alone.spend[0]).toBeGreaterThan(0.5 * (1 - 1e-6));
    for (const seed of [1, 2]) {
      const m = randomMarket({ M: 3, N: 12, seed });
      const g = enforceBudgets(m, new Float64Array(m.M * m.N).fill(1e300));
      expect(g.withinBudget).toBe(true);
      for (let i = 0; i < m.M; i++) {
        expect(g.spend[i]).toBeLessThanOrEqual(m.budget[i]);
        expect(g.spend[i]).toBeGreaterThan(0);
      }
    }
  });
});
