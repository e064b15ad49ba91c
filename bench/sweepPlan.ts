import { presetInput } from "../env/presets.ts";
import { checkAxes, planRuns, sweepConfig } from "../sweep/plan.ts";
import { parseSpec } from "../sweep/spec.ts";
import { manifestText } from "../sweep/store.ts";
import type { BenchRow } from "./market.ts";
import { median, timeRuns } from "./stats.ts";

/**
 * Planning a sweep of 10,000 runs (issue 12's target: under a second): the paper preset over
 * budget scale x device count x tau (10 x 10 x 10 points) x 10 seeds: checking the spec and every
 * axis value against the base, hashing each point's scenario, and the manifest's text.
 */
export function benchSweepPlan(log: (line: string) => void): BenchRow[] {
  const ten = (f: (k: number) => number) => Array.from({ length: 10 }, (_, k) => f(k));
  const plan = () => {
    const spec = parseSpec(
      {
        base: { preset: "paper" },
        seeds: 10,
        axes: {
          budget: { scale: ten((k) => 0.25 * (k + 1)) },
          "devices.count": ten((k) => 50 * (k + 1)),
          tau: ten((k) => 1.5 + 0.25 * k),
        },
      },
      ["prince", "uniform", "proportional", "random", "greedy-topk", "single-tenant"],
    );
    const base = presetInput("paper");
    if (checkAxes(base, spec.axes).length > 0) throw new Error("bench spec is invalid");
    const rows = planRuns(spec, sweepConfig(spec, base));
    return { rows: rows.length, bytes: manifestText(rows).length };
  };
  const { ms, result } = timeRuns(plan, 5);
  log(`sweep plan: ${result.rows} runs, manifest ${result.bytes} bytes`);
  return [
    {
      name: "sweep plan, 10,000 runs (paper, 10 x 10 x 10 points x 10 seeds)",
      median: `${median(ms).toFixed(0)} ms`,
      detail: `${result.rows} runs, manifest ${(result.bytes / 1e6).toFixed(1)} MB; target < 1000 ms`,
    },
  ];
}
