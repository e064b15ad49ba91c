import { execFileSync } from "node:child_process";
import {
  createReadStream,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadPathError } from "./command.ts";
import { checkOutput, fsProblem, removeStaleTemps, writeChecked, writeOutput } from "./output.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sfl-output-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sub = (name: string) => mkdtempSync(join(dir, `${name}-`));
const rules = { flag: "--json", overwrite: true, allowStdout: true };
const noOut = (t: string) => {
  throw new Error(`unexpected stdout: ${t}`);
};

/** Rejects with BadPathError whose message contains `text`. */
async function expectRefused(path: string, text: string, r = rules) {
  const e = await checkOutput(path, r).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BadPathError);
  expect((e as Error).message).toContain(text);
}

describe("checkOutput / writeOutput: what a path may be", () => {
  it("a new or existing regular file is replaced atomically: no temporary file stays", async () => {
    const d = sub("regular");
    const file = join(d, "out.json");
    expect(await writeChecked(file, rules, "one\n", noOut)).toBeUndefined();
    expect(await writeChecked(file, rules, "two\n", noOut)).toBeUndefined();
    expect(readFileSync(file, "utf8")).toBe("two\n");
    expect(readdirSync(d)).toEqual(["out.json"]);
  });

  it("a symbolic link to a FIFO: streamed through the link", async () => {
    const d = sub("link-fifo");
    execFileSync("mkfifo", [join(d, "pipe")]);
    symlinkSync(join(d, "pipe"), join(d, "to-pipe"));
    const target = await checkOutput(join(d, "to-pipe"), rules);
    expect(target.kind).toBe("stream");
    const reader = new Promise<string>((resolve) => {
      let got = "";
      createReadStream(join(d, "pipe"))
        .on("data", (c) => {
          got += c;
        })
        .on("end", () => resolve(got));
    });
    expect(await writeOutput(target, "via a link\n", noOut)).toBeUndefined();
    expect(await reader).toBe("via a link\n");
    expect(lstatSync(join(d, "to-pipe")).isSymbolicLink()).toBe(true);
  });

  it("a symbolic link: its target is written and the link stays a link", async () => {
    const d = sub("symlink");
    const target = join(d, "real.json");
    writeFileSync(target, "old\n");
    symlinkSync("real.json", join(d, "link.json"));
    expect(await writeChecked(join(d, "link.json"), rules, "new\n", noOut)).toBeUndefined();
    expect(lstatSync(join(d, "link.json")).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("new\n");
    // a dangling link: the file it names is created
    symlinkSync("later.json", join(d, "dangling.json"));
    expect(await writeChecked(join(d, "dangling.json"), rules, "x\n", noOut)).toBeUndefined();
    expect(lstatSync(join(d, "dangling.json")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, "later.json"), "utf8")).toBe("x\n");
    expect(readdirSync(d).sort()).toEqual(["dangling.json", "later.json", "link.json", "real.json"]);
  });

  it("a hard-linked file is written in place, so every name sees the new content", async () => {
    const d = sub("hardlink");
    writeFileSync(join(d, "a.json"), "a long old content\n");
    linkSync(join(d, "a.json"), join(d, "b.json"));
    const target = await checkOutput(join(d, "a.json"), rules);
    expect(target.kind).toBe("in-place");
    expect(await writeOutput(target, "new\n", noOut)).toBeUndefined();
    expect(readFileSync(join(d, "b.json"), "utf8")).toBe("new\n");
    expect(statSync(join(d, "a.json")).ino).toBe(statSync(join(d, "b.json")).ino);
  });

  it("a FIFO is streamed to, never replaced", async () => {
    const d = sub("fifo");
    const fifo = join(d, "pipe");
    execFileSync("mkfifo", [fifo]);
    const target = await checkOutput(fifo, rules);
    expect(target.kind).toBe("stream");
    const chunks: Buffer[] = [];
    const reader = new Promise<string>((resolve, reject) => {
      const s = createReadStream(fifo);
      s.on("data", (c) => chunks.push(c as Buffer));
      s.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      s.on("error", reject);
    });
    expect(await writeOutput(target, "through the pipe\n", noOut)).toBeUndefined();
    expect(await reader).toBe("through the pipe\n");
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it("a character device (a copy of /dev/null made with mknod) is written, never replaced", async () => {
    const d = sub("device");
    const node = join(d, "null");
    try {
      execFileSync("mknod", [node, "c", "1", "3"], { stdio: "ignore" });
    } catch {
      // not root: /dev/null itself, which the old code could only have replaced as root
      const target = await checkOutput("/dev/null", rules);
      expect(target.kind).toBe("stream");
      return;
    }
    const target = await checkOutput(node, rules);
    expect(target.kind).toBe("stream");
    expect(await writeOutput(target, "discarded\n", noOut)).toBeUndefined();
    expect(lstatSync(node).isCharacterDevice()).toBe(true);
    expect(readdirSync(d)).toEqual(["null"]);
  });

  it("- is standard output", async () => {
    let got = "";
    const target = await checkOutput("-", rules);
    expect(target.kind).toBe("stdout");
    const collect = (t: string) => {
      got += t;
    };
    expect(await writeOutput(target, "{}\n", collect)).toBeUndefined();
    expect(got).toBe("{}\n");
    await expectRefused("-", "standard output) is not supported here", { ...rules, allowStdout: false });
    // /dev/stdout (a link to /proc/self/fd/1, then to a pipe:[N] that names no file) is the same
    expect((await checkOutput("/dev/stdout", rules)).kind).toBe("stdout");
  });

  it("refused before any work, with a sentence: empty, a directory, a missing directory, a file as directory", async () => {
    const d = sub("refused");
    writeFileSync(join(d, "file"), "x");
    await expectRefused("", "--json needs a file name (or - for standard output)");
    await expectRefused(d, `cannot write ${d}: it is a directory; give a file name`);
    await expectRefused(
      join(d, "missing", "x.json"),
      `the directory ${join(d, "missing")} does not exist; create it first`,
    );
    await expectRefused(join(d, "file", "x.json"), `${join(d, "file")} is a file, not a directory`);
    await expectRefused(join(d, "file"), "already exists; pass --force to overwrite it", {
      ...rules,
      overwrite: false,
    });
    // a symbolic link to a directory is named with where it points
    symlinkSync(d, join(d, "to-dir"));
    await expectRefused(join(d, "to-dir"), `(the link ${join(d, "to-dir")} points to ${d})`);
    // createDirs: the missing directories are created when writing
    const deep = join(d, "a", "b", "index.html");
    expect(await writeChecked(deep, { ...rules, createDirs: true }, "<html>", noOut)).toBeUndefined();
    expect(readFileSync(deep, "utf8")).toBe("<html>");
  });

  it("raw errno codes become sentences that name the file and what to do", () => {
    const e = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
    expect(fsProblem("/x/out.json", e("EACCES"))).toBe(
      "cannot write /x/out.json: permission denied; choose a directory you can write to, or fix its permissions",
    );
    expect(fsProblem("/x/out.json", e("ENOTDIR"))).toContain("is a file, not a directory");
    expect(fsProblem("/x/out.json", e("EEXIST"))).toContain("pass --force");
    expect(fsProblem("/x/out.json", e("ENOSPC"))).toContain("the disk is full");
    for (const code of ["EACCES", "ENOTDIR", "EEXIST", "ENOENT", "EROFS", "EISDIR"])
      expect(fsProblem("/x/out.json", e(code))).not.toContain(code);
  });

  it("temporary files of killed runs are removed at the next write; a live process's are kept", async () => {
    const d = sub("stale");
    // a pid that cannot be alive (above the kernel's pid_max), and ours
    const dead = `.out.json.4194999.0123456789ab.tmp`;
    const live = `.out.json.${process.pid}.0123456789ab.tmp`;
    const other = `.other.json.4194999.0123456789ab.tmp`;
    for (const n of [dead, live, other]) writeFileSync(join(d, n), "partial");
    mkdirSync(join(d, ".ep-000001.4194999.aaaaaaaaaaaa.tmp"));
    expect(await writeChecked(join(d, "out.json"), rules, "{}\n", noOut)).toBeUndefined();
    expect(readdirSync(d).sort()).toEqual(
      [".ep-000001.4194999.aaaaaaaaaaaa.tmp", live, other, "out.json"].sort(),
    );
    // without a name filter (a training run's directory): every dead process's temp goes
    await removeStaleTemps(d);
    expect(readdirSync(d).sort()).toEqual([live, "out.json"].sort());
  });
});
