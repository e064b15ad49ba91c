import { type Compiled, compileScenario } from "../../env/compile.ts";
import { policyContext } from "../../env/policy.ts";
import { createRng, type Rng, type RngState, rngFromState } from "../../env/rng.ts";
import type { Scenario } from "../../env/scenario.ts";
import {
  activeMarket,
  reward as envReward,
  initial,
  observe,
  type State,
  terminal,
  transition,
} from "../../env/simulation.ts";
import type { AggregationRule } from "../../market/aggregation.ts";
import type { MarketInstance } from "../../market/instance.ts";
import { tenantBestResponse } from "../../market/tenantBestResponse.ts";
import { resolveTenantPolicy } from "../registry.ts";
import type { TenantPolicy } from "../types.ts";
import type { BackendInfo } from "./backend.ts";
import type { CheckpointData, CheckpointFile, LoadedCheckpoint } from "./checkpoint.ts";
import { FEATURE_COUNT, type TenantMemory, tenantFeatures } from "./features.ts";
import { type PpoAgent as Agent, DEFAULT_PPO, PpoAgent, type PpoConfig, type Transition } from "./ppo.ts";
import { ACTION_SIZE, actionPrices } from "./pricing.ts";

/**
 * Training learned tenants (docs/learned.md): independent PPO learners, one per learning tenant,
 * each with its own network, optimizer and normaliser, trained on episodes of the simulation's
 * functional core (env/simulation.ts: initial, observe, transition, reward, terminal) while the
 * other tenants, if any, play a fixed policy of the registry (PRINCE, a heuristic).
 *
 * Seeds. Training episode e (0-based) of a run with seed S runs the episode seed "train/S/e" (a
 * string; the scenario's own seed still fixes the device population). Evaluation (`compare`) uses
 * the numeric seeds 1..N, and the RNG keys every seed by String(seed), so a training episode never
 * replays an evaluation seed: the two sets are disjoint by construction. The learners' own
 * randomness (initial weights, exploration noise, minibatch order) comes from streams of the run's
 * root "train/S" and is saved in every checkpoint.
 *
 * Rewards, per learning tenant and market step (an RL step is a market step):
 * - "time": -dt / T_i + (ln gap_before - ln gap_after) / ln(gap_0 / eps_i). The first term
 *   sums to -(fine-tuning time) / T_i over an episode (the whole deadline if the target is missed),
 *   which is what the comparison measures. The second is the environment's own reward
 *   (simulation.ts reward(): the decrease of the log loss gap), scaled so that reaching the target
 *   collects 1: it is a potential-based shaping (Ng, Harada, Russell 1999, with potential
 *   -ln(gap)/ln(gap_0/eps_i) and gamma = 1), which densifies the signal without changing which
 *   policy is optimal.
 * - "valuation" (default): -ln(V_i(q) / V_i*), clipped at -10, where V_i(q) is the bound's valuation of the
 *   participation bought at the step (q floored at Q_FLOOR) and V_i* the tenant's V at its best
 *   response to zero prices on the step's market (its optimum if it were alone; a constant scale,
 *   never seen by the policy). The objective PRINCE's tenants minimise at every step, as a per-step
 *   cost, with gamma = 0 by default; used to check the learner against the analytic optimum. The log
 *   keeps one priced-out device (a huge V) from drowning every other difference; near the optimum
 *   it equals -(V_i/V_i* - 1) to first order.
 */
export const REWARDS = ["time", "valuation"] as const;
export type RewardKind = (typeof REWARDS)[number];

export interface TrainConfig {
  readonly scenario: Scenario;
  readonly scenarioName: string;
  readonly seed: number;
  /** Tenants that learn; the others play `rivals`. */
  readonly learners: readonly string[];
  /** Registry spec of the other tenants' policy, or "learned" when every tenant learns. */
  readonly rivals: string;
  readonly reward: RewardKind;
  /** Episodes per PPO update (rollouts of the episodes in between wait in the checkpoint). */
  readonly batchEpisodes: number;
  readonly hidden: number;
  readonly ppo: PpoConfig;
  /** Initial mean action (log s, a, b) and log std of the Gaussian policy. */
  readonly initMean: readonly number[];
  readonly initLogStd: readonly number[];
  /** Cut every episode at this simulated time (default: the scenario's last deadline). */
  readonly maxTime?: number;
  /** K override for training episodes (default: the scenario's). */
  readonly repricingInterval?: number;
}

export const DEFAULT_INIT_MEAN = Object.freeze([0, 0, 0]);
export const DEFAULT_INIT_LOG_STD = Object.freeze([Math.log(0.5), Math.log(0.3), Math.log(0.3)]);

/** One row of the learning curve: one learning tenant in one episode. */
export interface CurveRow {
  readonly episode: number;
  readonly seed: string;
  readonly tenant: string;
  /** Sum of the tenant's rewards in the episode. */
  readonly return: number;
  readonly met: boolean;
  /** Fine-tuning time (simulated seconds), null when the target was not met. */
  readonly timeToTarget: number | null;
  readonly finalGap: number;
  readonly rounds: number;
  readonly steps: number;
  /** Mean over the tenant's steps of V_i(q) / V_i* (see the valuation reward); null if infinite. */
  readonly valuationRatio: number | null;
  /** Mean over its steps of the policy's mean action (log s, a, b). */
  readonly meanAction: readonly number[];
}

/** The trainer's part of training.json. */
export interface TrainingState {
  readonly config: TrainConfig;
  readonly rng: { readonly actions: RngState; readonly minibatch: RngState };
  readonly curve: readonly CurveRow[];
  /** Rollouts collected since the last update, per learner. */
  readonly pending: Readonly<Record<string, readonly Transition[]>>;
}

export interface EpisodeReport {
  readonly episode: number;
  readonly rows: readonly CurveRow[];
  /** True when a PPO update followed this episode. */
  readonly updated: boolean;
}

export class Trainer {
  readonly config: TrainConfig;
  readonly compiled: Compiled;
  readonly backend: BackendInfo;
  readonly agents: Map<string, { kind: "tenant"; agent: Agent }>;
  #episode: number;
  #curve: CurveRow[];
  #pending: Map<string, Transition[]>;
  readonly #actions: Rng;
  readonly #minibatch: Rng;
  #rival: TenantPolicy | null = null;
  readonly #optimum = new Map<string, number>();

  private constructor(
    config: TrainConfig,
    backend: BackendInfo,
    agents: Map<string, { kind: "tenant"; agent: Agent }>,
    episode: number,
    curve: CurveRow[],
    pending: Map<string, Transition[]>,
    rngs: { actions: Rng; minibatch: Rng },
  ) {
    this.config = config;
    this.backend = backend;
    this.compiled = compileScenario(config.scenario, createRng(config.scenario.seed));
    this.agents = agents;
    this.#episode = episode;
    this.#curve = curve;
    this.#pending = pending;
    this.#actions = rngs.actions;
    this.#minibatch = rngs.minibatch;
  }

  /** The tenants of `scenario` that compile to the market (the default learners). */
  static feasibleTenants(scenario: Scenario): string[] {
    const compiled = compileScenario(scenario, createRng(scenario.seed));
    return compiled.physics.tenants.filter((t) => t.marketRow >= 0).map((t) => t.name);
  }

  /** A fresh run: one agent per learner, weights from the run's "init/<tenant>" streams. */
  static create(config: TrainConfig, backend: BackendInfo): Trainer {
    checkConfig(config);
    const root = createRng(`train/${config.seed}`);
    const agents = new Map<string, { kind: "tenant"; agent: Agent }>();
    for (const name of config.learners) {
      const agent = PpoAgent.create(
        {
          obsSize: FEATURE_COUNT,
          actionSize: ACTION_SIZE,
          hidden: config.hidden,
          initMean: config.initMean,
          initLogStd: config.initLogStd,
        },
        root.child(`init/${name}`),
      );
      agents.set(name, { kind: "tenant", agent });
    }
    const t = new Trainer(config, backend, agents, 0, [], new Map(), {
      actions: root.child("actions"),
      minibatch: root.child("minibatch"),
    });
    t.#checkTenants();
    return t;
  }

  /** The run of a checkpoint (io/checkpoint.ts reads it), continuing after its last completed episode. */
  static restore(saved: LoadedCheckpoint<TrainingState>, backend: BackendInfo): Trainer {
    const { file, agents } = saved;
    const s = file.training;
    const tenantAgents = new Map<string, { kind: "tenant"; agent: Agent }>();
    for (const [name, a] of agents)
      if (a.kind === "tenant") tenantAgents.set(name, { kind: "tenant", agent: a.agent });
    const pending = new Map(Object.entries(s.pending).map(([k, v]) => [k, v.map((t) => ({ ...t }))]));
    return new Trainer(s.config, backend, tenantAgents, file.episode, [...s.curve], pending, {
      actions: rngFromState(s.rng.actions),
      minibatch: rngFromState(s.rng.minibatch),
    });
  }

  /** Episodes completed (and checkpointed, once `save` ran). */
  get episode(): number {
    return this.#episode;
  }

  get curve(): readonly CurveRow[] {
    return this.#curve;
  }

  /** The seed of training episode `e` of this run (disjoint from compare's numeric seeds). */
  episodeSeed(e: number): string {
    return `train/${this.config.seed}/${e}`;
  }

  /** Runs the next episode, then a PPO update if one is due. */
  async runEpisode(): Promise<EpisodeReport> {
    const e = this.#episode;
    const seed = this.episodeSeed(e);
    const cfg = this.config;
    const learners = new Set(cfg.learners);
    const rival = await this.#rivalPolicy();
    const aggregation: Record<string, AggregationRule> = {};
    for (const t of this.compiled.physics.tenants)
      aggregation[t.name] = learners.has(t.name) ? "unbiased" : (rival?.aggregation ?? "unbiased");
    let state: State = initial(this.compiled, seed, {
      aggregation,
      maxTime: cfg.maxTime,
      repricingInterval: cfg.repricingInterval,
    });
    if (rival) await rival.reset?.(policyContext(seed, rival.name));
    const memory: TenantMemory = new Map();
    // value weights come from the episode's learner (its seed), so optima are per episode
    this.#optimum.clear();
    const traj = new Map<string, Transition[]>();
    const stats = new Map<
      string,
      { ret: number; steps: number; vr: number; vrInf: boolean; act: number[] }
    >();
    while (!terminal(state)) {
      const obs = observe(state);
      const am = activeMarket(state)!;
      const prices: Record<string, Float64Array> = {};
      const acted: { name: string; index: number; row: number; tr: Transition }[] = [];
      for (const view of obs.tenants) {
        const entry = this.agents.get(view.name);
        if (entry) {
          const x = tenantFeatures(obs, view.row, memory);
          const xn = entry.agent.observe(x, true);
          const { action, logp, value, mean } = entry.agent.act(xn, this.#actions);
          prices[view.name] = actionPrices(obs.market, view.row, action);
          const tr: Transition = { obs: Array.from(xn), action, logp, value, reward: 0, done: false };
          acted.push({ name: view.name, index: view.index, row: view.row, tr });
          const st = stats.get(view.name) ?? { ret: 0, steps: 0, vr: 0, vrInf: false, act: [0, 0, 0] };
          mean.forEach((m, k) => {
            st.act[k] += m;
          });
          stats.set(view.name, st);
        } else {
          prices[view.name] = await rival!.price(obs, view.row);
        }
      }
      const t0 = state.time;
      const { state: next, events } = transition(state, { prices });
      const env = envReward(next, events);
      // V_i(q) with q floored at Q_FLOOR, from the participation the devices chose at this step
      const valuations = new Map<string, number>();
      for (const ev of events)
        if (ev.type === "participationChosen") valuations.set(ev.tenant, flooredValuation(am, ev));
      for (const a of acted) {
        const ts = next.tenants[a.index];
        const tl = next.world.learner.tenants[a.index]!;
        const st = stats.get(a.name)!;
        const optimum = this.#loneOptimum(am.key, am.truth, a.row);
        const V = valuations.get(a.name)!;
        const ratio = optimum > 0 ? V / optimum : Number.POSITIVE_INFINITY;
        if (Number.isFinite(ratio)) st.vr += ratio;
        else st.vrInf = true;
        let r: number;
        if (cfg.reward === "valuation") r = -Math.min(Math.log(ratio), 10);
        else {
          const T = ts.deadlineAt - ts.start;
          const dt = (ts.finishedAt ?? next.time) - t0;
          const span = Math.log(tl.initialGap / ts.target);
          r = -dt / T + (span > 0 ? env[a.name] / span : 0);
        }
        a.tr.reward = r;
        a.tr.done = ts.status !== "active";
        st.ret += r;
        st.steps++;
        const list = traj.get(a.name) ?? [];
        list.push(a.tr);
        traj.set(a.name, list);
      }
      state = next;
    }
    const rows: CurveRow[] = [];
    for (const name of cfg.learners) {
      const list = traj.get(name) ?? [];
      if (list.length > 0) list[list.length - 1].done = true;
      const pend = this.#pending.get(name) ?? [];
      for (const x of list) pend.push(x); // one per market step: no spread (stack limit)
      this.#pending.set(name, pend);
      const t = state.tenants.find((x) => x.name === name)!;
      const st = stats.get(name) ?? { ret: 0, steps: 0, vr: 0, vrInf: false, act: [0, 0, 0] };
      rows.push({
        episode: e,
        seed,
        tenant: name,
        return: st.ret,
        met: t.status === "met",
        timeToTarget: t.timeToTarget,
        finalGap: t.lossGap,
        rounds: t.rounds,
        steps: st.steps,
        valuationRatio: st.steps > 0 && !st.vrInf ? st.vr / st.steps : null,
        meanAction: st.act.map((v) => (st.steps > 0 ? v / st.steps : 0)),
      });
    }
    this.#episode = e + 1;
    this.#curve.push(...rows);
    let updated = false;
    if (this.#episode % cfg.batchEpisodes === 0) {
      for (const name of cfg.learners) {
        const batch = this.#pending.get(name) ?? [];
        this.agents.get(name)!.agent.update(batch, cfg.ppo, this.#minibatch);
      }
      this.#pending = new Map();
      updated = true;
    }
    return { episode: e, rows, updated };
  }

  /** The checkpoint after the episodes completed so far (io/checkpoint.ts writes it). */
  checkpoint(): CheckpointData<TrainingState> {
    const training: TrainingState = {
      config: this.config,
      rng: { actions: this.#actions.state(), minibatch: this.#minibatch.state() },
      curve: this.#curve,
      pending: Object.fromEntries(this.#pending),
    };
    return { episode: this.#episode, backend: this.backend, agents: this.agents, training };
  }

  dispose(): void {
    for (const { agent } of this.agents.values()) agent.dispose();
  }

  /** V_i* of row `row` alone on the market (best response to zero prices), cached per market in an episode. */
  #loneOptimum(key: string, m: MarketInstance, row: number): number {
    const k = `${key}#${row}`;
    let v = this.#optimum.get(k);
    if (v === undefined) {
      v = tenantBestResponse(m, new Float64Array(m.M * m.N), row).objective;
      this.#optimum.set(k, v);
    }
    return v;
  }

  async #rivalPolicy(): Promise<TenantPolicy | null> {
    if (this.config.rivals === "learned") return null;
    this.#rival ??= await resolveTenantPolicy(this.config.rivals);
    return this.#rival;
  }

  #checkTenants(): void {
    const feasible = this.compiled.physics.tenants.filter((t) => t.marketRow >= 0).map((t) => t.name);
    for (const name of this.config.learners)
      if (!feasible.includes(name))
        throw new Error(
          `learner "${name}" is not a feasible tenant of the scenario; feasible tenants: ${feasible.join(", ")}`,
        );
    if (this.config.rivals === "learned") {
      const missing = feasible.filter((n) => !this.config.learners.includes(n));
      if (missing.length > 0)
        throw new Error(
          `with rivals "learned" every tenant learns, but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not a learner`,
        );
    }
  }
}

/**
 * Participation below this counts as this much in the valuation reward and the curve's
 * valuation_ratio: V_i is infinite as soon as one eligible device is priced out (q_ij = 0), which
 * happens on congested devices whenever a rival outbids the tenant; the floor keeps the reward
 * finite and still makes every priced-out device cost w_ij / Q_FLOOR.
 */
export const Q_FLOOR = 1e-3;

function flooredValuation(
  am: { readonly tenants: readonly number[]; readonly truth: MarketInstance },
  e: { readonly index: number; readonly participation: Float64Array },
): number {
  const m = am.truth;
  const row = am.tenants.indexOf(e.index);
  let V = 0;
  for (let j = 0; j < m.N; j++) {
    const w = m.value[row * m.N + j];
    if (w > 0) V += w / Math.max(e.participation[j], Q_FLOOR);
  }
  return V;
}

function checkConfig(c: TrainConfig): void {
  if (c.learners.length === 0) throw new Error("no learning tenant");
  if (new Set(c.learners).size !== c.learners.length) throw new Error("a learner is listed twice");
  if (!(Number.isInteger(c.batchEpisodes) && c.batchEpisodes >= 1))
    throw new Error("batchEpisodes must be an integer >= 1");
  if (!(Number.isInteger(c.hidden) && c.hidden >= 1)) throw new Error("hidden must be an integer >= 1");
  if (!(REWARDS as readonly string[]).includes(c.reward))
    throw new Error(`reward must be one of ${REWARDS.join(", ")}`);
  if (c.initMean.length !== ACTION_SIZE || c.initLogStd.length !== ACTION_SIZE)
    throw new Error(`initMean and initLogStd must have ${ACTION_SIZE} entries`);
}

/** A TrainConfig with the defaults filled in. */
export function trainConfig(
  c: Pick<TrainConfig, "scenario" | "scenarioName" | "seed" | "learners"> &
    Partial<Omit<TrainConfig, "ppo">> & { readonly ppo?: Partial<PpoConfig> },
): TrainConfig {
  return {
    rivals: "learned",
    reward: "valuation",
    batchEpisodes: 1,
    hidden: 32,
    initMean: DEFAULT_INIT_MEAN,
    initLogStd: DEFAULT_INIT_LOG_STD,
    ...c,
    // the valuation reward is a per-step cost of the step's own prices (PRINCE's tenants minimise
    // V_i step by step too): gamma = 0 makes each step's advantage depend on its own action only
    ppo: { ...DEFAULT_PPO, gamma: c.reward === "valuation" ? 0 : DEFAULT_PPO.gamma, ...(c.ppo ?? {}) },
  };
}

export type { CheckpointFile };
