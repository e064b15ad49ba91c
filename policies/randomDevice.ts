import type { Rng } from "../env/rng.ts";
import { deviceOutput } from "./deviceInput.ts";
import { type OptionDoc, parseOptions } from "./options.ts";
import type { DevicePolicy } from "./types.ts";

/**
 * A random device (MODEL.md section 7): a random feasible split of its capacity, q_j = T * x with
 * T ~ U[0, 1) the total it offers and x ~ Dirichlet(alpha, ..., alpha) over the tenants it may
 * serve (eligible and, by default, posting a positive price); 0 everywhere else.
 *
 * Draws come from the policy's stream split per market step (child "step:<s>"), and every device of
 * the market draws in index order whether or not this instance controls it, so a device's q depends
 * only on the seed, the step and the market: not on which other devices the policy controls.
 */
export const randomDeviceOptions: readonly OptionDoc[] = [
  {
    name: "alpha",
    type: "number",
    default: 1,
    min: 0,
    exclusiveMin: true,
    description: "Dirichlet concentration of the split (1 = uniform on the simplex; small = lopsided)",
  },
  {
    name: "pricedOnly",
    type: "boolean",
    default: true,
    description: "serve only tenants posting a positive price (false: any eligible tenant, even unpaid)",
  },
];

export function randomDevicePolicy(options?: Record<string, unknown>): DevicePolicy {
  const o = parseOptions("random", randomDeviceOptions, options);
  const alpha = o.alpha as number;
  const pricedOnly = o.pricedOnly as boolean;
  let rng: Rng | null = null;
  return {
    name: "random",
    reset(ctx) {
      rng = ctx.rng;
    },
    respond(obs, devices) {
      if (!rng)
        throw new Error('device policy "random" has no random stream: call reset(ctx) before respond()');
      const { M, N, value } = obs.market;
      const out = deviceOutput(obs, devices, "random");
      const controlled = new Uint8Array(N);
      for (const j of devices) controlled[j] = 1;
      const stream = rng.child(`step:${obs.step}`);
      const rows: number[] = [];
      const alphas: number[] = [];
      for (let j = 0; j < N; j++) {
        rows.length = 0;
        for (let i = 0; i < M; i++) {
          const k = i * N + j;
          if (value[k] > 0 && (!pricedOnly || obs.prices[k] > 0)) rows.push(i);
        }
        if (rows.length === 0) continue;
        const total = stream.next();
        alphas.length = rows.length;
        alphas.fill(alpha);
        const x = stream.dirichlet(alphas);
        if (!controlled[j]) continue;
        let sum = 0;
        for (let r = 0; r < rows.length; r++) sum += total * x[r];
        // rounding in the Dirichlet normalisation must not push the total over capacity
        const fix = sum > 1 ? 1 / sum : 1;
        for (let r = 0; r < rows.length; r++) out[rows[r] * N + j] = total * x[r] * fix;
      }
      return out;
    },
  };
}
