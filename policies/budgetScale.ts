import { scaleToBudget } from "../market/budgetScale.ts";
import type { MarketObservation } from "./types.ts";

/**
 * "Scaled to the budget", the one rule every budget-constrained baseline uses (MODEL.md section 7):
 * a baseline picks the shape x_j of tenant i's prices, and posts s * x_j with the largest factor s
 * whose expected spend sum_j s x_j q_ij(s x) is at most B_i, where the devices play water-filling
 * against the other tenants' last posted prices (zero at the first market step).
 *
 * Why against the last prices: a baseline does not model the other tenants; the last posted prices
 * are what it can observe. The environment's budget guard still scales the posted prices down if
 * the others' new prices make the spend exceed B_i. The search itself is market/budgetScale.ts, the
 * one the guard uses.
 */
export { expectedSpend, type ScaledPrices, scaleToBudget } from "../market/budgetScale.ts";

/** scaleToBudget for the observing tenant: its budget, against the last posted prices. */
export function budgetScaledPrices(
  obs: MarketObservation,
  row: number,
  shape: ArrayLike<number>,
): Float64Array {
  return scaleToBudget(obs.market, row, shape, obs.lastPrices).prices;
}
