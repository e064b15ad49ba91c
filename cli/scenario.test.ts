// End-to-end tests of `sfl-market scenario`, in-process through main (cli/testCli.ts); writing the
// first preset runs the real binary in a child process, as a user does.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { PRESET_NAMES, presetInput } from "../env/presets.ts";
import type { ScenarioSummary } from "./commands/scenario.ts";
import { expectNoStack, cli as runCli, spawnCli, TIMEOUT } from "./testCli.ts";

const cli = (args: string[]) => runCli(["scenario", ...args]);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sfl-scenario-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh subdirectory per test, so concurrent tests never see each other's files. */
function subdir(name: string): string {
  return mkdtempSync(join(dir, `${name}-`));
}

describe.concurrent("sfl-market scenario --preset / --validate", () => {
  for (const preset of PRESET_NAMES)
    it(
      `writes the ${preset} preset as editable JSON and validates it back`,
      async () => {
        const d = subdir(preset);
        const file = join(d, `${preset}.json`);
        // the first preset through the real binary
        const w =
          preset === PRESET_NAMES[0]
            ? await spawnCli(["scenario", "--preset", preset, "--out", file])
            : await cli(["--preset", preset, "--out", file]);
        expect(w.code).toBe(0);
        expect(w.stdout).toBe("");
        expect(w.stderr).toContain(file);
        const text = readFileSync(file, "utf8");
        expect(text).toBe(`${JSON.stringify(presetInput(preset), null, 2)}\n`);
        expect(readdirSync(d)).toEqual([`${preset}.json`]); // no temp file left behind

        const v = await cli(["--validate", file]);
        expect(v.code).toBe(0);
        expect(v.stderr).toBe("");
        const input = presetInput(preset);
        const N = input.devices.count as number;
        expect(v.stdout).toContain(
          `scenario ${file}: valid, ${input.tenants.length} tenants on ${N} devices`,
        );
        expect(v.stdout).toContain(`seed ${input.seed}, tau = ${input.tau}, K = ${input.repricingInterval}`);
        for (const t of input.tenants) expect(v.stdout).toMatch(new RegExp(`^${t.name} +${t.type} `, "m"));
        expect(v.stdout).toContain(`feasible: all ${input.tenants.length} tenants have eligible devices`);

        const j = await cli(["--validate", file, "--json"]);
        expect(j.code).toBe(0);
        const s = JSON.parse(j.stdout) as ScenarioSummary;
        expect(j.stdout.trim().split("\n")).toHaveLength(1);
        expect(s.seed).toBe(input.seed);
        expect(s.tau).toBe(input.tau);
        expect(s.repricingInterval).toBe(input.repricingInterval);
        expect(s.devices).toEqual({ count: N, source: "generated" });
        expect(s.infeasible).toEqual([]);
        expect(s.tenants.map((t) => [t.name, t.type, t.target, t.deadline, t.budget])).toEqual(
          input.tenants.map((t) => [t.name, t.type, t.target, t.deadline, t.budget]),
        );
        for (const t of s.tenants) {
          expect(t.feasible).toBe(true);
          expect(t.windowDefaulted).toBe(true);
          expect(t.window).toBeGreaterThan(0);
          expect(t.eligible).toBeGreaterThan(0);
          expect(t.eligible).toBeLessThanOrEqual(t.holders);
          expect(t.holders).toBeLessThanOrEqual(N);
        }
      },
      TIMEOUT,
    );

  it(
    "without --out prints the preset's JSON on stdout",
    async () => {
      const r = await cli(["--preset", "tiny"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toEqual(presetInput("tiny"));
    },
    TIMEOUT,
  );

  it(
    "YAML round trip: .yaml and .yml names get YAML that reads back to the preset and validates the same",
    async () => {
      const d = subdir("yaml");
      const yaml = join(d, "paper.yaml");
      const yml = join(d, "paper.yml");
      const json = join(d, "paper.json");
      for (const f of [yaml, yml, json]) expect((await cli(["--preset", "paper", "--out", f])).code).toBe(0);
      const text = readFileSync(yaml, "utf8");
      expect(text).not.toMatch(/^\s*\{/); // block YAML, not JSON
      expect(parseYaml(text)).toEqual(presetInput("paper"));
      expect(readFileSync(yml, "utf8")).toBe(text);

      const [a, b] = await Promise.all([
        cli(["--validate", yaml, "--json"]),
        cli(["--validate", json, "--json"]),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const { file: fa, ...sa } = JSON.parse(a.stdout) as ScenarioSummary;
      const { file: fb, ...sb } = JSON.parse(b.stdout) as ScenarioSummary;
      expect([fa, fb]).toEqual([yaml, json]);
      expect(sa).toEqual(sb);
    },
    TIMEOUT,
  );

  it(
    "refuses to overwrite an existing file unless --force",
    async () => {
      const d = subdir("overwrite");
      const file = join(d, "mine.json");
      writeFileSync(file, "my edits\n");
      const r = await cli(["--preset", "tiny", "--out", file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`${file} already exists; pass --force to overwrite it`);
      expectNoStack(r);
      expect(readFileSync(file, "utf8")).toBe("my edits\n");
      expect(readdirSync(d)).toEqual(["mine.json"]);

      const f = await cli(["--preset", "tiny", "--out", file, "--force"]);
      expect(f.code).toBe(0);
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(presetInput("tiny"));
      expect(readdirSync(d)).toEqual(["mine.json"]);
    },
    TIMEOUT,
  );

  it(
    "an output directory that does not exist: exit 2 naming it, nothing written",
    async () => {
      const d = subdir("nodir");
      const r = await cli(["--preset", "tiny", "--out", join(d, "missing", "x.json")]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`the directory ${join(d, "missing")} does not exist`);
      expectNoStack(r);
      expect(readdirSync(d)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "a broken scenario: exit 2, every offending field by its path with the allowed range, stdout empty",
    async () => {
      const d = subdir("broken");
      const raw = structuredClone(presetInput("tiny")) as Record<string, unknown> & {
        tenants: Record<string, unknown>[];
        devices: Record<string, unknown>;
      };
      raw.tenants[1].budget = -5;
      raw.tenants[2].type = "gpt";
      raw.tenants[0].colour = "red";
      raw.devices.count = 0;
      raw.tau = 1;
      const file = join(d, "broken.json");
      writeFileSync(file, JSON.stringify(raw, null, 2));
      for (const args of [
        ["--validate", file],
        ["--validate", file, "--json"],
      ]) {
        const r = await cli(args);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expectNoStack(r);
        expect(r.stderr).toContain(`sfl-market scenario: invalid scenario file ${file}:`);
        expect(r.stderr).toContain("  tenants[1].budget: must be a number > 0, got -5\n");
        expect(r.stderr).toContain("  tenants[2].type: must be one of vit, bert, whisper, llama\n");
        expect(r.stderr).toMatch(/ {2}tenants\[0\]\.colour: unknown field; allowed: name, type, target/);
        expect(r.stderr).toContain("  devices.count: must be an integer in [1, 200000], got 0\n");
        expect(r.stderr).toContain("  tau: must be a number in [1.01, 10], got 1\n");
        expect(r.stderr.trim().split("\n")).toHaveLength(6);
      }
    },
    TIMEOUT,
  );

  it(
    "a missing file: exit 2 naming it",
    async () => {
      const file = join(dir, "does-not-exist.json");
      const r = await cli(["--validate", file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`sfl-market scenario: cannot read scenario file ${file}: no such file\n`);
    },
    TIMEOUT,
  );

  it(
    "a file that is not JSON: exit 2 with the line and column",
    async () => {
      const d = subdir("syntax");
      const file = join(d, "bad.json");
      writeFileSync(file, '{\n  "tau": 2,\n  "seed": ]\n}\n');
      const r = await cli(["--validate", file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expectNoStack(r);
      expect(r.stderr).toContain(`scenario file ${file} is not valid JSON: at line 3, column 11`);
    },
    TIMEOUT,
  );

  it(
    "a tenant no device can serve is reported as infeasible with its reason, exit 0",
    async () => {
      const d = subdir("infeasible");
      const raw = structuredClone(presetInput("tiny"));
      raw.tenants[1] = { ...raw.tenants[1], window: 0.001 };
      const file = join(d, "slow.json");
      writeFileSync(file, JSON.stringify(raw));
      const r = await cli(["--validate", file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("infeasible: 1 of 3 tenants");
      expect(r.stdout).toMatch(
        / {2}bert: no device holding text data finishes a round within the window W = 0.001 s/,
      );
      const j = JSON.parse((await cli(["--validate", file, "--json"])).stdout) as ScenarioSummary;
      expect(j.tenants.map((t) => t.feasible)).toEqual([true, false, true]);
      expect(j.tenants[1]).toMatchObject({ window: 0.001, windowDefaulted: false, eligible: 0 });
      expect(j.infeasible).toEqual([
        {
          tenant: "bert",
          index: 1,
          code: "NO_ELIGIBLE_DEVICE",
          reason: expect.stringContaining("W = 0.001 s"),
        },
      ]);
    },
    TIMEOUT,
  );

  it(
    "an explicit device list (YAML) validates and is summarised as listed",
    async () => {
      const d = subdir("list");
      const file = join(d, "list.yml");
      writeFileSync(
        file,
        [
          "tenants:",
          "  - { name: chat, type: bert, target: 0.01, deadline: 3600, budget: 5, samplesPerRound: 8, cutLayer: 1 }",
          "devices:",
          "  list:",
          "    - { compute: 1e12, uplink: 1e6, downlink: 2e6, energyPerFlop: 1e-11, energyPerByte: 1e-7,",
          "        energyPrice: 2, data: { text: { samples: 300, labels: [5, 1, 1, 1] } } }",
          "    - { compute: 1e12, uplink: 1e6, downlink: 2e6, energyPerFlop: 1e-11, energyPerByte: 1e-7, energyPrice: 2 }",
          "",
        ].join("\n"),
      );
      const r = await cli(["--validate", file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`scenario ${file}: valid, 1 tenant on 2 devices (listed)`);
      expect(r.stdout).toContain("seed 1, tau = 2, K = 10"); // the defaults
      expect(r.stdout).toMatch(/^chat +bert .* 1 of 2 +1 of 2$/m);
      expect(r.stdout).toContain("feasible: the tenant has eligible devices");
    },
    TIMEOUT,
  );

  it(
    "usage errors exit 2 with one line and the usage, nothing on stdout",
    async () => {
      const cases: [string[], string][] = [
        [[], "give --preset NAME or --validate FILE"],
        [["--preset", "huge"], "--preset must be one of paper, tiny, stress, paper-neural, got 'huge'"],
        [["--preset", "tiny", "--validate", "x.json"], "give either --preset or --validate, not both"],
        [["--preset", "tiny", "--json"], "--json goes with --validate"],
        [["--preset", "tiny", "--force"], "--force goes with --out"],
        [["--validate", "x.json", "--out", "y.json"], "--out and --force go with --preset"],
        [["x.json"], "unexpected argument 'x.json'"],
        [["--validate"], "Option '--validate <value>' argument missing"],
        [["--bogus"], "unknown option '--bogus'"],
      ];
      await Promise.all(
        cases.map(async ([args, message]) => {
          const r = await cli(args);
          expect(r.code, args.join(" ")).toBe(2);
          expect(r.stdout).toBe("");
          expect(r.stderr).toContain(`sfl-market scenario: ${message}`);
          expect(r.stderr).toContain("Usage: sfl-market scenario --preset");
          expectNoStack(r);
        }),
      );
    },
    TIMEOUT,
  );

  it(
    "--help prints the usage on stdout",
    async () => {
      const r = await cli(["--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: sfl-market scenario --preset paper\|tiny\|stress/);
      expect(r.stdout).toContain("--validate FILE");
    },
    TIMEOUT,
  );
});
