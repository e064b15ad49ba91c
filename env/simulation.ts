import type { AggregationRule } from "../market/aggregation.ts";
import { roundsToTarget } from "../market/bound.ts";
import { enforceBudgets } from "../market/budgetGuard.ts";
import { fromArrays, type MarketInstance } from "../market/instance.ts";
import type { Compiled, Physics } from "./compile.ts";
import { checkPrices, PolicyError, type PolicyErrorContext, showNumber } from "./errors.ts";
import type { Quantiles, SimEvent } from "./events.ts";
import { type LearnerBound, type LearnerOptions, weightVariance } from "./learner.ts";
import {
  type DeviceObservation,
  type DevicePolicy,
  type MarketObservation,
  policyContext,
  type TenantPolicy,
  type TenantView,
} from "./policy.ts";
import type { FmType } from "./profiles.ts";
import { createRng, type Rng, type RngState, rngFromState } from "./rng.ts";
import { type LearnerFactory, type LearnerSet, type RoundLearner, surrogateLearner } from "./roundLearner.ts";

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

export type TenantStatus = "waiting" | "active" | "met" | "missed" | "unfinished" | "infeasible";

export interface SimOptions {
  /** The learner's aggregation rule: one for all, or per tenant name (default "unbiased"). */
  readonly aggregation?: AggregationRule | Readonly<Record<string, AggregationRule>>;
  /** Simulated seconds after which the episode is cut (default: the last start + deadline). */
  readonly maxTime?: number;
  /**
   * Rounds after which a tenant still short of its target stops, unfinished: "cap reached"
   * (default DEFAULT_MAX_ROUNDS; see episodeCaps). A deadline of 1e8 s with a target of 1e-12 would
   * otherwise run millions of rounds.
   */
  readonly maxRounds?: number;
  /** Market steps after which the episode stops, every running tenant unfinished (default: episodeCaps). */
  readonly maxMarketSteps?: number;
  /** K: a market step whenever an active tenant completed K rounds since the last (default: scenario's). */
  readonly repricingInterval?: number;
  readonly learner?: LearnerOptions;
  /** The learner behind the seam (env/roundLearner.ts; default the surrogate learner). */
  readonly learnerFactory?: LearnerFactory;
  /**
   * Devices whose participation comes with the actions (device agents) instead of water-filling.
   * transition then needs `actions.participation`.
   */
  readonly deviceAgents?: ArrayLike<number>;
}

/** What the driver supplies at a market step. */
export interface Actions {
  /** Each active tenant's price vector (length N), by tenant name. */
  readonly prices: Readonly<Record<string, ArrayLike<number>>>;
  /**
   * q over the active market (observe(state).tenants order), tenant-major M_active x N; only the
   * columns of `deviceAgents` are used. Required iff deviceAgents is non-empty.
   */
  readonly participation?: ArrayLike<number>;
}

/** A round in progress: its participants were sampled at `start`, on the terms of that moment. */
export interface InFlightRound {
  readonly start: number;
  readonly end: number;
  /** Learner-local indices of the participants. */
  readonly participants: Int32Array;
  readonly payment: number;
  /** q by learner-local index and its weight variance, as in force at `start`. */
  readonly q: Float64Array;
  readonly zeta: number;
  readonly valuation: number;
}

export interface TenantState {
  readonly index: number;
  readonly name: string;
  readonly type: FmType;
  readonly status: TenantStatus;
  /** Why the tenant is infeasible, missed or unfinished; null otherwise. */
  readonly reason: string | null;
  readonly rule: AggregationRule;
  readonly start: number;
  /** start + T_i. */
  readonly deadlineAt: number;
  readonly target: number;
  readonly budget: number;
  readonly rounds: number;
  readonly roundsSinceStep: number;
  /** Credits paid so far. */
  readonly spent: number;
  /** F_i(w) - F_i* of the current model (the initial gap before the first round; 0 if infeasible). */
  readonly lossGap: number;
  /** The gap when the last market step this tenant took part in was posted (for rewards). */
  readonly stepStartGap: number;
  readonly timeToTarget: number | null;
  readonly finishedAt: number | null;
  /** The tenant's model w (null when infeasible). */
  readonly model: Float64Array | null;
  readonly inFlight: InFlightRound | null;
  /** Posted prices and the participation they bought, length N (null before the first step). */
  readonly prices: Float64Array | null;
  readonly participation: Float64Array | null;
  /** q by learner-local index, and the local indices with q > 0 (the only ones sampled). */
  readonly localQ: Float64Array | null;
  readonly sampled: Int32Array | null;
  readonly zeta: number;
  /** V_i(q) with the exact weights at the last step. */
  readonly valuation: number;
  /** Sum over completed rounds of the V in force when each started, and the largest such V. */
  readonly valuationSum: number;
  readonly valuationMax: number;
  readonly rng: { readonly sampling: RngState; readonly noise: RngState };
}

export interface State {
  readonly world: World;
  readonly time: number;
  /** Market steps taken so far (= index of the pending step). */
  readonly step: number;
  readonly done: boolean;
  /** The episode ended at maxTime with some tenant still running or waiting. */
  readonly truncated: boolean;
  readonly tenants: readonly TenantState[];
  /** mu_j of the last step's water-filling (length N), null before the first. */
  readonly congestion: Float64Array | null;
  /** Events that happened while reaching the pending step and were not returned yet (initial's). */
  readonly pendingEvents: readonly SimEvent[];
}

/** The active market at a step: rows in scenario order. */
export interface ActiveMarket {
  readonly key: string;
  /** Scenario indices of the rows. */
  readonly tenants: readonly number[];
  /** Exact value weights, true costs: what the guard and the valuation use. */
  readonly truth: MarketInstance;
  /** Value weights as the tenants know them (equal to truth under "oracle"). */
  readonly observed: MarketInstance;
}

/**
 * What does not change during an episode: the compiled scenario, the learner, the settings, and
 * memo tables (active markets by tenant set, scratch buffers). A class, so immer leaves it alone.
 */
export class World {
  readonly compiled: Compiled;
  readonly physics: Physics;
  readonly learner: LearnerSet;
  readonly seed: number | string;
  readonly maxTime: number;
  readonly repricingInterval: number;
  readonly maxRounds: number;
  readonly maxMarketSteps: number;
  /** Sorted device indices controlled by agents. */
  readonly deviceAgents: Int32Array;
  readonly #markets = new Map<string, ActiveMarket>();
  readonly #participantBuffer: Int32Array;

  constructor(compiled: Compiled, learner: LearnerSet, seed: number | string, opts: SimOptions) {
    this.compiled = compiled;
    this.physics = compiled.physics;
    this.learner = learner;
    this.seed = seed;
    const p = compiled.physics;
    let last = 0;
    for (const t of p.tenants) if (t.marketRow >= 0) last = Math.max(last, t.start + t.deadline);
    this.maxTime = opts.maxTime ?? last;
    this.repricingInterval = opts.repricingInterval ?? p.repricingInterval ?? 10;
    const caps = episodeCaps(compiled, {
      maxRounds: opts.maxRounds,
      repricingInterval: this.repricingInterval,
    });
    this.maxRounds = caps.maxRounds;
    this.maxMarketSteps = opts.maxMarketSteps ?? caps.maxMarketSteps;
    for (const [name, v] of [
      ["maxRounds", this.maxRounds],
      ["maxMarketSteps", this.maxMarketSteps],
    ] as const)
      if (!(Number.isSafeInteger(v) && v >= 1))
        throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
    const agents = Array.from(opts.deviceAgents ?? [], Number);
    for (const j of agents)
      if (!(Number.isInteger(j) && j >= 0 && j < p.N))
        throw new RangeError(`deviceAgents: ${j} is not a device index in [0, ${p.N})`);
    this.deviceAgents = Int32Array.from(new Set(agents)).sort();
    this.#participantBuffer = new Int32Array(p.N);
    if (!(this.maxTime >= 0)) throw new RangeError(`maxTime must be >= 0, got ${this.maxTime}`);
    if (!(Number.isInteger(this.repricingInterval) && this.repricingInterval >= 1))
      throw new RangeError(`repricingInterval must be an integer >= 1, got ${this.repricingInterval}`);
  }

  /** The market among `tenants` (scenario indices, ascending), built once per distinct set. */
  activeMarket(tenants: readonly number[]): ActiveMarket {
    const key = tenants.join(",");
    const hit = this.#markets.get(key);
    if (hit) return hit;
    const { N, tau } = this.physics;
    const M = tenants.length;
    const cost = new Float64Array(M * N);
    const value = new Float64Array(M * N);
    const observed = new Float64Array(M * N);
    const budget = new Float64Array(M);
    tenants.forEach((i, r) => {
      cost.set(this.physics.cost.subarray(i * N, (i + 1) * N), r * N);
      value.set(this.learner.value.subarray(i * N, (i + 1) * N), r * N);
      observed.set(this.learner.observedValue.subarray(i * N, (i + 1) * N), r * N);
      budget[r] = this.physics.tenants[i].budget;
    });
    const truth = fromArrays({ M, N, tau, cost, value, budget });
    const same = value.every((v, k) => v === observed[k]);
    const obs = same ? truth : fromArrays({ M, N, tau, cost, value: observed, budget });
    const am: ActiveMarket = { key, tenants: Object.freeze([...tenants]), truth, observed: obs };
    this.#markets.set(key, am);
    return am;
  }

  participantBuffer(): Int32Array {
    return this.#participantBuffer;
  }

  tenantLearner(i: number): RoundLearner {
    const t = this.learner.tenants[i];
    if (!t) throw new Error(`tenant ${i} has no learner (infeasible)`);
    return t;
  }
}

// ---------------------------------------------------------------------------------------------
// initial

/**
 * The episode for `seed`: builds the learner (stream "learner"), gives every tenant its own sampling
 * and noise streams ("sampling/<name>", "noise/<name>"), and advances to the first market step (the
 * first arrival). Infeasible tenants are reported as events and outcomes, never as errors.
 */
export function initial(compiled: Compiled, seed: number | string, opts: SimOptions = {}): State {
  const root = createRng(seed);
  const learner = (opts.learnerFactory ?? surrogateLearner).build(
    compiled,
    root.child("learner"),
    opts.learner,
  );
  const world = new World(compiled, learner, seed, opts);
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

/** A tenant's record while the round loop works on it: the same fields, writable, never shared. */
type LoopTenant = { -readonly [K in keyof TenantState]: TenantState[K] };

/** The episode's changing part while the round loop runs: plain local data. */
interface LoopState {
  time: number;
  step: number;
  done: boolean;
  truncated: boolean;
  readonly tenants: LoopTenant[];
}

/** Writable copies of a state's tenant records (one shallow copy each: vectors are shared, never written). */
function thaw(state: State): LoopState {
  return {
    time: state.time,
    step: state.step,
    done: state.done,
    truncated: state.truncated,
    tenants: state.tenants.map((t) => ({ ...t })),
  };
}

/** The next state from the loop's data, frozen. */
function seal(
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
 * non-finite or negative vector) and applies the budget guard on the active market.
 */
export function postPrices(state: State, prices: Actions["prices"], policyNames?: readonly string[]) {
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
    const row = checkPrices(raw, N, ctx);
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
  const world = state.world;
  const { N } = world.physics;
  const posted = postPrices(state, actions.prices);
  const am = posted.market;
  let q = posted.participation;
  if (world.deviceAgents.length > 0) q = agentParticipation(state, am, q, actions.participation);
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

// ---------------------------------------------------------------------------------------------
// the event loop

interface TenantRngs {
  sampling: Rng;
  noise: Rng;
}

/** Simulates from d.time until the next market step or the end, appending events. */
function simulate(d: LoopState, world: World, events: SimEvent[]): void {
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
export function episodeCaps(
  compiled: Compiled,
  opts: { maxRounds?: number; repricingInterval?: number } = {},
): { maxRounds: number; maxMarketSteps: number } {
  const p = compiled.physics;
  const maxRounds = opts.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const K = opts.repricingInterval ?? p.repricingInterval ?? 10;
  const M = p.tenants.filter((t) => t.marketRow >= 0).length;
  return { maxRounds, maxMarketSteps: M * Math.ceil(maxRounds / K) + 2 * M + 1 };
}

/** Rounds per tenant before it stops, unfinished ("cap reached"); far above what any preset needs. */
export const DEFAULT_MAX_ROUNDS = 20_000;

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

// ---------------------------------------------------------------------------------------------
// summaries

/** Quantiles (linear interpolation between order statistics) of x at the given indices. */
export function quantilesAt(x: Float64Array, at: Int32Array): Quantiles {
  const n = at.length;
  if (n === 0) return { min: 0, p10: 0, p25: 0, median: 0, p75: 0, p90: 0, max: 0, mean: 0 };
  const v = new Float64Array(n);
  let sum = 0;
  for (let s = 0; s < n; s++) {
    v[s] = x[at[s]];
    sum += v[s];
  }
  v.sort();
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(n - 1, lo + 1);
    return v[lo] + (h - lo) * (v[hi] - v[lo]);
  };
  return {
    min: v[0],
    p10: q(0.1),
    p25: q(0.25),
    median: q(0.5),
    p75: q(0.75),
    p90: q(0.9),
    max: v[n - 1],
    mean: sum / n,
  };
}

// ---------------------------------------------------------------------------------------------
// runEpisode

export interface EpisodePolicies {
  /** The pricing policy of each tenant (called once per feasible tenant, in scenario order). */
  readonly tenant: (name: string) => TenantPolicy;
  /** An optional device policy and the devices it controls (default: every device). */
  readonly device?: { readonly policy: DevicePolicy; readonly devices?: ArrayLike<number> };
}

export interface EpisodeOptions {
  readonly seed: number | string;
  readonly maxTime?: number;
  /** Round and market step caps (SimOptions; defaults from episodeCaps). */
  readonly maxRounds?: number;
  readonly maxMarketSteps?: number;
  readonly repricingInterval?: number;
  readonly learner?: LearnerOptions;
  /** The learner behind the seam (env/roundLearner.ts; default the surrogate learner). */
  readonly learnerFactory?: LearnerFactory;
  /** Called with every event, in order, as the episode runs. */
  readonly onEvent?: (e: SimEvent) => void;
  /** Most (time, gap) points kept per tenant trajectory (default 500). */
  readonly maxTrajectoryPoints?: number;
  /**
   * Wall-clock milliseconds a policy's answer (price, respond, reset) may take before the run stops
   * with a PolicyError (default 60,000; 0 = no limit). Only failures depend on it, never results.
   */
  readonly policyTimeoutMs?: number;
  /** Cancels the episode: checked before every market step and after every policy answer. */
  readonly signal?: AbortSignal;
}

/** Raised by runEpisode when its signal is aborted (the caller stopped listening). */
export class EpisodeCancelled extends Error {
  override readonly name = "EpisodeCancelled";
  constructor() {
    super("the episode was cancelled");
  }
}

/** Awaits a policy's answer, failing with a PolicyError if it does not settle within `ms`. */
async function withinTime<T>(
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

export interface TenantOutcome {
  readonly tenant: string;
  readonly index: number;
  readonly type: FmType;
  readonly status: Exclude<TenantStatus, "waiting" | "active">;
  readonly met: boolean;
  /** Seconds from the tenant's start to the end of the round that met the target; null if not met. */
  readonly timeToTarget: number | null;
  readonly rounds: number;
  /** Credits paid. */
  readonly spend: number;
  /** Loss gap at the end (null for an infeasible tenant, which has no model). */
  readonly finalGap: number | null;
  readonly target: number;
  readonly policy: string | null;
  readonly aggregation: AggregationRule | null;
  readonly reason?: string;
}

export interface Trajectory {
  readonly tenant: string;
  /** Simulated seconds since the episode start, and the loss gap then (first point: the start). */
  readonly time: number[];
  readonly gap: number[];
}

export interface StepTenantSummary {
  readonly tenant: string;
  readonly prices: Quantiles;
  readonly participation: Quantiles;
  readonly expectedSpend: number;
  readonly expectedParticipants: number;
  readonly guardScale: number;
  /** V_i(q) (null when infinite). */
  readonly valuation: number | null;
  readonly congested: number;
}

export interface StepSummary {
  readonly step: number;
  readonly time: number;
  readonly tenants: readonly StepTenantSummary[];
}

/** For the bound's rank correlation: V the tenant ran with, measured and predicted rounds. */
export interface BoundPoint {
  readonly tenant: string;
  /** Mean over the tenant's rounds of V_i(q) in force (null if infinite or no round). */
  readonly valuation: number | null;
  readonly valuationMax: number | null;
  /** Rounds to reach the target (null if not met). */
  readonly measuredRounds: number | null;
  /** ceil((alpha V + beta) / eps) at the mean V (null if V is infinite). */
  readonly boundRounds: number | null;
  readonly alpha: number;
  readonly beta: number;
  readonly eps: number;
  readonly aggregation: AggregationRule;
}

export interface EpisodeResult {
  readonly seed: number | string;
  readonly outcomes: readonly TenantOutcome[];
  readonly trajectories: readonly Trajectory[];
  readonly steps: readonly StepSummary[];
  readonly bound: readonly BoundPoint[];
  readonly marketSteps: number;
  /** Simulated time at which the episode ended. */
  readonly endTime: number;
  readonly truncated: boolean;
}

/**
 * Runs one episode with the given policies: at every market step, asks each active tenant's policy
 * for prices (awaiting answers one at a time, in row order, so asynchronous policies cannot reorder
 * anything), then the device policy if any, then simulates to the next step. A policy that throws
 * or answers out of contract raises PolicyError naming it, the step and the bad value.
 */
export async function runEpisode(
  compiled: Compiled,
  policies: EpisodePolicies,
  opts: EpisodeOptions,
): Promise<EpisodeResult> {
  const p = compiled.physics;
  const timeoutMs = opts.policyTimeoutMs ?? 60_000;
  const feasible = p.tenants.filter((t) => t.marketRow >= 0);
  const byTenant = new Map<number, TenantPolicy>();
  for (const t of feasible) {
    let pol: TenantPolicy;
    try {
      pol = policies.tenant(t.name);
    } catch (err) {
      throw new PolicyError(
        { policy: "(factory)", step: 0, tenant: t.name },
        `the policy factory threw: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!pol || typeof pol.price !== "function")
      throw new PolicyError(
        {
          policy: String((pol as { name?: string } | undefined)?.name ?? "(factory)"),
          step: 0,
          tenant: t.name,
        },
        "the factory did not return a TenantPolicy (an object with price(obs, row))",
      );
    byTenant.set(t.index, pol);
  }
  const aggregation: Record<string, AggregationRule> = {};
  for (const t of feasible) aggregation[t.name] = byTenant.get(t.index)!.aggregation ?? "unbiased";
  const deviceSet = policies.device
    ? Int32Array.from(policies.device.devices ?? Array.from({ length: p.N }, (_, j) => j))
    : new Int32Array(0);
  let state = initial(compiled, opts.seed, {
    aggregation,
    maxTime: opts.maxTime,
    maxRounds: opts.maxRounds,
    maxMarketSteps: opts.maxMarketSteps,
    repricingInterval: opts.repricingInterval,
    learner: opts.learner,
    learnerFactory: opts.learnerFactory,
    deviceAgents: deviceSet,
  });
  // reset each distinct policy instance once, in the order of the first tenant it serves
  const instances: { pol: TenantPolicy; first: string }[] = [];
  for (const t of feasible) {
    const pol = byTenant.get(t.index)!;
    if (!instances.some((x) => x.pol === pol)) instances.push({ pol, first: t.name });
  }
  for (const { pol, first } of instances) {
    const shared = instances.filter((x) => x.pol.name === pol.name).length > 1;
    try {
      await withinTime(
        pol.reset?.(policyContext(opts.seed, pol.name, shared ? first : undefined)),
        timeoutMs,
        { policy: pol.name, step: 0 },
        "reset()",
      );
    } catch (err) {
      if (err instanceof PolicyError) throw err;
      throw new PolicyError({ policy: pol.name, step: 0 }, `reset threw: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (policies.device) {
    const dp = policies.device.policy;
    try {
      await dp.reset?.(policyContext(opts.seed, dp.name));
    } catch (err) {
      throw new PolicyError({ policy: dp.name, step: 0 }, `reset threw: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  const traj = new Map<number, { time: number[]; gap: number[] }>();
  const steps: StepSummary[] = [];
  let stepRows: StepTenantSummary[] = [];
  let stepPrices = new Map<number, EventPick<"pricesPosted">>();
  const record = (e: SimEvent) => {
    switch (e.type) {
      case "tenantArrived": {
        traj.set(e.index, { time: [e.time], gap: [initialGapOf(state, e.index)] });
        break;
      }
      case "roundCompleted": {
        const tr = traj.get(e.index);
        if (tr) {
          tr.time.push(e.time);
          tr.gap.push(e.lossGap);
        }
        break;
      }
      case "pricesPosted":
        stepPrices.set(e.index, e);
        break;
      case "participationChosen": {
        const pp = stepPrices.get(e.index)!;
        stepRows.push({
          tenant: e.tenant,
          prices: pp.summary,
          participation: e.summary,
          expectedSpend: pp.expectedSpend,
          expectedParticipants: e.expectedParticipants,
          guardScale: pp.guardScale,
          valuation: Number.isFinite(e.valuation) ? e.valuation : null,
          congested: e.congested,
        });
        break;
      }
    }
    opts.onEvent?.(e);
  };

  const policyNames = (am: ActiveMarket) => am.tenants.map((i) => byTenant.get(i)!.name);
  const checkAborted = () => {
    if (opts.signal?.aborted) throw new EpisodeCancelled();
  };
  while (!terminal(state)) {
    // Answers of in-process policies are resolved promises, which never leave the microtask queue:
    // without a turn of the event loop per step, a signal (Ctrl-C) waited for the last run (issue 11).
    await new Promise<void>((resolve) => setImmediate(resolve));
    checkAborted();
    const obs = observe(state);
    const am = activeMarket(state)!;
    const names = policyNames(am);
    const prices: Record<string, Float64Array> = {};
    for (const view of obs.tenants) {
      const pol = byTenant.get(view.index)!;
      const ctx: PolicyErrorContext = { policy: pol.name, step: obs.step, tenant: view.name };
      let raw: unknown;
      try {
        raw = await withinTime(pol.price(obs, view.row), timeoutMs, ctx, "price()");
      } catch (err) {
        if (err instanceof PolicyError) throw err;
        throw new PolicyError(ctx, `price() threw: ${(err as Error)?.message ?? String(err)}`, {
          cause: err,
        });
      }
      checkAborted();
      prices[view.name] = checkPrices(raw, p.N, ctx);
    }
    let participation: Float64Array | undefined;
    if (policies.device) {
      const posted = postPrices(state, prices, names);
      const dp = policies.device.policy;
      const dobs: DeviceObservation = {
        step: obs.step,
        time: obs.time,
        market: am.truth,
        prices: posted.prices,
      };
      const ctx: PolicyErrorContext = { policy: dp.name, step: obs.step };
      let raw: unknown;
      try {
        raw = await withinTime(dp.respond(dobs, deviceSet), timeoutMs, ctx, "respond()");
      } catch (err) {
        if (err instanceof PolicyError) throw err;
        throw new PolicyError(ctx, `respond() threw: ${(err as Error)?.message ?? String(err)}`, {
          cause: err,
        });
      }
      participation = checkParticipation(raw, am, deviceSet, p.N, ctx);
    }
    stepRows = [];
    stepPrices = new Map();
    const res = transition(state, { prices, participation });
    state = res.state;
    for (const e of res.events) record(e);
    steps.push({ step: state.step - 1, time: stepTime(res.events, state), tenants: stepRows });
  }
  // events of a state that ended without a market step (initial's pending ones)
  for (const e of state.pendingEvents) record(e);

  const maxPts = opts.maxTrajectoryPoints ?? 500;
  const outcomes: TenantOutcome[] = state.tenants.map((t) => {
    const pol = byTenant.get(t.index);
    const o: TenantOutcome = {
      tenant: t.name,
      index: t.index,
      type: t.type,
      status: t.status as TenantOutcome["status"],
      met: t.status === "met",
      timeToTarget: t.timeToTarget,
      rounds: t.rounds,
      spend: t.spent,
      finalGap: t.status === "infeasible" ? null : t.lossGap,
      target: t.target,
      policy: pol?.name ?? null,
      aggregation: pol ? t.rule : null,
    };
    return t.reason ? { ...o, reason: t.reason } : o;
  });
  const trajectories: Trajectory[] = [];
  for (const t of state.tenants) {
    const tr = traj.get(t.index);
    if (tr) trajectories.push({ tenant: t.name, ...downsample(tr, maxPts) });
  }
  const bound: BoundPoint[] = [];
  for (const t of state.tenants) {
    const tl = state.world.learner.tenants[t.index];
    if (!tl) continue;
    const b: LearnerBound | null = tl.bound();
    if (!b) continue;
    const V = t.rounds > 0 ? t.valuationSum / t.rounds : Number.POSITIVE_INFINITY;
    const finite = Number.isFinite(V);
    bound.push({
      tenant: t.name,
      valuation: finite ? V : null,
      valuationMax: t.rounds > 0 && Number.isFinite(t.valuationMax) ? t.valuationMax : null,
      measuredRounds: t.status === "met" ? t.rounds : null,
      boundRounds: finite ? roundsToTarget(b, V) : null,
      alpha: b.alpha,
      beta: b.beta,
      eps: b.eps,
      aggregation: t.rule,
    });
  }
  return {
    seed: opts.seed,
    outcomes,
    trajectories,
    steps,
    bound,
    marketSteps: state.step,
    endTime: state.time,
    truncated: state.truncated,
  };
}

type EventPick<T extends SimEvent["type"]> = Extract<SimEvent, { type: T }>;

function initialGapOf(state: State, i: number): number {
  return state.world.learner.tenants[i]?.initialGap ?? 0;
}

function stepTime(events: readonly SimEvent[], state: State): number {
  for (const e of events) if (e.type === "pricesPosted") return e.time;
  return state.time;
}

/** Keeps at most `max` points, evenly spread by index, always the first and the last. */
export function downsample(tr: { time: number[]; gap: number[] }, max: number) {
  const n = tr.time.length;
  if (n <= max || max < 2) return { time: tr.time.slice(), gap: tr.gap.slice() };
  const time: number[] = [];
  const gap: number[] = [];
  let prev = -1;
  for (let k = 0; k < max; k++) {
    const idx = Math.round((k * (n - 1)) / (max - 1));
    if (idx === prev) continue;
    prev = idx;
    time.push(tr.time[idx]);
    gap.push(tr.gap[idx]);
  }
  return { time, gap };
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
