import type { AggregationRule } from "../market/aggregation.ts";
import { budgetScaledPrices } from "./budgetScale.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "./options.ts";
import type { TenantPolicy } from "./types.ts";

/**
 * Uniform pricing (MODEL.md section 7): one price for every eligible device (w_ij > 0), the largest
 * the budget allows given the devices' water-filling response to it against the other tenants'
 * last posted prices; a one-dimensional search (budgetScale.ts). FedAvg by default: a flat
 * per-participation payment is the scheme the FedAvg incentive literature uses.
 */
export const uniformOptions: readonly OptionDoc[] = [aggregationOption("fedavg")];

export function uniformPolicy(options?: Record<string, unknown>): TenantPolicy {
  const o = parseOptions("uniform", uniformOptions, options);
  return {
    name: "uniform",
    aggregation: o.aggregation as AggregationRule,
    price(obs, row) {
      const { N, value } = obs.market;
      const shape = new Float64Array(N);
      for (let j = 0; j < N; j++) shape[j] = value[row * N + j] > 0 ? 1 : 0;
      return budgetScaledPrices(obs, row, shape);
    },
  };
}
