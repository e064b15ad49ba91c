import type { SimEvent } from "./events.ts";
import type { State } from "./state.ts";

// ---------------------------------------------------------------------------------------------
// rewards

/**
 * Per tenant that took part in the step (posted prices in `events`): the decrease of the log loss
 * gap over the step, ln(gap at the step) - ln(gap now). Nothing else: spending is limited by the
 * budget guard, not priced into the reward. Summed over an episode it telescopes to
 * ln(initial gap / final gap), so a tenant that meets its target sooner collects the same total
 * sooner (discounting makes that worth more). 0 for tenants that did not take part.
 */
export function reward(state: State, events: readonly SimEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of state.tenants) out[t.name] = 0;
  for (const e of events) {
    if (e.type !== "pricesPosted") continue;
    const t = state.tenants[e.index];
    out[t.name] =
      Math.log(Math.max(t.stepStartGap, Number.MIN_VALUE)) - Math.log(Math.max(t.lossGap, Number.MIN_VALUE));
  }
  return out;
}

/**
 * Device rewards for the devices in `devices`: per tenant active in the step, the device's utility
 * per round at the posted terms, P_ij q_ij - c_ij q_ij^tau (MODEL.md section 2), times the rounds that
 * tenant completed during the step.
 */
export function deviceRewards(
  state: State,
  events: readonly SimEvent[],
  devices: ArrayLike<number>,
): Float64Array {
  const { N, tau, cost } = state.world.physics;
  const rounds = new Map<number, number>();
  for (const e of events)
    if (e.type === "roundCompleted") rounds.set(e.index, (rounds.get(e.index) ?? 0) + 1);
  const prices = new Map<number, Float64Array>();
  const part = new Map<number, Float64Array>();
  for (const e of events) {
    if (e.type === "pricesPosted") prices.set(e.index, e.prices);
    if (e.type === "participationChosen") part.set(e.index, e.participation);
  }
  const out = new Float64Array(devices.length);
  for (let s = 0; s < devices.length; s++) {
    const j = devices[s];
    let u = 0;
    for (const [i, P] of prices) {
      const q = part.get(i)![j];
      u += (rounds.get(i) ?? 0) * (P[j] * q - cost[i * N + j] * q ** tau);
    }
    out[s] = u;
  }
  return out;
}
