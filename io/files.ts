import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/**
 * The file primitives every writer of this package shares (cli/output.ts, io/checkpointFiles.ts,
 * io/runLock.ts): temporary names a later run can recognise as a killed run's leftovers, flushed
 * writes, and whether the process that owns a file is still alive.
 */

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

/** The temporary file beside `file` that an atomic write goes through. */
export function tempName(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** The name probeWritable creates and removes (removeStaleTemps removes what a kill left of it). */
const PROBE = "write-probe";

const TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** True if a process with this id exists (it may be another program: then its files are left alone). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === "EPERM";
  }
}

/**
 * Removes the temporary files and directories (see tempName) a killed run left in `dir`: those of
 * processes that no longer exist, optionally only for the names in `only`. Never throws.
 */
export async function removeStaleTemps(dir: string, only?: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const m = TEMP.exec(n);
    if (!m || (only && !only.includes(m[1]) && m[1] !== PROBE) || alive(Number(m[2]))) continue;
    try {
      await rm(join(dir, n), { recursive: true, force: true });
      removed.push(join(dir, n));
    } catch {
      // not ours to fight over: a file we cannot remove stays
    }
  }
  return removed;
}

/** Writes `data` to `file` and flushes it to disk; `flag` "wx" fails if the file exists. */
export async function writeSynced(
  file: string,
  data: string | Uint8Array,
  flag: "w" | "wx" = "w",
): Promise<void> {
  const handle = await open(file, flag);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time. Node 20's `mkdir(dir, { recursive:
 * true })` never returns where a parent exists but refuses new entries with ENOENT (/proc, as root:
 * `--report /proc/x` spun forever after the runs); one level at a time, that is an error to report.
 */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; ) {
    const info = await stat(at).catch((e) => {
      if (errno(e) === "ENOENT") return null;
      throw e;
    });
    if (info) {
      if (!info.isDirectory())
        throw Object.assign(new Error(`${at} is not a directory`), { code: "ENOTDIR" });
      break;
    }
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing.reverse())
    await mkdir(d).catch((e) => {
      if (errno(e) !== "EEXIST") throw e;
    });
}

/**
 * Throws the file system's error if no file can be created in the existing directory `dir`: creates
 * and removes a temporary file (a name removeStaleTemps knows). access(W_OK) is no test for root,
 * to whom it says yes everywhere, even in /proc or on a file system that refuses every write.
 */
export async function probeWritable(dir: string): Promise<void> {
  const probe = tempName(join(dir, PROBE));
  const handle = await open(probe, "wx");
  await handle.close();
  await rm(probe, { force: true });
}
