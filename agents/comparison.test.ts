import { map } from "rxjs";
import { describe, expect, it } from "vitest";
import { compileScenario } from "../env/compile.ts";
import { PolicyError } from "../env/errors.ts";
import { presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import { createTenantPolicy } from "../policies/registry.ts";
import type { TenantPolicy } from "../policies/types.ts";
import { type ComparisonRun, type RunId, runComparison } from "./comparison.ts";
import type { MarketEvent } from "./runtime.ts";
import { streamTenantPolicy } from "./streamAgent.ts";

const scenario = presetScenario("tiny");
const compiled = compileScenario(scenario, createRng(scenario.seed));
const tenants = scenario.tenants.map((t) => t.name);

/** What a run produced, as plain JSON (outcomes, warnings and the price/participation samples). */
function runJson(runs: readonly ComparisonRun[]): string {
  return JSON.stringify(
    runs.map((r) => ({
      policy: r.policy,
      seed: r.seed,
      index: r.index,
      total: r.total,
      outcomes: r.result.outcomes,
      warnings: r.warnings,
      samples: [...r.samples],
    })),
  );
}

/** PRINCE, except that its `failAt`-th price call (1-based, counted per instance) throws. */
function throwingAt(failAt: number, name = "flaky"): TenantPolicy {
  const inner = createTenantPolicy("prince");
  let calls = 0;
  return {
    name,
    aggregation: inner.aggregation,
    reset: (ctx) => inner.reset?.(ctx),
    price(obs, row) {
      if (++calls === failAt) throw new Error(`call ${calls} went wrong`);
      return inner.price(obs, row);
    },
  };
}

describe("runComparison", () => {
  it("runs policy x seed in seed-major order, every tenant in every run", async () => {
    const events: { run: RunId; type: MarketEvent["type"] }[] = [];
    const out = await runComparison({
      compiled,
      seeds: [1, 2],
      policies: ["prince", "uniform"],
      onEvent: (run, e) => events.push({ run, type: e.type }),
    });
    expect(out.failure).toBeNull();
    expect(out.runs.map((r) => [r.seed, r.policy, r.index, r.total])).toEqual([
      [1, "prince", 0, 4],
      [1, "uniform", 1, 4],
      [2, "prince", 2, 4],
      [2, "uniform", 3, 4],
    ]);
    for (const r of out.runs) {
      expect(r.result.seed).toBe(r.seed);
      expect(r.result.outcomes.map((o) => o.tenant)).toEqual(tenants);
      expect(r.result.outcomes.every((o) => o.policy === r.policy)).toBe(true);
      // samples are prices and participation on the pairs where the price was positive
      for (const [tenant, s] of r.samples) {
        expect(tenants).toContain(tenant);
        expect(s.prices.length).toBe(s.participation.length);
        expect(s.prices.every((p) => p > 0 && Number.isFinite(p))).toBe(true);
        expect(s.participation.every((q) => q >= 0 && q <= 1)).toBe(true);
      }
    }
    // onEvent sees every run's events in run order, each run ending with its episodeEnded
    const order = events.map((e) => e.run.index);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const ends = events.filter((e) => e.type === "episodeEnded");
    expect(ends.map((e) => e.run.index)).toEqual([0, 1, 2, 3]);
  });

  it("the same inputs give identical outcomes (as JSON)", async () => {
    const opts = { compiled, seeds: [1, 2], policies: ["prince", "uniform"] };
    const a = await runComparison(opts);
    const b = await runComparison(opts);
    expect(runJson(b.runs)).toBe(runJson(a.runs));
    // and the seed order is only an order: seed 2 alone gives the same runs as seed 2 after seed 1
    const only2 = await runComparison({ ...opts, seeds: [2] });
    expect(runJson(only2.runs.map((r) => ({ ...r, index: r.index + 2, total: 4 })))).toBe(
      runJson(a.runs.slice(2)),
    );
  });

  it("takes policy entries with a factory beside registry names; a stream agent around PRINCE matches PRINCE", async () => {
    let created = 0;
    const out = await runComparison({
      compiled,
      seeds: [1, 2],
      policies: [
        "prince",
        {
          name: "stream-prince",
          create: () => {
            created++;
            const prince = createTenantPolicy("prince");
            return streamTenantPolicy(
              "stream-prince",
              map(({ obs, row }) => prince.price(obs, row) as Float64Array),
            );
          },
        },
      ],
    });
    expect(out.failure).toBeNull();
    expect(created).toBe(2); // once per run
    expect(out.runs.map((r) => r.policy)).toEqual(["prince", "stream-prince", "prince", "stream-prince"]);
    for (const seed of [1, 2]) {
      const [p, s] = out.runs.filter((r) => r.seed === seed);
      const strip = (r: ComparisonRun) => r.result.outcomes.map(({ policy: _p, ...o }) => o);
      expect(strip(s)).toEqual(strip(p));
    }
  });

  it("a failing policy stops the comparison, naming the policy and seed; earlier runs are kept", async () => {
    const seen: RunId[] = [];
    const out = await runComparison({
      compiled,
      seeds: [1, 2],
      policies: ["prince", { name: "flaky", create: () => throwingAt(2) }, "uniform"],
      onEvent: (run, e) => {
        if (e.type === "episodeEnded") seen.push(run);
      },
    });
    // seed 1: prince completes, then flaky throws at its 2nd price call; uniform and seed 2 never run
    expect(out.runs.map((r) => [r.seed, r.policy])).toEqual([[1, "prince"]]);
    expect(out.runs[0].result.outcomes.map((o) => o.tenant)).toEqual(tenants);
    expect(seen.map((r) => r.index)).toEqual([0]);
    expect(out.failure).not.toBeNull();
    expect(out.failure!.run).toEqual({ policy: "flaky", seed: 1, index: 1, total: 6 });
    const error = out.failure!.error;
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ policy: "flaky" });
    expect((error as PolicyError).message).toContain("call 2 went wrong");
  });

  it("a failure on a later seed keeps every run before it, across seeds", async () => {
    // the policy fails only in its second run (seed 2): its instance counts calls over both runs
    let runs = 0;
    const out = await runComparison({
      compiled,
      seeds: [1, 2],
      policies: [
        "uniform",
        {
          name: "flaky-on-second-run",
          create: () => (++runs === 2 ? throwingAt(2, "flaky-on-second-run") : createTenantPolicy("prince")),
        },
      ],
    });
    expect(out.runs.map((r) => [r.seed, r.policy])).toEqual([
      [1, "uniform"],
      [1, "flaky-on-second-run"],
      [2, "uniform"],
    ]);
    expect(out.failure?.run).toEqual({ policy: "flaky-on-second-run", seed: 2, index: 3, total: 4 });
    expect(out.failure?.error).toBeInstanceOf(PolicyError);
  });

  it("an unknown registry name is a failure of its run, not a throw", async () => {
    const out = await runComparison({ compiled, seeds: [1], policies: ["prince", "no-such-policy"] });
    expect(out.runs.map((r) => r.policy)).toEqual(["prince"]);
    expect(out.failure?.run).toMatchObject({ policy: "no-such-policy", seed: 1, index: 1 });
    expect(out.failure?.error).toBeInstanceOf(Error);
    expect((out.failure?.error as Error | undefined)?.message).toContain("no-such-policy");
  });
});
