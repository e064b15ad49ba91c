import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, expectNoStack } from "../testCli.ts";

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
