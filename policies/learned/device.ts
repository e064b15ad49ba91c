import type { Compiled } from "../../env/compile.ts";
import { policyContext } from "../../env/policy.ts";
import { createRng, type Rng } from "../../env/rng.ts";
import {
  activeMarket,
  initial,
  observe,
  postPrices,
  type State,
  terminal,
  transition,
} from "../../env/simulation.ts";
import type { MarketInstance } from "../../market/instance.ts";
import { resolveTenantPolicy } from "../registry.ts";
import type { DeviceObservation, DevicePolicy, TenantPolicy } from "../types.ts";
import { DEFAULT_PPO, PpoAgent, type PpoConfig, type Transition } from "./ppo.ts";

/**
 * A learned device policy (MODEL.md section 7, "learned" devices): one small network shared by
 * every device it controls (parameter sharing), applied to each (device j, tenant i) pair with a
 * posted price. Its action u is the log of the participation the device asks for,
 * q~_ij = min(1, e^u); a device whose asks add up to more than its capacity scales them down to
 * sum 1. The pair's features:
 *   ln(P_ij / (tau c_ij))                   the log of the uncongested best response's q^(tau-1)
 *   ln(1 + sum_{k != i} P_kj / (tau c_kj))  how much the other tenants ask of the same device
 *   number of tenants posting a price to j
 * With tau = 2 the water-filling best response of an uncongested device is u = ln(P/(2c)), linear in
 * the first feature, so the family contains it.
 *
 * Training (trainDevicePolicy) is a contextual bandit solved with the same PPO code as the tenants:
 * every pair at every market step is one single-step episode whose reward is the pair's utility
 * relative to the best response it could have had alone, (u - u*) / |u*| clipped at -5, with
 * u = P q - c q^tau per round (MODEL.md section 2). Tenants play a fixed registry policy.
 */
export const DEVICE_FEATURES = ["logDemand", "rivalDemand", "tenants"] as const;

export interface DeviceAgentOptions {
  /** Exploration stream: sample from the Gaussian; null = deterministic mean action. */
  readonly explore: Rng | null;
  /** Called with each pair's (normalised observation, action, logp, value) when exploring. */
  readonly record?: (pair: PairStep) => void;
}

export interface PairStep {
  readonly device: number;
  readonly row: number;
  readonly obs: number[];
  readonly action: number[];
  readonly logp: number;
  readonly value: number;
}

/** Features of pair (row, j) of the posted prices. */
export function pairFeatures(m: MarketInstance, prices: Float64Array, row: number, j: number): number[] {
  const { M, N, tau } = m;
  const k = row * N + j;
  const own = prices[k] / (tau * m.cost[k]);
  let rival = 0;
  let posting = 0;
  for (let r = 0; r < M; r++) {
    const kk = r * N + j;
    if (!(m.value[kk] > 0 && prices[kk] > 0)) continue;
    posting++;
    if (r !== row) rival += prices[kk] / (tau * m.cost[kk]);
  }
  return [Math.max(-20, Math.min(5, Math.log(Math.max(own, 1e-300)))), Math.log1p(rival), posting];
}

/** A device policy that answers synchronously. */
export interface SyncDevicePolicy extends DevicePolicy {
  respond(obs: DeviceObservation, devices: Int32Array): Float64Array;
}

/** A DevicePolicy answering with `agent` (shared by all controlled devices). */
export function deviceAgentPolicy(agent: PpoAgent, opts: DeviceAgentOptions): SyncDevicePolicy {
  return {
    name: "learned",
    respond(obs: DeviceObservation, devices: Int32Array) {
      const { M, N } = obs.market;
      const q = new Float64Array(M * N);
      for (const j of devices) {
        let sum = 0;
        for (let r = 0; r < M; r++) {
          const k = r * N + j;
          if (!(obs.market.value[k] > 0 && obs.prices[k] > 0)) continue;
          const x = agent.observe(pairFeatures(obs.market, obs.prices, r, j), opts.explore !== null);
          let u: number;
          if (opts.explore) {
            const a = agent.act(x, opts.explore);
            u = a.action[0];
            opts.record?.({
              device: j,
              row: r,
              obs: Array.from(x),
              action: a.action,
              logp: a.logp,
              value: a.value,
            });
          } else u = agent.evaluate(x).mean[0];
          q[k] = Math.min(1, Math.exp(Math.min(u, 0)));
          sum += q[k];
        }
        if (sum > 1) for (let r = 0; r < M; r++) q[r * N + j] /= sum;
      }
      return q;
    },
  };
}

export interface DeviceTrainOptions {
  readonly compiled: Compiled;
  /** Registry spec of the tenants' pricing policy (default "prince"). */
  readonly tenants?: string;
  /** Devices the learned policy controls (the others play water-filling). */
  readonly devices: readonly number[];
  readonly episodes: number;
  readonly seed: number;
  readonly hidden?: number;
  readonly ppo?: Partial<PpoConfig>;
  /** Called after each episode with its mean relative utility (0 = as good as the best response). */
  readonly onEpisode?: (episode: number, meanReward: number) => void;
}

/** Trains a shared device policy on episodes "train-devices/S/e"; returns the agent. */
export async function trainDevicePolicy(o: DeviceTrainOptions): Promise<PpoAgent> {
  const root = createRng(`train-devices/${o.seed}`);
  const agent = PpoAgent.create(
    {
      obsSize: DEVICE_FEATURES.length,
      actionSize: 1,
      hidden: o.hidden ?? 8,
      initMean: [-2],
      initLogStd: [0],
    },
    root.child("init"),
  );
  const explore = root.child("actions");
  const minibatch = root.child("minibatch");
  const cfg: PpoConfig = { ...DEFAULT_PPO, epochs: 4, minibatch: 256, ...(o.ppo ?? {}) };
  const tenantPolicy: TenantPolicy = await resolveTenantPolicy(o.tenants ?? "prince");
  const deviceSet = Int32Array.from(o.devices);
  for (let e = 0; e < o.episodes; e++) {
    const seed = `train-devices/${o.seed}/${e}`;
    await tenantPolicy.reset?.(policyContext(seed, tenantPolicy.name));
    let state: State = initial(o.compiled, seed, {
      aggregation: tenantPolicy.aggregation,
      deviceAgents: deviceSet,
    });
    const batch: Transition[] = [];
    while (!terminal(state)) {
      const obs = observe(state);
      const am = activeMarket(state)!;
      const prices: Record<string, Float64Array> = {};
      for (const v of obs.tenants) prices[v.name] = await Promise.resolve(tenantPolicy.price(obs, v.row));
      // the prices devices see are the guarded ones: apply the guard as transition will
      const posted = postPrices(state, prices).prices;
      const steps: PairStep[] = [];
      const policy = deviceAgentPolicy(agent, { explore, record: (s) => steps.push(s) });
      const dobs: DeviceObservation = { step: obs.step, time: obs.time, market: am.truth, prices: posted };
      const q = policy.respond(dobs, deviceSet);
      for (const s of steps) {
        const k = s.row * am.truth.N + s.device;
        batch.push({ ...s, reward: relativeUtility(am.truth, posted[k], q[k], k), done: true });
      }
      state = transition(state, { prices, participation: q }).state;
    }
    agent.update(batch, cfg, minibatch);
    if (o.onEpisode) {
      const mean = batch.reduce((s, t) => s + t.reward, 0) / Math.max(1, batch.length);
      o.onEpisode(e, mean);
    }
  }
  return agent;
}

/** (u - u*) / |u*| clipped at -5 for a pair with price P, participation q, cost index k. */
export function relativeUtility(m: MarketInstance, P: number, q: number, k: number): number {
  const c = m.cost[k];
  const tau = m.tau;
  const qStar = Math.min(1, (P / (tau * c)) ** (1 / (tau - 1)));
  const best = P * qStar - c * qStar ** tau;
  const u = P * q - c * q ** tau;
  if (!(best > 0)) return 0;
  return Math.max(-5, (u - best) / best);
}
