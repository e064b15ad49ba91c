import { compileScenario } from "../env/compile.ts";
import { type PresetName, presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import { comparePolicies } from "../experiments/compare.ts";
import type { BenchRow } from "./market.ts";
import { median, mib } from "./stats.ts";

/**
 * Whole-run benchmarks (issue 3): the paper comparison (all six policies x 5 seeds, what
 * `npm start` runs, without writing files) and one episode of the stress preset per policy.
 * Peak memory is the largest resident set size sampled at every market event.
 */
const ALL = ["prince", "uniform", "proportional", "random", "greedy-topk", "single-tenant"];

async function timed(preset: PresetName, policies: string[], seeds: number[]) {
  const scenario = presetScenario(preset);
  const compiled = compileScenario(scenario, createRng(scenario.seed));
  let peak = process.memoryUsage().rss;
  let events = 0;
  const t0 = performance.now();
  const { outcome: out } = await comparePolicies({
    compiled,
    scenarioName: preset,
    seeds,
    policies,
    onEvent: () => {
      if (++events % 64 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  const ms = performance.now() - t0;
  if (out.failure) throw out.failure.error;
  const met = out.runs.flatMap((r) => r.result.outcomes).filter((o) => o.met).length;
  const total = out.runs.flatMap((r) => r.result.outcomes).length;
  return { ms, peak: Math.max(peak, process.memoryUsage().rss), met, total, events };
}

export async function benchEpisodes(log: (line: string) => void, repeat = 3): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const times: number[] = [];
  let last: Awaited<ReturnType<typeof timed>> | undefined;
  for (let r = 0; r < repeat; r++) {
    last = await timed("paper", ALL, [1, 2, 3, 4, 5]);
    times.push(last.ms);
    log(`paper comparison run ${r + 1}/${repeat}: ${(last.ms / 1000).toFixed(1)} s`);
  }
  rows.push({
    name: "paper comparison (6 policies x 5 seeds)",
    median: `${(median(times) / 1000).toFixed(1)} s`,
    detail: `${repeat} runs; ${last!.met}/${last!.total} tenant targets met; peak RSS ${mib(last!.peak)}`,
  });
  for (const policy of ["prince", "uniform"]) {
    const r = await timed("stress", [policy], [1]);
    rows.push({
      name: `stress episode (10,000 devices, 8 tenants), ${policy}`,
      median: `${(r.ms / 1000).toFixed(1)} s`,
      detail: `1 run; ${r.met}/${r.total} targets met; ${r.events} events; peak RSS ${mib(r.peak)}`,
    });
    log(`stress ${policy}: ${rows.at(-1)!.median} ${rows.at(-1)!.detail}`);
  }
  return rows;
}
