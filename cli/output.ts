import { constants, existsSync, type Stats } from "node:fs";
import { access, link, lstat, open, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { makeDirs, probeWritable, removeStaleTemps, tempName, writeSynced } from "../io/files.ts";
import { BadPathError } from "./command.ts";

/**
 * Output files of the commands (--json, --report, --out): checked before any work, written so that
 * a kill at any instant leaves the old file or the new one, never a mix, and never written over
 * something that is not a regular file. What a path may be, and what happens (docs/cli.md,
 * "Output files"):
 *
 * - `-`: standard output (stdout: the command then prints its table on stderr).
 * - a regular file, or nothing yet: a flushed temporary file beside it, renamed over it (atomic).
 * - a symbolic link: the same, on the file it points to (the link stays a link).
 * - a regular file with other hard links: written in place, so every name sees the new content (the
 *   text is complete in memory first, but a kill mid-write can leave it short).
 * - a FIFO or a character device (/dev/null, /dev/stdout, a terminal): opened and written, never
 *   replaced.
 * - a directory, a block device or a socket: refused.
 *
 * Every problem is a sentence naming the path and what to do, never a raw EACCES or ENOTDIR.
 */

export type OutputTarget =
  | { readonly kind: "stdout"; readonly name: string }
  | {
      readonly kind: "replace" | "in-place" | "stream";
      /** As the user wrote it (messages). */
      readonly name: string;
      /** The file actually written (symbolic links followed). */
      readonly file: string;
      /** Directories to create before writing (a report directory that does not exist yet). */
      readonly createDirs: boolean;
    };

export interface OutputRules {
  /** The flag that named the path, for messages ("--json"). */
  readonly flag: string;
  /** May an existing file be replaced? (false: `--force` is needed) */
  readonly overwrite: boolean;
  /** Accept `-` for standard output. */
  readonly allowStdout?: boolean;
  /** Create missing parent directories when writing (else a missing directory is an error). */
  readonly createDirs?: boolean;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

const lstatOrNull = (p: string): Promise<Stats | null> =>
  lstat(p).catch((e) => {
    // ENOTDIR: a parent is a file; checkDirectory says which
    if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return null;
    throw e;
  });

/** A sentence for a file-system error on `path`, with what the user can do about it. */
export function fsProblem(path: string, e: unknown, doing = "write"): string {
  const code = errno(e);
  switch (code) {
    case "ENOENT":
      // /proc refuses new entries with ENOENT although the directory exists
      return existsSync(dirname(path))
        ? `cannot ${doing} ${path}: no file can be created in ${dirname(path)} (a virtual file system such as /proc?); choose another directory`
        : `cannot ${doing} ${path}: the directory ${dirname(path)} does not exist; create it first`;
    case "ENOTDIR":
      return `cannot ${doing} ${path}: a part of the path before ${basename(path)} is a file, not a directory`;
    case "EACCES":
    case "EPERM":
      return `cannot ${doing} ${path}: permission denied; choose a directory you can write to, or fix its permissions`;
    case "EISDIR":
      return `cannot ${doing} ${path}: it is a directory; give a file name`;
    case "EROFS":
      return `cannot ${doing} ${path}: the file system is read-only; choose another place`;
    case "ENOSPC":
    case "EDQUOT":
      return `cannot ${doing} ${path}: the disk is full (or the quota is used up); free some space and run again`;
    case "ELOOP":
      return `cannot ${doing} ${path}: too many symbolic links (a loop?); fix the link`;
    case "ENAMETOOLONG":
      return `cannot ${doing} ${path}: the name is too long`;
    case "EEXIST":
      return `cannot ${doing} ${path}: it appeared while this command ran; pass --force to overwrite it`;
    default:
      return `cannot ${doing} ${path}: ${(e as Error)?.message ?? String(e)}`;
  }
}

/**
 * Follows symbolic links to what would be written: the real file for a regular file (the atomic
 * replace happens there), the path itself for anything else (opening it follows the links, which
 * matters for /dev/stdout -> /proc/self/fd/1 -> pipe:[N]); for a dangling link, the file it names.
 */
async function followLinks(
  path: string,
): Promise<{ file: string; info: Stats | null; linkTo: string | null }> {
  const first = await lstatOrNull(path);
  if (!first?.isSymbolicLink()) return { file: resolve(path), info: first, linkTo: null };
  const target = await stat(path).catch((e) => {
    if (errno(e) === "ENOENT") return null;
    throw e;
  });
  if (target) {
    const real = await realpath(path).catch(() => resolve(path));
    return { file: target.isFile() ? real : resolve(path), info: target, linkTo: real };
  }
  let file = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    const info = await lstatOrNull(file);
    if (!info?.isSymbolicLink()) return { file, info, linkTo: file };
    file = resolve(dirname(file), await readlink(file));
  }
  throw Object.assign(new Error("too many symbolic links"), { code: "ELOOP" });
}

/** The nearest existing ancestor of `dir` (itself if it exists), which must be a writable directory. */
async function checkDirectory(dir: string, name: string, create: boolean): Promise<void> {
  let at = dir;
  for (;;) {
    const info = await stat(at).catch((e) => {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return null;
      throw e;
    });
    if (info) {
      if (!info.isDirectory())
        throw new BadPathError(
          `cannot write ${name}: ${at} is a file, not a directory; choose another path or move the file`,
        );
      break;
    }
    if (!create)
      throw new BadPathError(`cannot write ${name}: the directory ${dir} does not exist; create it first`);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  // a file is created and removed there: access() says yes to root even where nothing can be created
  try {
    await probeWritable(at);
  } catch (e) {
    const code = errno(e);
    throw new BadPathError(
      code === "EACCES" || code === "EPERM"
        ? `cannot write ${name}: permission denied in ${at}; choose a directory you can write to, or fix its permissions`
        : code === "EROFS"
          ? `cannot write ${name}: ${at} is on a read-only file system; choose another place`
          : `cannot write ${name}: no file can be created in ${at} (a virtual file system such as /proc?); choose another directory`,
    );
  }
}

const STDOUT_PATHS = ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];

/**
 * Checks that `path` can be written under `rules` and says how it will be; throws BadPathError (exit
 * 2) with a sentence when it cannot. Run it for every output before the command starts working.
 */
export async function checkOutput(path: string, rules: OutputRules): Promise<OutputTarget> {
  if (path === "")
    throw new BadPathError(
      `${rules.flag} needs a file name${rules.allowStdout ? " (or - for standard output)" : ""}`,
    );
  // /dev/stdout is this process's standard output whatever it is (a pipe, a terminal, a file the
  // shell opened): the same as -, so the table goes to stderr and nothing is renamed over a file
  if (path === "-" || STDOUT_PATHS.includes(path)) {
    if (rules.allowStdout) return { kind: "stdout", name: "standard output" };
    throw new BadPathError(`${rules.flag} - (standard output) is not supported here; give a file name`);
  }
  const createDirs = rules.createDirs ?? false;
  let followed: Awaited<ReturnType<typeof followLinks>>;
  try {
    followed = await followLinks(path);
  } catch (e) {
    throw new BadPathError(fsProblem(path, e));
  }
  const { file, info, linkTo } = followed;
  const via = linkTo === null ? "" : ` (the link ${path} points to ${linkTo})`;
  if (info === null) {
    await checkDirectory(dirname(file), path, createDirs);
    await removeStaleTemps(dirname(file), [basename(file)]);
    return { kind: "replace", name: path, file, createDirs };
  }
  if (info.isDirectory())
    throw new BadPathError(`cannot write ${path}: it is a directory${via}; give a file name`);
  if (info.isFIFO() || info.isCharacterDevice()) {
    try {
      await access(file, constants.W_OK);
    } catch {
      throw new BadPathError(`cannot write ${path}: permission denied${via}`);
    }
    return { kind: "stream", name: path, file, createDirs: false };
  }
  if (!info.isFile())
    throw new BadPathError(
      `cannot write ${path}: it is a ${info.isBlockDevice() ? "block device" : "socket"}${via}; outputs go to regular files, a FIFO or standard output (-)`,
    );
  if (!rules.overwrite) throw new BadPathError(`${path} already exists${via}; pass --force to overwrite it`);
  if (info.nlink > 1) {
    try {
      await access(file, constants.W_OK);
    } catch {
      throw new BadPathError(`cannot write ${path}: permission denied${via}; fix its permissions`);
    }
    return { kind: "in-place", name: path, file, createDirs: false };
  }
  await checkDirectory(dirname(file), path, false);
  await removeStaleTemps(dirname(file), [basename(file)]);
  return { kind: "replace", name: path, file, createDirs: false };
}

/**
 * Writes `text` to a checked target (checkOutput); returns a sentence for the user when it cannot,
 * else undefined. `out` receives the text for standard output. A `replace` target is atomic: the
 * file is its old self or complete, and the temporary file is removed whatever happens.
 */
export async function writeOutput(
  target: OutputTarget,
  text: string,
  out: (text: string) => void,
  { overwrite }: { overwrite: boolean } = { overwrite: true },
): Promise<string | undefined> {
  if (target.kind === "stdout") {
    out(text);
    return undefined;
  }
  const { name, file } = target;
  try {
    if (target.kind === "stream") {
      const handle = await open(file, "w");
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
      return undefined;
    }
    if (target.kind === "in-place") {
      const handle = await open(file, "r+");
      try {
        const bytes = Buffer.from(text, "utf8");
        await handle.write(bytes, 0, bytes.length, 0);
        await handle.truncate(bytes.length);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return undefined;
    }
    if (target.createDirs) await makeDirs(dirname(file));
    // a replaced file that became something else since the check is left alone
    const now = await lstatOrNull(file);
    if (now && !now.isFile())
      return `cannot write ${name}: it is no longer a regular file; nothing was written`;
    if (now && !overwrite) return `${name} already exists; pass --force to overwrite it`;
    await replaceAtomically(file, text, overwrite);
    return undefined;
  } catch (e) {
    return fsProblem(name, e);
  }
}

/** Temporary file, flushed, then renamed over `file` (or hard-linked: fails if `file` appeared). */
async function replaceAtomically(file: string, text: string, overwrite: boolean): Promise<void> {
  const tmp = tempName(file);
  try {
    await writeSynced(tmp, text, "wx");
    if (overwrite) await rename(tmp, file);
    else {
      try {
        await link(tmp, file);
      } catch (e) {
        // file systems without hard links: check, then rename (a small race, the best they allow)
        if (errno(e) === "EEXIST" || (await lstatOrNull(file))) throw e;
        await rename(tmp, file);
      }
    }
  } finally {
    // never let the clean-up's own error hide the real one
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * One output of a command: check, then write. Kept as a pair so a command checks all its outputs
 * before it starts, and writes each when its text is ready.
 */
export async function writeChecked(
  path: string,
  rules: OutputRules,
  text: string,
  out: (text: string) => void,
): Promise<string | undefined> {
  let target: OutputTarget;
  try {
    target = await checkOutput(path, rules);
  } catch (e) {
    if (e instanceof BadPathError) return e.message;
    throw e;
  }
  return writeOutput(target, text, out, { overwrite: rules.overwrite });
}

export { removeStaleTemps, tempName } from "../io/files.ts";
