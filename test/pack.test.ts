// The package as a user gets it: `npm pack` (whose prepack runs the build), the tarball installed
// into a fresh project, then used from an ESM script, from TypeScript against the shipped .d.ts,
// and through its bin. Slow by nature (a pack and an install: ~10-20 s), so everything shares one
// pack and one install.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { decodeLine } from "../cli/envServer/wire.ts";
import { docImports } from "./docNames.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** What the copy of the checkout leaves out: installs, builds, outputs, git (paths relative to ROOT). */
const SKIP =
  /^\/?(node_modules|\.git|dist|out|runs|\.venv|python\/\.venv)(\/|$)|\/(node_modules|__pycache__)(\/|$)|\.tgz$/;

const TSC = join(ROOT, "node_modules", ".bin", "tsc");
const TYPES = join(ROOT, "node_modules", "@types");

// `npm test` exports npm_config_local_prefix=<this repo> (and more) to its children: a nested npm
// would then install into the repo, not into the temporary project. The child npm reads the user's
// npmrc files itself.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(error);
      else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; its output is in the failure message when it does not. */
async function ok(file: string, args: readonly string[], cwd: string): Promise<string> {
  const r = await run(file, args, cwd);
  if (r.code !== 0)
    throw new Error(
      `${file} ${args.join(" ")} exited ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`,
    );
  return r.stdout;
}

const ESM_CONSUMER = `
import {
  compileScenario, createMarket, createRng, MarketEnv, MarketParallelEnv, presetScenario, solveStackelberg,
} from "sfl-market";

const m = createMarket({ tau: 2, budget: [1, 1], cost: [[1], [1]], value: [[1], [1]] });
const se = solveStackelberg(m);

const scenario = presetScenario("tiny");
const env = new MarketEnv(compileScenario(scenario, createRng(scenario.seed)));
const reset = env.reset({ seed: 1 });
const rng = createRng("actions");
const actions = Object.fromEntries(env.agents.map((a) => [a, env.actionSpace(a).sample(rng)]));
const step = env.step(actions);

console.log(JSON.stringify({
  prices: [...se.prices],
  participation: [...se.participation],
  nashConv: [...se.nashConv],
  converged: se.converged,
  sameClass: MarketEnv === MarketParallelEnv,
  agents: Object.keys(reset.observations),
  observationsInSpace: Object.entries(step.observations).every(([a, o]) => env.observationSpace(a).contains(o)),
  rewards: step.rewards,
}));
`;

const TS_CONSUMER = `
import {
  createMarket, type EpisodeResult, MarketEnv, type MarketInstance, type ReportTenantOutcome,
  type SolveResult, solveStackelberg, type TenantOutcome, type TenantPolicy, uniformPolicy,
} from "sfl-market";

const m: MarketInstance = createMarket({ tau: 2, budget: [1], cost: [[1, 2]], value: [[1, 1]] });
const se: SolveResult = solveStackelberg(m, { tol: 1e-9 });
const worst: number = Math.max(...se.nashConv);
const policy: TenantPolicy = uniformPolicy();
const env: MarketEnv = null as unknown as MarketEnv;
const agents: readonly string[] = env.possibleAgents;
const outcome: TenantOutcome | undefined = (null as unknown as EpisodeResult).outcomes[0];
const row: ReportTenantOutcome = { policy: "p", seed: 1, tenant: "t", type: "vit", met: true, timeToTarget: 1, rounds: 1, spend: 0, finalGap: 0 };
// the declarations are real types, not any: a wrong argument is an error
// @ts-expect-error a number is not a MarketInstance
solveStackelberg(42);
export { agents, outcome, policy, row, worst };
`;

/**
 * A user's pricing policy in TypeScript (types and all), typed against the installed package. It
 * imports types only: under --sandbox, a module that imports the library's values fails to load
 * today ("Access to this API has been restricted": the bundled index touches files at import).
 */
const FLAT_POLICY_TS = `
import type { TenantPolicy } from "sfl-market";

export default function flat(): TenantPolicy {
  const level: number = 0.05;
  return {
    name: "flat",
    aggregation: "unbiased",
    price: (obs) => new Float64Array(obs.market.N).fill(level),
  };
}
`;

/** The names the docs show, and one that no module exports (the check must report it). */
const DOC_NAMES = docImports(ROOT);
const NOT_EXPORTED = "aNameNoDocShowsAndNoModuleExports";

/** Reports which of the names (passed as JSON in argv) the installed package does not export. */
const DOC_VALUES_CONSUMER = `
import * as lib from "sfl-market";
const names = JSON.parse(process.argv[2]);
console.log(JSON.stringify(names.filter((n) => !(n in lib) || lib[n] === undefined)));
`;

/** Imports every doc name, values and types, for the compiler to check against the shipped .d.ts. */
function docNamesTs(): string {
  const spec = DOC_NAMES.map((n) => (n.typeOnly ? `type ${n.name}` : n.name)).join(", ");
  const values = DOC_NAMES.filter((n) => !n.typeOnly).map((n) => n.name);
  const types = DOC_NAMES.filter((n) => n.typeOnly).map((n) => n.name);
  return `import { ${spec} } from "sfl-market";\nexport { ${values.join(", ")} };\nexport type { ${types.join(", ")} };\n`;
}

describe("the packed package, installed in another project", () => {
  let dir = "";
  let pkgVersion = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sfl-market-pack-"));
    pkgVersion = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")).version;
    // packed from a copy of the checkout: `npm pack` builds (prepare), and a build in ROOT would
    // replace dist/ under the feet of the other test files' spawned bins, which run it
    const src = join(dir, "src");
    await cp(ROOT, src, { recursive: true, filter: (from) => !SKIP.test(from.slice(ROOT.length)) });
    await symlink(join(ROOT, "node_modules"), join(src, "node_modules"), "dir");
    await ok("npm", ["pack", "--pack-destination", dir], src);
    const tarballs = (await readdir(dir)).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).toEqual([`sfl-market-${pkgVersion}.tgz`]);
    const project = { name: "consumer", version: "1.0.0", private: true, type: "module" };
    await writeFile(join(dir, "package.json"), `${JSON.stringify(project)}\n`);
    await ok("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(dir, tarballs[0])], dir);
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("ships the build, not the sources or tests", async () => {
    const pkg = join(dir, "node_modules", "sfl-market");
    const top = await readdir(pkg);
    expect(top).toEqual(expect.arrayContaining(["bin", "dist", "package.json", "README.md"]));
    for (const source of ["cli", "env", "market", "index.ts", "tsconfig.json"])
      expect(top).not.toContain(source);
    const dist = await readdir(join(pkg, "dist"), { recursive: true });
    expect(dist).toEqual(expect.arrayContaining(["index.js", "index.d.ts", join("cli", "main.js")]));
    expect(dist.filter((f) => /\.test\.|(^|\/)test[A-Z]|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("imports from an ESM script: solves a market and steps MarketEnv on the tiny preset", async () => {
    await writeFile(join(dir, "consumer.mjs"), ESM_CONSUMER);
    const out = JSON.parse(await ok(process.execPath, ["consumer.mjs"], dir));
    // two identical tenants, one device (MODEL.md's smallest SE): price 2 each, half the device each
    for (const p of out.prices) expect(p).toBeCloseTo(2, 9);
    for (const q of out.participation) expect(q).toBeCloseTo(0.5, 9);
    expect(out.converged).toBe(true);
    expect(Math.max(...out.nashConv)).toBeLessThanOrEqual(1e-6);
    expect(out.sameClass).toBe(true);
    expect(out.agents.length).toBeGreaterThan(0);
    expect(out.observationsInSpace).toBe(true);
    for (const r of Object.values(out.rewards)) expect(Number.isFinite(r)).toBe(true);
  });

  it("exports every name the docs' code blocks import (README.md, docs/*.md)", async () => {
    await writeFile(join(dir, "doc-values.mjs"), DOC_VALUES_CONSUMER);
    const values = DOC_NAMES.filter((n) => !n.typeOnly).map((n) => n.name);
    expect(values.length).toBeGreaterThan(30);
    const missing = JSON.parse(
      await ok(process.execPath, ["doc-values.mjs", JSON.stringify([...values, NOT_EXPORTED])], dir),
    );
    // the check reports a name the package lacks: here exactly the one no module exports
    expect(missing).toEqual([NOT_EXPORTED]);
    // and the learned policies' entry point loads TensorFlow.js only when called
    expect(DOC_NAMES.map((n) => n.name)).toContain("trainDevicePolicy");
  });

  it("type-checks a TypeScript consumer against the shipped declarations", async () => {
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
        typeRoots: [TYPES],
      },
      files: ["consumer.ts", "docNames.ts"],
    };
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    await writeFile(join(dir, "consumer.ts"), TS_CONSUMER);
    // every name the docs' code blocks import (test/docNames.ts), with the types among them
    await writeFile(join(dir, "docNames.ts"), docNamesTs());
    const r = await run(TSC, ["-p", "tsconfig.json"], dir);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("runs the sfl-market bin from node_modules/.bin", async () => {
    const bin = join(dir, "node_modules", ".bin", "sfl-market");
    expect((await ok(bin, ["--version"], dir)).trim()).toBe(pkgVersion);
    const market = join(dir, "node_modules", "sfl-market", "examples", "market.json");
    const solved = JSON.parse(await ok(bin, ["solve", market, "--json"], dir));
    expect(solved.converged).toBe(true);
  });

  it("runs a TypeScript policy module from the installed bin, in a worker thread and in the sandbox", async () => {
    // the build registers no TypeScript loader: the worker compiles the module through tsx's API,
    // and the sandbox gets it bundled; both must run it, to the same results
    await writeFile(join(dir, "flat.ts"), FLAT_POLICY_TS);
    const bin = join(dir, "node_modules", ".bin", "sfl-market");
    const args = ["compare", "--preset", "tiny", "--seeds", "1", "--policies", "prince,./flat.ts", "--quiet"];
    const worker = JSON.parse(await ok(bin, [...args, "--json", "-"], dir));
    const sandbox = JSON.parse(await ok(bin, [...args, "--sandbox", "--json", "-"], dir));
    expect(worker.complete).toBe(true);
    expect(worker.results.filter((r: { policy: string }) => r.policy === "./flat.ts")).toHaveLength(3);
    expect(sandbox.results).toEqual(worker.results);
  });

  it("serves the environment from node_modules/.bin, where the Python package looks for it", async () => {
    const bin = join(dir, "node_modules", ".bin", "sfl-market");
    const requests = ['{"op":"hello","protocol":1}', '{"op":"reset","seed":1}', '{"op":"close"}'];
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile(bin, ["env-server", "--stdio"], { cwd: dir, env }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
      child.stdin?.end(`${requests.join("\n")}\n`);
    });
    // JSON with -Infinity and Infinity for the unbounded sides of the spaces
    const replies = out
      .trim()
      .split("\n")
      .map((l) => decodeLine(l) as Record<string, unknown>);
    expect(replies.map((r) => r.ok)).toEqual([true, true, true]);
    expect(replies[0].version).toBe(pkgVersion);
    expect(replies[1].agents).toEqual(replies[0].possibleAgents);
  });
});
