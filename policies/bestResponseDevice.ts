import { deviceWaterFill } from "../market/waterFill.ts";
import { deviceOutput } from "./deviceInput.ts";
import { parseOptions } from "./options.ts";
import type { DevicePolicy } from "./types.ts";

/**
 * The rational follower PRINCE assumes (MODEL.md section 2): each device plays its exact best
 * response, water-filling with a congestion price (market/waterFill.ts). Computed only for the
 * controlled devices, with the same per-device routine as waterFill, so the answer is identical.
 */
export function bestResponseDevicePolicy(options?: Record<string, unknown>): DevicePolicy {
  parseOptions("best-response", [], options); // takes none, but a typo must not pass silently
  return {
    name: "best-response",
    respond(obs, devices) {
      const { M, N, tau, value, cost } = obs.market;
      const out = deviceOutput(obs, devices, "best-response");
      const p = new Float64Array(M);
      const c = new Float64Array(M);
      const q = new Float64Array(M);
      for (const j of devices) {
        for (let i = 0; i < M; i++) {
          const k = i * N + j;
          p[i] = value[k] > 0 ? obs.prices[k] : 0;
          c[i] = cost[k];
        }
        deviceWaterFill(p, c, tau, M, q);
        for (let i = 0; i < M; i++) out[i * N + j] = q[i];
      }
      return out;
    },
  };
}
