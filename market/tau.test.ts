import { describe, expect, it } from "vitest";
import { presetScenario } from "../env/presets.ts";
import { validateScenario } from "../env/scenario.ts";
import { fromArrays, validateMarketInput } from "./instance.ts";
import { TAU_MAX, TAU_MIN, tauProblem } from "./tau.ts";

/** One range of tau, one message, for market files (`solve`) and scenario files (issue 11). */
describe("the tau range", () => {
  const market = (tau: number) => ({ tau, budget: [1], cost: [[1]], value: [[1]] });
  const scenarioIssue = (tau: number) => {
    const r = validateScenario({ ...presetScenario("tiny"), tau });
    return r.ok ? undefined : r.issues.find((x) => x.path === "tau")?.message;
  };
  const marketIssue = (tau: number) =>
    validateMarketInput(market(tau)).find((x) => x.path === "tau")?.message;

  it.each([1, 1 + 1e-10, 1.009, 10.5, 1e6, Number.POSITIVE_INFINITY])(
    "refuses tau = %s with the same message in both",
    (tau) => {
      const msg = tauProblem(tau);
      expect(msg).toBe(`must be a number in [${TAU_MIN}, ${TAU_MAX}], got ${tau}`);
      if (Number.isFinite(tau)) {
        expect(marketIssue(tau)).toBe(msg);
        expect(scenarioIssue(tau)).toBe(msg);
      }
      const arrays = {
        M: 1,
        N: 1,
        tau,
        cost: Float64Array.of(1),
        value: Float64Array.of(1),
        budget: Float64Array.of(1),
      };
      expect(() => fromArrays(arrays)).toThrow(msg);
    },
  );

  it.each([TAU_MIN, 1.5, 2, 3, TAU_MAX])("accepts tau = %s in both", (tau) => {
    expect(marketIssue(tau)).toBeUndefined();
    expect(scenarioIssue(tau)).toBeUndefined();
  });
});
