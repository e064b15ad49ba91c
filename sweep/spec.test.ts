import { describe, expect, it } from "vitest";
import { InputError } from "../market/errors.ts";
import { parseSpec, parseSpecText } from "./spec.ts";

const DEFAULTS = ["prince", "uniform"];

function issuesOf(raw: unknown): string[] {
  try {
    parseSpec(raw, DEFAULTS);
  } catch (e) {
    if (e instanceof InputError) return e.issues.map((x) => `${x.path}: ${x.message}`);
    throw e;
  }
  return [];
}

describe("the sweep spec", () => {
  it("resolves aliases, seeds, defaults and the kinds of axes", () => {
    const s = parseSpec(
      {
        base: { preset: "tiny" },
        seeds: 3,
        axes: { budget: { scale: [0.5, 2] }, K: [5, 10], tau: { values: [2, 3] } },
      },
      DEFAULTS,
    );
    expect(s.seeds).toEqual([1, 2, 3]);
    expect(s.policies).toEqual(DEFAULTS);
    expect(s.sampling).toBe("grid");
    expect(s.axes).toEqual([
      { name: "budget", path: "tenants[*].budget", values: { kind: "scale", values: [0.5, 2] } },
      { name: "K", path: "repricingInterval", values: { kind: "set", values: [5, 10] } },
      { name: "tau", path: "tau", values: { kind: "set", values: [2, 3] } },
    ]);
  });

  it("reports every wrong field at once, axes by their quoted name", () => {
    expect(
      issuesOf({
        base: { preset: "huge" },
        seeds: [1, -1],
        policies: ["prince", "unifrm"],
        axes: { "tenants[*].budget": { scale: [] }, "a b": [1], tau: { range: [3, 2] } },
        extra: 1,
      }),
    ).toEqual([
      "base.preset: must be one of paper, tiny, stress, paper-neural",
      'policies[1]: unknown policy "unifrm"; known: prince, uniform, proportional, random, greedy-topk, single-tenant',
      "seeds[1]: must be an integer in [0, 2147483647]",
      'axes["tenants[*].budget"].scale: needs at least one value',
      'axes["tau"].range: must be [low, high] with low <= high',
      ": unknown field extra",
    ]);
  });

  it("checks what needs the whole spec: prince present, a range only with random sampling, options of known policies", () => {
    expect(
      issuesOf({ base: { preset: "tiny" }, seeds: 1, policies: ["uniform"], axes: { tau: [2] } }),
    ).toEqual(["policies: must include prince (every figure is PRINCE against a baseline)"]);
    expect(
      issuesOf({ base: { preset: "tiny" }, seeds: 1, axes: { tau: { range: [1.5, 3] }, "x..y": [1] } }),
    ).toEqual([
      'axes["tau"].range: grid sampling needs a list of values; a range needs random sampling',
      'axes["x..y"]: is not a field path (e.g. tau, devices.count, tenants[*].budget)',
    ]);
    expect(issuesOf({ base: { preset: "tiny", scenario: "x.json" }, seeds: 1, axes: { tau: [2] } })).toEqual([
      "base: give exactly one of base.preset and base.scenario",
    ]);
    expect(
      issuesOf({ base: { preset: "tiny" }, seeds: 1, policyOptions: { random: {} }, axes: { tau: [2] } }),
    ).toEqual(["policyOptions.random: names a policy that is not in policies"]);
  });

  it("reads YAML and JSON, and names the file when it cannot parse it", () => {
    const yaml = "base: {preset: tiny}\nseeds: 1\naxes:\n  tau: [2, 3]\n";
    const json = JSON.stringify({ base: { preset: "tiny" }, seeds: 1, axes: { tau: [2, 3] } });
    expect(parseSpecText(yaml, "s.yaml", DEFAULTS)).toEqual(parseSpecText(json, "s.json", DEFAULTS));
    expect(() => parseSpecText("axes: [1,\n", "spec s.yaml", DEFAULTS)).toThrow(
      /spec s.yaml is not valid YAML or JSON/,
    );
  });
});
