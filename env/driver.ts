import {
  activeMarket,
  advance,
  observe,
  type PostedPrices,
  postPrices,
  terminal,
  withAgentColumns,
} from "./core.ts";
import { checkPrices, PolicyError, type PolicyErrorContext, showNumber } from "./errors.ts";
import type { SimEvent } from "./events.ts";
import type { DeviceObservation, DevicePolicy, TenantPolicy, TenantView } from "./policy.ts";
import type { ActiveMarket, State } from "./state.ts";

/**
 * The one episode driver (issue 9): from a state to the end of its episode, asking tenants for
 * prices and devices for participation through callbacks, one market step at a time:
 *   observe -> each active tenant's price(), awaited one at a time in row order, each answer
 *   checked as it comes (PolicyError naming the policy, the step, the bad value) -> postPrices
 *   (the budget guard and water-filling, once per step) -> the device policy's respond() on the
 *   posted prices, if any, checked -> advance -> afterStep.
 * Every answer has `timeoutMs` to settle; `signal` cancels before every step and after every
 * answer (EpisodeCancelled). runEpisode drives its episodes with it (and so the policy checks);
 * MarketParallelEnv, whose caller supplies the actions, uses the same two halves (postPrices,
 * advance) step by step.
 */
export interface DriverHooks {
  /** The policy pricing the tenant of `view` at this step (asked in row order). */
  readonly tenantPolicy: (view: TenantView) => Pick<TenantPolicy, "name" | "price">;
  /** A device policy and the devices it controls (they must be the episode's deviceAgents). */
  readonly device?: { readonly policy: DevicePolicy; readonly devices: Int32Array };
  /** Wall-clock ms an answer may take (0 = no limit). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** After every step. */
  readonly afterStep?: (step: DriverStep) => void | Promise<void>;
}

/** One driven market step: the states around it, its events, the prices as answered and as posted. */
export interface DriverStep {
  readonly before: State;
  readonly state: State;
  readonly events: SimEvent[];
  readonly posted: PostedPrices;
  readonly prices: Readonly<Record<string, Float64Array>>;
}

/** Drives `start` to the end of its episode; returns the final state. */
export async function driveEpisode(start: State, hooks: DriverHooks): Promise<State> {
  let state = start;
  const { N } = state.world.physics;
  const checkAborted = () => {
    if (hooks.signal?.aborted) throw new EpisodeCancelled();
  };
  while (!terminal(state)) {
    // Answers of in-process policies are resolved promises, which never leave the microtask queue:
    // without a turn of the event loop per step, a signal (Ctrl-C) waited for the last run (issue 11).
    await new Promise<void>((resolve) => setImmediate(resolve));
    checkAborted();
    const obs = observe(state);
    const am = activeMarket(state)!;
    const names: string[] = [];
    const prices: Record<string, Float64Array> = {};
    for (const view of obs.tenants) {
      const pol = hooks.tenantPolicy(view);
      names.push(pol.name);
      const ctx: PolicyErrorContext = { policy: pol.name, step: obs.step, tenant: view.name };
      const raw = await ask(() => pol.price(obs, view.row), hooks.timeoutMs, ctx, "price()");
      checkAborted();
      prices[view.name] = checkPrices(raw, N, ctx);
    }
    const posted = postPrices(state, prices, names, true);
    let q = posted.participation;
    if (hooks.device) {
      const { policy: dp, devices } = hooks.device;
      const dobs: DeviceObservation = {
        step: obs.step,
        time: obs.time,
        market: am.truth,
        prices: posted.prices,
      };
      const ctx: PolicyErrorContext = { policy: dp.name, step: obs.step };
      const raw = await ask(() => dp.respond(dobs, devices), hooks.timeoutMs, ctx, "respond()");
      q = withAgentColumns(state, q, checkParticipation(raw, am, devices, N, ctx));
    }
    const before = state;
    const res = advance(state, posted, q);
    state = res.state;
    await hooks.afterStep?.({ before, state, events: res.events, posted, prices });
  }
  return state;
}

/** A policy's answer within the time limit; a throw becomes a PolicyError naming the call. */
async function ask<T>(
  call: () => T | Promise<T>,
  ms: number,
  ctx: PolicyErrorContext,
  what: string,
): Promise<T> {
  try {
    return await withinTime(call(), ms, ctx, what);
  } catch (err) {
    if (err instanceof PolicyError) throw err;
    throw new PolicyError(ctx, `${what} threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** Raised by runEpisode when its signal is aborted (the caller stopped listening). */
export class EpisodeCancelled extends Error {
  override readonly name = "EpisodeCancelled";
  constructor() {
    super("the episode was cancelled");
  }
}

/** Awaits a policy's answer, failing with a PolicyError if it does not settle within `ms`. */
export async function withinTime<T>(
  answer: T | Promise<T>,
  ms: number,
  ctx: PolicyErrorContext,
  what: string,
): Promise<T> {
  if (!(answer instanceof Promise) || !(ms > 0)) return answer;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new PolicyError(ctx, `${what} did not settle within ${ms} ms (a promise that never resolves?)`),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks a device policy's answer: M_active x N entries in [0, 1], capacity <= 1 per controlled device. */
function checkParticipation(
  raw: unknown,
  am: ActiveMarket,
  devices: Int32Array,
  N: number,
  ctx: PolicyErrorContext,
): Float64Array {
  const M = am.tenants.length;
  if (!(raw instanceof Float64Array || Array.isArray(raw)))
    throw new PolicyError(ctx, `participation must be a Float64Array of length M x N = ${M * N}`, {
      value: raw,
    });
  const a = raw as ArrayLike<number>;
  if (a.length !== M * N)
    throw new PolicyError(ctx, `participation has length ${a.length}, expected M x N = ${M * N}`, {
      value: a.length,
    });
  const out = new Float64Array(M * N);
  for (const j of devices) {
    let sum = 0;
    for (let r = 0; r < M; r++) {
      const k = r * N + j;
      const x = Number(a[k]);
      if (!(Number.isFinite(x) && x >= 0 && x <= 1))
        throw new PolicyError(ctx, `q[${r}][${j}] is ${showNumber(x)}; must be in [0, 1]`, {
          index: k,
          value: x,
        });
      out[k] = am.truth.value[k] > 0 ? x : 0;
      sum += out[k];
    }
    if (sum > 1 + 1e-9)
      throw new PolicyError(ctx, `device ${j}'s participation sums to ${sum}; capacity is 1`, {
        index: j,
        value: sum,
      });
  }
  return out;
}
