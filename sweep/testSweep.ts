import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { presetInput } from "../env/presets.ts";
import { planRuns, sweepConfig } from "./plan.ts";
import { parseSpec } from "./spec.ts";
import { type LoadedSweep, loadSweep, writePlan } from "./store.ts";

/** Tests' small sweep: tiny preset, budget scale x 2 seeds, PRINCE and uniform (milliseconds a run). */
export async function plannedTinySweep(
  axes: Record<string, unknown> = { budget: { scale: [0.5, 1, 2] } },
  seeds = 2,
): Promise<LoadedSweep> {
  const dir = mkdtempSync(join(tmpdir(), "sfl-sweep-"));
  const spec = parseSpec({ base: { preset: "tiny" }, policies: ["prince", "uniform"], seeds, axes }, [
    "prince",
  ]);
  const config = sweepConfig(spec, presetInput("tiny"));
  await writePlan(dir, { config, rows: planRuns(spec, config), meta: { test: true } }, false);
  return loadSweep(dir);
}
