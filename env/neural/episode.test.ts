import { describe, expect, it } from "vitest";
import type { TenantPolicy } from "../policy.ts";
import { runEpisode } from "../simulation.ts";
import { useNeuralBackend } from "./backend.ts";
import { neuralLearner } from "./factory.ts";
import { neuralTestScenario } from "./testScenario.ts";

// The neural learner inside the simulation (env/learner.ts dispatches on the tenant's learner kind).
describe("a neural tenant in an episode", () => {
  it("trains by split rounds until its validation metric meets the target, deterministically", async () => {
    await useNeuralBackend("cpu");
    const compiled = neuralTestScenario({
      devices: 8,
      target: 1.9,
      learner: { validationSize: 64, maxSamples: 32 },
    });
    const N = compiled.physics.N;
    const c = compiled.physics.cost;
    // alone on the market with tau = 2, q_j = P_j / (2 c_j): buy q = 0.5 from everyone
    const fixed: TenantPolicy = {
      name: "fixed",
      aggregation: "unbiased",
      price: () => Float64Array.from({ length: N }, (_, j) => c[j]),
    };
    const run = () =>
      runEpisode(compiled, { tenant: () => fixed }, { seed: 4, learnerFactory: neuralLearner });
    const res = await run();
    const o = res.outcomes[0];
    expect(o.met).toBe(true);
    expect(o.finalGap).toBeLessThanOrEqual(1.9);
    expect(o.rounds).toBeGreaterThan(1);
    const traj = res.trajectories[0];
    expect(traj.gap[0]).toBeGreaterThan(1.9); // theta_0's validation loss
    expect(traj.gap.at(-1)).toBe(o.finalGap);
    expect(res.bound).toEqual([]); // the surrogate's bound is not claimed for a neural tenant
    expect(await run()).toEqual(res);
  });
});
