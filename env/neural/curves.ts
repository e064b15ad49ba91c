import type { AggregationRule } from "../../market/aggregation.ts";
import type { Rng } from "../rng.ts";
import { type NeuralTenant, neuralMetric, neuralTenantRound } from "./neuralTenant.ts";
import { createNeuralScratch } from "./splitRound.ts";

/**
 * The validation curve of a tenant trained with fixed participation q (by local index), outside the
 * market: each round every device takes part with probability q_j (one uniform draw each, stream
 * `rng`), the round runs (splitRound.ts) and the validation metric is measured. Element r is the
 * metric after r rounds (element 0: the initial model). For the tests, the figure in docs/neural.md
 * (scripts are in docs/neural.md) and bench/neural.ts.
 */
export function validationCurve(
  t: NeuralTenant,
  rule: AggregationRule,
  q: Float64Array,
  rounds: number,
  rng: Rng,
): Float64Array {
  const n = t.devices.length;
  if (q.length !== n) throw new RangeError(`q has length ${q.length}, the tenant has ${n} devices`);
  const scratch = createNeuralScratch(t);
  const curve = new Float64Array(rounds + 1);
  let theta = t.initial;
  let metric = t.initialMetric;
  curve[0] = metric;
  const picked: number[] = [];
  for (let r = 0; r < rounds; r++) {
    picked.length = 0;
    for (let l = 0; l < n; l++) if (q[l] > 0 && rng.next() < q[l]) picked.push(l);
    const next = neuralTenantRound(t, theta, rule, q, Int32Array.from(picked), rng, scratch);
    if (next !== theta) {
      theta = next;
      metric = neuralMetric(t, theta);
    }
    curve[r + 1] = metric;
  }
  return curve;
}
