// Regression (issue 11): `compare --preset stress` with all six policies died with "Maximum call
// stack size exceeded" while building the comparison data, because arrays of a few hundred
// thousand samples were spread into calls (push(...xs), Math.max(...xs)). The same sizes,
// synthetic and cheap, through every stage that follows the runs.
import { describe, expect, it } from "vitest";
import type { ComparisonRun } from "../agents/comparison.ts";
import { compileScenario } from "../env/compile.ts";
import { presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import type { EpisodeResult } from "../env/simulation.ts";
import { comparisonData } from "./fromRuns.ts";
import { renderReport } from "./html.ts";
import { renderTable } from "./table.ts";

// V8 overflows between about 1e5 and 1e6 arguments, depending on the stack left
const SAMPLES = 1_500_000;
const POINTS = 200_000;

function largeRun(policy: string, index: number, tenants: readonly { name: string; type: string }[]) {
  const prices = Array.from({ length: SAMPLES }, (_, k) => 1 + (k % 997) / 100);
  const participation = Array.from({ length: SAMPLES }, (_, k) => (k % 101) / 100);
  const time = Array.from({ length: POINTS }, (_, k) => k);
  const gap = Array.from({ length: POINTS }, (_, k) => 1 / (1 + k));
  const result = {
    seed: 1,
    outcomes: tenants.map((t, i) => ({
      tenant: t.name,
      index: i,
      type: t.type,
      status: "met",
      met: true,
      timeToTarget: 100 + i + index,
      rounds: 10,
      spend: 5,
      finalGap: 1e-3,
      target: 1e-2,
      policy,
      aggregation: "unbiased",
    })),
    trajectories: tenants.map((t) => ({ tenant: t.name, time, gap })),
    steps: [],
    bound: [],
    marketSteps: 1,
    endTime: POINTS,
    truncated: false,
  } as unknown as EpisodeResult;
  const samples = new Map(tenants.map((t) => [t.name, { prices, participation }]));
  return { policy, seed: 1, index, total: 2, result, samples, warnings: [] } satisfies ComparisonRun;
}

describe("a comparison with millions of samples", () => {
  it("builds its data, table and report without overflowing the stack", () => {
    const scenario = presetScenario("tiny");
    const compiled = compileScenario(scenario, createRng(scenario.seed));
    const tenants = compiled.physics.tenants.map((t) => ({ name: t.name, type: t.profile.type }));
    const policies = ["prince", "uniform"];
    const runs = policies.map((p, k) => largeRun(p, k, tenants));
    const data = comparisonData({
      title: "large",
      scenarioName: "large",
      compiled,
      seeds: [1],
      policies,
      runs,
      meta: {},
    });
    expect(data.distributions).toHaveLength(policies.length * tenants.length);
    expect(renderTable(data)).toContain("prince");
    const html = renderReport(data);
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/NaN|Infinity/);
  }, 120_000);
});
