import type { RunTask, RunTaskResult } from "../experiments/runTask.ts";
import type { ManifestRow, SweepConfig } from "./plan.ts";
import { applyParams } from "./plan.ts";
import { cleanStale, type LoadedSweep, listResults, markRunning, saveFailure, saveRun } from "./store.ts";

/**
 * Running the runs of a sweep that a process was given: skip those already written, run the rest
 * (one at a time, or `concurrency` at once through a worker pool), write each result atomically as
 * it finishes. A kill at any moment loses at most the runs in progress; running again repeats none
 * of the finished ones. Results do not depend on the order or on who ran what: a run's file is a
 * function of its manifest row and DIR/sweep.json alone.
 */

/** Which manifest rows (0-based positions) a process runs. */
export type Selection =
  | { readonly kind: "all" }
  /** Array task `index` takes rows offset + index*chunk .. offset + index*chunk + chunk - 1. */
  | { readonly kind: "index"; readonly index: number; readonly chunk: number; readonly offset: number }
  /** Shard k of n takes every n-th row from k (rows k, k+n, k+2n, ...). */
  | { readonly kind: "shard"; readonly k: number; readonly n: number };

/** The rows a selection takes; an index past the manifest is an error (the array is larger than the sweep). */
export function selectRows(total: number, sel: Selection): number[] | string {
  if (sel.kind === "all") return Array.from({ length: total }, (_, i) => i);
  if (sel.kind === "shard") {
    const out: number[] = [];
    for (let i = sel.k; i < total; i += sel.n) out.push(i);
    return out;
  }
  const first = sel.offset + sel.index * sel.chunk;
  if (first >= total)
    return `index ${sel.index} (chunk ${sel.chunk}, offset ${sel.offset}) starts at run ${first}, past the last run (${total - 1})`;
  return Array.from({ length: Math.min(sel.chunk, total - first) }, (_, k) => first + k);
}

/** The task of one manifest row: what runTask (experiments/runTask.ts, or a worker) is given. */
export function taskOf(config: SweepConfig, row: ManifestRow): RunTask {
  return {
    scenario: applyParams(config.base, config.axes, row.params),
    policies: config.policies,
    policyOptions: config.policyOptions,
    seed: row.seed,
    ...(config.maxRounds !== undefined ? { maxRounds: config.maxRounds } : {}),
    ...(config.maxSteps !== undefined ? { maxSteps: config.maxSteps } : {}),
  };
}

/** The bytes of a finished run's file: its row, the policies, the outcomes. */
export function runRecordText(
  row: ManifestRow,
  policies: readonly string[],
  result: Extract<RunTaskResult, { ok: true }>,
): string {
  return `${JSON.stringify({
    runId: row.runId,
    configHash: row.configHash,
    seed: row.seed,
    params: row.params,
    policies,
    outcomes: result.outcomes,
    warnings: result.warnings,
  })}\n`;
}

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly skipped: number;
  readonly failed: number;
}

export interface ExecuteOptions {
  /** Runs one task (in this thread: runOne; through a pool: the pool's run). */
  readonly run: (task: RunTask, signal: AbortSignal) => Promise<RunTaskResult>;
  /** How many runs at once (the pool's size; 1 in this thread). */
  readonly concurrency?: number;
  /** Stops: no new run starts, the runs in progress are cancelled and not written. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
}

export interface ExecuteSummary {
  readonly selected: number;
  readonly ran: number;
  readonly skipped: number;
  readonly failed: readonly { readonly runId: string; readonly policy: string; readonly message: string }[];
  readonly interrupted: boolean;
}

export async function executeRuns(
  sweep: LoadedSweep,
  positions: readonly number[],
  opts: ExecuteOptions,
): Promise<ExecuteSummary> {
  await cleanStale(sweep.dir);
  const { done } = await listResults(sweep.dir);
  const seen = new Set<string>();
  const todo: ManifestRow[] = [];
  for (const p of positions) {
    const row = sweep.rows[p];
    if (seen.has(row.runId)) continue; // two points with the same scenario: one run
    seen.add(row.runId);
    if (!done.has(row.runId)) todo.push(row);
  }
  const skipped = seen.size - todo.length;
  const inner = new AbortController();
  const stop = () => inner.abort();
  opts.signal?.addEventListener("abort", stop);
  if (opts.signal?.aborted) inner.abort();
  const failed: { runId: string; policy: string; message: string }[] = [];
  let ran = 0;
  let next = 0;
  const progress = () =>
    opts.onProgress?.({ done: ran + skipped, total: seen.size, skipped, failed: failed.length });
  progress();
  const lane = async () => {
    while (!inner.signal.aborted && next < todo.length) {
      const row = todo[next++];
      const unmark = await markRunning(sweep.dir, row.runId);
      try {
        const result = await opts.run(taskOf(sweep.config, row), inner.signal);
        if (inner.signal.aborted) return;
        if (result.ok) {
          await saveRun(sweep.dir, row.runId, runRecordText(row, sweep.config.policies, result));
          ran++;
        } else {
          failed.push({ runId: row.runId, policy: result.policy, message: result.message });
          await saveFailure(
            sweep.dir,
            row.runId,
            `${JSON.stringify({ ...row, policy: result.policy, message: result.message })}\n`,
          );
        }
      } finally {
        await unmark();
      }
      progress();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, lane));
  } finally {
    opts.signal?.removeEventListener("abort", stop);
  }
  return { selected: seen.size, ran, skipped, failed, interrupted: inner.signal.aborted };
}
