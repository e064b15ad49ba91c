import { describe, expect, it } from "vitest";
import * as props from "./index.ts";

describe("props/index", () => {
  it("exports every suite, the runner and the generators", () => {
    for (const name of [
      "deviceResponseProperties",
      "tenantResponseProperties",
      "equilibriumProperties",
      "invarianceProperties",
      "aggregationProperties",
      "runSuite",
      "runProperty",
      "replayProperty",
      "formatResults",
      "allPassed",
      "marketArb",
      "pricesArb",
      "pricedMarketArb",
      "tenantCaseArb",
      "relabelCaseArb",
      "toPlain",
    ])
      expect(typeof (props as Record<string, unknown>)[name], name).toBe("function");
  });

  it("runs every suite through one runner, as a user would", () => {
    const suites = {
      ...props.deviceResponseProperties(),
      ...props.tenantResponseProperties(),
      ...props.equilibriumProperties(),
      ...props.invarianceProperties(),
    };
    const results = props.runSuite(suites, { seed: 5, numRuns: 10 });
    expect(results).toHaveLength(17);
    expect(props.allPassed(results)).toBe(true);
    expect(props.formatResults(results).split("\n").at(-1)).toBe("17 passed");
  });
});
