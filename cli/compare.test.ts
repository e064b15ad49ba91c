// End-to-end tests of `sfl-market compare`, in-process through main (cli/testCli.ts); the first test
// also runs the real binary in a child process and expects the same bytes.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presetInput } from "../env/presets.ts";
import { tenantPolicyNames } from "../policies/registry.ts";
import { TIMEOUT as CLI_TIMEOUT, cli, expectNoStack, ROOT, spawnCli } from "./testCli.ts";

// a tiny comparison takes ~1 s after tsx has compiled the CLI
const TIMEOUT = 2 * CLI_TIMEOUT;
const compare = (args: string[], cwd = ROOT) => cli(["compare", ...args], {}, cwd);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sfl-compare-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh subdirectory per test, so concurrent tests never see each other's files. */
function subdir(name: string): string {
  return mkdtempSync(join(dir, `${name}-`));
}

// The contract of docs/cli.md, written out here rather than imported, so a change to the command's
// types cannot silently change what the test expects.
interface ResultRow {
  policy: string;
  seed: number;
  tenant: string;
  type: string;
  met: boolean;
  timeToTarget: number | null;
  rounds: number;
  spend: number;
  finalGap: number | null;
  reason?: string;
}

interface SummaryRow {
  policy: string;
  tenant: string;
  metRate: number;
  medianTime: number | null;
  speedupOfPrince: number | null;
}

interface CompareJson {
  version: string;
  scenario: string;
  seeds: number[];
  policies: string[];
  complete: boolean;
  failure: { policy: string; seed: number; message: string } | null;
  results: ResultRow[];
  summary: SummaryRow[];
  bound: { spearman: number | null; n: number };
  notes: string[];
}

/** The median as a statistician writes it: the middle value, or the mean of the middle two. */
function medianOf(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Equal up to the last bits of a double (a median of two can be computed two ways). */
function expectClose(actual: number | null, expected: number | null) {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(1e-12 * Math.abs(expected));
}

describe.concurrent("sfl-market compare --json / --report", () => {
  const tiny = presetInput("tiny");
  const tenants = tiny.tenants.map((t) => ({ name: t.name, type: t.type, target: t.target as number }));
  const policies = ["prince", "uniform"];
  const seeds = [1, 2];

  it(
    "the same seeds give byte-identical JSON, whatever the progress display and output path",
    async () => {
      const d = subdir("same");
      const base = ["--preset", "tiny", "--seeds", "2", "--policies", policies.join(",")];
      // one run of the real binary with the progress display, one in-process without: only stderr
      // may differ
      const [a, b] = await Promise.all([
        spawnCli(["compare", ...base, "--json", join(d, "a.json")]),
        compare([...base, "--json", join(d, "b.json"), "--quiet"]),
      ]);
      for (const r of [a, b]) {
        expect(r.code).toBe(0);
        expectNoStack(r);
      }
      expect(b.stdout).toBe(a.stdout);
      const ja = readFileSync(join(d, "a.json"), "utf8");
      expect(readFileSync(join(d, "b.json"), "utf8")).toBe(ja);
      expect(a.stderr).toContain(`wrote ${join(d, "a.json")}`);
      expect(b.stderr).toBe(`wrote ${join(d, "b.json")}\n`);
      // the writes are atomic: nothing but the outputs is left behind
      expect(readdirSync(d).sort()).toEqual(["a.json", "b.json"]);
      // the table names every tenant and policy
      for (const t of tenants) expect(a.stdout).toContain(`tenant ${t.name} (${t.type}`);
      for (const p of policies) expect(a.stdout).toMatch(new RegExp(`^ +${p} +\\d+/2 `, "m"));
    },
    TIMEOUT,
  );

  it(
    "the same command line gives byte-identical JSON and report files",
    async () => {
      // the report records the command line, so both runs use the same relative paths
      const [da, db] = [subdir("cwd-a"), subdir("cwd-b")];
      const args = ["--preset", "tiny", "--seeds", "2", "--policies", policies.join(","), "--quiet"];
      const [a, b] = await Promise.all(
        [da, db].map((cwd) => compare([...args, "--json", "out.json", "--report", "report"], cwd)),
      );
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      expect(readFileSync(join(db, "out.json"), "utf8")).toBe(readFileSync(join(da, "out.json"), "utf8"));
      expect(readFileSync(join(db, "report", "index.html"), "utf8")).toBe(
        readFileSync(join(da, "report", "index.html"), "utf8"),
      );
    },
    TIMEOUT,
  );

  it(
    "the JSON follows the contract, and its summary is what its results say",
    async () => {
      const d = subdir("contract");
      const file = join(d, "out.json");
      const r = await compare([
        "--preset",
        "tiny",
        "--seeds",
        "2",
        "--policies",
        policies.join(","),
        "--json",
        file,
        "--quiet",
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`wrote ${file}\n`);
      const text = readFileSync(file, "utf8");
      expect(text.endsWith("}\n")).toBe(true);
      expect(text.trimEnd().split("\n")).toHaveLength(1);
      expect(text).not.toContain("NaN");
      expect(text).not.toContain("Infinity");
      const out: CompareJson = JSON.parse(text);
      expect(`${JSON.stringify(out)}\n`).toBe(text);

      const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
      expect(Object.keys(out).sort()).toEqual(
        [
          "version",
          "scenario",
          "seeds",
          "policies",
          "complete",
          "failure",
          "results",
          "summary",
          "bound",
          "notes",
        ].sort(),
      );
      expect(out).toMatchObject({
        version: pkg.version,
        scenario: "preset tiny",
        seeds,
        policies,
        complete: true,
        failure: null,
      });

      // results: one row per policy x seed x tenant, in run order (seed by seed, policies in the
      // given order), tenants in scenario order
      const expectedKeys = seeds.flatMap((seed) =>
        policies.flatMap((policy) => tenants.map((t) => `${policy}/${seed}/${t.name}`)),
      );
      expect(out.results.map((x) => `${x.policy}/${x.seed}/${x.tenant}`)).toEqual(expectedKeys);
      const allowed = new Set([
        "policy",
        "seed",
        "tenant",
        "type",
        "met",
        "timeToTarget",
        "rounds",
        "spend",
        "finalGap",
        "reason",
      ]);
      for (const x of out.results) {
        for (const k of Object.keys(x)) expect(allowed).toContain(k);
        const t = tenants.find((t) => t.name === x.tenant)!;
        expect(x.type).toBe(t.type);
        expect(typeof x.met).toBe("boolean");
        expect(Number.isInteger(x.rounds) && x.rounds >= 0).toBe(true);
        expect(Number.isFinite(x.spend) && x.spend >= 0).toBe(true);
        // every tiny tenant is feasible, so every run has a final gap
        expect(typeof x.finalGap).toBe("number");
        expect(Number.isFinite(x.finalGap)).toBe(true);
        if (x.met) {
          expect(typeof x.timeToTarget).toBe("number");
          expect(x.timeToTarget! > 0 && Number.isFinite(x.timeToTarget)).toBe(true);
          expect(x.rounds).toBeGreaterThan(0);
          expect(x.finalGap!).toBeLessThanOrEqual(t.target);
          expect(x).not.toHaveProperty("reason");
        } else {
          expect(x.timeToTarget).toBeNull();
          expect(x.finalGap!).toBeGreaterThan(t.target);
          expect(typeof x.reason).toBe("string");
          expect(x.reason!.length).toBeGreaterThan(0);
        }
      }

      // summary: one row per policy x tenant, recomputed here from the results
      expect(out.summary).toHaveLength(policies.length * tenants.length);
      for (const t of tenants)
        for (const policy of policies) {
          const row = out.summary.find((s) => s.policy === policy && s.tenant === t.name);
          expect(row, `${policy}/${t.name}`).toBeDefined();
          expect(Object.keys(row!).sort()).toEqual(
            ["policy", "tenant", "metRate", "medianTime", "speedupOfPrince"].sort(),
          );
          const mine = out.results.filter((x) => x.policy === policy && x.tenant === t.name);
          const met = mine.filter((x) => x.met);
          expect(row!.metRate).toBe(met.length / mine.length);
          expectClose(row!.medianTime, medianOf(met.map((x) => x.timeToTarget!)));
          const princeTime = (seed: number) =>
            out.results.find((x) => x.policy === "prince" && x.tenant === t.name && x.seed === seed && x.met)
              ?.timeToTarget ?? null;
          if (policy === "prince") {
            expect(row!.speedupOfPrince).toBe(met.length > 0 ? 1 : null);
          } else {
            const ratios = met
              .filter((x) => princeTime(x.seed) !== null)
              .map((x) => x.timeToTarget! / princeTime(x.seed)!);
            expectClose(row!.speedupOfPrince, medianOf(ratios));
          }
        }

      // bound: the rank correlation over the runs that met their targets
      expect(Number.isInteger(out.bound.n)).toBe(true);
      expect(out.bound.n).toBeGreaterThanOrEqual(0);
      expect(out.bound.n).toBeLessThanOrEqual(out.results.filter((x) => x.met).length);
      if (out.bound.spearman !== null) {
        expect(out.bound.spearman).toBeGreaterThanOrEqual(-1);
        expect(out.bound.spearman).toBeLessThanOrEqual(1);
      }
      expect(Array.isArray(out.notes)).toBe(true);
      for (const n of out.notes) expect(typeof n).toBe("string");
    },
    TIMEOUT,
  );

  it(
    "--report writes a self-contained index.html with SVG plots",
    async () => {
      const d = subdir("report");
      const r = await compare([
        "--preset",
        "tiny",
        "--seeds",
        "1",
        "--policies",
        "prince,uniform",
        "--report",
        d,
        "--quiet",
      ]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`wrote ${join(d, "index.html")}\n`);
      const html = readFileSync(join(d, "index.html"), "utf8");
      expect(html).toContain("<svg");
      expect(html).toContain("prince");
      expect(html).toContain("uniform");
      expect(html).not.toContain("NaN");
      expect(html).not.toContain("undefined");
      expect(html).not.toMatch(/<script\b/i);
    },
    TIMEOUT,
  );
});

describe.concurrent("sfl-market compare: bad input (exit 2, nothing computed or written)", () => {
  it(
    "a scenario file with several wrong fields: every path on stderr, nothing on stdout, no JSON",
    async () => {
      const d = subdir("bad-scenario");
      const raw = structuredClone(presetInput("tiny")) as Record<string, unknown> & {
        tenants: Record<string, unknown>[];
        devices: Record<string, unknown>;
      };
      raw.tau = 1;
      raw.repricingInterval = 0;
      raw.devices.count = 0;
      raw.tenants[0].type = "vitt";
      raw.tenants[1].budget = -5;
      raw.tenants[2].colour = "red";
      const file = join(d, "bad.json");
      writeFileSync(file, JSON.stringify(raw, null, 2));
      const out = join(d, "out.json");
      const report = join(d, "report");
      const r = await compare(["--scenario", file, "--seeds", "1", "--json", out, "--report", report]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expectNoStack(r);
      expect(r.stderr).toContain(file);
      for (const path of [
        "tau",
        "repricingInterval",
        "devices.count",
        "tenants[0].type",
        "tenants[1].budget",
        "tenants[2].colour",
      ])
        expect(r.stderr).toMatch(new RegExp(`^ {2}${path.replace(/[.[\]]/g, "\\$&")}: `, "m"));
      expect(existsSync(out)).toBe(false);
      expect(existsSync(report)).toBe(false);
      expect(readdirSync(d)).toEqual(["bad.json"]);
    },
    TIMEOUT,
  );

  it(
    "an unknown policy: exit 2 listing the known names, before any run",
    async () => {
      const d = subdir("unknown-policy");
      const out = join(d, "out.json");
      const r = await compare([
        "--preset",
        "tiny",
        "--seeds",
        "1",
        "--policies",
        "prince,nosuch",
        "--json",
        out,
      ]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expectNoStack(r);
      expect(r.stderr).toContain('"nosuch"');
      for (const name of tenantPolicyNames()) expect(r.stderr).toContain(name);
      expect(r.stderr).toContain("Usage: sfl-market compare");
      expect(existsSync(out)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "--preset and --scenario together: exit 2",
    async () => {
      const d = subdir("both");
      const file = join(d, "tiny.json");
      writeFileSync(file, JSON.stringify(presetInput("tiny")));
      const out = join(d, "out.json");
      const r = await compare(["--preset", "tiny", "--scenario", file, "--json", out]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expectNoStack(r);
      expect(r.stderr).toMatch(/--preset.*--scenario|--scenario.*--preset/);
      expect(existsSync(out)).toBe(false);
    },
    TIMEOUT,
  );
});
