import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { alive, removeStaleTemps, tempName, writeSynced } from "../io/files.ts";
import type { ManifestRow, SweepConfig } from "./plan.ts";

/**
 * A sweep directory on disk (docs/sweeps.md, "The directory"): everything a node needs to run any of
 * its runs, and each run's result in a file of its own, so any number of processes on any number of
 * machines can share it through a shared file system without locks:
 *
 *   DIR/sweep.json        the base scenario input and the settings (SweepConfig) the runs use
 *   DIR/manifest.jsonl    one ManifestRow per line, in run order
 *   DIR/meta.json         provenance: package version, git commit, Node version, spec hash
 *   DIR/runs/<runId>.json one finished run (written atomically: absent or complete)
 *   DIR/failed/<runId>.json  a run that failed (a policy error), with the message; run again to retry
 *   DIR/running/<runId>.json a run in progress ({host, pid}), removed when it ends
 */

export const SWEEP_FILE = "sweep.json";
export const MANIFEST_FILE = "manifest.jsonl";
export const META_FILE = "meta.json";

export const runFile = (dir: string, runId: string) => join(dir, "runs", `${runId}.json`);
export const failedFile = (dir: string, runId: string) => join(dir, "failed", `${runId}.json`);

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

/** Writes `text` to `file` through a flushed temporary file renamed into place. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = tempName(file);
  try {
    await writeSynced(tmp, text, "wx");
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export function manifestText(rows: readonly ManifestRow[]): string {
  let out = "";
  for (const r of rows) out += `${JSON.stringify(r)}\n`;
  return out;
}

export interface PlannedSweep {
  readonly config: SweepConfig;
  readonly rows: readonly ManifestRow[];
  readonly meta: Record<string, unknown>;
}

/**
 * Writes a planned sweep into `dir` (created if missing). An existing plan is replaced only when its
 * manifest is the same (planning again is harmless) or with `force`; the runs already written stay.
 * The manifest is written last: a directory with a manifest has the other files too.
 */
export async function writePlan(dir: string, plan: PlannedSweep, force: boolean): Promise<"new" | "same"> {
  const manifest = manifestText(plan.rows);
  const old = await readFile(join(dir, MANIFEST_FILE), "utf8").catch((e) => {
    if (errno(e) === "ENOENT") return null;
    throw e;
  });
  if (old !== null && old !== manifest && !force)
    throw new PlanExistsError(`${dir} already holds a different sweep plan; pass --force to replace it`);
  await mkdir(join(dir, "runs"), { recursive: true });
  await writeAtomic(join(dir, SWEEP_FILE), `${JSON.stringify(plan.config, null, 2)}\n`);
  await writeAtomic(join(dir, META_FILE), `${JSON.stringify(plan.meta, null, 2)}\n`);
  if (old !== manifest) await writeAtomic(join(dir, MANIFEST_FILE), manifest);
  return old === manifest ? "same" : "new";
}

export class PlanExistsError extends Error {
  override readonly name = "PlanExistsError";
}

export class NotASweepError extends Error {
  override readonly name = "NotASweepError";
}

export interface LoadedSweep {
  readonly dir: string;
  readonly config: SweepConfig;
  readonly rows: readonly ManifestRow[];
  readonly meta: Record<string, unknown>;
}

/** Reads a planned sweep directory; a missing or damaged plan is a NotASweepError naming the file. */
export async function loadSweep(dir: string): Promise<LoadedSweep> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name), "utf8");
    } catch (e) {
      throw new NotASweepError(
        errno(e) === "ENOENT"
          ? `${dir} is not a planned sweep (no ${name}); run \`sfl-market sweep plan SPEC --out ${dir}\` first`
          : `cannot read ${join(dir, name)}: ${(e as Error).message}`,
      );
    }
  };
  const parse = (name: string, text: string) => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new NotASweepError(
        `${join(dir, name)} is damaged: ${(e as Error).message}; plan the sweep again`,
      );
    }
  };
  const manifest = await read(MANIFEST_FILE);
  const config = parse(SWEEP_FILE, await read(SWEEP_FILE)) as SweepConfig;
  const meta = parse(META_FILE, await read(META_FILE)) as Record<string, unknown>;
  const rows: ManifestRow[] = [];
  for (const [k, line] of manifest.split("\n").entries())
    if (line !== "") rows.push(parse(`${MANIFEST_FILE} line ${k + 1}`, line) as ManifestRow);
  return { dir, config, rows, meta };
}

/** Is a run's result there? */
export async function isDone(dir: string, runId: string): Promise<boolean> {
  try {
    return (await stat(runFile(dir, runId))).isFile();
  } catch {
    return false;
  }
}

/** The run ids with a result file and with a failure file (one directory listing each). */
export async function listResults(dir: string): Promise<{ done: Set<string>; failed: Set<string> }> {
  const ids = async (sub: string) =>
    new Set(
      (await readdir(join(dir, sub)).catch(() => [] as string[]))
        .filter((n) => n.endsWith(".json") && !n.startsWith("."))
        .map((n) => n.slice(0, -5)),
    );
  return { done: await ids("runs"), failed: await ids("failed") };
}

/**
 * A run in progress is marked by DIR/running/<runId>.json ({host, pid}) while it runs; a marker whose
 * process is gone (on this host) is a killed run's, and does not count.
 */
export async function markRunning(dir: string, runId: string): Promise<() => Promise<void>> {
  const file = join(dir, "running", `${runId}.json`);
  await mkdir(join(dir, "running"), { recursive: true });
  await writeAtomic(file, `${JSON.stringify({ host: hostname(), pid: process.pid })}\n`);
  return () => rm(file, { force: true });
}

/** Run ids marked as running by a live process (markers from other hosts are taken at their word). */
export async function listRunning(dir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const names = await readdir(join(dir, "running")).catch(() => [] as string[]);
  for (const n of names) {
    if (!n.endsWith(".json") || n.startsWith(".")) continue;
    try {
      const m = JSON.parse(await readFile(join(dir, "running", n), "utf8")) as { host: string; pid: number };
      if (m.host !== hostname() || alive(m.pid)) out.add(n.slice(0, -5));
    } catch {
      // a marker being written or removed right now
    }
  }
  return out;
}

/** Saves a finished run; a failure file left by an earlier attempt is removed. */
export async function saveRun(dir: string, runId: string, text: string): Promise<void> {
  await writeAtomic(runFile(dir, runId), text);
  await rm(failedFile(dir, runId), { force: true });
}

export async function saveFailure(dir: string, runId: string, text: string): Promise<void> {
  await mkdir(join(dir, "failed"), { recursive: true });
  await writeAtomic(failedFile(dir, runId), text);
}

/** Removes what killed writers left behind in runs/ (their temporary files). */
export async function cleanStale(dir: string): Promise<void> {
  await removeStaleTemps(join(dir, "runs"));
}
