import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { benchBridge } from "./bridge.ts";
import { benchEpisodes } from "./episodes.ts";
import { type BenchRow, benchMarket } from "./market.ts";
import { benchNeural } from "./neural.ts";
import { benchPolicyWorker } from "./policyWorker.ts";
import { benchSweepPlan } from "./sweepPlan.ts";

/**
 * `npm run bench [-- --only market|episodes|workers|bridge|sweep|neural]`: prints the median wall time of each case as a Markdown table
 * (benchmarks, not tests: nothing here asserts a time). Timings are wall-clock and machine-bound.
 */
const { values } = parseArgs({ options: { only: { type: "string" } } });
const suites: Record<string, (log: (s: string) => void) => BenchRow[] | Promise<BenchRow[]>> = {
  market: benchMarket,
  episodes: benchEpisodes,
  workers: benchPolicyWorker,
  bridge: benchBridge,
  sweep: benchSweepPlan,
  neural: benchNeural,
};
const log = (s: string) => process.stderr.write(`${s}\n`);
const rows: BenchRow[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (values.only && values.only !== name) continue;
  rows.push(...(await run(log)));
}
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), node ${process.version}`);
console.log("| case | median | detail |");
console.log("|---|---|---|");
for (const r of rows) console.log(`| ${r.name} | ${r.median} | ${r.detail} |`);
