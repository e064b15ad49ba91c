/**
 * A tenant pricing policy as a user module: "value per cost". Each eligible device j gets a price
 * proportional to (w_ij / c_ij)^exponent, where w_ij is the value weight the tenant observes and c_ij
 * the device's cost, and the whole vector is scaled to the tenant's budget (the largest multiple
 * whose expected spend stays within B_i, the devices responding against the other tenants' last
 * prices). Every eligible device gets a positive price, so with the unbiased rule (the default
 * here) no eligible device is left at q = 0, which would make V_i infinite.
 *
 *   npx sfl-market compare --preset tiny --seeds 2 --policies prince,./examples/my-pricing.ts
 *   npx sfl-market compare --preset tiny --seeds 2 --policies prince,./examples/my-pricing.ts \
 *     --policy-options '{"./examples/my-pricing.ts": {"exponent": 0.5}}'
 *   npx sfl-market check --policy ./examples/my-pricing.ts
 *
 * The contract (docs/plugins.md): the default export is a factory (options) => TenantPolicy, called
 * once per run with the options given for this spec ({} when none).
 *
 * Inside this repository the library is imported by relative paths. As a library user, import the
 * same names from the package instead:
 *   import { aggregationOption, budgetScaledPrices, parseOptions, type TenantPolicy } from "sfl-market";
 */
import type { AggregationRule } from "../market/aggregation.ts";
import { budgetScaledPrices } from "../policies/budgetScale.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "../policies/options.ts";
import type { TenantPolicy } from "../policies/types.ts";

/** The options this policy takes; parseOptions checks them and names every wrong one. */
export const valuePerCostOptions: readonly OptionDoc[] = [
  aggregationOption("unbiased"),
  {
    name: "exponent",
    type: "number",
    default: 1,
    min: 0,
    max: 4,
    description: "prices proportional to (w_ij / c_ij)^exponent; 0 = one flat price",
  },
];

export default function valuePerCost(options?: Record<string, unknown>): TenantPolicy {
  const o = parseOptions("value-per-cost", valuePerCostOptions, options);
  const exponent = o.exponent as number;
  return {
    name: "value-per-cost",
    aggregation: o.aggregation as AggregationRule,
    price(obs, row) {
      const { N, value, cost } = obs.market;
      const shape = new Float64Array(N);
      for (let j = 0; j < N; j++) {
        const k = row * N + j;
        if (value[k] > 0) shape[j] = (value[k] / cost[k]) ** exponent;
      }
      return budgetScaledPrices(obs, row, shape);
    },
  };
}
