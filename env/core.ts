import type { AggregationRule } from "../market/aggregation.ts";
import { enforceBudgets } from "../market/budgetGuard.ts";
import type { Compiled } from "./compile.ts";
import { checkPrices, PolicyError, type PolicyErrorContext, showNumber } from "./errors.ts";
import type { SimEvent } from "./events.ts";
import { weightVariance } from "./learner.ts";
import type { MarketObservation, TenantView } from "./policy.ts";
import { createRng } from "./rng.ts";
import { surrogateLearner } from "./roundLearner.ts";
import { seal, simulate, thaw } from "./roundLoop.ts";
import {
  type Actions,
  type ActiveMarket,
  type SimOptions,
  type State,
  type TenantState,
  World,
} from "./state.ts";
import { quantilesAt } from "./summaries.ts";

/**
 * The SFL round simulation (MODEL.md section 4) as a functional core:
 *   initial(compiled, seed) -> State             the episode at its first market step
 *   observe(state) -> MarketObservation          what pricing policies see at that step
 *   transition(state, actions) -> {state, events} post prices, then simulate to the next market step
 *   reward(state, events), terminal(state)
 * An environment step is one market step. docs/simulation.md describes the semantics in full; the
 * short version:
 *
 * - Time is simulated seconds. Each active tenant runs synchronous rounds back to back. At a round's
 *   start every device j with q_ij > 0 takes part independently with probability q_ij (the q in
 *   force at that moment); the round lasts max_{j in S} t_ij + n_i |S| F_i^srv / f_i^E, or W_i if S is
 *   empty; at its end every participant is paid the P_ij in force at the start, the learner applies
 *   the tenant's aggregation rule, and the loss gap is checked against eps_i.
 * - A tenant is met at the end of the round that brings its gap to <= eps_i (timeToTarget = that time
 *   minus its start), missed when its deadline start + T_i passes first (a round still running then
 *   is abandoned, unpaid), and infeasible if compile left it out of the market.
 * - Market steps: at the first arrival, whenever a tenant arrives or finishes, and whenever an active
 *   tenant has completed K = repricingInterval rounds since the last step. Rounds in flight at a
 *   step finish on the terms they started with; new prices apply to rounds that start after it.
 * - At a step, every active tenant's prices go through the budget guard (enforceBudgets on the active
 *   market, exact value weights, true costs) and devices without an agent play water-filling.
 * - Events at the same instant are processed in a fixed order: round ends, then deadlines, then
 *   arrivals, then the episode's time limit; within each kind by scenario tenant index.
 *
 * State is immutable (frozen) plain data. A transition copies the tenants' records once, lets the
 * round loop work on those plain local copies (no proxies on the hot path), and freezes the result
 * into the next state; vectors (models, price and participation rows, participant lists) are
 * Float64Array/Int32Array values that are replaced whole and never written once in a state. Each
 * tenant's random streams (participation sampling, SGD noise) live in the state as RngState, so a
 * state can be saved and resumed. `world` holds what never changes in an episode.
 */

// ---------------------------------------------------------------------------------------------
// initial

/**
 * The episode for `seed`: builds the learner (stream "learner"), gives every tenant its own sampling
 * and noise streams ("sampling/<name>", "noise/<name>"), and advances to the first market step (the
 * first arrival). Infeasible tenants are reported as events and outcomes, never as errors.
 */
/** The World of an episode of `seed`: its learners (stream "learner") and settings. */
function makeWorld(compiled: Compiled, seed: number | string, opts: SimOptions): World {
  const factory = opts.learnerFactory ?? surrogateLearner;
  const learner = factory.build(compiled, createRng(seed).child("learner"), opts.learner);
  return new World(compiled, learner, seed, opts);
}

/**
 * A state as plain data, without its World (which is rebuilt from the scenario, the seed and the
 * options): typed arrays, numbers and the RNG states, so it can be stored (structuredClone, a
 * worker message, v8.serialize) and resumed with resumeState.
 */
export type SavedState = Omit<State, "world">;

export function saveState(state: State): SavedState {
  const { world: _world, ...rest } = state;
  return rest;
}

/**
 * The state `saved` was made from, in an episode of `compiled` with the same seed and options:
 * continuing it gives the same events and bytes as the episode run straight through.
 */
export function resumeState(
  compiled: Compiled,
  seed: number | string,
  saved: SavedState,
  opts: SimOptions = {},
): State {
  const world = makeWorld(compiled, seed, opts);
  const tenants = saved.tenants.map((t) => Object.freeze({ ...t }));
  return Object.freeze({ ...saved, world, tenants: Object.freeze(tenants) });
}

export function initial(compiled: Compiled, seed: number | string, opts: SimOptions = {}): State {
  const root = createRng(seed);
  const world = makeWorld(compiled, seed, opts);
  const learner = world.learner;
  const p = compiled.physics;
  const ruleOf = (name: string): AggregationRule => {
    const a = opts.aggregation;
    if (a === undefined) return "unbiased";
    if (typeof a === "string") return a;
    return a[name] ?? "unbiased";
  };
  const events: SimEvent[] = [];
  const tenants: TenantState[] = p.tenants.map((tp) => {
    const tl = learner.tenants[tp.index];
    const infeasible = p.infeasible.find((x) => x.tenant === tp.index);
    const rule = ruleOf(tp.name);
    if (rule !== "unbiased" && rule !== "fedavg")
      throw new RangeError(`aggregation for tenant "${tp.name}" must be "unbiased" or "fedavg", got ${rule}`);
    if (!tl) {
      const reason = infeasible?.reason ?? "left out of the market";
      events.push({
        type: "tenantInfeasible",
        time: 0,
        tenant: tp.name,
        index: tp.index,
        code: infeasible?.code ?? "INFEASIBLE",
        reason,
      });
    }
    return {
      index: tp.index,
      name: tp.name,
      type: tp.profile.type,
      status: tl ? "waiting" : "infeasible",
      reason: tl ? null : (infeasible?.reason ?? "left out of the market"),
      rule,
      start: tp.start,
      deadlineAt: tp.start + tp.deadline,
      target: tp.target,
      budget: tp.budget,
      rounds: 0,
      roundsSinceStep: 0,
      spent: 0,
      lossGap: tl ? tl.initialGap : 0,
      stepStartGap: tl ? tl.initialGap : 0,
      timeToTarget: null,
      finishedAt: null,
      model: tl ? tl.initial : null,
      inFlight: null,
      prices: null,
      participation: null,
      localQ: null,
      sampled: null,
      zeta: 0,
      valuation: Number.POSITIVE_INFINITY,
      valuationSum: 0,
      valuationMax: 0,
      rng: Object.freeze({
        sampling: root.child(`sampling/${tp.name}`).state(),
        noise: root.child(`noise/${tp.name}`).state(),
      }),
    };
  });
  const start: State = {
    world,
    time: 0,
    step: 0,
    done: false,
    truncated: false,
    tenants,
    congestion: null,
    pendingEvents: [],
  };
  const loop = thaw(start);
  simulate(loop, world, events);
  return seal(world, loop, null, events);
}

// ---------------------------------------------------------------------------------------------
// observe

/** Scenario indices of the active tenants, ascending (= rows of the active market). */
export function activeTenants(state: State): number[] {
  const out: number[] = [];
  for (const t of state.tenants) if (t.status === "active") out.push(t.index);
  return out;
}

/** The active market of the pending step (null when the episode is over). */
export function activeMarket(state: State): ActiveMarket | null {
  const a = activeTenants(state);
  return a.length ? state.world.activeMarket(a) : null;
}

/** What pricing policies see at the pending market step. Throws once the episode is over. */
export function observe(state: State): MarketObservation {
  const am = activeMarket(state);
  if (state.done || !am) throw new Error("observe: the episode is over; there is no market step to price");
  const { N } = state.world.physics;
  const M = am.tenants.length;
  const tenants: TenantView[] = am.tenants.map((i, row) => {
    const t = state.tenants[i];
    return {
      name: t.name,
      index: i,
      row,
      type: t.type,
      rounds: t.rounds,
      lossGap: t.lossGap,
      target: t.target,
      elapsed: state.time - t.start,
      deadline: t.deadlineAt - t.start,
      spent: t.spent,
      budget: t.budget,
    };
  });
  let lastPrices: Float64Array | null = null;
  let lastParticipation: Float64Array | null = null;
  if (am.tenants.some((i) => state.tenants[i].prices !== null)) {
    lastPrices = new Float64Array(M * N);
    lastParticipation = new Float64Array(M * N);
    am.tenants.forEach((i, r) => {
      const t = state.tenants[i];
      if (t.prices) lastPrices!.set(t.prices, r * N);
      if (t.participation) lastParticipation!.set(t.participation, r * N);
    });
  }
  // a_ij over the active rows, on the pairs the tenants can use (proportional pricing reads it)
  const dataWeight = new Float64Array(M * N);
  am.tenants.forEach((i, r) => {
    for (let j = 0; j < N; j++)
      if (am.observed.value[r * N + j] > 0) dataWeight[r * N + j] = state.world.physics.dataWeight[i * N + j];
  });
  return {
    step: state.step,
    time: state.time,
    market: am.observed,
    tenants,
    lastPrices,
    lastParticipation,
    dataWeight,
  };
}

export function terminal(state: State): boolean {
  return state.done;
}

// ---------------------------------------------------------------------------------------------
// transition

/** Prices after the budget guard for the pending step (what device agents respond to). */
export interface PostedPrices {
  readonly market: ActiveMarket;
  /** M_active x N, after the guard; 0 on ineligible pairs. */
  readonly prices: Float64Array;
  /** Water-filling participation at those prices (M_active x N). */
  readonly participation: Float64Array;
  readonly congestion: Float64Array;
  /** Per active row, the guard's factor (1 = untouched). */
  readonly scale: Float64Array;
}

/**
 * Validates the tenants' prices (PolicyError naming the tenant and the step on a missing, short,
 * non-finite or negative vector) and applies the budget guard on the active market. `checked`:
 * the rows are checkPrices' own output already (a driver that checked each answer as it came).
 */
export function postPrices(
  state: State,
  prices: Actions["prices"],
  policyNames?: readonly string[],
  checked = false,
) {
  const am = activeMarket(state);
  if (state.done || !am) throw new Error("postPrices: the episode is over");
  const { N } = state.world.physics;
  const M = am.tenants.length;
  const P = new Float64Array(M * N);
  am.tenants.forEach((i, r) => {
    const name = state.tenants[i].name;
    const ctx: PolicyErrorContext = { policy: policyNames?.[r] ?? name, step: state.step, tenant: name };
    const raw = prices[name];
    if (raw === undefined || raw === null)
      throw new PolicyError(ctx, "no price vector given for this tenant");
    const row = checked ? (raw as Float64Array) : checkPrices(raw, N, ctx);
    for (let j = 0; j < N; j++) if (am.truth.value[r * N + j] > 0) P[r * N + j] = row[j];
  });
  const g = enforceBudgets(am.truth, P);
  const posted: PostedPrices = {
    market: am,
    prices: g.prices,
    participation: g.response.participation,
    congestion: g.response.congestion,
    scale: g.scale,
  };
  return posted;
}

/**
 * One market step: post the active tenants' prices (budget guard, water-filling for devices without
 * an agent, the agents' participation for the others), then simulate rounds until the next market
 * step or the end. Returns the new state and the events in time order.
 */
export function transition(state: State, actions: Actions): { state: State; events: SimEvent[] } {
  if (state.done) throw new Error("transition: the episode is over (terminal(state) is true)");
  const posted = postPrices(state, actions.prices);
  let q = posted.participation;
  if (state.world.deviceAgents.length > 0)
    q = agentParticipation(state, posted.market, q, actions.participation);
  return advance(state, posted, q);
}

/**
 * The second half of a market step: with the prices posted (postPrices: checked, guarded) and the
 * participation `q` in force (M_active x N: the water-filling response, or with the device agents'
 * columns replaced), records the step and simulates rounds to the next market step or the end.
 * transition = postPrices, then advance; a driver that asks a device policy between the two calls
 * them itself, so the guard and the water-filling run once per step.
 */
export function advance(
  state: State,
  posted: PostedPrices,
  q: Float64Array,
): { state: State; events: SimEvent[] } {
  if (state.done) throw new Error("advance: the episode is over (terminal(state) is true)");
  const world = state.world;
  const { N } = world.physics;
  const am = posted.market;
  const events: SimEvent[] = [...state.pendingEvents];
  const rows = am.tenants.map((i, r) => {
    const t = state.tenants[i];
    const tl = world.tenantLearner(i);
    const prices = posted.prices.slice(r * N, (r + 1) * N);
    const part = q.slice(r * N, (r + 1) * N);
    const n = tl.devices.length;
    const localQ = new Float64Array(n);
    const sampled: number[] = [];
    let V = 0;
    let spend = 0;
    let expected = 0;
    let congested = 0;
    for (let l = 0; l < n; l++) {
      const j = tl.devices[l];
      localQ[l] = part[j];
      if (part[j] > 0) sampled.push(l);
      const w = tl.weight[l] * tl.weight[l] * tl.G[l] * tl.G[l];
      V = part[j] > 0 ? V + w / part[j] : Number.POSITIVE_INFINITY;
      if (posted.congestion[j] > 0) congested++;
    }
    for (let j = 0; j < N; j++) {
      spend += prices[j] * part[j];
      expected += part[j];
    }
    const zeta = weightVariance(t.rule, tl.weight, localQ);
    const base = { time: state.time, tenant: t.name, index: i, step: state.step };
    events.push({
      ...base,
      type: "pricesPosted",
      prices,
      guardScale: posted.scale[r],
      expectedSpend: spend,
      budget: t.budget,
      summary: quantilesAt(prices, tl.devices),
    });
    events.push({
      ...base,
      type: "participationChosen",
      participation: part,
      expectedParticipants: expected,
      valuation: V,
      congested,
      summary: quantilesAt(part, tl.devices),
    });
    return { i, prices, part, localQ, sampled: Int32Array.from(sampled), zeta, V };
  });
  const loop = thaw(state);
  loop.step = state.step + 1;
  for (const r of rows) {
    const t = loop.tenants[r.i];
    t.prices = r.prices;
    t.participation = r.part;
    t.localQ = r.localQ;
    t.sampled = r.sampled;
    t.zeta = r.zeta;
    t.valuation = r.V;
    t.roundsSinceStep = 0;
    t.stepStartGap = t.lossGap;
  }
  simulate(loop, world, events);
  return { state: seal(world, loop, posted.congestion, []), events };
}

/** Replaces the device agents' columns of q by theirs, after checking capacity and signs. */
function agentParticipation(
  state: State,
  am: ActiveMarket,
  q: Float64Array,
  given: ArrayLike<number> | undefined,
): Float64Array {
  const { N } = state.world.physics;
  const M = am.tenants.length;
  const ctx: PolicyErrorContext = { policy: "device agents", step: state.step };
  if (!given || given.length !== M * N)
    throw new PolicyError(
      ctx,
      `participation must have length M_active x N = ${M * N} (device agents present), got ${given ? given.length : "none"}`,
      { value: given?.length },
    );
  const out = q.slice();
  for (const j of state.world.deviceAgents) {
    let sum = 0;
    for (let r = 0; r < M; r++) {
      const k = r * N + j;
      const x = Number(given[k]);
      if (!(Number.isFinite(x) && x >= 0 && x <= 1))
        throw new PolicyError(
          { ...ctx, policy: `device/${j}` },
          `q for tenant "${state.tenants[am.tenants[r]].name}" is ${showNumber(x)}; must be in [0, 1]`,
          { index: k, value: x },
        );
      out[k] = am.truth.value[k] > 0 ? x : 0;
      sum += out[k];
    }
    if (sum > 1 + 1e-9)
      throw new PolicyError(
        { ...ctx, policy: `device/${j}` },
        `participation sums to ${sum} over tenants; a device's capacity is 1`,
        { index: j, value: sum },
      );
  }
  return out;
}

/**
 * q with the device agents' columns taken from `given` (already checked: in [0, 1], capacity,
 * 0 off E_i; see checkParticipation), the water-filling response elsewhere.
 */
export function withAgentColumns(state: State, q: Float64Array, given: Float64Array): Float64Array {
  const { N } = state.world.physics;
  const M = q.length / N;
  const out = q.slice();
  for (const j of state.world.deviceAgents) for (let r = 0; r < M; r++) out[r * N + j] = given[r * N + j];
  return out;
}
