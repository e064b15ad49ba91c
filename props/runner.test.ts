import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allPassed,
  formatResults,
  type PropertySuite,
  replayProperty,
  runProperty,
  runSuite,
} from "./runner.ts";

const suite: PropertySuite = {
  "small/passes": fc.property(fc.integer({ min: 0, max: 50 }), (x) => x <= 50),
  "small/fails": fc.property(fc.integer({ min: 0, max: 1000 }), (x) => {
    if (x >= 100) throw new Error(`${x} is too big`);
  }),
  "small/typed": fc.property(
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1 }).map((a) => Float64Array.from(a)),
    (a) => a.every((x) => x < 0.5),
  ),
};

describe("runSuite", () => {
  it("reports passes and failures without throwing, with replayable failures", () => {
    const results = runSuite(suite, { seed: 7, numRuns: 200 });
    expect(results.map((r) => r.name)).toEqual(["small/passes", "small/fails", "small/typed"]);
    const [pass, fail, typed] = results;
    expect(pass).toMatchObject({ passed: true, numRuns: 200, seed: 7 });
    expect(pass.counterexample).toBeUndefined();
    expect(fail.passed).toBe(false);
    expect(fail.counterexample).toBe(100); // shrunk to the boundary, single argument unwrapped
    expect(fail.error).toContain("100 is too big");
    expect(fail.path).toMatch(/^\d+(:\d+)*$/);
    expect(fail.seed).toBe(7);
    // typed arrays come back as plain arrays
    expect(typed.passed).toBe(false);
    expect(Array.isArray(typed.counterexample)).toBe(true);
    expect(allPassed(results)).toBe(false);
    expect(allPassed([pass])).toBe(true);

    const again = replayProperty(suite, fail);
    expect(again.passed).toBe(false);
    expect(again.counterexample).toBe(100);
    expect(again.numRuns).toBe(1); // the path goes straight to the shrunk case
  });

  it("honours numRunsFor and only", () => {
    const results = runSuite(suite, {
      seed: 1,
      numRuns: 10,
      numRunsFor: { "small/passes": 33 },
      only: ["passes"],
    });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ name: "small/passes", numRuns: 33, passed: true });
  });

  it("turns a non-Error throw into a message", () => {
    const r = runProperty(
      "throws-string",
      fc.property(fc.constant(1), () => {
        throw "plain string";
      }),
      { seed: 1, numRuns: 5 },
    );
    expect(r.passed).toBe(false);
    expect(r.error).toContain("plain string");
  });
});

describe("formatResults", () => {
  it("prints one PASS/FAIL line per property and the replay data of failures", () => {
    const text = formatResults(runSuite(suite, { seed: 7, numRuns: 50 }), { maxChars: 40 });
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^PASS small\/passes \(50 runs, \d+ ms\)$/);
    expect(lines[1]).toMatch(/^FAIL small\/fails \(\d+ runs?, \d+ ms, \d+ shrinks\)$/);
    expect(text).toContain("error: 100 is too big");
    expect(text).toMatch(/replay: seed 7, path "[\d:]+"/);
    expect(text).toContain("counterexample: 100");
    expect(lines.at(-1)).toBe("2 of 3 failed");
    expect(formatResults([])).toBe("0 passed");
  });
});
