import { fromArrays, type MarketInstance } from "../market/instance.ts";
import { generatePopulation, heterogeneity, type Population, populationFromList } from "./population.ts";
import { type CutCosts, cutCosts, type FmProfile, type Modality, PROFILES } from "./profiles.ts";
import type { Rng } from "./rng.ts";
import type { LearnerSettings, Scenario } from "./scenario.ts";

/**
 * Compiles a scenario into the game (a MarketInstance) and the physics the simulator and the
 * learners need (MODEL.md section 1). All M x N arrays are tenant-major (index i * N + j) over ALL
 * scenario tenants; the market holds only the feasible ones (see `Physics.marketTenants`).
 */

/** Fraction used by the default round window W_i (ours, MODEL.md section 1). */
export const DEFAULT_WINDOW_QUANTILE = 0.9;

export interface TenantPhysics {
  /** Index in scenario.tenants (and row in the physics arrays). */
  readonly index: number;
  readonly name: string;
  readonly profile: FmProfile;
  readonly modality: Modality;
  /** F_i^dev, F_i^srv, S_i, A_i for the tenant's cut layer k_i. */
  readonly cut: CutCosts;
  /** n_i. */
  readonly samplesPerRound: number;
  /** f_i^E. */
  readonly serverFlops: number;
  /** W_i, seconds (given, or the default quantile of t_ij over devices holding the data). */
  readonly window: number;
  readonly windowDefaulted: boolean;
  readonly target: number;
  readonly deadline: number;
  readonly budget: number;
  readonly start: number;
  readonly learner: LearnerSettings;
  /** Devices with d_ij > 0. */
  readonly holders: number;
  /** |E_i|. */
  readonly eligibleCount: number;
  /** Row of this tenant in `market`, or -1 when it is infeasible and left out. */
  readonly marketRow: number;
}

export interface Infeasibility {
  readonly tenant: number;
  readonly name: string;
  readonly code: "NO_DATA" | "NO_ELIGIBLE_DEVICE";
  readonly reason: string;
}

export interface Physics {
  /** Scenario tenants (feasible or not) and devices. */
  readonly M: number;
  readonly N: number;
  readonly tau: number;
  readonly population: Population;
  readonly tenants: readonly TenantPhysics[];
  /** t_ij, seconds per round of device j for tenant i. */
  readonly roundTime: Float64Array;
  /** c_ij > 0, credits per round (positive for every pair, eligible or not). */
  readonly cost: Float64Array;
  /** d_ij, the device's sample count for the tenant's modality. */
  readonly samples: Float64Array;
  /** a_ij = d_ij / sum_k d_ik over all devices holding data (0 when nobody does). */
  readonly dataWeight: Float64Array;
  /** skew_ij = TV(label distribution of j, population mixture) for the tenant's modality. */
  readonly labelSkew: Float64Array;
  /** G_ij = h_i (g0_i + skew_ij) where d_ij > 0, else 0. */
  readonly heterogeneity: Float64Array;
  /** 1 iff d_ij > 0 and t_ij <= W_i. */
  readonly eligible: Uint8Array;
  /** w_ij = a_ij^2 G_ij^2 on eligible pairs, else 0. */
  readonly value: Float64Array;
  /** W_i per scenario tenant. */
  readonly window: Float64Array;
  readonly infeasible: readonly Infeasibility[];
  /** market row r is scenario tenant marketTenants[r]. */
  readonly marketTenants: readonly number[];
  /** K: adaptive policies re-price every K rounds (scenario.repricingInterval; env/simulation.ts). */
  readonly repricingInterval: number;
}

export interface Compiled {
  /**
   * The game over the feasible tenants only (fromArrays rejects a tenant with no eligible device);
   * null when no tenant is feasible. Map rows back with physics.marketTenants.
   */
  readonly market: MarketInstance | null;
  readonly physics: Physics;
}

/** Per-round time t_ij (MODEL.md section 1): compute, smashed data both ways, adapter both ways. */
export function roundTimeOf(
  cut: CutCosts,
  n: number,
  compute: number,
  uplink: number,
  downlink: number,
): number {
  return (
    (n * cut.deviceFlops) / compute + (n * cut.smashedBytes + cut.adapterBytes) * (1 / uplink + 1 / downlink)
  );
}

/** Per-round cost c_ij (MODEL.md section 1): the energy of compute and traffic at the owner's price. */
export function costOf(
  cut: CutCosts,
  n: number,
  energyPrice: number,
  energyPerFlop: number,
  energyPerByte: number,
): number {
  return (
    energyPrice *
    (energyPerFlop * n * cut.deviceFlops + energyPerByte * (2 * n * cut.smashedBytes + 2 * cut.adapterBytes))
  );
}

/** The q-quantile by nearest rank: the smallest value with at least a fraction q of values <= it. */
export function nearestRankQuantile(values: Float64Array, q: number): number {
  const s = Float64Array.from(values).sort();
  return s[Math.max(0, Math.ceil(q * s.length) - 1)];
}

/**
 * Builds the population (from the `devices` child of `rng`, which should be the scenario's root
 * stream, createRng(scenario.seed)), then every per-pair quantity, then the market. Never throws for
 * a tenant that cannot be served: it is listed in physics.infeasible and left out of the market.
 */
export function compileScenario(scenario: Scenario, rng: Rng): Compiled {
  const pop =
    scenario.devices.kind === "generate"
      ? generatePopulation(scenario.devices.params, rng.child("devices"))
      : populationFromList(scenario.devices.devices, scenario.devices.classes);
  const M = scenario.tenants.length;
  const N = pop.N;
  const roundTime = new Float64Array(M * N);
  const cost = new Float64Array(M * N);
  const samples = new Float64Array(M * N);
  const dataWeight = new Float64Array(M * N);
  const labelSkew = new Float64Array(M * N);
  const het = new Float64Array(M * N);
  const eligible = new Uint8Array(M * N);
  const value = new Float64Array(M * N);
  const window = new Float64Array(M);
  const infeasible: Infeasibility[] = [];
  const marketTenants: number[] = [];
  const tenants: TenantPhysics[] = [];

  scenario.tenants.forEach((t, i) => {
    const profile = PROFILES[t.type];
    const modality = profile.modality;
    const cut = cutCosts(t.type, t.cutLayer);
    const data = pop.data[modality];
    const n = t.samplesPerRound;
    const row = i * N;
    let total = 0;
    let holders = 0;
    for (let j = 0; j < N; j++) {
      roundTime[row + j] = roundTimeOf(cut, n, pop.compute[j], pop.uplink[j], pop.downlink[j]);
      cost[row + j] = costOf(cut, n, pop.energyPrice[j], pop.energyPerFlop[j], pop.energyPerByte[j]);
      const d = data.samples[j];
      samples[row + j] = d;
      if (d > 0) {
        total += d;
        holders++;
      }
    }
    const holderTimes = new Float64Array(holders);
    for (let j = 0, h = 0; j < N; j++) if (samples[row + j] > 0) holderTimes[h++] = roundTime[row + j];
    const W = t.window ?? (holders > 0 ? nearestRankQuantile(holderTimes, DEFAULT_WINDOW_QUANTILE) : 0);
    window[i] = W;
    let eligibleCount = 0;
    for (let j = 0; j < N; j++) {
      const d = samples[row + j];
      if (d <= 0) continue;
      const a = d / total;
      const skew = data.skew[j];
      const G = heterogeneity(skew, t.learner.heterogeneity, t.learner.heterogeneityFloor);
      dataWeight[row + j] = a;
      labelSkew[row + j] = skew;
      het[row + j] = G;
      if (roundTime[row + j] <= W) {
        eligible[row + j] = 1;
        value[row + j] = a * a * G * G;
        if (value[row + j] > 0) eligibleCount++;
      }
    }
    let marketRow = -1;
    if (holders === 0)
      infeasible.push({
        tenant: i,
        name: t.name,
        code: "NO_DATA",
        reason: `no device holds ${modality} data`,
      });
    else if (eligibleCount === 0) {
      const fastest = holderTimes.reduce((a, b) => Math.min(a, b), Infinity);
      infeasible.push({
        tenant: i,
        name: t.name,
        code: "NO_ELIGIBLE_DEVICE",
        reason: `no device holding ${modality} data finishes a round within the window W = ${W} s (fastest takes ${fastest} s)`,
      });
    } else {
      marketRow = marketTenants.length;
      marketTenants.push(i);
    }
    tenants.push({
      index: i,
      name: t.name,
      profile,
      modality,
      cut,
      samplesPerRound: n,
      serverFlops: t.serverFlops,
      window: W,
      windowDefaulted: t.window === undefined,
      target: t.target,
      deadline: t.deadline,
      budget: t.budget,
      start: t.start,
      learner: t.learner,
      holders,
      eligibleCount,
      marketRow,
    });
  });

  const physics: Physics = {
    M,
    N,
    tau: scenario.tau,
    population: pop,
    tenants,
    roundTime,
    cost,
    samples,
    dataWeight,
    labelSkew,
    heterogeneity: het,
    eligible,
    value,
    window,
    infeasible,
    marketTenants,
    repricingInterval: scenario.repricingInterval,
  };
  return { market: buildMarket(physics, scenario), physics };
}

/** The market over the feasible tenants: their rows of cost and value, copied. */
function buildMarket(p: Physics, scenario: Scenario): MarketInstance | null {
  const rows = p.marketTenants;
  if (rows.length === 0) return null;
  const { N } = p;
  const cost = new Float64Array(rows.length * N);
  const value = new Float64Array(rows.length * N);
  const budget = new Float64Array(rows.length);
  rows.forEach((i, r) => {
    cost.set(p.cost.subarray(i * N, (i + 1) * N), r * N);
    value.set(p.value.subarray(i * N, (i + 1) * N), r * N);
    budget[r] = scenario.tenants[i].budget;
  });
  return fromArrays({ M: rows.length, N, tau: scenario.tau, cost, value, budget });
}
