import { randomBytes } from "node:crypto";
import { link, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/**
 * Writes `text` to a temporary file beside `file`, flushes it, then moves it into place, so `file`
 * is either absent, its old self or complete. Without `overwrite` the move is a hard link, which fails
 * if `file` appeared meanwhile (no check-then-write race); file systems without hard links fall
 * back to check-then-rename. Returns a message for the user when it cannot write, else undefined.
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  { overwrite }: { overwrite: boolean },
): Promise<string | undefined> {
  const force = overwrite;
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) return `cannot write ${file}: it is a directory`;
  if (existing && !force) return `${file} already exists; pass --force to overwrite it`;
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(tmp, "wx");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (force) await rename(tmp, file);
    else {
      try {
        await link(tmp, file);
      } catch (e) {
        if (errno(e) === "EEXIST") throw e;
        if (await exists(file)) return `${file} already exists; pass --force to overwrite it`;
        await rename(tmp, file);
      }
    }
    return undefined;
  } catch (e) {
    const code = errno(e);
    if (code === "EEXIST") return `${file} already exists; pass --force to overwrite it`;
    const why =
      code === "ENOENT"
        ? `the directory ${dirname(file)} does not exist`
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : (e as Error).message;
    return `cannot write ${file}: ${why}`;
  } finally {
    await rm(tmp, { force: true });
  }
}
