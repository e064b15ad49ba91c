// End-to-end tests of user policies loaded by path in `sfl-market compare`, in-process through main
// (cli/testCli.ts), with the examples and the misbehaving fixtures under cli/fixtures/.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TIMEOUT as CLI_TIMEOUT, cli, expectNoStack } from "./testCli.ts";

const TIMEOUT = 2 * CLI_TIMEOUT;
const compare = (args: string[]) => cli(["compare", "--preset", "tiny", "--quiet", ...args]);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sfl-user-policy-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CompareJson {
  policies: string[];
  complete: boolean;
  failure: { policy: string; seed: number; message: string } | null;
  results: { policy: string; seed: number; tenant: string; met: boolean; timeToTarget: number | null }[];
}

const readJson = (file: string): CompareJson => JSON.parse(readFileSync(file, "utf8"));

describe.concurrent("compare with a policy module by path", () => {
  it(
    "the example runs beside PRINCE, labelled by its spec, and its options reach its factory",
    async () => {
      const spec = "./examples/my-pricing.ts";
      const [a, b] = [join(dir, "example-a.json"), join(dir, "example-b.json")];
      const [plain, tuned] = await Promise.all([
        compare(["--seeds", "1", "--policies", `prince,${spec}`, "--json", a]),
        compare([
          "--seeds",
          "1",
          "--policies",
          `prince,${spec}`,
          "--json",
          b,
          "--policy-options",
          JSON.stringify({ [spec]: { exponent: 0.5 } }),
        ]),
      ]);
      for (const r of [plain, tuned]) {
        expect(r.code, r.stderr).toBe(0);
        expectNoStack(r);
        expect(r.stdout).toMatch(/^ {2}\.\/examples\/my-pricing\.ts +1\/1 /m);
      }
      const ja = readJson(a);
      const jb = readJson(b);
      expect(ja.policies).toEqual(["prince", spec]);
      expect(ja.complete).toBe(true);
      const mine = (j: CompareJson) => j.results.filter((x) => x.policy === spec).map((x) => x.timeToTarget);
      expect(mine(ja)).toHaveLength(3);
      expect(mine(jb)).not.toEqual(mine(ja)); // exponent 0.5 prices differently
      // PRINCE's runs do not depend on the other policy's options
      const prince = (j: CompareJson) => j.results.filter((x) => x.policy === "prince");
      expect(prince(jb)).toEqual(prince(ja));
    },
    TIMEOUT,
  );

  it(
    "--sandbox (Node's permission model) gives the same results as the worker thread",
    async () => {
      const args = ["--seeds", "1", "--policies", "prince,./examples/my-pricing.ts", "--json", "-"];
      const [plain, sandboxed] = [await compare(args), await compare([...args, "--sandbox"])];
      expect(sandboxed.code, sandboxed.stderr).toBe(0);
      expect(sandboxed.stdout).toBe(plain.stdout);
    },
    TIMEOUT,
  );

  it(
    "JavaScript modules, #exportName, and a module with no name field",
    async () => {
      const r = await compare([
        "--seeds",
        "1",
        "--policies",
        "./cli/fixtures/flat-price.mjs,./cli/fixtures/two-policies.ts#tenant",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^ {2}\.\/cli\/fixtures\/flat-price\.mjs +\d\/1 /m);
      expect(r.stdout).toMatch(/^ {2}\.\/cli\/fixtures\/two-policies\.ts#tenant +\d\/1 /m);
    },
    TIMEOUT,
  );
});

// Each fixture misbehaves at a known market step: the run stops with an error naming the policy
// (spec and name), the step and the bad value; PRINCE's run before it is kept and written.
const misbehaving: { fixture: string; name: string; step: number; problem: RegExp; extra?: string[] }[] = [
  {
    fixture: "throws-at-step-2",
    name: "throws-at-step-2",
    step: 2,
    problem: /price\(\) threw: the pricing model is not loaded/,
  },
  {
    fixture: "wrong-length",
    name: "wrong-length",
    step: 1,
    problem: /prices have length 19, expected N = 20/,
  },
  {
    fixture: "nan-price",
    name: "nan-price",
    step: 1,
    problem: /price for device 3 is NaN; prices must be finite/,
  },
  {
    fixture: "negative-price",
    name: "negative-price",
    step: 2,
    problem: /price for device 0 is -0\.5; prices must be >= 0/,
  },
  {
    // in its worker thread, a promise nothing can resolve is found at once, before any timeout
    fixture: "never-settles",
    name: "never-settles",
    step: 1,
    problem:
      /its answer can never come: it is waiting on a promise \(or thenable\) that nothing is left to resolve/,
    extra: ["--policy-timeout", "300"],
  },
  // Regressions (issue 11): modules that used to take the whole process down, or hang it
  {
    fixture: "thenable-never",
    name: "thenable-never",
    step: 1,
    problem: /its answer can never come/,
    extra: ["--policy-timeout", "0"],
  },
  {
    fixture: "exits-at-step-1",
    name: "exits-at-step-1",
    step: 1,
    problem: /it ended its thread with process\.exit\(0\)/,
  },
  {
    fixture: "loops-at-step-1",
    name: "loops-at-step-1",
    step: 1,
    problem:
      /did not answer within 300 ms \(an infinite loop, or a promise that never settles\?\); its worker was stopped/,
    extra: ["--policy-timeout", "300"],
  },
  {
    fixture: "throws-later",
    name: "throws-later",
    step: 0,
    problem:
      /its code raised an uncaught exception outside any answer \(a timer, a callback\?\): the model server went away/,
  },
];

describe.concurrent("a misbehaving user policy stops its run; the completed runs are kept", () => {
  for (const m of misbehaving) {
    it(
      m.fixture,
      async () => {
        const spec = `./cli/fixtures/${m.fixture}.ts`;
        const out = join(dir, `${m.fixture}.json`);
        const r = await compare([
          "--seeds",
          "2",
          "--policies",
          `prince,${spec}`,
          "--json",
          out,
          ...(m.extra ?? []),
        ]);
        expect(r.code).toBe(1);
        expectNoStack(r);
        const line = r.stderr.split("\n").find((l) => l.startsWith("error: "));
        expect(line, r.stderr).toBeDefined();
        expect(line).toContain(`error: run 2/4 (policy ${spec}, seed 1) failed: `);
        expect(line).toContain(`policy "${m.name}" at market step ${m.step} for tenant "vit": `);
        expect(line).toMatch(m.problem);
        expect(r.stderr).toContain("1 completed runs are reported above and written.");
        // the table keeps PRINCE's completed run
        expect(r.stdout).toMatch(/^ {2}prince +1\/1 /m);
        const j = readJson(out);
        expect(j.complete).toBe(false);
        expect(j.failure).toEqual({ policy: spec, seed: 1, message: line!.split(" failed: ")[1] });
        expect(j.results.map((x) => `${x.policy}/${x.seed}`)).toEqual(["prince/1", "prince/1", "prince/1"]);
      },
      TIMEOUT,
    );
  }
});

describe.concurrent("a policy module that cannot be used: exit 2 before any run, nothing written", () => {
  const expectBadModule = async (policies: string, message: RegExp | string, extra: string[] = []) => {
    const out = join(mkdtempSync(join(dir, "bad-")), "out.json");
    const r = await compare(["--seeds", "1", "--policies", policies, "--json", out, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expectNoStack(r);
    if (typeof message === "string") expect(r.stderr).toContain(message);
    else expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
    return r;
  };

  it(
    "a missing file: named, with the directory relative paths are resolved against",
    async () => {
      await expectBadModule(
        "prince,./examples/no-such-policy.ts",
        /policy module "\.\/examples\/no-such-policy\.ts" not found: no file \/.*\/examples\/no-such-policy\.ts \(relative paths are resolved against /,
      );
    },
    TIMEOUT,
  );

  it(
    "a syntax error: the first line of the error, with its location",
    async () => {
      const file = join(dir, "syntax.ts");
      writeFileSync(file, "export default function () {}\nexport const x: number = ;\n");
      // the module is imported in its worker thread, through tsx, which reports the location
      const r = await expectBadModule(`prince,${file}`, `policy module "${file}" failed to import: `);
      const line = r.stderr.split("\n")[0];
      expect(line).toMatch(/syntax\.ts:2:\d+: ERROR: /);
    },
    TIMEOUT,
  );

  it(
    "a module that calls process.exit while it is imported (regression, issue 11)",
    async () => {
      await expectBadModule(
        "prince,./cli/fixtures/exits-on-import.ts",
        'policy module "./cli/fixtures/exits-on-import.ts" could not be loaded: it ended its thread with process.exit(0)',
      );
    },
    TIMEOUT,
  );

  it(
    "no suitable export: the exports found",
    async () => {
      await expectBadModule(
        "./cli/fixtures/no-policy-export.ts",
        "exports no tenant policy: it needs a default export (or a single named export) that is a factory (options) => policy or a policy object with price(obs, row); exports found: budgetShare (number), settings (object)",
      );
      await expectBadModule(
        "./cli/fixtures/two-policies.ts",
        'pick one with "./cli/fixtures/two-policies.ts#device"',
      );
    },
    TIMEOUT,
  );

  it(
    "a factory that throws on its options: the module named",
    async () => {
      const spec = "./cli/fixtures/strict-options.ts";
      await expectBadModule(
        spec,
        `policy module "${spec}": its factory (default export) threw on the options {"lvl":2}: unknown option "lvl" (this policy takes: level)`,
        ["--policy-options", JSON.stringify({ [spec]: { lvl: 2 } })],
      );
      // options rejected with the library's InputError: every bad option by its path
      await expectBadModule(
        "./examples/my-pricing.ts",
        /invalid options of policy \.\/examples\/my-pricing\.ts:\n {2}options\.exponent: must be a finite number >= 0 and <= 4 \(got -1\)/,
        ["--policy-options", JSON.stringify({ "./examples/my-pricing.ts": { exponent: -1 } })],
      );
    },
    TIMEOUT,
  );
});
