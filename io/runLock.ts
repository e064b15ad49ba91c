import { open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { alive, makeDirs } from "./files.ts";

/**
 * A directory lock for a training run: DIR/.lock, created exclusively, holding the owner's process
 * id and host. Two `train` runs into one --out used to both succeed and leave a mix of their
 * checkpoints; the second now stops at once. A lock left by a killed run (its process is gone) is
 * taken over. Locks are advisory: they keep sfl-market from racing itself.
 */

export interface RunLock {
  readonly file: string;
  release(): Promise<void>;
}

interface Owner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken, for the message only. */
  readonly since: string;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

/** Why the lock of `dir` cannot be taken: a sentence for the user (exit 2). */
export class RunLockedError extends Error {
  override readonly name = "RunLockedError";
}

/** Takes the lock of `dir` (created if missing), or throws RunLockedError naming its owner. */
export async function acquireRunLock(dir: string): Promise<RunLock> {
  await makeDirs(dir);
  const file = join(dir, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(file, "wx");
      const me: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await h.writeFile(`${JSON.stringify(me)}\n`);
      await h.close();
      let held = true;
      return {
        file,
        async release() {
          if (!held) return;
          held = false;
          await rm(file, { force: true });
        },
      };
    } catch (e) {
      if (errno(e) !== "EEXIST") throw e;
    }
    let owner: Owner | null = null;
    try {
      owner = JSON.parse(await readFile(file, "utf8")) as Owner;
    } catch {
      // unreadable: a lock half-written by a run killed at that instant
    }
    const live = owner && Number.isSafeInteger(owner.pid) && (owner.host !== hostname() || alive(owner.pid));
    if (live)
      throw new RunLockedError(
        `${dir} is in use by another sfl-market train (process ${owner!.pid}${owner!.host !== hostname() ? ` on ${owner!.host}` : ""}, since ${owner!.since}); wait for it to finish, or choose another --out` +
          ` (if that process is gone, remove ${file})`,
      );
    // the owner is gone: its lock is stale
    await rm(file, { force: true });
  }
  throw new RunLockedError(`${dir}: could not take the lock ${file}; another run keeps taking it`);
}
