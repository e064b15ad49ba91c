import type { AggregationRule } from "../market/aggregation.ts";
import { budgetScaledPrices } from "./budgetScale.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "./options.ts";
import type { TenantPolicy } from "./types.ts";

/**
 * Greedy top-K (MODEL.md section 7): rank the eligible devices by value per cost w_ij / c_ij and
 * pay only the best K, one common price scaled to the budget (budgetScale.ts); the others get 0 and
 * so never take part. FedAvg aggregation: the selection schemes it stands for average over the
 * chosen participants (with the unbiased rule the unpaid devices would make V_i infinite).
 *
 * K is `k` if given, else round(fraction x eligible devices), at least 1 and at most the eligible
 * count. Ties in w/c go to the lower device index.
 */
export const greedyTopKOptions: readonly OptionDoc[] = [
  aggregationOption("fedavg"),
  {
    name: "k",
    type: "integer",
    default: null,
    min: 1,
    description: "number of devices to pay (capped at the eligible count); overrides fraction",
  },
  {
    name: "fraction",
    type: "number",
    default: 0.2,
    min: 0,
    exclusiveMin: true,
    max: 1,
    description:
      "share of the eligible devices to pay when k is not given (K = round(fraction x eligible), >= 1)",
  },
];

export function greedyTopKPolicy(options?: Record<string, unknown>): TenantPolicy {
  const o = parseOptions("greedy-topk", greedyTopKOptions, options);
  const k = o.k as number | undefined;
  const fraction = o.fraction as number;
  return {
    name: "greedy-topk",
    aggregation: o.aggregation as AggregationRule,
    price(obs, row) {
      const top = topKDevices(obs.market.value, obs.market.cost, obs.market.N, row, k, fraction);
      const shape = new Float64Array(obs.market.N);
      for (const j of top) shape[j] = 1;
      return budgetScaledPrices(obs, row, shape);
    },
  };
}

/** The K eligible devices of tenant `row` with the largest w/c, best first. */
export function topKDevices(
  value: Float64Array,
  cost: Float64Array,
  N: number,
  row: number,
  k: number | undefined,
  fraction: number,
): number[] {
  const eligible: number[] = [];
  for (let j = 0; j < N; j++) if (value[row * N + j] > 0) eligible.push(j);
  const K = Math.min(eligible.length, Math.max(1, k ?? Math.round(fraction * eligible.length)));
  const ratio = (j: number) => value[row * N + j] / cost[row * N + j];
  eligible.sort((a, b) => ratio(b) - ratio(a) || a - b);
  return eligible.slice(0, K);
}
