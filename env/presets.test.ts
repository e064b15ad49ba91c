import { describe, expect, it } from "vitest";
import { compileScenario } from "./compile.ts";
import { PRESET_BUDGETS, PRESET_NAMES, presetInput, presetScenario } from "./presets.ts";
import { createRng } from "./rng.ts";
import { validateScenario } from "./scenario.ts";

describe("presets", () => {
  it("every preset validates as a scenario file would", () => {
    for (const name of PRESET_NAMES) expect(validateScenario(presetInput(name)).ok).toBe(true);
  });

  it("paper: the four tenant types on 200 shared devices, all feasible", () => {
    const s = presetScenario("paper");
    expect(s.tenants.map((t) => t.type)).toEqual(["vit", "bert", "whisper", "llama"]);
    expect(s.devices.kind === "generate" && s.devices.params.count).toBe(200);
    const { market, physics } = compileScenario(s, createRng(s.seed));
    expect(physics.infeasible).toEqual([]);
    expect(market?.M).toBe(4);
    // Devices the tenants can compete for: eligible for more than one tenant.
    let shared = 0;
    for (let j = 0; j < physics.N; j++) {
      let k = 0;
      for (let i = 0; i < physics.M; i++) k += physics.eligible[i * physics.N + j];
      if (k > 1) shared++;
    }
    expect(shared).toBeGreaterThan(100);
  });

  it("tiny: a few tenants on ~20 devices; stress: 8 tenants (two per type) on 10,000", () => {
    const tiny = presetScenario("tiny");
    expect(tiny.tenants.length).toBeLessThanOrEqual(4);
    expect(compileScenario(tiny, createRng(tiny.seed)).physics.infeasible).toEqual([]);
    const stress = presetScenario("stress");
    expect(stress.devices.kind === "generate" && stress.devices.params.count).toBe(10_000);
    const types = stress.tenants.map((t) => t.type);
    for (const t of ["vit", "bert", "whisper", "llama"]) expect(types.filter((x) => x === t).length).toBe(2);
    const { market } = compileScenario(stress, createRng(stress.seed));
    expect(market?.M).toBe(8);
  });

  it("budgetScale multiplies budgets; seed overrides; a bad scale is reported", () => {
    const s = presetScenario("paper", { budgetScale: 2, seed: "x" });
    expect(s.tenants[0].budget).toBe(2 * PRESET_BUDGETS.paper.vit);
    expect(s.seed).toBe("x");
    expect(() => presetScenario("tiny", { budgetScale: 0 })).toThrow(/tenants\[0\]\.budget/);
  });
});
