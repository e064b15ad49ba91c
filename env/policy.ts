import type { AggregationRule } from "../market/aggregation.ts";
import type { MarketInstance } from "../market/instance.ts";
import type { FmType } from "./profiles.ts";
import { createRng, type Rng } from "./rng.ts";

/**
 * The policy contract (env/ owns it; policies/ implements it): the interfaces a pricing or device
 * policy implements, what they observe, and the one place their random streams are named. The environment calls them at market
 * steps (MODEL.md section 4): at the start, whenever a tenant finishes or arrives, and every K
 * rounds. A policy may answer synchronously or with a promise; the runtime awaits answers in a
 * fixed order, so asynchronous policies never change the order of events.
 */

/** One active tenant as every policy sees it at a market step. */
export interface TenantView {
  /** Tenant name (unique in the scenario). */
  readonly name: string;
  /** Index in the scenario's tenant list. */
  readonly index: number;
  /** Row of this tenant in `MarketObservation.market`. */
  readonly row: number;
  readonly type: FmType;
  /** Rounds completed so far. */
  readonly rounds: number;
  /** Current loss gap F_i(w) - F_i*, and the target eps_i. */
  readonly lossGap: number;
  readonly target: number;
  /** Simulated seconds since the tenant started, and its deadline T_i (seconds from its start). */
  readonly elapsed: number;
  readonly deadline: number;
  /** Credits paid so far, and the per-round budget B_i. */
  readonly spent: number;
  readonly budget: number;
}

/** What pricing policies observe at a market step. */
export interface MarketObservation {
  /** Market step index, from 0. */
  readonly step: number;
  /** Simulated seconds since the start of the episode. */
  readonly time: number;
  /**
   * The market among the active tenants (row r = tenants[r]), over all N devices: costs c_ij,
   * value weights w_ij as the tenants know them (exact, or estimated with noise), budgets B_i.
   */
  readonly market: MarketInstance;
  readonly tenants: readonly TenantView[];
  /** Prices posted at the previous market step for these rows (M x N), or null at the first. */
  readonly lastPrices: Float64Array | null;
  /** Participation the devices chose at the previous market step for these rows, or null. */
  readonly lastParticipation: Float64Array | null;
  /**
   * Data weights a_ij = d_ij / sum_k d_ik (tenant-major M x N over these rows), when the environment
   * shares them. Optional: `market.value` holds w_ij = a_ij^2 G_ij^2, not a_ij, and policies that
   * need a_ij (proportional) fall back to a documented proxy when this is absent.
   */
  readonly dataWeight?: Float64Array;
}

/** Context a policy gets once per episode. */
export interface PolicyContext {
  /** The policy's own random stream (child "policy/<name>" of the episode's RNG). */
  readonly rng: Rng;
  readonly seed: number | string;
}

/**
 * A tenant pricing policy. One instance serves every tenant that uses it in an episode (so a
 * mechanism that prices all tenants jointly, like PRINCE, can compute once per step and cache).
 */
export interface TenantPolicy {
  readonly name: string;
  /** The aggregation rule the tenant's learner applies when it uses this policy. */
  readonly aggregation: AggregationRule;
  /** Called at the start of each episode. */
  reset?(ctx: PolicyContext): void | Promise<void>;
  /**
   * Prices P_ij (length N, >= 0, finite; entries on devices the tenant cannot use are ignored)
   * for the tenant at row `row` of `obs.market`. The environment's budget guard scales them down if
   * their expected spend exceeds B_i once devices respond.
   */
  price(obs: MarketObservation, row: number): Float64Array | Promise<Float64Array>;
  /**
   * Problems the policy met and worked around during the episode (cleared by reset), e.g. an
   * equilibrium solve that did not converge, so the caller can report them. Optional.
   */
  readonly warnings?: readonly PolicyWarning[];
}

/** Something a policy worked around: it still answered, but the caller should be told. */
export interface PolicyWarning {
  /** Market step at which it happened. */
  readonly step: number;
  /** Stable machine-readable code, e.g. "NOT_CONVERGED". */
  readonly code: string;
  readonly message: string;
}

/** What device policies observe: the posted prices (after the budget guard) on the active market. */
export interface DeviceObservation {
  readonly step: number;
  readonly time: number;
  /** Active market with true costs (devices know their own costs). */
  readonly market: MarketInstance;
  /** Posted prices, tenant-major M x N over the active rows. */
  readonly prices: Float64Array;
}

/**
 * A device participation policy, vectorised over devices: returns q (tenant-major M x N) with
 * q >= 0, sum over tenants <= 1 per device, and 0 where w_ij = 0. `devices` lists the devices this
 * policy controls; entries of other devices are ignored.
 */
export interface DevicePolicy {
  readonly name: string;
  reset?(ctx: PolicyContext): void | Promise<void>;
  respond(obs: DeviceObservation, devices: Int32Array): Float64Array | Promise<Float64Array>;
}

export type TenantPolicyFactory = (options?: Record<string, unknown>) => TenantPolicy;
export type DevicePolicyFactory = (options?: Record<string, unknown>) => DevicePolicy;

/**
 * The random stream of policy `name` in the episode of `seed`: child "policy/<name>" of the
 * episode's root, or "policy/<name>/<first>" when several distinct instances of one policy name
 * serve the same episode (`first` = the first tenant the instance serves), so they do not share
 * draws. Every driver (runEpisode, the trainers, the policy checks, the env-server) names policy
 * streams here.
 */
export function policyContext(seed: number | string, name: string, first?: string): PolicyContext {
  const label = first === undefined ? `policy/${name}` : `policy/${name}/${first}`;
  return { rng: createRng(seed).child(label), seed };
}
