// End-to-end tests of `sfl-market solve`, in-process through main (cli/testCli.ts); the first one
// runs the real binary in a child process, as a user does.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMarket, toMarketInput } from "../market/instance.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { waterFill } from "../market/waterFill.ts";
import type { SolveJson } from "./solveReport.ts";
import { cli, expectNoStack, ROOT, spawnCli, TIMEOUT } from "./testCli.ts";

const EXAMPLE = "examples/market.json";

describe.concurrent("sfl-market solve", () => {
  it(
    "--json prints one object whose participation is the devices' exact response to its prices",
    async () => {
      const r = await spawnCli(["solve", EXAMPLE, "--json"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
      const out: SolveJson = JSON.parse(r.stdout);
      // printed as plain JSON.stringify of the doubles: reading and writing again changes nothing
      expect(`${JSON.stringify(out)}\n`).toBe(r.stdout);

      const input = JSON.parse(readFileSync(join(ROOT, EXAMPLE), "utf8"));
      const m = createMarket(input);
      const { M, N } = m;
      expect(out).toMatchObject({ converged: true, tol: 1e-6, exact: true, tau: 2, warnings: [] });
      expect(out.budget).toEqual(input.budget);
      expect(Number.isInteger(out.iterations) && out.iterations > 0).toBe(true);
      expect(["multipliers", "sweeps"]).toContain(out.method);
      expect(out.dualityGap).toBeGreaterThanOrEqual(0);
      for (const key of ["prices", "participation"] as const) {
        expect(out[key]).toHaveLength(M);
        for (const row of out[key]) expect(row).toHaveLength(N);
      }
      for (const key of ["spend", "objective", "nashConv"] as const) expect(out[key]).toHaveLength(M);
      expect(out.congestion).toHaveLength(N);

      const prices = Float64Array.from(out.prices.flat() as number[]);
      const response = waterFill(m, prices);
      const q = out.participation.flat() as number[];
      let diff = 0;
      for (let k = 0; k < M * N; k++) diff = Math.max(diff, Math.abs(response.participation[k] - q[k]));
      expect(diff).toBeLessThanOrEqual(1e-9);
      for (let j = 0; j < N; j++)
        expect(Math.abs(response.congestion[j] - (out.congestion[j] as number))).toBeLessThanOrEqual(1e-9);

      for (let i = 0; i < M; i++) {
        let spend = 0;
        let v = 0;
        for (let j = 0; j < N; j++) {
          spend += prices[i * N + j] * q[i * N + j];
          if (m.value[i * N + j] > 0) v += m.value[i * N + j] / q[i * N + j];
        }
        expect(out.spend[i]).toBeCloseTo(spend, 12);
        expect(out.spend[i]).toBeLessThanOrEqual(input.budget[i]);
        expect(out.objective[i]).toBeCloseTo(v, 9);
        expect(out.nashConv[i]).toBeGreaterThanOrEqual(0);
        expect(out.nashConv[i]).toBeLessThanOrEqual(1e-6);
      }
      // what the example is for: some devices congested, not all; the ineligible pair unused
      const congested = out.congestion.filter((mu) => (mu as number) > 0).length;
      expect(congested).toBeGreaterThan(0);
      expect(congested).toBeLessThan(N);
      expect(input.value[1][4]).toBe(0);
      expect(out.participation[1][4]).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "without --json prints the tenant table, the device summary and the convergence line",
    async () => {
      const [text, json] = await Promise.all([cli(["solve", EXAMPLE]), cli(["solve", EXAMPLE, "--json"])]);
      expect(text.code).toBe(0);
      expect(text.stderr).toBe("");
      const out: SolveJson = JSON.parse(json.stdout);
      const congested = out.congestion.filter((mu) => (mu as number) > 0).length;
      expect(text.stdout).toContain(`Stackelberg equilibrium of ${EXAMPLE}: 3 tenants x 8 devices, tau = 2`);
      expect(text.stdout).toMatch(/^converged: max NashConv \S+ <= tol 1e-6 after \d+ iterations? \(\w+\)$/m);
      expect(text.stdout).toMatch(/^tenant\s+budget\s+spend\s+V_i\s+NashConv\s+devices used$/m);
      for (let i = 0; i < 3; i++)
        expect(text.stdout).toMatch(new RegExp(`^${i}\\s+${out.budget[i]}\\s`, "m"));
      expect(text.stdout).toContain(`devices: ${congested} of 8 congested`);
    },
    TIMEOUT,
  );

  it(
    "a solve that does not converge exits 1 and still prints its point and NashConv",
    async () => {
      // one Gauss-Seidel sweep from the single-tenant prices is far from the equilibrium of a
      // congested market (NashConv ~ 0.1 here, against tol 1e-6)
      const r = await cli(["solve", EXAMPLE, "--json", "--method", "sweeps", "--max-sweeps", "1"]);
      expect(r.code).toBe(1);
      expectNoStack(r);
      const out: SolveJson = JSON.parse(r.stdout);
      expect(out).toMatchObject({ converged: false, method: "sweeps", iterations: 1 });
      expect(out.nashConv).toHaveLength(3);
      expect(Math.max(...(out.nashConv as number[]))).toBeGreaterThan(out.tol);
      for (const x of out.nashConv) expect(x).toBeGreaterThanOrEqual(0);
      expect(out.prices).toHaveLength(3);
      expect(r.stderr).toMatch(/^NOT converged: max NashConv \S+ > tol 1e-6 after 1 iteration \(sweeps\)/m);

      const text = await cli(["solve", EXAMPLE, "--method", "sweeps", "--max-sweeps", "1"]);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain("NOT converged");
      expect(text.stdout).toMatch(/^tenant\s+budget/m);
    },
    TIMEOUT,
  );
});

describe("sfl-market solve --max-seconds", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sfl-market-cli-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    "stops at the time limit, prints the best point with its NashConv and exits 1",
    async () => {
      // sweeps only, at a limit far below one sweep of this 4 x 60 market: the first poll stops it
      const file = join(dir, "big.json");
      writeFileSync(file, JSON.stringify(toMarketInput(randomMarket({ M: 4, N: 60, seed: 3, tau: 1.8 }))));
      const r = await cli(["solve", file, "--json", "--method", "sweeps", "--max-seconds", "1e-6"]);
      expect(r.code).toBe(1);
      expectNoStack(r);
      const out: SolveJson = JSON.parse(r.stdout);
      expect(out).toMatchObject({ converged: false, stopped: true });
      expect(out.nashConv).toHaveLength(4);
      for (const x of out.nashConv) expect(x).toBeGreaterThanOrEqual(0);
      expect(r.stderr).toMatch(/^NOT converged: stopped at the time limit \(--max-seconds\) max NashConv/m);
      const bad = await cli(["solve", file, "--max-seconds", "0"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--max-seconds must be a finite number > 0, got '0'");
    },
    TIMEOUT,
  );
});

describe.concurrent("sfl-market solve: bad input exits 2 naming every offending path", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sfl-market-cli-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: { name: string; text: string; paths: (file: string) => string[] }[] = [
    {
      name: "not JSON",
      text: '{\n  "tau": 2,\n  "budget": [1, 2,]\n}\n',
      paths: (f) => [`${f}:3:19: not valid JSON: Unexpected token ']'`, "offset 32"],
    },
    {
      name: "a quote of the input instead of a position",
      text: '{"tau": 2, "budget": [NaN]}',
      paths: (f) => [`${f}:1:23: not valid JSON: Unexpected token 'N'`],
    },
    { name: "not an object", text: "[1, 2]", paths: () => ["(root)"] },
    {
      name: "wrong shapes",
      text: JSON.stringify({
        budget: [1, 2],
        cost: [
          [1, 1],
          [1, 1],
          [1, 1],
        ],
        value: [[1, 1], [1]],
      }),
      paths: () => ["cost: has 3 rows", "value[1]: has 1 devices"],
    },
    {
      name: "negative and non-finite numbers",
      text: '{"budget": [-1, 2], "cost": [[1, "NaN"], [1, 0]], "value": [[1, 1e999], [-2, 1]]}',
      paths: () => ["budget[0]:", "cost[0][1]:", "cost[1][1]:", "value[0][1]:", "value[1][0]:"],
    },
    {
      name: "tau <= 1",
      text: JSON.stringify({ tau: 1, budget: [1], cost: [[1]], value: [[1]] }),
      paths: () => ["tau: must be a number in [1.01, 10], got 1"],
    },
    {
      name: "tau = 1e6 (runs for minutes if accepted)",
      text: JSON.stringify({ tau: 1e6, budget: [1], cost: [[1]], value: [[1]] }),
      paths: () => ["tau: must be a number in [1.01, 10], got 1000000"],
    },
    {
      name: "tau = 1 + 1e-10 (participation steeper than doubles resolve)",
      text: JSON.stringify({ tau: 1 + 1e-10, budget: [1], cost: [[1]], value: [[1]] }),
      paths: () => ["tau: must be a number in [1.01, 10], got 1.0000000001"],
    },
    {
      name: "a tenant with no eligible device",
      text: JSON.stringify({
        budget: [1, 1],
        cost: [
          [1, 1],
          [1, 1],
        ],
        value: [
          [0, 0],
          [1, 0],
        ],
      }),
      paths: () => ["value[0]: tenant 0 has no eligible device"],
    },
    {
      name: "missing fields",
      text: JSON.stringify({ tau: 2 }),
      paths: () => ["budget:", "cost:", "value:"],
    },
  ];
  for (const c of cases) {
    it(
      c.name,
      async () => {
        const file = join(dir, `${c.name.replaceAll(/\W+/g, "-")}.json`);
        writeFileSync(file, c.text);
        const r = await cli(["solve", file, "--json"]);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expectNoStack(r);
        expect(r.stderr).toContain(file);
        for (const p of c.paths(file)) expect(r.stderr).toContain(p);
      },
      TIMEOUT,
    );
  }

  it(
    "examples/bad-market.json: all seven problems in one pass",
    async () => {
      const r = await cli(["solve", "examples/bad-market.json"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expectNoStack(r);
      const issues = r.stderr.split("\n").filter((l) => l.startsWith("  "));
      expect(issues.map((l) => l.trim().split(":")[0])).toEqual([
        "tau",
        "budget[1]",
        "budget[2]",
        "cost[1][4]",
        "cost[2][7]",
        "value[1][7]",
        "value[2][6]",
      ]);
    },
    TIMEOUT,
  );

  it(
    "a missing file",
    async () => {
      const file = join(dir, "does-not-exist.json");
      const r = await cli(["solve", file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expectNoStack(r);
      expect(r.stderr).toContain(`${file}: no such file`);
    },
    TIMEOUT,
  );

  it(
    "bad flags: one line and the usage",
    async () => {
      const runs = await Promise.all([
        cli(["solve", EXAMPLE, "--frob"]),
        cli(["solve", EXAMPLE, "--tol", "abc"]),
        cli(["solve", EXAMPLE, "--max-sweeps", "1.5"]),
        cli(["solve", EXAMPLE, "--method", "newton"]),
        cli(["solve"]),
      ]);
      const first = [
        "sfl-market solve: unknown option '--frob'",
        "sfl-market solve: --tol must be a finite number > 0, got 'abc'",
        "sfl-market solve: --max-sweeps must be an integer >= 0, got '1.5'",
        "sfl-market solve: --method must be one of auto, sweeps, got 'newton'",
        "sfl-market solve: missing MARKET.json",
      ];
      runs.forEach((r, k) => {
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expectNoStack(r);
        expect(r.stderr.split("\n")[0]).toBe(first[k]);
        expect(r.stderr).toContain("Usage: sfl-market solve MARKET.json");
      });
    },
    TIMEOUT,
  );
});

describe.concurrent("sfl-market dispatch", () => {
  it(
    "--help lists the commands; an unknown command is a usage error",
    async () => {
      const [help, unknown] = await Promise.all([cli(["--help"]), cli(["frobnicate"])]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^ {2}solve\s+compute the Stackelberg equilibrium/m);
      expect(help.stdout).toMatch(/^ {2}start\s+/m);
      expect(unknown.code).toBe(2);
      expect(unknown.stdout).toBe("");
      expect(unknown.stderr.split("\n")[0]).toBe("sfl-market: unknown command 'frobnicate'");
      expect(unknown.stderr).toContain("Commands:");
    },
    TIMEOUT,
  );
});
