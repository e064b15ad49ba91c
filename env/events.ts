/**
 * What the simulation reports (MODEL.md section 4; docs/simulation.md). `transition` returns these,
 * in simulated-time order (ties in a fixed order, see docs/simulation.md), and the agents layer turns
 * them into an Observable; logs, progress bars, metrics and plots subscribe to that stream.
 *
 * Every event carries the simulated time (seconds since the start of the episode) and the tenant's
 * name and scenario index. Vectors (`prices`, `participation`) are the environment's own immutable
 * arrays: read them, never write them.
 */

/** Order statistics of a per-device quantity over the tenant's eligible devices (E_i). */
export interface Quantiles {
  readonly min: number;
  readonly p10: number;
  readonly p25: number;
  readonly median: number;
  readonly p75: number;
  readonly p90: number;
  readonly max: number;
  readonly mean: number;
}

interface Base {
  readonly time: number;
  readonly tenant: string;
  /** Index in the scenario's tenant list. */
  readonly index: number;
}

/** The tenant became active (at its start time); a market step follows at the same time. */
export interface TenantArrived extends Base {
  readonly type: "tenantArrived";
}

/** The tenant can never run (compile found no data or no eligible device); reported once, at the start. */
export interface TenantInfeasible extends Base {
  readonly type: "tenantInfeasible";
  readonly code: string;
  readonly reason: string;
}

/** Prices in force from this market step on, after the budget guard. */
export interface PricesPosted extends Base {
  readonly type: "pricesPosted";
  readonly step: number;
  /** P_ij for every device j (length N; 0 where the tenant cannot use the device). */
  readonly prices: Float64Array;
  /** Factor the budget guard applied to the posted vector (1 = untouched). */
  readonly guardScale: number;
  /** Expected spend per round, sum_j P_ij q_ij (<= B_i with best-responding devices). */
  readonly expectedSpend: number;
  readonly budget: number;
  /** Over E_i. */
  readonly summary: Quantiles;
}

/** The devices' participation levels for this tenant from this market step on. */
export interface ParticipationChosen extends Base {
  readonly type: "participationChosen";
  readonly step: number;
  /** q_ij for every device j (length N). */
  readonly participation: Float64Array;
  /** Expected participants per round, sum_j q_ij. */
  readonly expectedParticipants: number;
  /** V_i(q_i) with the exact value weights (Infinity if an eligible device has q_ij = 0). */
  readonly valuation: number;
  /** Eligible devices of this tenant whose capacity binds (congestion price mu_j > 0). */
  readonly congested: number;
  /** Over E_i. */
  readonly summary: Quantiles;
}

/** A round of the tenant ended (its update, if any, is applied). */
export interface RoundCompleted extends Base {
  readonly type: "roundCompleted";
  /** 1 for the tenant's first round. */
  readonly round: number;
  /** When the round started; `time` is when it ended. */
  readonly start: number;
  readonly participants: number;
  /** F_i(w) - F_i* after the round. */
  readonly lossGap: number;
  /** Credits paid to the participants for this round. */
  readonly payment: number;
}

/** The tenant paid its participants for a round (one event per round with participants). */
export interface Payment extends Base {
  readonly type: "payment";
  readonly round: number;
  readonly amount: number;
  readonly participants: number;
}

/** The tenant reached its target at the end of a round. */
export interface TargetMet extends Base {
  readonly type: "targetMet";
  readonly rounds: number;
  /** Simulated seconds from the tenant's start to the end of the round that met the target. */
  readonly timeToTarget: number;
  readonly lossGap: number;
  readonly spend: number;
}

/** The tenant's deadline passed before it reached the target; a round in flight is abandoned. */
export interface DeadlineMissed extends Base {
  readonly type: "deadlineMissed";
  readonly rounds: number;
  readonly lossGap: number;
  readonly spend: number;
}

/** The episode hit its time limit (maxTime) while the tenant was still running or waiting. */
export interface TenantUnfinished extends Base {
  readonly type: "tenantUnfinished";
  readonly rounds: number;
  readonly lossGap: number;
  readonly spend: number;
}

export type SimEvent =
  | TenantArrived
  | TenantInfeasible
  | PricesPosted
  | ParticipationChosen
  | RoundCompleted
  | Payment
  | TargetMet
  | DeadlineMissed
  | TenantUnfinished;

export type SimEventType = SimEvent["type"];

/** The event of a given type, e.g. EventOf<"roundCompleted">. */
export type EventOf<T extends SimEventType> = Extract<SimEvent, { type: T }>;

/** Narrowing helper for filters: events.filter(isEvent("targetMet")). */
export function isEvent<T extends SimEventType>(type: T): (e: SimEvent) => e is EventOf<T> {
  return (e): e is EventOf<T> => e.type === type;
}
