import type { Compiled } from "../compile.ts";
import type { LearnerOptions } from "../learner.ts";
import type { Rng } from "../rng.ts";
import {
  type LearnerFactory,
  type LearnerSet,
  type RoundLearner,
  surrogateLearner,
} from "../roundLearner.ts";
import { buildNeuralTenant, type NeuralTenant, neuralMetric, neuralTenantRound } from "./neuralTenant.ts";
import { createNeuralScratch } from "./splitRound.ts";

/**
 * The neural split learner behind the simulation's learner seam (env/roundLearner.ts). Tenants whose
 * scenario learner is `"kind": "neural"` get a split network (neuralTenant.ts); the others keep the
 * surrogate, built by `surrogateLearner` from the same "learner" stream, so a mixed scenario's
 * surrogate tenants are exactly what they would be alone (the neural ones draw from the child
 * "neural/<name>" of that stream, which the surrogate never uses).
 *
 * For a neural tenant: gap(model) is the validation metric (loss or 1 - accuracy), round() is the
 * split round with the tenant's rule, G_ij comes from the probe round, and value = observedValue =
 * a_ij^2 G_ij^2 (the tenant knows only the probe; so do the guard and V_i). There is no derived
 * convergence bound: bound() is null, and the episode reports no bound point for the tenant.
 *
 * `build` is synchronous: the tfjs backend must be initialised first (prepare.ts).
 */
export const neuralLearner: LearnerFactory = Object.freeze({
  kind: "neural",
  build(compiled: Compiled, rng: Rng, options?: LearnerOptions): LearnerSet {
    const base = surrogateLearner.build(compiled, rng, options);
    const { N } = compiled.physics;
    const value = Float64Array.from(base.value);
    const observedValue = Float64Array.from(base.observedValue);
    const tenants = base.tenants.map((t, i) => {
      const tp = compiled.physics.tenants[i];
      const s = tp.learner.neural;
      if (!t || !s) return t;
      const nt = buildNeuralTenant(compiled, tp, s, rng.child(`neural/${tp.name}`));
      value.fill(0, i * N, (i + 1) * N);
      observedValue.fill(0, i * N, (i + 1) * N);
      nt.devices.forEach((j, l) => {
        const w = nt.weight[l] * nt.weight[l] * nt.G[l] * nt.G[l];
        value[i * N + j] = w;
        observedValue[i * N + j] = w;
      });
      return neuralRoundLearner(nt);
    });
    return { kind: "neural", tenants, value, observedValue };
  },
});

/** One neural tenant as a RoundLearner (its scratch buffers are reused across rounds). */
export function neuralRoundLearner(t: NeuralTenant): RoundLearner {
  const scratch = createNeuralScratch(t);
  return {
    index: t.index,
    name: t.name,
    target: t.target,
    devices: t.devices,
    weight: t.weight,
    G: t.G,
    initial: t.initial,
    initialGap: t.initialMetric,
    gap: (model) => neuralMetric(t, model),
    round: (x, rng) => neuralTenantRound(t, x.model, x.rule, x.q, x.participants, rng, scratch),
    bound: () => null,
  };
}
