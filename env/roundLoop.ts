import type { SimEvent } from "./events.ts";
import { type Rng, rngFromState } from "./rng.ts";
import type { State, TenantState, World } from "./state.ts";

/**
 * The event loop of the round simulation: from a market step to the next (or the end), on plain
 * local copies of the tenants' records (thaw), frozen into the next state at the end (seal).
 */

/** A tenant's record while the round loop works on it: the same fields, writable, never shared. */
export type LoopTenant = { -readonly [K in keyof TenantState]: TenantState[K] };

/** The episode's changing part while the round loop runs: plain local data. */
export interface LoopState {
  time: number;
  step: number;
  done: boolean;
  truncated: boolean;
  readonly tenants: LoopTenant[];
}

/** Writable copies of a state's tenant records (one shallow copy each: vectors are shared, never written). */
export function thaw(state: State): LoopState {
  return {
    time: state.time,
    step: state.step,
    done: state.done,
    truncated: state.truncated,
    tenants: state.tenants.map((t) => ({ ...t })),
  };
}

/** The next state from the loop's data, frozen. */
export function seal(
  world: World,
  loop: LoopState,
  congestion: Float64Array | null,
  pendingEvents: readonly SimEvent[],
): State {
  for (const t of loop.tenants) Object.freeze(t);
  return Object.freeze({
    world,
    time: loop.time,
    step: loop.step,
    done: loop.done,
    truncated: loop.truncated,
    tenants: Object.freeze(loop.tenants),
    congestion,
    pendingEvents: Object.freeze(pendingEvents.slice()),
  });
}

// ---------------------------------------------------------------------------------------------
// the event loop

interface TenantRngs {
  sampling: Rng;
  noise: Rng;
}

/** Simulates from d.time until the next market step or the end, appending events. */
export function simulate(d: LoopState, world: World, events: SimEvent[]): void {
  const rngs = new Map<number, TenantRngs>();
  const rngOf = (i: number): TenantRngs => {
    let r = rngs.get(i);
    if (!r) {
      r = {
        sampling: rngFromState(d.tenants[i].rng.sampling),
        noise: rngFromState(d.tenants[i].rng.noise),
      };
      rngs.set(i, r);
    }
    return r;
  };
  const K = world.repricingInterval;
  const tenants = d.tenants;
  let t = d.time;
  for (const ts of tenants)
    if (ts.status === "active" && !ts.inFlight) startRound(world, ts, t, rngOf(ts.index));
  for (;;) {
    let anyLive = false;
    let tNext = world.maxTime;
    for (const ts of tenants) {
      if (ts.status === "active") {
        anyLive = true;
        if (ts.inFlight) tNext = Math.min(tNext, ts.inFlight.end);
        tNext = Math.min(tNext, ts.deadlineAt);
      } else if (ts.status === "waiting") {
        anyLive = true;
        tNext = Math.min(tNext, ts.start);
      }
    }
    if (!anyLive) {
      d.done = true;
      break;
    }
    t = Math.max(t, tNext);
    let trigger = false;
    // 1. round ends (a tenant at the round cap stops there, unfinished)
    for (const ts of tenants) {
      if (ts.status !== "active" || !ts.inFlight || ts.inFlight.end > t) continue;
      const fin = completeRound(world, ts, t, rngOf(ts.index), events);
      if (!fin && ts.rounds >= world.maxRounds) {
        stopUnfinished(ts, t, roundCapReason(world.maxRounds, ts), events);
        d.truncated = true;
        trigger = true;
      }
      if (fin || ts.roundsSinceStep >= K) trigger = true;
    }
    // 2. deadlines
    for (const ts of tenants) {
      if (ts.status !== "active" || ts.deadlineAt > t) continue;
      ts.status = "missed";
      ts.inFlight = null;
      ts.finishedAt = t;
      ts.reason = `deadline passed (T = ${ts.deadlineAt - ts.start} s after its start) with loss gap ${ts.lossGap} > target ${ts.target} after ${ts.rounds} rounds`;
      events.push({
        type: "deadlineMissed",
        time: t,
        tenant: ts.name,
        index: ts.index,
        rounds: ts.rounds,
        lossGap: ts.lossGap,
        spend: ts.spent,
      });
      trigger = true;
    }
    // 3. arrivals
    for (const ts of tenants) {
      if (ts.status !== "waiting" || ts.start > t) continue;
      ts.status = "active";
      events.push({ type: "tenantArrived", time: t, tenant: ts.name, index: ts.index });
      trigger = true;
    }
    // 4. the episode's time limit: whoever is still running or waiting is unfinished
    if (t >= world.maxTime) {
      for (const ts of tenants) {
        if (ts.status !== "active" && ts.status !== "waiting") continue;
        const reason =
          ts.status === "waiting"
            ? `the episode ended (maxTime = ${world.maxTime} s) before its start at ${ts.start} s`
            : `the episode ended (maxTime = ${world.maxTime} s) with loss gap ${ts.lossGap} > target ${ts.target}`;
        stopUnfinished(ts, t, reason, events);
        d.truncated = true;
      }
      d.done = true;
      break;
    }
    let anyActive = false;
    let anyWaiting = false;
    for (const ts of tenants) {
      if (ts.status === "active") anyActive = true;
      if (ts.status === "waiting") anyWaiting = true;
    }
    if (!anyActive && !anyWaiting) {
      d.done = true;
      break;
    }
    if (trigger && anyActive) {
      // the market step cap: the step about to come would be one too many
      if (d.step >= world.maxMarketSteps) {
        for (const ts of tenants)
          if (ts.status === "active" || ts.status === "waiting")
            stopUnfinished(ts, t, stepCapReason(world.maxMarketSteps, ts), events);
        d.truncated = true;
        d.done = true;
      }
      break;
    }
    for (const ts of tenants)
      if (ts.status === "active" && !ts.inFlight) startRound(world, ts, t, rngOf(ts.index));
  }
  d.time = t;
  for (const [i, r] of rngs)
    d.tenants[i].rng = Object.freeze({ sampling: r.sampling.state(), noise: r.noise.state() });
}

/**
 * The caps of an episode of `compiled` (docs/simulation.md, "Caps"): at most `maxRounds` rounds per
 * tenant (default DEFAULT_MAX_ROUNDS), and as many market steps as those rounds can trigger (one per
 * K rounds of each tenant, one per arrival and finish, the first), so only a runaway episode meets
 * either.
 */

const roundCapReason = (cap: number, ts: LoopTenant) =>
  `cap reached: ${cap} rounds (the episode's round cap; raise it with --max-rounds) with loss gap ${ts.lossGap} > target ${ts.target}`;

const stepCapReason = (cap: number, ts: LoopTenant) =>
  ts.status === "waiting"
    ? `cap reached: ${cap} market steps (the episode's step cap; raise it with --max-steps) before its start at ${ts.start} s`
    : `cap reached: ${cap} market steps (the episode's step cap; raise it with --max-steps) with loss gap ${ts.lossGap} > target ${ts.target} after ${ts.rounds} rounds`;

/** Stops a running or waiting tenant at a limit (maxTime, a cap): an outcome, never an error. */
function stopUnfinished(ts: LoopTenant, t: number, reason: string, events: SimEvent[]): void {
  ts.reason = reason;
  ts.status = "unfinished";
  ts.inFlight = null;
  ts.finishedAt = t;
  events.push({
    type: "tenantUnfinished",
    time: t,
    tenant: ts.name,
    index: ts.index,
    rounds: ts.rounds,
    lossGap: ts.lossGap,
    spend: ts.spent,
  });
}

/** Samples the participants of a round starting at t and schedules its end. */
function startRound(world: World, ts: LoopTenant, t: number, rng: TenantRngs): void {
  const { physics } = world;
  const { N } = physics;
  const i = ts.index;
  const tl = world.tenantLearner(i);
  const q = ts.localQ as Float64Array | null;
  const cand = ts.sampled as Int32Array | null;
  const prices = ts.prices as Float64Array | null;
  if (!q || !cand || !prices) throw new Error(`tenant ${ts.name} has no prices posted`);
  const buf = world.participantBuffer();
  let n = 0;
  let slowest = 0;
  let payment = 0;
  for (let s = 0; s < cand.length; s++) {
    const l = cand[s];
    if (rng.sampling.next() < q[l]) {
      buf[n++] = l;
      const j = tl.devices[l];
      const tij = physics.roundTime[i * N + j];
      if (tij > slowest) slowest = tij;
      payment += prices[j];
    }
  }
  const tp = physics.tenants[i];
  const duration =
    n > 0 ? slowest + (tp.samplesPerRound * n * tp.cut.serverFlops) / tp.serverFlops : physics.window[i];
  ts.inFlight = Object.freeze({
    start: t,
    end: t + duration,
    participants: buf.slice(0, n),
    payment,
    q,
    zeta: ts.zeta,
    valuation: ts.valuation,
  });
}

/** Applies a finished round: learner update, payment, target check. Returns true if the tenant met it. */
function completeRound(
  world: World,
  ts: LoopTenant,
  t: number,
  rng: TenantRngs,
  events: SimEvent[],
): boolean {
  const f = ts.inFlight!;
  const tl = world.tenantLearner(ts.index);
  const w = ts.model as Float64Array;
  const next = tl.round(
    { model: w, round: ts.rounds, rule: ts.rule, q: f.q, zeta: f.zeta, participants: f.participants },
    rng.noise,
  );
  if (next !== w) {
    ts.model = next;
    ts.lossGap = tl.gap(next);
  }
  ts.rounds += 1;
  ts.roundsSinceStep += 1;
  ts.spent += f.payment;
  ts.valuationSum += f.valuation;
  if (f.valuation > ts.valuationMax) ts.valuationMax = f.valuation;
  ts.inFlight = null;
  const base = { time: t, tenant: ts.name, index: ts.index };
  events.push({
    ...base,
    type: "roundCompleted",
    round: ts.rounds,
    start: f.start,
    participants: f.participants.length,
    lossGap: ts.lossGap,
    payment: f.payment,
  });
  if (f.participants.length > 0)
    events.push({
      ...base,
      type: "payment",
      round: ts.rounds,
      amount: f.payment,
      participants: f.participants.length,
    });
  if (ts.lossGap <= ts.target) {
    ts.status = "met";
    ts.timeToTarget = t - ts.start;
    ts.finishedAt = t;
    events.push({
      ...base,
      type: "targetMet",
      rounds: ts.rounds,
      timeToTarget: t - ts.start,
      lossGap: ts.lossGap,
      spend: ts.spent,
    });
    return true;
  }
  return false;
}
