import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { summariseAxes } from "./aggregate.ts";
import type { RunRecord } from "./collect.ts";
import { metChart, speedupChart, sweepReportHtml } from "./reportHtml.ts";
import { type LoadedSweep, writeAtomic } from "./store.ts";

/** A file name for an axis: `tenants[*].budget` -> `tenants-budget`. */
export const axisFileName = (axis: string) => axis.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");

/** Writes DIR/report/index.html and DIR/report/<axis>-speedup.svg, <axis>-met.svg; returns the page. */
export async function writeSweepReport(sweep: LoadedSweep, records: readonly RunRecord[]): Promise<string> {
  const dir = join(sweep.dir, "report");
  await mkdir(dir, { recursive: true });
  const policies = sweep.config.policies;
  const summaries = summariseAxes(
    records,
    sweep.config.axes.map((a) => a.name),
  );
  const baselines = policies.filter((p) => p !== "prince");
  for (const s of summaries) {
    await writeAtomic(join(dir, `${axisFileName(s.axis)}-speedup.svg`), `${speedupChart(s, baselines)}\n`);
    await writeAtomic(join(dir, `${axisFileName(s.axis)}-met.svg`), `${metChart(s, policies)}\n`);
  }
  const title = `Sweep: ${String(sweep.meta.name ?? sweep.dir)}`;
  const page = join(dir, "index.html");
  await writeAtomic(page, sweepReportHtml(title, summaries, policies, records.length));
  return page;
}
