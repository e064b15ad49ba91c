import type { AggregationRule } from "../market/aggregation.ts";
import { fromArrays, type MarketInstance } from "../market/instance.ts";
import type { Compiled, Physics } from "./compile.ts";
import type { SimEvent } from "./events.ts";
import type { LearnerOptions } from "./learner.ts";
import type { FmType } from "./profiles.ts";
import type { RngState } from "./rng.ts";
import type { LearnerFactory, LearnerSet, RoundLearner } from "./roundLearner.ts";

/**
 * The episode state of the round simulation (docs/simulation.md): plain, frozen data with the
 * RNG states inside, and the World (what never changes in an episode, with its memo tables).
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
