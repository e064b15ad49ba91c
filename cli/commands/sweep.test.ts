import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, expectNoStack, spawnCli } from "../testCli.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "sfl-sweep-"));

function writeSpec(dir: string, text: string, name = "spec.yaml"): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const SPEC = `name: budget by devices
base: { preset: tiny }
policies: [prince, uniform]
seeds: 2
axes:
  budget: { scale: [0.5, 2] }
  population.count: [10, 20]
`;

describe("sfl-market sweep plan", () => {
  it("writes the manifest, the config and the provenance; planning again changes nothing", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    const r = await cli(["sweep", "plan", writeSpec(dir, SPEC), "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`planned: 8 runs (4 points x 2 seeds) in ${out}\n`);
    const rows = readFileSync(join(out, "manifest.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(8);
    expect(Object.keys(rows[0])).toEqual(["runId", "configHash", "seed", "params"]);
    expect(rows[0].params).toEqual({ budget: 0.5, "population.count": 10 });
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.node).toBe(process.version);
    expect(meta.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.gitCommit === null || /^[0-9a-f]{40}$/.test(meta.gitCommit)).toBe(true);
    const config = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8"));
    expect(config.policies).toEqual(["prince", "uniform"]);
    expect(config.base.devices.count).toBe(20);
    const again = await cli(["sweep", "plan", join(dir, "spec.yaml"), "--out", out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^unchanged: 8 runs/);
  });

  it("a different plan in the same directory is refused without --force, replaced with it", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    expect((await cli(["sweep", "plan", writeSpec(dir, SPEC), "--out", out])).code).toBe(0);
    const before = readFileSync(join(out, "manifest.jsonl"), "utf8");
    const other = writeSpec(dir, SPEC.replace("seeds: 2", "seeds: 3"), "other.yaml");
    const r = await cli(["sweep", "plan", other, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("already holds a different sweep plan; pass --force");
    expect(readFileSync(join(out, "manifest.jsonl"), "utf8")).toBe(before);
    expect((await cli(["sweep", "plan", other, "--out", out, "--force"])).code).toBe(0);
    expect(readFileSync(join(out, "manifest.jsonl"), "utf8").trim().split("\n")).toHaveLength(12);
  });

  it("a bad spec exits 2 with every wrong field by path, and writes nothing", async () => {
    const dir = tmp();
    const spec = writeSpec(
      dir,
      "base: { preset: tiny }\nseeds: 1\naxes:\n  tau: [1.5, 0.5]\n  devices.count: [0]\n",
    );
    const r = await cli(["sweep", "plan", spec, "--out", join(dir, "out")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `sfl-market sweep: invalid sweep spec ${spec}:\n` +
        '  axes["tau"].values[1]: tau: must be a number in [1.01, 10], got 0.5\n' +
        '  axes["devices.count"].values[0]: devices.count: must be an integer in [1, 200000], got 0\n',
    );
    expectNoStack(r);
    expect(readdirSync(dir)).toEqual(["spec.yaml"]);
  });

  it("a scenario file as the base is read relative to the spec; a missing one is named", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "world.json"),
      JSON.stringify({
        tenants: [
          {
            name: "a",
            type: "vit",
            target: 0.01,
            deadline: 3600,
            budget: 5,
            samplesPerRound: 4,
            cutLayer: 1,
          },
        ],
        devices: { count: 5 },
      }),
    );
    const spec = writeSpec(
      dir,
      "base: { scenario: world.json }\nseeds: 1\naxes:\n  budget: { scale: [1, 2] }\n",
    );
    expect((await cli(["sweep", "plan", spec, "--out", join(dir, "out")])).code).toBe(0);
    const missing = writeSpec(dir, "base: { scenario: nope.json }\nseeds: 1\naxes:\n  tau: [2]\n", "m.yaml");
    const r = await cli(["sweep", "plan", missing, "--out", join(dir, "out2")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read scenario file ${join(dir, "nope.json")}: no such file`);
  });

  it("usage mistakes exit 2 with the usage", async () => {
    for (const args of [["sweep"], ["sweep", "fly"], ["sweep", "plan"], ["sweep", "plan", "x.yaml"]]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("Usage: sfl-market sweep");
    }
  });
});

describe("sfl-market sweep run, status, collect", () => {
  const TINY =
    "base: { preset: tiny }\npolicies: [prince, uniform]\nseeds: 2\naxes:\n  budget: { scale: [0.5, 2] }\n";

  it("array tasks by index from the environment, then status and collect", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    expect((await cli(["sweep", "plan", writeSpec(dir, TINY), "--out", out])).code).toBe(0);
    const task = await cli(["sweep", "run", out, "--chunk", "3"], { SLURM_ARRAY_TASK_ID: "1" });
    expect(task.code).toBe(0);
    expect(task.stderr).toBe("SLURM_ARRAY_TASK_ID=1: 1 runs: 1 ran, 0 already done, 0 failed\n");
    const st = await cli(["sweep", "status", out, "--json"]);
    expect(JSON.parse(st.stdout)).toEqual({ runs: 4, done: 1, running: 0, failed: 0, missing: 3 });
    const partial = await cli(["sweep", "collect", out]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain("error: 3 runs are missing");
    const rest = await cli(["sweep", "run", out, "--index", "0", "--chunk", "3"], {
      SLURM_ARRAY_TASK_ID: "1",
    });
    expect(rest.stderr).toBe("--index 0: 3 runs: 3 ran, 0 already done, 0 failed\n");
    expect((await cli(["sweep", "status", out])).stdout).toBe(
      `${out}: 4 runs: 4 done, 0 running, 0 failed, 0 missing\n`,
    );
    const done = await cli(["sweep", "collect", out]);
    expect(done.code).toBe(0);
    const lines = readFileSync(join(out, "results.jsonl"), "utf8").trim().split("\n");
    const manifest = readFileSync(join(out, "manifest.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).runId)).toEqual(manifest.map((l) => JSON.parse(l).runId));
    expect(done.stderr).toContain(`wrote ${join(out, "report", "index.html")}`);
    expect(readdirSync(join(out, "report")).sort()).toEqual([
      "budget-met.svg",
      "budget-speedup.svg",
      "index.html",
    ]);
    const page = readFileSync(join(out, "report", "index.html"), "utf8");
    expect(page).toContain("speedup vs uniform");
    expect(page).toContain("<svg");
  }, 300_000);

  it("selection mistakes exit 2 and run nothing", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    await cli(["sweep", "plan", writeSpec(dir, TINY), "--out", out]);
    const cases: [string[], Record<string, string>, string][] = [
      [["--index", "9"], {}, "--index 9: index 9 (chunk 1, offset 0) starts at run 9, past the last run (3)"],
      [["--shard", "2/2"], {}, "--shard must be K/N with 0 <= K < N"],
      [["--all", "--index", "1"], {}, "give one of --index, --shard and --all"],
      [[], { SLURM_ARRAY_TASK_ID: "" }, "give --index I, --shard K/N or --all"],
      [[], { JOB_COMPLETION_INDEX: "x" }, "--JOB_COMPLETION_INDEX must be an integer"],
    ];
    for (const [args, env, msg] of cases) {
      const r = await cli(["sweep", "run", out, ...args], {
        SLURM_ARRAY_TASK_ID: "",
        JOB_COMPLETION_INDEX: "",
        ...env,
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(msg);
    }
    expect(readdirSync(join(out, "runs"))).toEqual([]);
    const notPlanned = await cli(["sweep", "status", join(dir, "nope")]);
    expect(notPlanned.code).toBe(2);
    expect(notPlanned.stderr).toContain("is not a planned sweep (no manifest.jsonl)");
  });

  it("the binary: a Kubernetes Indexed Job's pod runs its index", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    await cli(["sweep", "plan", writeSpec(dir, TINY), "--out", out]);
    const r = await spawnCli(["sweep", "run", out], { JOB_COMPLETION_INDEX: "2", SLURM_ARRAY_TASK_ID: "" });
    expect(r.stderr).toBe("JOB_COMPLETION_INDEX=2: 1 runs: 1 ran, 0 already done, 0 failed\n");
    expect(r.code).toBe(0);
    const third = JSON.parse(readFileSync(join(out, "manifest.jsonl"), "utf8").trim().split("\n")[2]).runId;
    expect(readdirSync(join(out, "runs"))).toEqual([`${third}.json`]);
  }, 300_000);
});

describe("sfl-market sweep slurm, k8s", () => {
  it("write the array scripts and the Indexed Job into DIR", async () => {
    const dir = tmp();
    const out = join(dir, "out");
    await cli(["sweep", "plan", writeSpec(dir, SPEC), "--out", out]);
    const s = await cli(["sweep", "slurm", out, "--throttle", "2", "--chunk", "3"]);
    expect(s.code).toBe(0);
    expect(readdirSync(join(out, "slurm")).sort()).toEqual(["array.sbatch", "collect.sbatch", "submit.sh"]);
    expect(readFileSync(join(out, "slurm", "array.sbatch"), "utf8")).toContain("#SBATCH --array=0-2%2\n");
    const k = await cli(["sweep", "k8s", out, "--image", "sfl:1", "--claim", "sweeps"]);
    expect(k.code).toBe(0);
    expect(readFileSync(join(out, "k8s", "job.yaml"), "utf8")).toContain("completionMode: Indexed");
    expect((await cli(["sweep", "k8s", out, "--claim", "sweeps"])).stderr).toContain(
      "--image IMAGE is required",
    );
  });
});
