import { describe, expect, it } from "vitest";
import { createMarket } from "./instance.ts";
import { nashConv, solveStackelberg } from "./stackelberg.ts";
import { randomMarket } from "./testMarkets.ts";
import { waterFill } from "./waterFill.ts";

describe("solveStackelberg", () => {
  it("solves two symmetric tenants on one device by hand: congested (b = 1) and not (b = 0.2)", () => {
    // Congested: q = 1/2 each, spend q P = b => P = 2b, mu = P - 2c q = 2b - 1.
    const hot = solveStackelberg(createMarket({ budget: [1, 1], cost: [[1], [1]], value: [[1], [1]] }));
    expect(hot.converged).toBe(true);
    expect(hot.prices[0]).toBeCloseTo(2, 9);
    expect(hot.participation[0]).toBeCloseTo(0.5, 9);
    expect(hot.congestion[0]).toBeCloseTo(1, 9);
    // Uncongested: each alone, spend 2 q^2 = b => q = sqrt(b / 2), P = 2q.
    const cold = solveStackelberg(createMarket({ budget: [0.2, 0.2], cost: [[1], [1]], value: [[1], [1]] }));
    expect(cold.participation[0]).toBeCloseTo(Math.sqrt(0.1), 9);
    expect(cold.prices[1]).toBeCloseTo(2 * Math.sqrt(0.1), 9);
    expect(cold.congestion[0]).toBe(0);
  });

  it("returns a point where every tenant is best-responding, within budget, with water-filling devices", () => {
    for (const [M, N, b] of [
      [2, 5, 0.3],
      [4, 40, 0.6],
      [3, 25, 0.05],
    ] as const) {
      const m = randomMarket({ M, N, seed: M * 100 + N, budgetPerDevice: b });
      const r = solveStackelberg(m);
      expect(r.converged).toBe(true);
      for (const v of r.nashConv) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1e-6);
      }
      const wf = waterFill(m, r.prices);
      for (let k = 0; k < M * N; k++)
        expect(Math.abs(wf.participation[k] - r.participation[k])).toBeLessThanOrEqual(1e-9);
      for (let i = 0; i < M; i++) expect(r.spend[i]).toBeLessThanOrEqual(m.budget[i]);
      // independent NashConv evaluation agrees
      const nc = nashConv(m, r.prices);
      for (const v of nc) expect(v).toBeLessThanOrEqual(1e-6);
    }
  });

  it("congests devices on the test markets (so the game is really played)", () => {
    const r = solveStackelberg(randomMarket({ M: 4, N: 40, seed: 440, budgetPerDevice: 0.6 }));
    expect(r.congestion.filter((x) => x > 0).length).toBeGreaterThan(5);
  });

  it("multiplier Newton and best-response sweeps both reach equilibria; they differ only through kink devices", () => {
    // A device at capacity with mu = 0 is a kink of every tenant's payment curve: each tenant's
    // first-order condition holds as an inclusion, so a continuum of splits are equilibria there, and
    // the budgets then shift every other device a little. Both points below are exact equilibria.
    const m = randomMarket({ M: 3, N: 30, seed: 11, budgetPerDevice: 0.3 });
    const a = solveStackelberg(m, { tol: 1e-12 });
    const b = solveStackelberg(m, { method: "sweeps", tol: 1e-12, maxSweeps: 5000 });
    expect(a.method).toBe("multipliers");
    expect(b.method).toBe("sweeps");
    expect(a.converged && b.converged).toBe(true);
    const kink = (r: typeof a, j: number, mk = m) => {
      let s = 0;
      for (let i = 0; i < mk.M; i++) s += r.participation[i * mk.N + j];
      return r.congestion[j] === 0 && Math.abs(s - 1) < 1e-9;
    };
    let kinks = 0;
    let largest = 0;
    let largestAtKink = false;
    for (let j = 0; j < m.N; j++) {
      if (kink(a, j)) kinks++;
      for (let i = 0; i < m.M; i++) {
        const d = Math.abs(a.participation[i * m.N + j] - b.participation[i * m.N + j]);
        if (d > largest) {
          largest = d;
          largestAtKink = kink(a, j) || kink(b, j);
        }
      }
    }
    expect(kinks).toBeGreaterThan(0);
    expect(largestAtKink).toBe(true);
    // with no kink device, the two methods agree
    const m2 = randomMarket({ M: 3, N: 20, seed: 4, budgetPerDevice: 0.05 });
    const c = solveStackelberg(m2, { tol: 1e-12 });
    const d = solveStackelberg(m2, { method: "sweeps", tol: 1e-12, maxSweeps: 5000 });
    for (let j = 0; j < m2.N; j++) expect(kink(c, j, m2)).toBe(false);
    for (let k = 0; k < c.participation.length; k++)
      expect(d.participation[k]).toBeCloseTo(c.participation[k], 6);
  });

  it("converges by the multiplier solve for every tau, exact for tau <= 2 and with the duality gap for tau > 2", () => {
    for (const tau of [1.05, 1.3, 1.6, 1.8, 2]) {
      const m = randomMarket({ M: 3, N: 12, seed: 5, tau, budgetPerDevice: 2 });
      const r = solveStackelberg(m);
      expect(r.method).toBe("multipliers");
      expect(r.converged).toBe(true);
      expect(r.exact).toBe(true);
      expect(r.congestion.some((mu) => mu > 0)).toBe(true);
    }
    const m3 = randomMarket({ M: 2, N: 4, seed: 5, tau: 2.5, budgetPerDevice: 0.3 });
    const r3 = solveStackelberg(m3, { tol: 1e-5 });
    expect(r3.exact).toBe(false);
    expect(r3.converged).toBe(true);
    expect(r3.dualityGap).toBeGreaterThanOrEqual(0);
  });

  it("the sweeps still converge for tau != 2 (the fallback)", () => {
    const m = randomMarket({ M: 2, N: 6, seed: 5, tau: 1.6, budgetPerDevice: 0.3 });
    const r = solveStackelberg(m, { method: "sweeps" });
    expect(r.method).toBe("sweeps");
    expect(r.converged).toBe(true);
  });

  it("stops when shouldStop says so, with the best point and its NashConv", () => {
    const m = randomMarket({ M: 4, N: 40, seed: 9, budgetPerDevice: 0.6, tau: 1.5 });
    const r = solveStackelberg(m, { method: "sweeps", shouldStop: () => true });
    expect(r.stopped).toBe(true);
    expect(r.converged).toBe(false);
    expect(r.nashConv.every((x) => x >= 0)).toBe(true);
  });

  it("reports non-convergence honestly when the sweep budget is too small", () => {
    const m = randomMarket({ M: 4, N: 40, seed: 9, budgetPerDevice: 0.6 });
    const r = solveStackelberg(m, { method: "sweeps", maxSweeps: 1 });
    expect(r.converged).toBe(false);
    expect(Math.max(...r.nashConv)).toBeGreaterThan(1e-6);
    expect(r.iterations).toBe(1);
  });
});
