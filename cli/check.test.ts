// End-to-end tests of `sfl-market check`, in-process through main (cli/testCli.ts; the first one runs
// the real binary in a child process), on the examples, a built-in policy and the misbehaving
// fixtures under cli/fixtures/.
import { describe, expect, it } from "vitest";
import type { Io } from "./command.ts";
import { check as checkCommand } from "./commands/check.ts";
import { main } from "./main.ts";
import { TIMEOUT as CLI_TIMEOUT, cli, expectNoStack, spawnCli } from "./testCli.ts";

const TIMEOUT = 2 * CLI_TIMEOUT;
const check = (args: string[]) => cli(["check", ...args]);

/** The PASS/FAIL/SKIP lines of the report, as [verdict, check name]. */
function verdicts(stdout: string): [string, string][] {
  return stdout
    .split("\n")
    .filter((l) => /^(PASS|FAIL|SKIP) /.test(l))
    .map((l) => {
      const [verdict, name] = l.split(" ");
      return [verdict, name.replace(/:$/, "")];
    });
}

/** The shell words of a `replay:` line (single-quoted words unquoted). */
function replayWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line))
    words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]);
  return words;
}

describe.concurrent("sfl-market check: good policies pass (exit 0)", () => {
  it(
    "the tenant pricing example: every property and both episode checks",
    async () => {
      const r = await spawnCli(["check", "--policy", "./examples/my-pricing.ts", "--runs", "30"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expectNoStack(r);
      expect(r.stdout.split("\n")[0]).toBe(
        'checking tenant policy "value-per-cost" (./examples/my-pricing.ts: default export, a factory) with options {}',
      );
      expect(verdicts(r.stdout)).toEqual([
        ["PASS", "tenant-policy/well-formed"],
        ["PASS", "tenant-policy/deterministic"],
        ["PASS", "tenant-policy/budget-guard"],
        ["PASS", "tenant-policy/episode"],
        ["PASS", "tenant-policy/episode-deterministic"],
      ]);
      expect(r.stdout).toMatch(
        /PASS tenant-policy\/budget-guard \(30 runs, \d+ ms\): the guard scaled \d+ of \d+ answers/,
      );
      expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("5 passed");
    },
    TIMEOUT,
  );

  it(
    "the device example with options, its kind found from what it builds",
    async () => {
      const r = await check([
        "--policy",
        "./examples/my-device.ts",
        "--options",
        '{"cap": 0.25}',
        "--runs",
        "30",
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('checking device policy "capped-best-response"');
      expect(r.stdout).toContain('with options {"cap":0.25}');
      expect(verdicts(r.stdout).map(([v]) => v)).toEqual(["PASS", "PASS", "PASS", "PASS"]);
    },
    TIMEOUT,
  );

  it(
    "a built-in name: a device policy when only the device registry has it",
    async () => {
      const r = await check(["--policy", "myopic", "--runs", "20", "--only", "feasible,episode"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('checking device policy "myopic" (built-in)');
      expect(verdicts(r.stdout).map(([, n]) => n)).toEqual([
        "device-policy/feasible",
        "device-policy/episode",
        "device-policy/episode-deterministic",
      ]);
    },
    TIMEOUT,
  );
});

describe.concurrent("sfl-market check: a broken policy fails (exit 1) with a replayable counterexample", () => {
  it(
    "NaN prices: the counterexample and a replay command that reproduces it",
    async () => {
      const spec = "./cli/fixtures/nan-price.ts";
      const r = await check(["--policy", spec, "--runs", "30", "--seed", "4"]);
      expect(r.code).toBe(1);
      expectNoStack(r);
      expect(verdicts(r.stdout)).toEqual([
        ["FAIL", "tenant-policy/well-formed"],
        ["SKIP", "tenant-policy/deterministic"],
        ["SKIP", "tenant-policy/budget-guard"],
        ["FAIL", "tenant-policy/episode"],
        ["SKIP", "tenant-policy/episode-deterministic"],
      ]);
      const lines = r.stdout.split("\n");
      const at = lines.findIndex((l) => l.startsWith("FAIL tenant-policy/well-formed"));
      expect(lines[at + 1]).toMatch(
        /^ {2}error: policy "nan-price" at market step \d+ for tenant "t\d": price for device 3 is NaN/,
      );
      expect(lines[at + 2]).toMatch(/^ {2}fast-check: seed 4, path "[\d:]+"$/);
      expect(lines[at + 3]).toMatch(/^ {2}counterexample: \{"obs":\{"step":1,/);
      expect(lines[at + 4]).toMatch(
        /^ {2}replay: sfl-market check --policy \.\/cli\/fixtures\/nan-price\.ts --kind tenant --seed 4 --only tenant-policy\/well-formed --runs 30 --path [\d:]+$/,
      );
      expect(r.stdout).toContain(
        'counterexample: {"seed":4,"policy":"nan-price","step":1,"tenant":"vit","problem":"price for device 3 is NaN; prices must be finite","index":3,"value":"NaN"}',
      );
      expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("2 of 5 failed (3 skipped)");

      // the replay command runs just that property on just that case
      const words = replayWords(lines[at + 4].replace(/^ {2}replay: /, ""));
      expect(words.slice(0, 2)).toEqual(["sfl-market", "check"]);
      const again = await check(words.slice(2));
      expect(again.code).toBe(1);
      expect(verdicts(again.stdout)).toEqual([["FAIL", "tenant-policy/well-formed"]]);
      const ce = (s: string) => s.split("\n").find((l) => l.startsWith("  counterexample: "));
      expect(ce(again.stdout)).toBe(lines[at + 3]);
    },
    TIMEOUT,
  );

  it(
    "a promise that never settles fails its checks",
    async () => {
      const r = await check([
        "--policy",
        "./cli/fixtures/never-settles.ts",
        "--runs",
        "20",
        "--policy-timeout",
        "200",
      ]);
      expect(r.code, r.stderr).toBe(1);
      // it runs in a worker thread, where a promise nothing can resolve is found before the timeout
      expect(r.stdout).toContain(
        'error: policy "never-settles" at market step 1 for tenant "vit": its answer can never come',
      );
    },
    TIMEOUT,
  );
});

// Regressions (issue 11): a module that exits, loops or throws later used to make check pass (exit
// 0 with no check run), hang it forever, or kill it with a raw stack. In its worker thread it fails.
describe.concurrent("sfl-market check: hostile modules fail, never pass or hang", () => {
  for (const [fixture, problem] of [
    ["exits-at-step-1", "it ended its thread with process.exit(0)"],
    ["loops-at-step-1", "did not answer within 300 ms (an infinite loop"],
    ["throws-later", "its code raised an uncaught exception outside any answer"],
  ] as const)
    it(
      fixture,
      async () => {
        const r = await check([
          "--policy",
          `./cli/fixtures/${fixture}.ts`,
          "--runs",
          "5",
          "--policy-timeout",
          "300",
        ]);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        expectNoStack(r);
        expect(verdicts(r.stdout)).toContainEqual(["FAIL", "tenant-policy/episode"]);
        expect(r.stdout).toContain(`error: policy "${fixture}" at market step `);
        expect(r.stdout).toContain(problem);
      },
      TIMEOUT,
    );

  it(
    "a module that exits while it is imported: exit 2, nothing checked",
    async () => {
      const r = await check(["--policy", "./cli/fixtures/exits-on-import.ts"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("could not be loaded: it ended its thread with process.exit(0)");
    },
    TIMEOUT,
  );
});

// In-process through main (same dispatch and exit codes as the binary, without a process each).
describe("sfl-market check: bad usage or path (exit 2, nothing on stdout)", () => {
  const run = async (args: string[]) => {
    const out = { stdout: "", stderr: "" };
    const io: Io = {
      out: (t) => {
        out.stdout += t;
      },
      err: (t) => {
        out.stderr += t;
      },
      env: {},
    };
    const code = await main(["check", ...args], io, [checkCommand]);
    return { code, ...out };
  };
  const cases: [string, string[], RegExp][] = [
    ["no --policy", [], /missing --policy SPEC/],
    [
      "a missing file",
      ["--policy", "./nope/mine.ts"],
      /policy module "\.\/nope\/mine\.ts" not found: no file \//,
    ],
    [
      "an unknown name",
      ["--policy", "unifrom"],
      /unknown tenant pricing policy "unifrom"; did you mean "uniform"\?/,
    ],
    ["a bad --kind", ["--policy", "uniform", "--kind", "landlord"], /--kind must be one of tenant, device/],
    ["--path without --only", ["--policy", "uniform", "--path", "0:1"], /--path replays one property/],
    [
      "--options not an object",
      ["--policy", "uniform", "--options", "[1]"],
      /--options must be a JSON object/,
    ],
    [
      "bad options",
      ["--policy", "greedy-topk", "--options", '{"k": 0}'],
      /options\.k: must be an integer >= 1/,
    ],
    [
      "a module of the other kind",
      ["--policy", "./cli/fixtures/two-policies.ts#tenant", "--kind", "device"],
      /returned a tenant policy, but a device policy \(respond\(obs, devices\)\) is needed here/,
    ],
    [
      "--only matching nothing",
      ["--policy", "uniform", "--only", "feasible"],
      /selects none of the tenant checks/,
    ],
  ];
  for (const [what, args, message] of cases)
    it(what, async () => {
      const r = await run(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    });

  it("is listed by sfl-market help", async () => {
    const out = { stdout: "" };
    const io: Io = {
      out: (t) => {
        out.stdout += t;
      },
      err: () => {},
      env: {},
    };
    expect(await main(["help"], io)).toBe(0);
    expect(out.stdout).toMatch(/^ {2}check +run the property and conformance checks on a policy/m);
  });
});
