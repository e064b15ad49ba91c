import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileScenario } from "../env/compile.ts";
import { PolicyError } from "../env/errors.ts";
import { presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import { runEpisode } from "../env/simulation.ts";
import { parsePolicySpec } from "../policies/registry.ts";
import type { TenantPolicy } from "../policies/types.ts";
import { type IsolatedPolicy, loadIsolatedPolicy } from "./isolatedPolicy.ts";
import { stopPolicyWorkers } from "./policyHost.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const fixture = (name: string) => join(ROOT, "cli", "fixtures", name);
const scenario = presetScenario("tiny");
const compiled = compileScenario(scenario, createRng(scenario.seed));
afterAll(() => {
  stopPolicyWorkers();
});

async function load(file: string, timeoutMs = 5_000, sandbox = false) {
  return (await loadIsolatedPolicy(
    file,
    parsePolicySpec(file) as never,
    "tenant",
    {},
    { timeoutMs, sandbox },
  )) as IsolatedPolicy<TenantPolicy>;
}

async function episodeError(file: string, timeoutMs = 5_000): Promise<PolicyError> {
  const p = await load(file, timeoutMs);
  const e = await runEpisode(compiled, { tenant: () => p.instance() }, { seed: 1, policyTimeoutMs: 0 }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PolicyError);
  return e as PolicyError;
}

describe("a user's policy in a worker", () => {
  it("runs an episode as it would in-process, bit for bit", async () => {
    const p = await load(join(ROOT, "examples", "my-pricing.ts"));
    const { default: factory } = await import("../examples/my-pricing.ts");
    const isolated = await runEpisode(compiled, { tenant: () => p.instance() }, { seed: 1 });
    const inProcess = await runEpisode(compiled, { tenant: () => factory() }, { seed: 1 });
    expect(JSON.stringify(isolated.outcomes)).toBe(JSON.stringify(inProcess.outcomes));
  });

  it("process.exit in price(): a PolicyError naming the policy and the step", async () => {
    const e = await episodeError(fixture("exits-at-step-1.ts"));
    expect(e.message).toMatch(
      /^policy "exits-at-step-1" at market step 1 for tenant "\w+": it ended its thread with process\.exit\(0\)/,
    );
  });

  it("a synchronous infinite loop: stopped at the timeout", async () => {
    const e = await episodeError(fixture("loops-at-step-1.ts"), 300);
    expect(e.message).toContain('policy "loops-at-step-1" at market step 1');
    expect(e.message).toContain("did not answer within 300 ms (an infinite loop");
  });

  it("a thenable that never settles, with no timeout: found when nothing is left to run", async () => {
    const e = await episodeError(fixture("thenable-never.ts"), 0);
    expect(e.message).toContain('policy "thenable-never" at market step 1');
    expect(e.message).toContain("its answer can never come");
  });

  it("an exception thrown later from a timer", async () => {
    const e = await episodeError(fixture("throws-later.ts"));
    expect(e.message).toContain('policy "throws-later" at market step');
    expect(e.message).toContain(
      "an uncaught exception outside any answer (a timer, a callback?): the model server went away",
    );
  });

  it("writing into the observation changes nothing outside the worker", async () => {
    const { budgetScaledPrices } = await import("../policies/budgetScale.ts");
    const { default: writes } = await import("../cli/fixtures/writes-observation.ts");
    const clean = (): TenantPolicy => ({
      name: "clean",
      aggregation: "unbiased",
      price: (obs, row) => budgetScaledPrices(obs, row, new Float64Array(obs.market.N).fill(1)),
    });
    const strip = (r: Awaited<ReturnType<typeof runEpisode>>) =>
      JSON.stringify(r.outcomes.map(({ policy: _, ...o }) => o));
    const reference = await runEpisode(compiled, { tenant: clean }, { seed: 1 });
    const p = await load(fixture("writes-observation.ts"));
    const isolated = await runEpisode(compiled, { tenant: () => p.instance() }, { seed: 1 });
    expect(strip(isolated)).toBe(strip(reference));
    // in this thread the same module changes the market: what the copy protects against
    const inProcess = await runEpisode(compiled, { tenant: () => writes() }, { seed: 1 });
    expect(strip(inProcess)).not.toBe(strip(reference));
  });
});

describe("--sandbox: a user's policy under Node's permission model", () => {
  it("gives the same episode as the worker thread, and cannot write a file the worker thread can", async () => {
    const example = join(ROOT, "examples", "my-pricing.ts");
    const [inWorker, inSandbox] = [await load(example), await load(example, 5_000, true)];
    expect(inSandbox.isolation).toBe("sandbox");
    const a = await runEpisode(compiled, { tenant: () => inWorker.instance() }, { seed: 2 });
    const b = await runEpisode(compiled, { tenant: () => inSandbox.instance() }, { seed: 2 });
    expect(JSON.stringify(b.outcomes)).toBe(JSON.stringify(a.outcomes));

    const dir = mkdtempSync(join(tmpdir(), "sfl-sandbox-"));
    const target = join(dir, "written.txt");
    process.env.SFL_TEST_WRITE_TARGET = target;
    try {
      const denied = await load(fixture("writes-file.ts"), 5_000, true).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(denied?.message).toContain("threw on the options {}: Access to this API has been restricted");
      expect(existsSync(target)).toBe(false);
      // the same module in a worker thread is code like any other: it writes
      await load(fixture("writes-file.ts"));
      expect(readFileSync(target, "utf8")).toBe("written by a policy module\n");
    } finally {
      delete process.env.SFL_TEST_WRITE_TARGET;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
