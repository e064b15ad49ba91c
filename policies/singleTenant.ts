import type { AggregationRule } from "../market/aggregation.ts";
import { tenantBestResponse } from "../market/tenantBestResponse.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "./options.ts";
import type { TenantPolicy } from "./types.ts";

/**
 * Single-tenant optimum (MODEL.md section 7): each tenant posts the prices that would be optimal if
 * it were alone on the market, its best response with every other price zero. This is the
 * unbiased-FL incentive of Luo et al. (2023), which PRINCE generalises; it ignores the congestion
 * the other tenants cause, so the budget guard may scale it down once they price too. Unbiased
 * aggregation, as in that paper.
 */
export const singleTenantOptions: readonly OptionDoc[] = [aggregationOption("unbiased")];

export function singleTenantPolicy(options?: Record<string, unknown>): TenantPolicy {
  const o = parseOptions("single-tenant", singleTenantOptions, options);
  let zero = new Float64Array(0);
  return {
    name: "single-tenant",
    aggregation: o.aggregation as AggregationRule,
    price(obs, row) {
      const { M, N } = obs.market;
      if (zero.length !== M * N) zero = new Float64Array(M * N);
      return tenantBestResponse(obs.market, zero, row).prices;
    },
  };
}
