import type { AggregationRule } from "../market/aggregation.ts";
import { budgetScaledPrices } from "./budgetScale.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "./options.ts";
import type { PolicyWarning, TenantPolicy } from "./types.ts";
import { WarningLog } from "./warnings.ts";

/**
 * Proportional pricing (MODEL.md section 7): P_ij = s a_ij on eligible devices, with a_ij the data
 * weight and s the largest factor the budget allows (budgetScale.ts). FedAvg by default, the rule
 * of the data-size-proportional schemes it stands for.
 *
 * a_ij comes from `obs.dataWeight`. The market itself only holds w_ij = a_ij^2 G_ij^2, so when the
 * environment does not share a_ij the policy uses sqrt(w_ij) = a_ij G_ij as a proxy (it also
 * weights by data heterogeneity G_ij) and records a NO_DATA_WEIGHT warning once per episode.
 */
export const proportionalOptions: readonly OptionDoc[] = [aggregationOption("fedavg")];

export interface ProportionalPolicy extends TenantPolicy {
  readonly warnings: readonly PolicyWarning[];
}

export function proportionalPolicy(options?: Record<string, unknown>): ProportionalPolicy {
  const o = parseOptions("proportional", proportionalOptions, options);
  const log = new WarningLog();
  return {
    name: "proportional",
    aggregation: o.aggregation as AggregationRule,
    get warnings() {
      return log.items;
    },
    reset() {
      log.clear();
    },
    price(obs, row) {
      const { M, N, value } = obs.market;
      const a = obs.dataWeight;
      if (a && a.length !== M * N)
        throw new RangeError(`dataWeight has length ${a.length}, expected M*N = ${M * N}`);
      if (!a)
        log.once(
          obs.step,
          "NO_DATA_WEIGHT",
          "observation has no dataWeight (a_ij); pricing proportionally to sqrt(w_ij) = a_ij G_ij instead",
        );
      const shape = new Float64Array(N);
      let any = false;
      for (let j = 0; j < N; j++) {
        const k = row * N + j;
        if (!(value[k] > 0)) continue;
        shape[j] = a ? a[k] : Math.sqrt(value[k]);
        if (shape[j] > 0) any = true;
      }
      if (!any) {
        // eligible devices with no data weight cannot happen in a compiled scenario; price them
        // uniformly rather than post nothing
        log.once(
          obs.step,
          "ZERO_DATA_WEIGHT",
          `tenant row ${row} has no eligible device with a_ij > 0; pricing uniformly`,
        );
        for (let j = 0; j < N; j++) shape[j] = value[row * N + j] > 0 ? 1 : 0;
      }
      return budgetScaledPrices(obs, row, shape);
    },
  };
}
