import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMarket } from "./instance.ts";
import { nashConv, solveStackelberg } from "./stackelberg.ts";
import { waterFill } from "./waterFill.ts";

/** Known answers from an independent reference implementation (market/golden/README.md). */
const load = (name: string, kind: string) =>
  JSON.parse(readFileSync(new URL(`./golden/${name}.${kind}.json`, import.meta.url), "utf8"));

describe.each(["two-tenants", "congested", "tau-1.5"])("golden market %s", (name) => {
  const market = createMarket(load(name, "market"));
  const ref = load(name, "solution") as { prices: number[][]; participation: number[][]; spend: number[] };
  const refPrices = Float64Array.from(ref.prices.flat());

  it("the reference prices pass our NashConv test (our best response agrees with theirs)", () => {
    for (const v of nashConv(market, refPrices)) expect(v).toBeLessThanOrEqual(1e-6);
    // and the reference participation is the water-filling response to its prices
    const q = waterFill(market, refPrices).participation;
    ref.participation.flat().forEach((x, k) => {
      expect(Math.abs(q[k] - x)).toBeLessThan(1e-6);
    });
  });

  it("our equilibrium passes the same test and spends the same budgets", () => {
    const r = solveStackelberg(market, { tol: 1e-10 });
    expect(r.converged).toBe(true);
    for (let i = 0; i < market.M; i++) {
      expect(r.spend[i]).toBeLessThanOrEqual(market.budget[i]);
      expect(Math.abs(r.spend[i] - ref.spend[i]) / ref.spend[i]).toBeLessThan(1e-6);
    }
  });

  it("has a kink device (at capacity, mu = 0), which is why participation is not unique", () => {
    const r = solveStackelberg(market, { tol: 1e-10 });
    let kinks = 0;
    for (let j = 0; j < market.N; j++) {
      let s = 0;
      for (let i = 0; i < market.M; i++) s += r.participation[i * market.N + j];
      if (r.congestion[j] === 0 && Math.abs(s - 1) < 1e-9) kinks++;
    }
    expect(kinks).toBeGreaterThan(0);
  });
});
