// Regression tests (issue 11) for compare's outputs: checked before the first run, the JSON kept
// when the report fails, standard output as a target, Ctrl-C keeping the completed runs, and the
// temporary files of a killed run removed by the next one. In-process through main (testCli.ts).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presetInput } from "../env/presets.ts";
import { cli, expectNoStack } from "./testCli.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sfl-compare-out-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sub = (name: string) => mkdtempSync(join(dir, `${name}-`));

const BASE = ["compare", "--preset", "tiny", "--seeds", "2", "--policies", "prince,uniform"];

describe("compare's outputs", () => {
  it("--json - prints only the JSON on stdout; the table goes to stderr", async () => {
    const r = await cli([...BASE, "--json", "-", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.complete).toBe(true);
    expect(json.results).toHaveLength(2 * 2 * 3);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("tenant vit (vit");
  });

  it("an output path that cannot be used stops compare before the first run, exit 2", async () => {
    const d = sub("before");
    const file = join(d, "a-file");
    writeFileSync(file, "not a directory\n");
    const json = join(d, "out.json");
    for (const [flags, message] of [
      [["--report", file, "--json", json], `cannot write ${join(file, "index.html")}: ${file} is a file`],
      [["--json", ""], "--json needs a file name (or - for standard output)"],
      [["--report", ""], "--report needs a directory name"],
      [["--json", d], `cannot write ${d}: it is a directory`],
      [["--json", join(d, "missing", "x.json")], `the directory ${join(d, "missing")} does not exist`],
    ] as const) {
      const r = await cli([...BASE, ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain("run 1/"); // no run started
      expect(r.stdout).toBe("");
      expectNoStack(r);
    }
    expect(readdirSync(d)).toEqual(["a-file"]);
  });

  it("a report that fails after the runs does not cost the JSON (exit 1)", async () => {
    const d = sub("report-fails");
    const json = join(d, "out.json");
    const report = join(d, "report");
    // the report directory is fine when checked; a file takes its place once the runs start
    const r = await cli(
      [...BASE, "--json", json, "--report", report, "--quiet"],
      {},
      {
        onInterruptible: () => writeFileSync(report, "in the way\n"),
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`wrote ${json}`);
    expect(r.stderr).toMatch(/error: cannot write .*index\.html/);
    expectNoStack(r);
    expect(JSON.parse(readFileSync(json, "utf8")).complete).toBe(true);
  });

  it("Ctrl-C stops the run in progress and keeps the completed runs (complete: false, exit 130)", async () => {
    const d = sub("interrupt");
    const json = join(d, "out.json");
    let interrupt: (() => void) | undefined;
    const r = await cli(
      [...BASE, "--json", json],
      {},
      {
        onInterruptible: (f) => {
          interrupt = f;
        },
        onErr: (t) => {
          if (t.startsWith("run 1/4")) interrupt?.();
        },
      },
    );
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("interrupted: stopping the current run");
    expect(r.stderr).toContain("stopped: run 2/4 (policy uniform, seed 1) was interrupted");
    expect(r.stderr).toContain("1 completed runs are reported above and written");
    const out = JSON.parse(readFileSync(json, "utf8"));
    expect(out.complete).toBe(false);
    expect(out.failure).toMatchObject({ policy: "uniform", seed: 1, interrupted: true });
    expect(
      new Set(out.results.map((x: { policy: string; seed: number }) => `${x.policy}/${x.seed}`)),
    ).toEqual(new Set(["prince/1"]));
    expect(r.stdout).toContain("tenant vit (vit");
  });

  it("the temporary file a killed run left is removed by the next run", async () => {
    const d = sub("stale");
    const stale = ".out.json.4194999.0123456789ab.tmp"; // above the kernel's pid_max: no such process
    writeFileSync(join(d, stale), "half of a JSON");
    const r = await cli([...BASE, "--json", join(d, "out.json"), "--quiet"]);
    expect(r.code).toBe(0);
    expect(readdirSync(d)).toEqual(["out.json"]);
    expect(existsSync(join(d, stale))).toBe(false);
  });
});

describe("compare's caps (regression, issue 11: valid scenarios ran for hours)", () => {
  it("a deadline of 1e8 s with a target of 1e-12: capped tenants are outcomes, unfinished: cap reached", async () => {
    const d = sub("caps");
    const file = join(d, "runaway.json");
    const s = structuredClone(presetInput("tiny")) as { tenants: { deadline: number; target: number }[] };
    for (const t of s.tenants) {
      t.deadline = 1e8;
      t.target = 1e-12;
    }
    writeFileSync(file, JSON.stringify(s));
    const r = await cli([
      "compare",
      "--scenario",
      file,
      "--seeds",
      "1",
      "--policies",
      "prince",
      "--max-rounds",
      "150",
      "--json",
      "-",
      "--quiet",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.complete).toBe(true);
    for (const row of json.results) {
      expect(row.met).toBe(false);
      expect(row.rounds).toBe(150);
      expect(row.reason).toMatch(/^cap reached: 150 rounds/);
    }
    const bad = await cli(["compare", "--preset", "tiny", "--max-steps", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-steps must be an integer >= 1, got '0'");
  });
});
