import { describe, expect, it } from "vitest";
import type { TenantPolicy } from "../policies/types.ts";
import { compileScenario } from "./compile.ts";
import { presetScenario } from "./presets.ts";
import { createRng } from "./rng.ts";
import { type LearnerFactory, type RoundLearner, surrogateLearner } from "./roundLearner.ts";
import { runEpisode } from "./simulation.ts";

const flat: () => TenantPolicy = () => ({
  name: "flat",
  aggregation: "unbiased",
  price: (obs) => new Float64Array(obs.market.N).fill(1e6),
});

/** A toy learner: the gap halves in every round with at least `need` participants. */
function halvingLearner(need: number, seen: { rounds: number; rngDraws: number[] }): LearnerFactory {
  return {
    kind: "halving",
    build(compiled, rng, options) {
      const inner = surrogateLearner.build(compiled, rng, options);
      const tenants = inner.tenants.map((t): RoundLearner | null =>
        t
          ? {
              ...t,
              initial: Float64Array.of(1),
              initialGap: 1,
              gap: (m) => m[0],
              round: (x, r) => {
                seen.rounds++;
                seen.rngDraws.push(r.next());
                return x.participants.length >= need ? Float64Array.of(x.model[0] / 2) : x.model;
              },
              bound: () => null,
            }
          : null,
      );
      return { ...inner, kind: "halving", tenants };
    },
  };
}

describe("the learner seam (env/roundLearner.ts)", () => {
  const scenario = presetScenario("tiny");
  const compiled = compileScenario(scenario, createRng(scenario.seed));

  it("the surrogate learner is the default: passing it explicitly gives the same episode", async () => {
    const a = await runEpisode(compiled, { tenant: flat }, { seed: 4 });
    const b = await runEpisode(compiled, { tenant: flat }, { seed: 4, learnerFactory: surrogateLearner });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it("a plugged-in learner decides progress: its gap meets the target, its rounds are the episode's", async () => {
    const seen = { rounds: 0, rngDraws: [] as number[] };
    const r = await runEpisode(
      compiled,
      { tenant: flat },
      { seed: 4, learnerFactory: halvingLearner(1, seen) },
    );
    const feasible = r.outcomes.filter((o) => o.status !== "infeasible");
    expect(feasible.length).toBeGreaterThan(0);
    for (const o of feasible) {
      // gap 2^-rounds once every round had a participant: met at the first round with 2^-r <= eps
      expect(o.status).toBe("met");
      expect(o.finalGap).toBeLessThanOrEqual(o.target);
      expect(o.finalGap! * 2).toBeGreaterThan(o.target);
    }
    expect(seen.rounds).toBe(feasible.reduce((s, o) => s + o.rounds, 0));
    // no bound constants: no bound point
    expect(r.bound).toEqual([]);
    // the round's stream is the tenant's noise stream of the episode: same seed, same draws
    const again = { rounds: 0, rngDraws: [] as number[] };
    await runEpisode(compiled, { tenant: flat }, { seed: 4, learnerFactory: halvingLearner(1, again) });
    expect(again.rngDraws).toEqual(seen.rngDraws);
  });

  it("a learner that never progresses leaves the tenant short of its target", async () => {
    const seen = { rounds: 0, rngDraws: [] as number[] };
    const r = await runEpisode(
      compiled,
      { tenant: flat },
      { seed: 4, learnerFactory: halvingLearner(1e9, seen), maxRounds: 50 },
    );
    for (const o of r.outcomes) if (o.status !== "infeasible") expect(o.met).toBe(false);
  });
});
