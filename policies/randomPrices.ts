import type { Rng } from "../env/rng.ts";
import type { AggregationRule } from "../market/aggregation.ts";
import { budgetScaledPrices } from "./budgetScale.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "./options.ts";
import type { TenantPolicy } from "./types.ts";

/**
 * Random pricing (MODEL.md section 7): log-uniform random prices on the eligible devices, scaled to
 * the budget (budgetScale.ts). The shape x_j = 10^(decades * U) spans `decades` orders of magnitude;
 * the budget scaling fixes the level. FedAvg by default, like the other naive baselines.
 *
 * Draws come from the policy's stream (ctx.rng) split per market step and tenant
 * (child "step:<s>/tenant:<name>"), so a tenant's prices depend only on the seed, the step and its
 * name: not on how many tenants share the instance or in which order they are asked.
 */
export const randomPricesOptions: readonly OptionDoc[] = [
  aggregationOption("fedavg"),
  {
    name: "decades",
    type: "number",
    default: 2,
    min: 0,
    max: 12,
    description: "spread of the log-uniform prices, in orders of magnitude (highest / lowest <= 10^decades)",
  },
  {
    name: "redraw",
    type: "boolean",
    default: true,
    description: "draw new prices at every market step (false: one draw per tenant per episode)",
  },
];

export function randomPricesPolicy(options?: Record<string, unknown>): TenantPolicy {
  const o = parseOptions("random", randomPricesOptions, options);
  const decades = o.decades as number;
  const redraw = o.redraw as boolean;
  let rng: Rng | null = null;
  return {
    name: "random",
    aggregation: o.aggregation as AggregationRule,
    reset(ctx) {
      rng = ctx.rng;
    },
    price(obs, row) {
      if (!rng) throw new Error('policy "random" has no random stream: call reset(ctx) before price()');
      const { N, value } = obs.market;
      const tenant = obs.tenants[row]?.name ?? `row${row}`;
      const stream = rng.child(redraw ? `step:${obs.step}/tenant:${tenant}` : `tenant:${tenant}`);
      const shape = new Float64Array(N);
      for (let j = 0; j < N; j++) {
        // one draw per device, eligible or not, so a device's draw does not depend on the others'
        const u = stream.next();
        if (value[row * N + j] > 0) shape[j] = 10 ** (decades * u);
      }
      return budgetScaledPrices(obs, row, shape);
    },
  };
}
