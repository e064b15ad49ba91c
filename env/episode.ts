import type { AggregationRule } from "../market/aggregation.ts";
import { roundsToTarget } from "../market/bound.ts";
import type { Compiled } from "./compile.ts";
import { initial } from "./core.ts";
import { driveEpisode, withinTime } from "./driver.ts";
import { PolicyError } from "./errors.ts";
import type { Quantiles, SimEvent } from "./events.ts";
import type { LearnerBound, LearnerOptions } from "./learner.ts";
import { type DevicePolicy, policyContext, type TenantPolicy } from "./policy.ts";
import type { FmType } from "./profiles.ts";
import type { LearnerFactory } from "./roundLearner.ts";
import type { State, TenantStatus } from "./state.ts";
import { downsample } from "./summaries.ts";

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

  state = await driveEpisode(state, {
    tenantPolicy: (view) => byTenant.get(view.index)!,
    device: policies.device ? { policy: policies.device.policy, devices: deviceSet } : undefined,
    timeoutMs,
    signal: opts.signal,
    afterStep: ({ state: next, events }) => {
      stepRows = [];
      stepPrices = new Map();
      for (const e of events) record(e);
      steps.push({ step: next.step - 1, time: stepTime(events, next), tenants: stepRows });
    },
  });
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
