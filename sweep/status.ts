import { type LoadedSweep, listResults, listRunning } from "./store.ts";

export interface SweepCounts {
  /** Distinct runs of the manifest (two points with the same scenario are one run). */
  readonly runs: number;
  readonly done: number;
  readonly running: number;
  readonly failed: number;
  readonly missing: number;
}

/** How far a sweep is: every manifest run is done, running (a live marker), failed or missing. */
export async function sweepStatus(sweep: LoadedSweep): Promise<SweepCounts> {
  const { done, failed } = await listResults(sweep.dir);
  const running = await listRunning(sweep.dir);
  const ids = new Set(sweep.rows.map((r) => r.runId));
  let d = 0;
  let r = 0;
  let f = 0;
  for (const id of ids) {
    if (done.has(id)) d++;
    else if (running.has(id)) r++;
    else if (failed.has(id)) f++;
  }
  return { runs: ids.size, done: d, running: r, failed: f, missing: ids.size - d - r - f };
}
