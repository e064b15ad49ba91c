import { describe, expect, it } from "vitest";
import { compileScenario } from "../env/compile.ts";
import { presetInput, presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import { InputError } from "../market/errors.ts";
import { comparePolicies } from "./compare.ts";
import { type RunTask, runTask } from "./runTask.ts";

const task: RunTask = {
  scenario: presetInput("tiny"),
  policies: ["prince", "uniform"],
  policyOptions: {},
  seed: 3,
};

describe("runTask: one comparison task, plain JSON in and out", () => {
  it("gives the comparison's rows of its seed, and survives a JSON round trip unchanged", async () => {
    const r = await runTask(JSON.parse(JSON.stringify(task)));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    const scenario = presetScenario("tiny");
    const { data } = await comparePolicies({
      compiled: compileScenario(scenario, createRng(scenario.seed)),
      scenarioName: "tiny",
      seeds: [1, 3],
      policies: ["prince", "uniform"],
    });
    const ofSeed3 = data.results.filter((x) => x.seed === 3).map(({ seed: _s, ...o }) => o);
    expect(r.outcomes).toEqual(JSON.parse(JSON.stringify(ofSeed3)));
    expect(new Set(r.outcomes.map((o) => o.policy))).toEqual(new Set(["prince", "uniform"]));
  });

  it("a scenario that does not validate throws InputError naming the field; a bad policy is a result", async () => {
    const bad = structuredClone(task.scenario) as { tenants: { budget: unknown }[] };
    bad.tenants[0].budget = -1;
    const err = await runTask({ ...task, scenario: bad as never }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/tenants\.0\.budget|tenants\[0\]\.budget/);
    const r = await runTask({ ...task, policies: ["prince", "no-such-policy"] });
    expect(r).toMatchObject({ ok: false, policy: "no-such-policy", cancelled: false });
  });
});
