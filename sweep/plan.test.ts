import { describe, expect, it } from "vitest";
import { PRESET_BUDGETS, presetInput } from "../env/presets.ts";
import { validateScenario } from "../env/scenario.ts";
import { applyParams, axisPoints, checkAxes, planRuns, sweepConfig } from "./plan.ts";
import { parseSpec } from "./spec.ts";

const tiny = presetInput("tiny");
const spec = (axes: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseSpec({ base: { preset: "tiny" }, seeds: 2, axes, ...extra }, ["prince", "uniform"]);

describe("planning a sweep", () => {
  it("a grid crosses every axis value with every seed, first axis slowest, seeds inner", () => {
    const s = spec({ budget: { scale: [0.5, 2] }, "devices.count": [10, 20, 30] });
    const rows = planRuns(s, sweepConfig(s, tiny));
    expect(rows).toHaveLength(2 * 3 * 2);
    expect(rows.map((r) => [r.params.budget, r.params["devices.count"], r.seed])).toEqual([
      [0.5, 10, 1],
      [0.5, 10, 2],
      [0.5, 20, 1],
      [0.5, 20, 2],
      [0.5, 30, 1],
      [0.5, 30, 2],
      [2, 10, 1],
      [2, 10, 2],
      [2, 20, 1],
      [2, 20, 2],
      [2, 30, 1],
      [2, 30, 2],
    ]);
    // the seeds of a point share its configHash; every run has an id of its own
    expect(new Set(rows.map((r) => r.configHash)).size).toBe(6);
    expect(new Set(rows.map((r) => r.runId)).size).toBe(12);
    expect(rows[0].configHash).toBe(rows[1].configHash);
  });

  it("ids follow what a run computes: the same plan again is the same, other policies are other runs", () => {
    const s = spec({ tau: [2, 3] });
    const a = planRuns(s, sweepConfig(s, tiny));
    expect(planRuns(s, sweepConfig(s, presetInput("tiny")))).toEqual(a);
    const other = spec({ tau: [2, 3] }, { policies: ["prince", "random"] });
    const b = planRuns(other, sweepConfig(other, tiny));
    expect(b.map((r) => r.runId).filter((id) => a.some((x) => x.runId === id))).toEqual([]);
  });

  it("a scale axis multiplies the base value at every [*] location; a set axis replaces it", () => {
    const s = spec({ budget: { scale: [2] }, "population.count": [11], K: [3] });
    const input = applyParams(tiny, s.axes, { budget: 2, "population.count": 11, K: 3 });
    const budgets = (input.tenants as { budget: number }[]).map((t) => t.budget);
    expect(budgets).toEqual([
      PRESET_BUDGETS.tiny.vit * 2,
      PRESET_BUDGETS.tiny.bert * 2,
      PRESET_BUDGETS.tiny.whisper * 2,
    ]);
    expect((input.devices as { count: number }).count).toBe(11);
    expect(input.repricingInterval).toBe(3);
    // the base is left as it was
    expect((tiny.tenants as { budget: number }[])[0].budget).toBe(PRESET_BUDGETS.tiny.vit);
  });

  it("scaling a field the input leaves to its default scales the resolved default (heterogeneity by modality)", () => {
    const s = spec({ heterogeneity: { scale: [0.5] } });
    const input = applyParams(tiny, s.axes, { heterogeneity: 0.5 });
    const r = validateScenario(input);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const base = validateScenario(tiny);
    if (!base.ok) throw new Error("base");
    expect(r.scenario.tenants.map((t) => t.learner.heterogeneity)).toEqual(
      base.scenario.tenants.map((t) => t.learner.heterogeneity * 0.5),
    );
  });

  it("checks each axis value against the base scenario and names the axis, the value and the field", () => {
    const s = spec({
      tau: [2, 11],
      "devices.count": [0],
      "tenants[5].budget": [1],
      "tenants[*].colour": [1],
    });
    expect(checkAxes(tiny, s.axes).map((x) => `${x.path}: ${x.message}`)).toEqual([
      'axes["tau"].values[1]: tau: must be a number in [1.01, 10], got 11',
      'axes["devices.count"].values[0]: devices.count: must be an integer in [1, 200000], got 0',
      'axes["tenants[5].budget"]: tenants[5] is not in the base scenario (the list has 3)',
      expect.stringMatching(
        /^axes\["tenants\[\*\]\.colour"\]\.values\[0\]: tenants\[0\]\.colour: unknown field/,
      ),
      expect.stringMatching(
        /^axes\["tenants\[\*\]\.colour"\]\.values\[0\]: tenants\[1\]\.colour: unknown field/,
      ),
      expect.stringMatching(
        /^axes\["tenants\[\*\]\.colour"\]\.values\[0\]: tenants\[2\]\.colour: unknown field/,
      ),
    ]);
  });

  it("random sampling is seeded: the same seed gives the same points, inside the ranges, integers rounded", () => {
    const random = (seed: number) =>
      parseSpec(
        {
          base: { preset: "tiny" },
          seeds: 1,
          sampling: { random: { points: 200, seed } },
          axes: {
            budget: { range: [0.25, 4], log: true, scale: true },
            "devices.count": { range: [5, 40], integer: true },
            tau: [2, 3],
          },
        },
        ["prince"],
      );
    const a = axisPoints(random(1));
    expect(axisPoints(random(1))).toEqual(a);
    expect(axisPoints(random(2))).not.toEqual(a);
    expect(a).toHaveLength(200);
    for (const p of a) {
      expect(p.budget).toBeGreaterThanOrEqual(0.25);
      expect(p.budget).toBeLessThanOrEqual(4);
      expect(Number.isInteger(p["devices.count"])).toBe(true);
      expect(p["devices.count"]).toBeGreaterThanOrEqual(5);
      expect(p["devices.count"]).toBeLessThanOrEqual(40);
      expect([2, 3]).toContain(p.tau);
    }
    // log-uniform: about half the draws below the geometric middle (1), far from uniform's 0.2
    const below = a.filter((p) => p.budget < 1).length / a.length;
    expect(below).toBeGreaterThan(0.35);
    expect(below).toBeLessThan(0.65);
  });
});
