// Regression tests (issue 11, "an unwritable folder is found only after every run"): as root,
// access(W_OK) says yes everywhere, even in /proc, where nothing can be created. `--json /proc/x.json`
// then ran every run and lost the JSON, and `--report /proc/x` spun forever after the runs (Node 20's
// recursive mkdir never returns where a parent answers ENOENT), as did `train --out /proc/x`. Now a
// file is created and removed in the directory when the path is checked, and directories are made
// one level at a time. (Not root: /proc is refused by its permissions, and these still hold.)
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDirs, probeWritable } from "../io/files.ts";
import { cli, expectNoStack } from "./testCli.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sfl-virtual-fs-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMPARE = ["compare", "--preset", "tiny", "--seeds", "1", "--policies", "prince"];

describe("outputs in a directory that takes no new files (/proc)", () => {
  it("makeDirs and probeWritable fail at once in /proc, and work (leaving nothing) elsewhere", async () => {
    await expect(makeDirs("/proc/sfl-market-test/report")).rejects.toMatchObject({
      code: expect.stringMatching(/^(ENOENT|EACCES|EPERM)$/),
    });
    await expect(probeWritable("/proc")).rejects.toBeDefined();
    await makeDirs(join(dir, "a", "b"));
    await makeDirs(join(dir, "a", "b")); // already there
    await probeWritable(join(dir, "a"));
    expect(readdirSync(join(dir, "a"))).toEqual(["b"]);
  }, 10_000);

  it("compare --json /proc/x.json and --report /proc/x: exit 2 before the first run", async () => {
    const json = join(dir, "out.json");
    for (const flags of [
      ["--json", "/proc/sfl-market-test.json"],
      ["--report", "/proc/sfl-market-test", "--json", json],
    ]) {
      const r = await cli([...COMPARE, ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /cannot write \/proc\/sfl-market-test\S*: (no file can be created in|permission denied in) \/proc/,
      );
      expect(r.stderr).not.toContain("run 1/");
      expectNoStack(r);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith("out"))).toEqual([]);
  }, 30_000);

  it("train --out /proc/x: exit 2 with a sentence, no hang", async () => {
    const r = await cli(
      ["train", "--preset", "tiny", "--episodes", "1", "--out", "/proc/sfl-market-train", "--quiet"],
      { SFL_TFJS_BACKEND: "cpu" },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /cannot create the run directory \/proc\/sfl-market-train: (no file can be created in \/proc|permission denied)/,
    );
    expectNoStack(r);
  }, 30_000);
});
