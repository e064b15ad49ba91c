import { runComparison } from "../agents/comparison.ts";
import { compileScenario } from "../env/compile.ts";
import { type PresetName, presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import { guardCounters } from "../market/budgetScale.ts";

/**
 * The budget guard's cost in whole runs (issue 16): CPU time and the guard's work (one-tenant
 * spend evaluations, full water-fills, calls) for the paper comparison (6 policies x 5 seeds) and a
 * stress episode with uniform prices. `node --import tsx bench/guard.ts [paper|stress]` prints one
 * JSON line per case. To compare with another tree, run the same file there (the counters are
 * read from market/budgetScale.ts) alternately with this one, in one session.
 */
const ALL = ["prince", "uniform", "proportional", "random", "greedy-topk", "single-tenant"];

async function measure(name: string, preset: PresetName, policies: string[], seeds: number[]) {
  const scenario = presetScenario(preset);
  const compiled = compileScenario(scenario, createRng(scenario.seed));
  const before = { ...guardCounters };
  const cpu0 = process.cpuUsage();
  const out = await runComparison({ compiled, seeds, policies });
  const cpu = process.cpuUsage(cpu0);
  if (out.failure) throw out.failure.error;
  const delta = (k: keyof typeof guardCounters) => guardCounters[k] - before[k];
  return {
    case: name,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    guardCalls: delta("guardCalls"),
    guardSpendEvaluations: delta("guardSpendEvaluations"),
    guardWaterFills: delta("guardWaterFills"),
    met: out.runs.flatMap((r) => r.result.outcomes).filter((o) => o.met).length,
  };
}

const which = process.argv[2];
if (!which || which === "paper")
  console.log(JSON.stringify(await measure("paper comparison", "paper", ALL, [1, 2, 3, 4, 5])));
if (!which || which === "stress")
  console.log(JSON.stringify(await measure("stress, uniform", "stress", ["uniform"], [1])));
