import { describe, expect, it } from "vitest";
import { createMarket } from "../market/instance.ts";
import { solveStackelberg } from "../market/stackelberg.ts";
import { solveJson, solveText } from "./solveReport.ts";

const market = createMarket({
  tau: 2,
  budget: [1.3, 0.7],
  cost: [
    [0.5, 1.1, 0.9],
    [0.8, 0.4, 1.7],
  ],
  value: [
    [1.2, 0.3, 2.5],
    [0.9, 1.4, 0],
  ],
});
const result = solveStackelberg(market);

describe("solveJson", () => {
  it("writes every double so that it reads back to the same double", () => {
    const back = JSON.parse(JSON.stringify(solveJson(market, result)));
    const same = (a: ArrayLike<number>, b: unknown[]) =>
      expect(b.every((x, k) => Object.is(x, a[k] === 0 ? 0 : a[k]))).toBe(true);
    same(result.prices, back.prices.flat());
    same(result.participation, back.participation.flat());
    same(result.congestion, back.congestion);
    same(result.spend, back.spend);
    same(result.objective, back.objective);
    same(result.nashConv, back.nashConv);
    expect(back.dualityGap).toBe(result.dualityGap);
    expect(back.warnings).toEqual([]);
  });

  it("writes a non-finite number as null and says which entry in warnings", () => {
    const broken = {
      ...result,
      objective: Float64Array.of(Number.POSITIVE_INFINITY, 2),
      dualityGap: Number.NaN,
    };
    const out = solveJson(market, broken);
    expect(out.objective).toEqual([null, 2]);
    expect(out.dualityGap).toBeNull();
    expect(out.warnings).toHaveLength(2);
    expect(out.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^objective\[0\] is Infinity \(an eligible device has zero participation\)/),
        expect.stringMatching(/^dualityGap is NaN/),
      ]),
    );
    // nothing left that JSON cannot hold
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });
});

describe("solveText", () => {
  it("has a row per tenant and the convergence verdict", () => {
    const text = solveText("m.json", market, result);
    expect(text).toContain("Stackelberg equilibrium of m.json: 2 tenants x 3 devices, tau = 2");
    expect(text).toMatch(/^converged: /m);
    expect(text).toMatch(/^1\s+0\.7\s.*\s2 of 2$/m);
    expect(solveText("m.json", market, { ...result, converged: false })).toMatch(/^NOT converged: /m);
  });
});
