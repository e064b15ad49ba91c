import type { Compiled } from "./compile.ts";
import { checkPrices, PolicyError, showNumber } from "./errors.ts";
import type { SimEvent } from "./events.ts";
import type { MarketObservation } from "./policy.ts";
import { createRng, type Rng } from "./rng.ts";
import {
  activeMarket,
  deviceRewards,
  initial,
  observe,
  reward,
  type SimOptions,
  type State,
  terminal,
  transition,
} from "./simulation.ts";

/**
 * A PettingZoo-style parallel environment over the functional core (env/simulation.ts): every live
 * agent acts at once, one environment step per market step.
 *
 * Agents: one per feasible tenant (named by the tenant), and optionally device agents `device/<j>` for
 * the devices the caller asks to control (the others play water-filling). A tenant's action is its
 * price vector; a device agent's action is its participation over the scenario's tenants.
 *
 * Timing (ours): agents move simultaneously, so a device agent chooses its participation without
 * seeing this step's prices; it observes the prices posted at the previous step. Tenants of a
 * Stackelberg game lead and devices follow within a step; that sequential version is what runEpisode
 * does with a DevicePolicy.
 *
 * Seeding (as Gymnasium and PettingZoo): reset({seed}) starts the episode of that seed and reseeds the
 * environment's stream; reset() without a seed draws the next episode's seed from that stream, so a
 * sequence of resets is reproducible from the first seed. Before any seeded reset the stream is
 * seeded with DEFAULT_ENV_SEED (no wall clock, no Math.random).
 */

export const DEFAULT_ENV_SEED = 0;

// ---- spaces -------------------------------------------------------------------------------------

/** A set of values with a membership test and a sampler (Gymnasium's Space, reduced). */
export interface Space<T = unknown> {
  readonly kind: string;
  contains(x: unknown): boolean;
  sample(rng: Rng): T;
}

/** Vectors of a fixed length with per-entry bounds (bounds may be infinite). */
export class Box implements Space<Float64Array> {
  readonly kind = "box";
  readonly shape: readonly [number];
  readonly low: Float64Array;
  readonly high: Float64Array;
  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, n: number) {
    this.shape = Object.freeze([n]) as readonly [number];
    this.low = typeof low === "number" ? new Float64Array(n).fill(low) : Float64Array.from(low);
    this.high = typeof high === "number" ? new Float64Array(n).fill(high) : Float64Array.from(high);
    if (this.low.length !== n || this.high.length !== n)
      throw new RangeError("Box bounds must have length n");
  }
  contains(x: unknown): boolean {
    if (!(x instanceof Float64Array) || x.length !== this.shape[0]) return false;
    for (let k = 0; k < x.length; k++) if (!(x[k] >= this.low[k] && x[k] <= this.high[k])) return false;
    return true;
  }
  /** Uniform where both bounds are finite, else a standard normal shifted into the bounds. */
  sample(rng: Rng): Float64Array {
    const out = new Float64Array(this.shape[0]);
    for (let k = 0; k < out.length; k++) {
      const lo = this.low[k];
      const hi = this.high[k];
      if (Number.isFinite(lo) && Number.isFinite(hi)) out[k] = lo + (hi - lo) * rng.next();
      else if (Number.isFinite(lo)) out[k] = lo + Math.abs(rng.normal());
      else if (Number.isFinite(hi)) out[k] = hi - Math.abs(rng.normal());
      else out[k] = rng.normal();
    }
    return out;
  }
}

/** Vectors q >= 0 of length n with sum q <= 1: a device's capacity shared among tenants. */
export class Capacity implements Space<Float64Array> {
  readonly kind = "capacity";
  readonly n: number;
  constructor(n: number) {
    this.n = n;
  }
  contains(x: unknown): boolean {
    if (!(x instanceof Float64Array) || x.length !== this.n) return false;
    let s = 0;
    for (let k = 0; k < x.length; k++) {
      if (!(x[k] >= 0 && x[k] <= 1)) return false;
      s += x[k];
    }
    return s <= 1 + 1e-9;
  }
  /** A uniform point of the simplex {q >= 0, sum q <= 1} (via n + 1 exponential spacings). */
  sample(rng: Rng): Float64Array {
    const e = new Float64Array(this.n + 1);
    let s = 0;
    for (let k = 0; k <= this.n; k++) {
      e[k] = -Math.log(1 - rng.next());
      s += e[k];
    }
    return Float64Array.from(e.subarray(0, this.n), (x) => x / s);
  }
}

// ---- observations -------------------------------------------------------------------------------

/** The entries of a tenant agent's observation vector, in order, with their bounds. */
export const TENANT_OBSERVATION = Object.freeze([
  {
    name: "active",
    low: 0,
    high: 1,
    doc: "1 while the tenant runs, 0 before its start and after it finishes",
  },
  { name: "log10Gap", low: -400, high: 400, doc: "log10 of the loss gap F_i(w) - F_i*" },
  { name: "log10Target", low: -400, high: 400, doc: "log10 of the target eps_i" },
  {
    name: "progress",
    low: -Infinity,
    high: Infinity,
    doc: "log(initial gap / gap) / log(initial gap / target): 0 at the start, 1 at the target",
  },
  { name: "timeUsed", low: 0, high: Infinity, doc: "elapsed time since the start / deadline T_i" },
  { name: "rounds", low: 0, high: Infinity, doc: "rounds completed" },
  { name: "spent", low: 0, high: Infinity, doc: "credits paid so far" },
  { name: "budget", low: 0, high: Infinity, doc: "B_i, expected spend allowed per round" },
  { name: "activeRivals", low: 0, high: Infinity, doc: "other tenants active at this step" },
  { name: "meanParticipation", low: 0, high: 1, doc: "mean q_ij over E_i at the last step (0 before)" },
  { name: "expectedParticipants", low: 0, high: Infinity, doc: "sum_j q_ij at the last step" },
  { name: "spendRate", low: 0, high: Infinity, doc: "expected spend per round at the last step / B_i" },
  { name: "congestedShare", low: 0, high: 1, doc: "share of E_i congested (mu_j > 0) at the last step" },
  { name: "log10Valuation", low: -400, high: 400, doc: "log10 V_i(q) at the last step (400 = infinite)" },
  { name: "guardScale", low: 0, high: 1, doc: "factor the budget guard applied at the last step (1 = none)" },
] as const);

/** Prices above this many times max(B_i, tau max c_ij) are out of the action space. */
export const PRICE_CAP_FACTOR = 1000;

export interface TenantInfo {
  readonly kind: "tenant";
  readonly status: string;
  /** The full observation pricing policies get (null when the tenant is not active at this step). */
  readonly market: MarketObservation | null;
  /** This tenant's row in market (null when not active). */
  readonly row: number | null;
}

export interface DeviceInfo {
  readonly kind: "device";
  readonly device: number;
}

export type AgentInfo = TenantInfo | DeviceInfo;

export interface ResetResult {
  readonly observations: Record<string, Float64Array>;
  readonly infos: Record<string, AgentInfo>;
}

export interface StepResult extends ResetResult {
  readonly rewards: Record<string, number>;
  readonly terminations: Record<string, boolean>;
  readonly truncations: Record<string, boolean>;
}

/** The PettingZoo ParallelEnv surface checkEnv works with (any environment can implement it). */
export interface ParallelEnv<Obs = unknown, Act = unknown> {
  readonly possibleAgents: readonly string[];
  readonly agents: readonly string[];
  reset(opts?: { seed?: number | string }): {
    observations: Record<string, Obs>;
    infos: Record<string, unknown>;
  };
  step(actions: Record<string, Act>): {
    observations: Record<string, Obs>;
    rewards: Record<string, number>;
    terminations: Record<string, boolean>;
    truncations: Record<string, boolean>;
    infos: Record<string, unknown>;
  };
  observationSpace(agent: string): Space<Obs>;
  actionSpace(agent: string): Space<Act>;
}

export interface MarketEnvOptions extends Omit<SimOptions, "deviceAgents"> {
  /** Devices to expose as agents `device/<j>` (default none). */
  readonly deviceAgents?: ArrayLike<number>;
}

/** The market as a parallel environment. */
export class MarketParallelEnv implements ParallelEnv<Float64Array, Float64Array> {
  readonly possibleAgents: readonly string[];
  readonly compiled: Compiled;
  readonly #opts: MarketEnvOptions;
  readonly #tenantIndex = new Map<string, number>();
  readonly #deviceIndex = new Map<string, number>();
  readonly #devices: Int32Array;
  readonly #obsSpaces = new Map<string, Space<Float64Array>>();
  readonly #actSpaces = new Map<string, Space<Float64Array>>();
  #state: State | null = null;
  #stream: Rng | null = null;
  #agents: string[] = [];
  #lastEvents: readonly SimEvent[] = [];

  constructor(compiled: Compiled, opts: MarketEnvOptions = {}) {
    this.compiled = compiled;
    this.#opts = opts;
    const p = compiled.physics;
    const agents: string[] = [];
    for (const t of p.tenants) {
      if (t.marketRow < 0) continue;
      if (t.name.startsWith("device/"))
        throw new RangeError(`tenant name "${t.name}" clashes with the device agents' names`);
      agents.push(t.name);
      this.#tenantIndex.set(t.name, t.index);
    }
    const devs = Array.from(new Set(Array.from(opts.deviceAgents ?? [], Number))).sort((a, b) => a - b);
    for (const j of devs) {
      if (!(Number.isInteger(j) && j >= 0 && j < p.N))
        throw new RangeError(`deviceAgents: ${j} is not a device index in [0, ${p.N})`);
      agents.push(`device/${j}`);
      this.#deviceIndex.set(`device/${j}`, j);
    }
    this.#devices = Int32Array.from(devs);
    this.possibleAgents = Object.freeze(agents);
    // spaces, built once: the getters return these very objects
    let cap = 0;
    for (const t of p.tenants) if (t.marketRow >= 0) cap = Math.max(cap, t.budget);
    for (let k = 0; k < p.cost.length; k++) if (p.eligible[k]) cap = Math.max(cap, p.tau * p.cost[k]);
    const priceCap = PRICE_CAP_FACTOR * cap;
    const obsBox = new Box(
      TENANT_OBSERVATION.map((f) => f.low),
      TENANT_OBSERVATION.map((f) => f.high),
      TENANT_OBSERVATION.length,
    );
    for (const name of this.#tenantIndex.keys()) {
      this.#obsSpaces.set(name, obsBox);
      this.#actSpaces.set(name, new Box(0, priceCap, p.N));
    }
    // a device observes, per scenario tenant: last posted price, its cost, whether it can serve now
    const devObs = new Box(0, Infinity, 3 * p.M);
    const devAct = new Capacity(p.M);
    for (const name of this.#deviceIndex.keys()) {
      this.#obsSpaces.set(name, devObs);
      this.#actSpaces.set(name, devAct);
    }
  }

  get agents(): readonly string[] {
    return this.#agents;
  }

  /** The functional state behind the environment (null before the first reset). */
  get state(): State | null {
    return this.#state;
  }

  /** Events of the last step (or of the reset). */
  get lastEvents(): readonly SimEvent[] {
    return this.#lastEvents;
  }

  observationSpace(agent: string): Space<Float64Array> {
    const s = this.#obsSpaces.get(agent);
    if (!s)
      throw new RangeError(`unknown agent "${agent}"; possible agents: ${this.possibleAgents.join(", ")}`);
    return s;
  }

  actionSpace(agent: string): Space<Float64Array> {
    const s = this.#actSpaces.get(agent);
    if (!s)
      throw new RangeError(`unknown agent "${agent}"; possible agents: ${this.possibleAgents.join(", ")}`);
    return s;
  }

  reset(opts: { seed?: number | string } = {}): ResetResult {
    let seed: number | string;
    if (opts.seed !== undefined) {
      seed = opts.seed;
      this.#stream = createRng(seed).child("env/resets");
    } else {
      this.#stream ??= createRng(DEFAULT_ENV_SEED).child("env/resets");
      // a 53-bit integer from the stream
      seed = this.#stream.uint32() * 2 ** 21 + (this.#stream.uint32() >>> 11);
    }
    const { deviceAgents: _ignored, ...sim } = this.#opts;
    this.#state = initial(this.compiled, seed, { ...sim, deviceAgents: this.#devices });
    this.#lastEvents = this.#state.pendingEvents;
    this.#agents = this.#liveAgents(this.#state);
    return { observations: this.#observations(this.#agents), infos: this.#infos(this.#agents) };
  }

  step(actions: Record<string, Float64Array>): StepResult {
    const s = this.#state;
    if (!s) throw new Error("step() before reset()");
    if (terminal(s)) throw new Error("step() after the episode ended; call reset()");
    const am = activeMarket(s)!;
    const { N } = this.compiled.physics;
    const prices: Record<string, Float64Array> = {};
    for (const i of am.tenants) {
      const name = s.tenants[i].name;
      const ctx = { policy: name, step: s.step, tenant: name };
      const a = actions[name];
      if (a === undefined)
        throw new PolicyError(ctx, "no action (price vector) given for this active tenant");
      const row = checkPrices(a, N, ctx);
      const space = this.#actSpaces.get(name) as Box;
      for (let j = 0; j < N; j++)
        if (row[j] > space.high[j])
          throw new PolicyError(
            ctx,
            `price for device ${j} is ${row[j]}, above the action space's cap ${space.high[j]}`,
            {
              index: j,
              value: row[j],
            },
          );
      prices[name] = row;
    }
    let participation: Float64Array | undefined;
    if (this.#devices.length > 0) {
      const M = am.tenants.length;
      participation = new Float64Array(M * N);
      for (const j of this.#devices) {
        const name = `device/${j}`;
        const a = actions[name];
        const space = this.#actSpaces.get(name)!;
        if (!space.contains(a))
          throw new PolicyError(
            { policy: name, step: s.step },
            `action must be a Float64Array of length ${this.compiled.physics.M} with entries >= 0 summing to <= 1, got ${describeAction(a)}`,
            { value: a },
          );
        am.tenants.forEach((i, r) => {
          participation![r * N + j] = a[i];
        });
      }
    }
    const res = transition(s, { prices, participation });
    const before = this.#agents;
    this.#state = res.state;
    this.#lastEvents = res.events;
    const tenantRewards = reward(res.state, res.events);
    const devRewards = deviceRewards(res.state, res.events, this.#devices);
    const rewards: Record<string, number> = {};
    const terminations: Record<string, boolean> = {};
    const truncations: Record<string, boolean> = {};
    const done = terminal(res.state);
    for (const a of before) {
      const i = this.#tenantIndex.get(a);
      if (i !== undefined) {
        const st = res.state.tenants[i].status;
        rewards[a] = tenantRewards[a] ?? 0;
        terminations[a] = st === "met" || st === "missed";
        truncations[a] = st === "unfinished";
      } else {
        rewards[a] = devRewards[this.#devices.indexOf(this.#deviceIndex.get(a)!)];
        terminations[a] = done && !res.state.truncated;
        truncations[a] = done && res.state.truncated;
      }
    }
    this.#agents = this.#liveAgents(res.state);
    return {
      observations: this.#observations(before),
      rewards,
      terminations,
      truncations,
      infos: this.#infos(before),
    };
  }

  #liveAgents(s: State): string[] {
    if (terminal(s)) return [];
    const out: string[] = [];
    for (const name of this.possibleAgents) {
      const i = this.#tenantIndex.get(name);
      if (i === undefined) out.push(name);
      else if (s.tenants[i].status === "active" || s.tenants[i].status === "waiting") out.push(name);
    }
    return out;
  }

  #observations(agents: readonly string[]): Record<string, Float64Array> {
    const s = this.#state!;
    const out: Record<string, Float64Array> = {};
    const activeCount = s.tenants.filter((t) => t.status === "active").length;
    for (const a of agents) {
      const i = this.#tenantIndex.get(a);
      out[a] = i !== undefined ? this.#tenantObservation(s, i, activeCount) : this.#deviceObservation(s, a);
    }
    return out;
  }

  #tenantObservation(s: State, i: number, activeCount: number): Float64Array {
    const t = s.tenants[i];
    const tl = s.world.learner.tenants[i]!;
    const g0 = tl.initialGap;
    const clampLog = (x: number) => Math.max(-400, Math.min(400, Math.log10(x)));
    const o = new Float64Array(TENANT_OBSERVATION.length);
    const active = t.status === "active";
    o[0] = active ? 1 : 0;
    o[1] = clampLog(Math.max(t.lossGap, Number.MIN_VALUE));
    o[2] = clampLog(t.target);
    o[3] = Math.log(g0 / Math.max(t.lossGap, Number.MIN_VALUE)) / Math.log(g0 / t.target);
    o[4] = Math.max(0, s.time - t.start) / (t.deadlineAt - t.start);
    o[5] = t.rounds;
    o[6] = t.spent;
    o[7] = t.budget;
    o[8] = Math.max(0, activeCount - (active ? 1 : 0));
    if (t.participation && t.prices && t.localQ) {
      let sumQ = 0;
      let spend = 0;
      let congested = 0;
      for (let l = 0; l < tl.devices.length; l++) {
        const j = tl.devices[l];
        sumQ += t.localQ[l];
        spend += t.prices[j] * t.participation[j];
        if (s.congestion?.[j]) congested++;
      }
      o[9] = Math.min(1, sumQ / tl.devices.length);
      o[10] = sumQ;
      o[11] = spend / t.budget;
      o[12] = congested / tl.devices.length;
      o[13] = Number.isFinite(t.valuation) ? clampLog(t.valuation) : 400;
      o[14] = this.#guardScale(i);
    } else {
      o[13] = 400;
      o[14] = 1;
    }
    return o;
  }

  #guardScale(i: number): number {
    for (const e of this.#lastEvents) if (e.type === "pricesPosted" && e.index === i) return e.guardScale;
    return 1;
  }

  #deviceObservation(s: State, agent: string): Float64Array {
    const j = this.#deviceIndex.get(agent)!;
    const { M, N, cost } = this.compiled.physics;
    const o = new Float64Array(3 * M);
    for (let i = 0; i < M; i++) {
      const t = s.tenants[i];
      o[i] = t.prices && t.status === "active" ? t.prices[j] : 0;
      o[M + i] = cost[i * N + j];
      o[2 * M + i] = t.status === "active" && s.world.learner.value[i * N + j] > 0 ? 1 : 0;
    }
    return o;
  }

  #infos(agents: readonly string[]): Record<string, AgentInfo> {
    const s = this.#state!;
    const market = terminal(s) ? null : observe(s);
    const out: Record<string, AgentInfo> = {};
    for (const a of agents) {
      const i = this.#tenantIndex.get(a);
      if (i === undefined) {
        out[a] = { kind: "device", device: this.#deviceIndex.get(a)! };
        continue;
      }
      const view = market?.tenants.find((v) => v.index === i);
      out[a] = {
        kind: "tenant",
        status: s.tenants[i].status,
        market: view ? market : null,
        row: view ? view.row : null,
      };
    }
    return out;
  }
}

function describeAction(a: unknown): string {
  if (!(a instanceof Float64Array)) return a === undefined ? "nothing" : typeof a;
  const bad = Array.from(a).find((x) => !(x >= 0 && x <= 1));
  if (bad !== undefined) return `an entry ${showNumber(bad)}`;
  return `length ${a.length}, sum ${a.reduce((x, y) => x + y, 0)}`;
}
