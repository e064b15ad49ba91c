import type { Compiled } from "../env/compile.ts";
import {
  boundConstants,
  buildLearner,
  createScratch,
  learnerValuation,
  lossGap,
  roundUpdate,
  type TenantLearner,
  weightVariance,
} from "../env/learner.ts";
import { createRng, type Rng } from "../env/rng.ts";
import { type BoundFit, fitBoundConstants, roundsToTarget } from "../market/bound.ts";
import { InputError } from "../market/errors.ts";
import { solveStackelberg } from "../market/stackelberg.ts";
import { type DeviceView, paymentCurve } from "../market/supply.ts";
import { spearman as spearmanOf } from "../report/stats.ts";

/**
 * The convergence bound put to a designed test (issue 13, MODEL.md section 3): one tenant, its
 * participation fixed to a set of profiles that all cost the same (the tenant's equilibrium spend,
 * the other tenants holding their equilibrium prices), each run on many seeds with the surrogate
 * learner, unbiased aggregation. If V_i(q) is what the learner's progress depends on, the mean
 * rounds to target must rise with V_i across the profiles, and (alpha V + beta) / eps must fit them.
 *
 * Profiles: "se" (the Stackelberg participation, which minimises V at that spend), "flat" (the same q
 * on every device), "proportional" (q proportional to the data weight a_ij) and "perturbed-k"
 * (q_SE exp(s Z), Z standard normal per device, at strengths s cycling 0.25, 0.5, 1, 1.5), each scaled
 * to the equal spend. Randomness: the learner's geometry from `instanceSeed` (the stream a compare
 * episode of that seed uses); the perturbations from stream "bound-check/perturb"; the runs from seed
 * s's stream "bound-check/run", the same for every profile (common random numbers), so differences
 * between profiles are not sampling luck.
 */
export interface BoundCheckOptions {
  readonly compiled: Compiled;
  /** Tenant name (default: the first feasible tenant). */
  readonly tenant?: string;
  /** Seeds per profile (default 30): seeds 1..seeds. */
  readonly seeds?: number;
  /** Seed of the learner's geometry (default 1). */
  readonly instanceSeed?: number;
  /** Number of perturbed-SE profiles (default 8). */
  readonly perturbations?: number;
  /** Round cap per run (default 20,000); a run that hits it is a miss. */
  readonly maxRounds?: number;
}

export interface ProfileResult {
  readonly name: string;
  /** V_i(q) of the profile (exact weights). */
  readonly V: number;
  /** sum_j Pay_ij(q_ij): equal across profiles up to the bisection's tolerance. */
  readonly spend: number;
  /** Smallest q_ij of the profile. */
  readonly minQ: number;
  /** Runs that met the target within the cap / runs. */
  readonly met: number;
  readonly runs: number;
  /** Mean rounds to target over the runs that met it (null if none). */
  readonly meanRounds: number | null;
  /** Gamma_i(q) = ceil((alpha V + beta) / eps) with the learner's derived constants. */
  readonly predictedRounds: number;
}

export interface BoundCheckResult {
  readonly tenant: string;
  readonly target: number;
  readonly seeds: number;
  readonly profiles: readonly ProfileResult[];
  /** max V / min V over the profiles. */
  readonly spreadV: number;
  /** Spearman's rank correlation of V with mean rounds over the profiles every run of which met. */
  readonly spearman: number | null;
  /** Of the profile pairs whose V differ by 2x or more, the share ordered by V as by mean rounds. */
  readonly concordance2x: { readonly pairs: number; readonly concordant: number };
  /** Least-squares alpha, beta >= 0 of rounds * eps ~ alpha V + beta over every run that met. */
  readonly fitRuns: BoundFit | null;
  /** The same over the profiles' mean rounds. */
  readonly fitMeans: BoundFit | null;
  /** The learner's derived constants (docs/learner.md). */
  readonly derived: { readonly alpha: number; readonly beta: number };
}

const STRENGTHS = [0.25, 0.5, 1, 1.5];

export function boundCheck(opts: BoundCheckOptions): BoundCheckResult {
  const { compiled } = opts;
  const seeds = opts.seeds ?? 30;
  const maxRounds = opts.maxRounds ?? 20_000;
  const perturbations = opts.perturbations ?? 8;
  const learner = buildLearner(compiled, createRng(opts.instanceSeed ?? 1).child("learner"));
  const { physics } = compiled;
  const feasible = learner.tenants.filter((t): t is TenantLearner => t !== null);
  const t = opts.tenant === undefined ? feasible[0] : feasible.find((x) => x.name === opts.tenant);
  if (!t || !learner.market) {
    const names = feasible.map((x) => x.name).join(", ");
    throw new InputError(
      [{ path: "tenant", message: `must be a feasible tenant of the scenario (${names || "none"})` }],
      "bound-check",
    );
  }
  const { N } = physics;
  const market = learner.market;
  const row = physics.marketTenants.indexOf(t.index);
  const se = solveStackelberg(market);
  const views: DeviceView[] = Array.from(t.devices, (j) => {
    const otherPrices: number[] = [];
    const otherCosts: number[] = [];
    for (let r = 0; r < market.M; r++) {
      if (r === row) continue;
      otherPrices.push(se.prices[r * N + j]);
      otherCosts.push(market.cost[r * N + j]);
    }
    return { otherPrices, otherCosts, cost: market.cost[row * N + j], tau: market.tau };
  });
  const spendOf = (q: Float64Array) => q.reduce((s, x, l) => s + paymentCurve(views[l], x), 0);
  const seQ = Float64Array.from(t.devices, (j) => se.participation[row * N + j]);
  const budget = spendOf(seQ);
  const shapes: { name: string; shape: Float64Array }[] = [
    { name: "se", shape: seQ },
    { name: "flat", shape: new Float64Array(t.devices.length).fill(1) },
    { name: "proportional", shape: Float64Array.from(t.weight) },
  ];
  const perturb = createRng(opts.instanceSeed ?? 1).child("bound-check/perturb");
  for (let k = 0; k < perturbations; k++) {
    const s = STRENGTHS[k % STRENGTHS.length];
    shapes.push({
      name: `perturbed-${k + 1} (s=${s})`,
      shape: Float64Array.from(seQ, (q) => q * Math.exp(s * perturb.normal())),
    });
  }
  const bound = boundConstants(t);
  const profiles: ProfileResult[] = [];
  const samples: { V: number; rounds: number; eps: number }[] = [];
  for (const { name, shape } of shapes) {
    const q = name === "se" ? seQ : scaleToSpend(shape, budget, spendOf);
    const V = learnerValuation(t, q);
    let met = 0;
    let total = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const rounds = roundsToReach(t, q, createRng(seed).child("bound-check/run"), maxRounds);
      if (rounds === null) continue;
      met++;
      total += rounds;
      samples.push({ V, rounds, eps: t.target });
    }
    profiles.push({
      name,
      V,
      spend: spendOf(q),
      minQ: q.reduce((m, x) => Math.min(m, x), 1),
      met,
      runs: seeds,
      meanRounds: met ? total / met : null,
      predictedRounds: roundsToTarget(bound, V),
    });
  }
  const complete = profiles.filter((p) => p.met === p.runs && p.meanRounds !== null);
  const Vs = profiles.map((p) => p.V);
  return {
    tenant: t.name,
    target: t.target,
    seeds,
    profiles,
    spreadV: Math.max(...Vs) / Math.min(...Vs),
    spearman: spearmanOf(
      complete.map((p) => p.V),
      complete.map((p) => p.meanRounds!),
    ),
    concordance2x: concordance(complete),
    fitRuns: tryFit(samples),
    fitMeans: tryFit(complete.map((p) => ({ V: p.V, rounds: p.meanRounds!, eps: t.target }))),
    derived: { alpha: bound.alpha, beta: bound.beta },
  };
}

/** Largest participation a profile may ask of a device (q = 1 can cost without bound when shared). */
const Q_MAX = 1 - 1e-6;

/** q = min(k shape, Q_MAX) with k found by bisection (in log k) so the spend equals `budget`. */
function scaleToSpend(
  shape: Float64Array,
  budget: number,
  spendOf: (q: Float64Array) => number,
): Float64Array {
  const at = (k: number) => Float64Array.from(shape, (s) => Math.min(k * s, Q_MAX));
  const top = shape.reduce((m, s) => Math.max(m, s), 0);
  let lo = Math.log(1e-12 / top);
  let hi = Math.log(Q_MAX / shape.reduce((m, s) => Math.min(m, s), Number.POSITIVE_INFINITY));
  if (spendOf(at(Math.exp(hi))) <= budget) return at(Math.exp(hi));
  for (let it = 0; it < 100; it++) {
    const mid = (lo + hi) / 2;
    if (spendOf(at(Math.exp(mid))) < budget) lo = mid;
    else hi = mid;
  }
  return at(Math.exp((lo + hi) / 2));
}

/** Rounds until the loss gap is at most the target under fixed participation q; null past the cap. */
export function roundsToReach(t: TenantLearner, q: Float64Array, rng: Rng, maxRounds: number): number | null {
  const n = t.devices.length;
  const zeta = weightVariance("unbiased", t.weight, q);
  const scratch = createScratch(t);
  const participants = new Int32Array(n);
  let w = t.initial;
  for (let r = 0; r < maxRounds; r++) {
    let count = 0;
    for (let l = 0; l < n; l++) if (rng.bernoulli(q[l])) participants[count++] = l;
    w = roundUpdate(t, w, r, "unbiased", q, zeta, participants.subarray(0, count), rng, scratch);
    if (lossGap(t, w) <= t.target) return r + 1;
  }
  return null;
}

function concordance(profiles: readonly ProfileResult[]): { pairs: number; concordant: number } {
  let pairs = 0;
  let concordant = 0;
  for (let a = 0; a < profiles.length; a++)
    for (let b = a + 1; b < profiles.length; b++) {
      const [x, y] = profiles[a].V < profiles[b].V ? [profiles[a], profiles[b]] : [profiles[b], profiles[a]];
      if (y.V < 2 * x.V) continue;
      pairs++;
      if (y.meanRounds! > x.meanRounds!) concordant++;
    }
  return { pairs, concordant };
}

function tryFit(samples: readonly { V: number; rounds: number; eps: number }[]): BoundFit | null {
  const Vs = new Set(samples.map((s) => s.V));
  return samples.length >= 2 && Vs.size >= 2 ? fitBoundConstants(samples) : null;
}
