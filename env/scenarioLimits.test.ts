// Regression (issue 11): a scenario that validated could still fail in the middle of a run
// ("invalid bound constants: alpha ... Infinity", blamed on policy prince, no field path). The
// learner's ranges are now what the run can take: beyond them, validation names the field; at every
// corner inside them, an episode runs with finite bound constants.
import { describe, expect, it } from "vitest";
import { createTenantPolicy } from "../policies/registry.ts";
import { compileScenario } from "./compile.ts";
import { presetInput } from "./presets.ts";
import { createRng } from "./rng.ts";
import { validateScenario } from "./scenario.ts";
import { runEpisode } from "./simulation.ts";

const withLearner = (learner: Record<string, unknown>) => {
  const s = structuredClone(presetInput("tiny")) as { tenants: { learner?: Record<string, unknown> }[] };
  for (const t of s.tenants) t.learner = { ...(t.learner ?? {}), ...learner };
  return s;
};

describe("the learner's fields: what the run cannot take is refused by path", () => {
  it("noise that overflows the bound, heterogeneity that overflows w_ij, a step size that makes it NaN", () => {
    for (const [field, value, range] of [
      ["noise", 1e200, "a number in [0, 1000000]"],
      ["heterogeneity", 1e300, "a number in (0, 1000000]"],
      ["heterogeneityFloor", 1e300, "a number in (0, 1000000]"],
      ["stepSize", 1e-300, "a number in [0.000001, 10]"],
    ] as const) {
      const r = validateScenario(withLearner({ [field]: value }));
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.issues).toContainEqual({
        path: `tenants[0].learner.${field}`,
        message: `must be ${range}, got ${value}`,
      });
    }
  });

  it("every corner of the allowed ranges runs an episode with finite bound constants", async () => {
    const corners: Record<string, number>[] = [];
    for (const stepSize of [1e-6, 10])
      for (const noise of [0, 1e6])
        for (const heterogeneity of [1e-300, 1e6])
          for (const heterogeneityFloor of [1e-300, 1e6])
            corners.push({ stepSize, noise, heterogeneity, heterogeneityFloor });
    for (const corner of corners) {
      const r = validateScenario(withLearner(corner));
      expect(r.ok, JSON.stringify(corner)).toBe(true);
      if (!r.ok) continue;
      const compiled = compileScenario(r.scenario, createRng(r.scenario.seed));
      const res = await runEpisode(
        compiled,
        { tenant: () => createTenantPolicy("prince") },
        { seed: 1, maxTime: 600 },
      );
      for (const b of res.bound) {
        expect(Number.isFinite(b.alpha) && Number.isFinite(b.beta), JSON.stringify(corner)).toBe(true);
      }
    }
  }, 60_000);
});
