import { type AggregationRule, aggregate } from "../../market/aggregation.ts";
import type { Rng } from "../rng.ts";
import { localTraining, type Network, type StepBatch } from "./network.ts";
import type { LabelledSet } from "./tasks.ts";

/**
 * One synchronous split-federated round of one tenant (MODEL.md sections 3 and 5), SFL-V1 style:
 * every participant starts from the global parameters theta (device-side adapter and its own copy of
 * the server side), runs `localSteps` split-learning SGD steps on batches of its own data (device
 * forward, smashed data up, server forward/backward, gradient at the cut down, device backward), and
 * returns Delta_j = theta_j - theta. The server aggregates the updates with the tenant's rule,
 *     unbiased:  sum_{j in S} (a_j / q_j) Delta_j        FedAvg:  sum_{j in S} a_j / (sum_S a) Delta_j
 * (market/aggregation.ts), and steps theta <- theta + eta_g * aggregate, the constant server step
 * of MODEL.md section 3 (default 1). Unlike the surrogate (docs/learner.md), there is no variance cap
 * on the step: a cap 1 / (1 + 2 zeta) would make the unbiased rule's expected update a fraction of
 * the full-participation one, so at equal rounds it would lag full participation by construction,
 * and the networks here are small and smooth enough that the inverse-probability weights' variance
 * does not make them diverge at the participation levels the market produces (docs/neural.md).
 */

export interface RoundSettings {
  /** E: local steps per round. */
  readonly localSteps: number;
  /** Samples per local step. */
  readonly batch: number;
  /** Device (and per-device server) SGD step size. */
  readonly learningRate: number;
  /** eta_g, the server step size (MODEL.md section 3; default 1). */
  readonly serverStep: number;
}

/** What a round needs of the tenant: the network, the devices' data and their data weights. */
export interface RoundTenant {
  readonly net: Network;
  readonly data: readonly LabelledSet[];
  /** a_j by local index (sums to 1). */
  readonly weight: Float64Array;
  readonly settings: RoundSettings;
}

/** Reusable buffers (one per tenant; contents are scratch). */
export interface NeuralScratch {
  readonly deltas: Float64Array[];
  readonly mask: Uint8Array;
  readonly agg: Float64Array;
}

export function createNeuralScratch(t: RoundTenant): NeuralScratch {
  const n = t.weight.length;
  const P = t.net.size;
  const buf = new Float64Array(n * P);
  return {
    deltas: Array.from({ length: n }, (_, l) => buf.subarray(l * P, (l + 1) * P)),
    mask: new Uint8Array(n),
    agg: new Float64Array(P),
  };
}

/** Draws each participant's batches (with replacement from its own data): one StepBatch per step. */
export function drawBatches(t: RoundTenant, participants: Int32Array, rng: Rng): StepBatch[] {
  const { localSteps: E, batch: b } = t.settings;
  const S = participants.length;
  const size = t.net.spec.tokens * t.net.spec.features;
  const steps: StepBatch[] = [];
  for (let e = 0; e < E; e++) {
    const x = new Float32Array(S * b * size);
    const y = new Int32Array(S * b);
    for (let s = 0; s < S; s++) {
      const set = t.data[participants[s]];
      for (let k = 0; k < b; k++) {
        const i = rng.int(set.n);
        x.set(set.x.subarray(i * size, (i + 1) * size), (s * b + k) * size);
        y[s * b + k] = set.y[i];
      }
    }
    steps.push({ S, n: b, x, y });
  }
  return steps;
}

/**
 * One round: returns a NEW parameter vector (theta is not touched), or theta itself when nobody
 * took part. `q` by local index (the unbiased rule's weights), `participants` local indices.
 */
export function neuralRound(
  t: RoundTenant,
  theta: Float64Array,
  rule: AggregationRule,
  q: Float64Array,
  participants: Int32Array,
  rng: Rng,
  scratch: NeuralScratch = createNeuralScratch(t),
): Float64Array {
  if (participants.length === 0) return theta;
  const P = t.net.size;
  const deltas = localTraining(t.net, theta, drawBatches(t, participants, rng), t.settings.learningRate);
  for (let s = 0; s < participants.length; s++) {
    const l = participants[s];
    const d = scratch.deltas[l];
    for (let k = 0; k < P; k++) d[k] = deltas[s * P + k];
    scratch.mask[l] = 1;
  }
  const agg = aggregate(rule, scratch.deltas, t.weight, q, scratch.mask, scratch.agg);
  for (let s = 0; s < participants.length; s++) scratch.mask[participants[s]] = 0;
  const eta = t.settings.serverStep;
  const out = new Float64Array(P);
  // float32 parameters: the next round's tensors would round them anyway; doing it here keeps the
  // model state exactly what the network computes with
  for (let k = 0; k < P; k++) out[k] = Math.fround(theta[k] + eta * agg[k]);
  return out;
}
