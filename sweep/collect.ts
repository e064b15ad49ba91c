import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type LoadedSweep, runFile, writeAtomic } from "./store.ts";

/**
 * `sweep collect`: the finished runs merged into DIR/results.jsonl, one run a line in manifest
 * order (a run of two manifest rows, two points with the same scenario, is written once). The bytes
 * depend on the runs' results alone: not on who ran them, in which order, or how often.
 */

export const RESULTS_FILE = "results.jsonl";

export interface Collected {
  readonly text: string;
  /** The run records, parsed, in the order of the file. */
  readonly records: RunRecord[];
  readonly missing: readonly string[];
}

/** A finished run's file (sweep/execute.ts writes it). */
export interface RunRecord {
  readonly runId: string;
  readonly configHash: string;
  readonly seed: number;
  readonly params: Readonly<Record<string, number>>;
  readonly policies: readonly string[];
  readonly outcomes: readonly {
    policy: string;
    tenant: string;
    type: string;
    met: boolean;
    timeToTarget: number | null;
    rounds: number;
    spend: number;
    finalGap: number | null;
    reason?: string;
  }[];
  readonly warnings: readonly string[];
}

export async function collectRuns(sweep: LoadedSweep): Promise<Collected> {
  const seen = new Set<string>();
  const missing: string[] = [];
  const records: RunRecord[] = [];
  let text = "";
  for (const row of sweep.rows) {
    if (seen.has(row.runId)) continue;
    seen.add(row.runId);
    let line: string;
    try {
      line = await readFile(runFile(sweep.dir, row.runId), "utf8");
    } catch {
      missing.push(row.runId);
      continue;
    }
    records.push(JSON.parse(line) as RunRecord);
    text += line.endsWith("\n") ? line : `${line}\n`;
  }
  return { text, records, missing };
}

export async function writeResults(sweep: LoadedSweep, collected: Collected): Promise<string> {
  const file = join(sweep.dir, RESULTS_FILE);
  await writeAtomic(file, collected.text);
  return file;
}
