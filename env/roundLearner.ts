import type { AggregationRule } from "../market/aggregation.ts";
import type { Compiled } from "./compile.ts";
import {
  boundConstants,
  buildLearner,
  createScratch,
  type LearnerBound,
  type LearnerOptions,
  lossGap,
  roundUpdate,
  type TenantLearner,
} from "./learner.ts";
import type { Rng } from "./rng.ts";

/**
 * The seam between the round simulation and a learner (docs/architecture.md, "The learner seam").
 * The simulation owns time, participation sampling, payments and the RNG streams; a learner owns
 * what a round does to a tenant's model. The surrogate learner (env/learner.ts) is one
 * implementation; the neural split learner (env/neural/) is another, plugged in through
 * `SimOptions.learnerFactory` / `EpisodeOptions.learnerFactory`.
 *
 * Contract:
 * - A model is a flat Float64Array (the full learner state of a tenant: parameters, and anything
 *   else a round reads, e.g. optimiser moments). It is plain data, so an episode's state can be
 *   saved and resumed; `round` never writes the model it is given and returns a new one (or the
 *   same object when the round changed nothing, e.g. no participant).
 * - All randomness of a round comes from the `rng` argument (the tenant's "noise/<name>" stream,
 *   kept in the episode state); no other source, no clock. Same inputs and stream state, same model.
 * - Devices are addressed by learner-local index l: `devices[l]` is the global device index, in
 *   ascending order, over E_i (the devices that hold the tenant's data and finish within W_i).
 * - `weight` (a_ij) and `G` (G_ij) by local index give the exact value weights w_ij = a^2 G^2 the
 *   simulation uses for V_i; the LearnerSet's `value` / `observedValue` carry the same weights as
 *   tenant-major M x N matrices (observed = what tenants see: exact, or estimated).
 * - `gap(model)` is the progress measure compared with the tenant's target eps_i (the surrogate's
 *   exact loss gap; a neural learner's validation loss gap or metric shortfall): the tenant meets
 *   its target at the end of the first round with gap <= target.
 * - `bound()` gives the convergence bound's constants (alpha, beta, eps) when the learner has them,
 *   else null (the episode then reports no bound point for that tenant).
 * - `build` is synchronous and pure given `compiled`, `rng` (the episode's "learner" stream) and the
 *   options: asynchronous set-up (a tfjs backend's `ready()`) belongs before the factory is made.
 */

/** One round's terms, by learner-local device index. */
export interface RoundInput {
  /** The tenant's model at the round's end-time (read only). */
  readonly model: Float64Array;
  /** Rounds the tenant completed before this one (0-based; empty rounds count). */
  readonly round: number;
  readonly rule: AggregationRule;
  /** q_ij by local index, as in force when the round started. */
  readonly q: Float64Array;
  /** weightVariance(rule, weight, q): the variance of the rule's total weight (constant per step). */
  readonly zeta: number;
  /** Local indices of the devices that took part (each has q > 0); may be empty. */
  readonly participants: Int32Array;
}

/** One feasible tenant's learner, as the round simulation uses it. */
export interface RoundLearner {
  /** Index in the scenario's tenant list, and the tenant's name and target eps_i. */
  readonly index: number;
  readonly name: string;
  readonly target: number;
  /** E_i, global device indices ascending; position = local index. */
  readonly devices: Int32Array;
  /** a_ij over E_i by local index (sums to 1). */
  readonly weight: Float64Array;
  /** Exact G_ij by local index. */
  readonly G: Float64Array;
  /** w_0 and gap(w_0). */
  readonly initial: Float64Array;
  readonly initialGap: number;
  /** The progress measure compared with the target. */
  gap(model: Float64Array): number;
  /** One round; returns the new model (input.model itself when nothing changed). */
  round(input: RoundInput, rng: Rng): Float64Array;
  /** alpha_i, beta_i, eps_i of the convergence bound, or null when the learner has none. */
  bound(): LearnerBound | null;
}

/** Every scenario tenant's learner for one episode. */
export interface LearnerSet {
  /** "surrogate", "neural", ... (reported, never branched on by the simulation). */
  readonly kind: string;
  /** Per scenario tenant; null for tenants left out of the market (infeasible). */
  readonly tenants: readonly (RoundLearner | null)[];
  /** Exact w_ij, tenant-major over all scenario tenants (0 off E_i). */
  readonly value: Float64Array;
  /** w_ij as the tenants know them (equal to `value` under "oracle"). */
  readonly observedValue: Float64Array;
}

/** Builds an episode's learners from the compiled scenario and the episode's "learner" stream. */
export interface LearnerFactory {
  readonly kind: string;
  build(compiled: Compiled, rng: Rng, options?: LearnerOptions): LearnerSet;
}

/** The surrogate learner (env/learner.ts) behind the seam: the default of every episode. */
export const surrogateLearner: LearnerFactory = Object.freeze({
  kind: "surrogate",
  build(compiled: Compiled, rng: Rng, options?: LearnerOptions): LearnerSet {
    const L = buildLearner(compiled, rng, options);
    return {
      kind: "surrogate",
      tenants: L.tenants.map((t) => (t ? surrogateRoundLearner(t) : null)),
      value: L.value,
      observedValue: L.observedValue,
    };
  },
});

/** One surrogate tenant as a RoundLearner (its scratch buffers are reused across rounds). */
export function surrogateRoundLearner(t: TenantLearner): RoundLearner {
  const scratch = createScratch(t);
  return {
    index: t.index,
    name: t.name,
    target: t.target,
    devices: t.devices,
    weight: t.weight,
    G: t.G,
    initial: t.initial,
    initialGap: t.initialGap,
    gap: (model) => lossGap(t, model),
    round: (x, rng) => roundUpdate(t, x.model, x.round, x.rule, x.q, x.zeta, x.participants, rng, scratch),
    bound: () => boundConstants(t),
  };
}
