import { deviceOutput } from "./deviceInput.ts";
import { parseOptions } from "./options.ts";
import type { DevicePolicy } from "./types.ts";

/**
 * A myopic device (MODEL.md section 7): it serves only the tenant with the best price per cost
 * P_ij / c_ij (eligible, P_ij > 0; ties to the lower row), at the level that maximises that single
 * tenant's P q - c q^tau on [0, 1]: q = min(1, (P / (tau c))^(1/(tau-1))). It ignores what the
 * other tenants offer, so it gives up utility whenever splitting its capacity would pay more.
 */
export function myopicDevicePolicy(options?: Record<string, unknown>): DevicePolicy {
  parseOptions("myopic", [], options); // takes none, but a typo must not pass silently
  return {
    name: "myopic",
    respond(obs, devices) {
      const { M, N, tau, value, cost } = obs.market;
      const out = deviceOutput(obs, devices, "myopic");
      const e = 1 / (tau - 1);
      for (const j of devices) {
        let best = -1;
        let bestRatio = 0;
        for (let i = 0; i < M; i++) {
          const k = i * N + j;
          const P = obs.prices[k];
          if (!(value[k] > 0 && P > 0)) continue;
          const r = P / cost[k];
          if (r > bestRatio) {
            bestRatio = r;
            best = i;
          }
        }
        if (best < 0) continue;
        const k = best * N + j;
        out[k] = Math.min(1, (obs.prices[k] / (tau * cost[k])) ** e);
      }
      return out;
    },
  };
}
