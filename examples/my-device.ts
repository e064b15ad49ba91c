/**
 * A device policy as a user module: "capped best response". Every device plays its exact best
 * response to the posted prices, but never commits more than a share `cap` of its capacity (an
 * owner who keeps part of the phone's battery for themselves): it maximises
 * sum_i (P_ij q_ij - c_ij q_ij^tau) subject to sum_i q_ij <= cap.
 *
 * Substituting q = cap * x turns this into the ordinary problem (capacity 1) with prices cap * P_ij
 * and costs cap^tau * c_ij, so the library's one-device water-filling solves it exactly. With
 * cap = 1 it is the built-in "best-response" device.
 *
 *   npx sfl-market check --policy ./examples/my-device.ts --kind device
 *   npx sfl-market check --policy ./examples/my-device.ts --options '{"cap": 0.25}'
 *
 * The contract (docs/plugins.md): the default export is a factory (options) => DevicePolicy.
 * Library users import from the package instead of relative paths:
 *   import { deviceWaterFill, parseOptions, type DevicePolicy } from "sfl-market";
 */
import { deviceWaterFill } from "../market/waterFill.ts";
import { type OptionDoc, parseOptions } from "../policies/options.ts";
import type { DevicePolicy } from "../policies/types.ts";

export const cappedBestResponseOptions: readonly OptionDoc[] = [
  {
    name: "cap",
    type: "number",
    default: 0.5,
    min: 0,
    exclusiveMin: true,
    max: 1,
    description: "largest share of its capacity a device gives, summed over tenants",
  },
];

export default function cappedBestResponse(options?: Record<string, unknown>): DevicePolicy {
  const cap = parseOptions("capped-best-response", cappedBestResponseOptions, options).cap as number;
  return {
    name: "capped-best-response",
    respond(obs, devices) {
      const { M, N, tau, value, cost } = obs.market;
      const q = new Float64Array(M * N); // entries of devices we do not control stay 0 (ignored)
      const p = new Float64Array(M);
      const c = new Float64Array(M);
      const x = new Float64Array(M);
      const costScale = cap ** tau;
      for (const j of devices) {
        for (let i = 0; i < M; i++) {
          const k = i * N + j;
          p[i] = value[k] > 0 ? cap * obs.prices[k] : 0; // ineligible pairs get p = 0, hence q = 0
          c[i] = costScale * cost[k];
        }
        deviceWaterFill(p, c, tau, M, x);
        for (let i = 0; i < M; i++) q[i * N + j] = cap * x[i];
      }
      return q;
    },
  };
}
