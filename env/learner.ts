import { type AggregationRule, aggregate } from "../market/aggregation.ts";
import type { BoundConstants } from "../market/bound.ts";
import { InputError } from "../market/errors.ts";
import { fromArrays, type MarketInstance } from "../market/instance.ts";
import type { Compiled } from "./compile.ts";
import type { Rng } from "./rng.ts";

/**
 * The surrogate learner (MODEL.md section 5; docs/learner.md has the derivations).
 *
 * Tenant i's objective over w in R^D is F_i(w) = sum_j a_ij f_ij(w) with
 *   f_ij(w) = 1/2 (w - w_ij*)^T H_i (w - w_ij*),
 * H_i = diag(h_1..h_D) with eigenvalues log-spaced in [mu_i, L_i] (a fixed spectrum; the random part
 * is the geometry of the local optima). The sum runs over E_i, the devices that hold the tenant's data
 * AND finish a round within its window (ours: data a tenant can never receive is not part of the task
 * it can be judged on; with it, every policy would share the same unreachable floor). So
 * a_ij = d_ij / sum_{k in E_i} d_ik here, which rescales compile's a_ij by a per-tenant constant and
 * so leaves every equilibrium unchanged.
 *
 * Geometry: draw a population point w0*, unit directions u_ij and set w_ij* = w0* + H^-1 G_ij u_ij with
 * G_ij from compile. The true optimum is wbar = sum_j a_ij w_ij* (not exactly w0*: the directions do
 * not cancel), so the exact heterogeneity is recomputed as G_ij = ||grad f_ij(wbar)|| =
 * ||H (wbar - w_ij*)||, and the market's value weights are rebuilt as w_ij = a_ij^2 G_ij^2 from it.
 * Tenants see those weights exactly ("oracle") or with every G_ij multiplied by exp(sigma Z_ij)
 * ("estimated"). F_i(w) - F_i* = 1/2 (w - wbar)^T H (w - wbar) exactly.
 *
 * Local work: a participant runs E local SGD steps with step size eta from the global model w, with
 * stochastic gradients H (x - w_ij*) + sigma xi, xi ~ N(0, I). For a quadratic the result is affine
 * in the start plus Gaussian noise (closed form, exact in distribution):
 *   Delta_ij = P (w_ij* - w) + n_ij,   P = I - (I - eta H)^E,
 *   n_ij ~ N(0, diag(s^2)),   s_k^2 = eta^2 sigma^2 sum_{e<E} (1 - eta h_k)^(2e).
 * The aggregation rule is linear in the updates, so a round draws the deterministic parts per
 * participant, aggregates them with market/aggregation.ts, and adds the aggregated noise in one draw
 * per coordinate, N(0, s_k^2 sum_{j in S} omega_j^2), with omega_j the rule's weight of device j
 * (a_j/q_j unbiased, a_j / sum_S a fedavg): exact in distribution, D normals per round instead of
 * |S| D.
 *
 * Server step (ours, so the expected gap of the unbiased rule falls like O(1/rounds) as in the bound):
 *   w <- w + eta_r * aggregate,   eta_r = min(theta / (r + gamma), 1 / (p_max (1 + 2 zeta))),
 * r = the tenant's round index from 0 (empty rounds included: they change nothing but count, as in
 * the bound), theta = 2 / p_min, gamma = 2 p_max / p_min, p_k the diagonal of P, and zeta the variance
 * of the rule's total weight sum_{j in S} omega_j (sum_j a_j^2 (1/q_j - 1) for the unbiased rule, 0 for
 * FedAvg, whose weights always sum to 1). The cap is what keeps the inverse-probability weights from
 * blowing up the iterate when some q_j are tiny; the server knows q, since the unbiased rule uses it.
 */

/** Default spectrum of H_i: eigenvalues log-spaced in [0.1, 1] (condition number 10). */
export const DEFAULT_CURVATURE: readonly [number, number] = [0.1, 1];
/** Default F_i(w_0) - F_i*: targets eps_i are in units of the initial loss gap. */
export const DEFAULT_INITIAL_GAP = 1;
/** Default sigma of the multiplicative log-normal error on G_ij when tenants estimate it. */
export const DEFAULT_KNOWLEDGE_NOISE = 0.3;

export type Knowledge = "oracle" | "estimated";

export interface LearnerOptions {
  /**
   * [min, max] of H_i's spectrum (default [0.1, 1]). The top is capped at 1 / eta_i (local steps must
   * not overshoot a coordinate's minimum), and the bottom scaled with it.
   */
  readonly curvature?: readonly [number, number];
  /** F_i(w_0) - F_i* for every tenant (default 1). */
  readonly initialGap?: number;
  /** How tenants know G_ij; overrides the scenario's per-tenant setting (default "oracle"). */
  readonly knowledge?: Knowledge;
  /** sigma of exp(sigma Z) when estimated; overrides the scenario (default 0.3). */
  readonly knowledgeNoise?: number;
}

export interface ServerSchedule {
  /** theta = 2 / p_min. */
  readonly theta: number;
  /** gamma = 2 p_max / p_min. */
  readonly gamma: number;
  readonly pMin: number;
  readonly pMax: number;
}

/** One feasible tenant's learning problem. Arrays are frozen by convention: never write them. */
export interface TenantLearner {
  /** Index in scenario.tenants. */
  readonly index: number;
  readonly name: string;
  readonly target: number;
  readonly D: number;
  readonly localSteps: number;
  readonly stepSize: number;
  readonly noise: number;
  /** h_k, the diagonal of H_i (ascending). */
  readonly curvature: Float64Array;
  /** p_k = 1 - (1 - eta h_k)^E. */
  readonly contraction: Float64Array;
  /** s_k, standard deviation of one participant's accumulated SGD noise after E steps. */
  readonly noiseStd: Float64Array;
  /** The devices of E_i (global device indices, ascending); the learner's local index is the position. */
  readonly devices: Int32Array;
  /** a_ij over E_i (sums to 1), by local index. */
  readonly weight: Float64Array;
  /** Exact G_ij = ||grad f_ij(w*)||, by local index. */
  readonly G: Float64Array;
  readonly gMin: number;
  /** w* = sum_j a_ij w_ij*. */
  readonly optimum: Float64Array;
  /** delta_j = w_ij* - w*, row-major n x D (sum_j a_ij delta_j = 0). */
  readonly offsets: Float64Array;
  /** w_0. */
  readonly initial: Float64Array;
  readonly initialGap: number;
  readonly schedule: ServerSchedule;
  readonly knowledge: Knowledge;
}

export interface Learner {
  /** Per scenario tenant; null for tenants left out of the market (infeasible). */
  readonly tenants: readonly (TenantLearner | null)[];
  /** Exact w_ij = a_ij^2 G_ij^2 (learner's a, exact G), tenant-major over ALL scenario tenants. */
  readonly value: Float64Array;
  /** The weights tenants see: `value` ("oracle") or with estimated G ("estimated"). */
  readonly observedValue: Float64Array;
  /** The market over the feasible tenants (physics.marketTenants) with the exact weights. */
  readonly market: MarketInstance | null;
}

/**
 * Builds every feasible tenant's problem from the compiled scenario. Each tenant draws from its own
 * child stream of `rng` ("tenant/<name>", "estimate/<name>"), so tenants do not share draws.
 */
export function buildLearner(compiled: Compiled, rng: Rng, opts: LearnerOptions = {}): Learner {
  const { physics } = compiled;
  const { M, N } = physics;
  const [cLo, cHi] = opts.curvature ?? DEFAULT_CURVATURE;
  const initialGap = opts.initialGap ?? DEFAULT_INITIAL_GAP;
  const issues = [];
  if (!(cLo > 0 && cHi >= cLo && Number.isFinite(cHi)))
    issues.push({
      path: "curvature",
      message: `must be [min, max] with 0 < min <= max, got [${cLo}, ${cHi}]`,
    });
  if (!(initialGap > 0 && Number.isFinite(initialGap)))
    issues.push({ path: "initialGap", message: `must be a finite number > 0, got ${initialGap}` });
  if (
    opts.knowledgeNoise !== undefined &&
    !(opts.knowledgeNoise >= 0 && Number.isFinite(opts.knowledgeNoise))
  )
    issues.push({
      path: "knowledgeNoise",
      message: `must be a finite number >= 0, got ${opts.knowledgeNoise}`,
    });
  if (issues.length) throw new InputError(issues, "learner options");

  const value = new Float64Array(M * N);
  const observedValue = new Float64Array(M * N);
  const tenants: (TenantLearner | null)[] = physics.tenants.map((tp) => {
    if (tp.marketRow < 0) return null;
    const i = tp.index;
    const s = tp.learner;
    const D = s.dimension;
    const E = s.localSteps;
    const eta = s.stepSize;
    // spectrum: top capped at 1/eta so 0 <= 1 - eta h_k < 1 for every coordinate
    const L = Math.min(cHi, 1 / eta);
    const mu = (L * cLo) / cHi;
    const h = new Float64Array(D);
    for (let k = 0; k < D; k++) h[k] = D === 1 ? L : mu * (L / mu) ** (k / (D - 1));
    const p = new Float64Array(D);
    const sd = new Float64Array(D);
    for (let k = 0; k < D; k++) {
      const r = 1 - eta * h[k];
      p[k] = 1 - r ** E;
      const geo = r === 0 ? 1 : (1 - r ** (2 * E)) / (1 - r * r);
      sd[k] = eta * s.noise * Math.sqrt(geo);
    }
    const idx: number[] = [];
    let total = 0;
    for (let j = 0; j < N; j++) {
      if (physics.eligible[i * N + j] && physics.value[i * N + j] > 0) {
        idx.push(j);
        total += physics.samples[i * N + j];
      }
    }
    const devices = Int32Array.from(idx);
    const n = devices.length;
    const a = new Float64Array(n);
    for (let l = 0; l < n; l++) a[l] = physics.samples[i * N + devices[l]] / total;

    const tr = rng.child(`tenant/${tp.name}`);
    const w0star = new Float64Array(D);
    for (let k = 0; k < D; k++) w0star[k] = tr.normal();
    const offsets = new Float64Array(n * D);
    const u = new Float64Array(D);
    for (let l = 0; l < n; l++) {
      unitVector(tr, u);
      const Gc = physics.heterogeneity[i * N + devices[l]];
      for (let k = 0; k < D; k++) offsets[l * D + k] = (Gc * u[k]) / h[k];
    }
    // true optimum and exact heterogeneity
    const shift = new Float64Array(D);
    for (let l = 0; l < n; l++) for (let k = 0; k < D; k++) shift[k] += a[l] * offsets[l * D + k];
    const optimum = new Float64Array(D);
    for (let k = 0; k < D; k++) optimum[k] = w0star[k] + shift[k];
    const G = new Float64Array(n);
    let gMin = Number.POSITIVE_INFINITY;
    for (let l = 0; l < n; l++) {
      let g2 = 0;
      for (let k = 0; k < D; k++) {
        const d = offsets[l * D + k] - shift[k];
        offsets[l * D + k] = d;
        g2 += (h[k] * d) ** 2;
      }
      // A lone device is its own optimum (G = 0); keep a tiny positive weight so the market still
      // counts it as eligible (w_ij = 0 means "cannot serve").
      G[l] = Math.max(Math.sqrt(g2), 1e-12);
      if (G[l] < gMin) gMin = G[l];
    }
    // w_0: a random direction scaled to the initial gap
    unitVector(tr, u);
    let quad = 0;
    for (let k = 0; k < D; k++) quad += h[k] * u[k] * u[k];
    const t = Math.sqrt((2 * initialGap) / quad);
    const initial = new Float64Array(D);
    for (let k = 0; k < D; k++) initial[k] = optimum[k] + t * u[k];

    const knowledge: Knowledge = opts.knowledge ?? s.knowledge ?? "oracle";
    const sigmaK = opts.knowledgeNoise ?? s.knowledgeNoise ?? DEFAULT_KNOWLEDGE_NOISE;
    const er = rng.child(`estimate/${tp.name}`);
    for (let l = 0; l < n; l++) {
      const k = i * N + devices[l];
      value[k] = a[l] * a[l] * G[l] * G[l];
      const Gobs = knowledge === "estimated" ? G[l] * Math.exp(sigmaK * er.normal()) : G[l];
      observedValue[k] = a[l] * a[l] * Gobs * Gobs;
    }
    let pMin = Number.POSITIVE_INFINITY;
    let pMax = 0;
    for (let k = 0; k < D; k++) {
      pMin = Math.min(pMin, p[k]);
      pMax = Math.max(pMax, p[k]);
    }
    return {
      index: i,
      name: tp.name,
      target: tp.target,
      D,
      localSteps: E,
      stepSize: eta,
      noise: s.noise,
      curvature: h,
      contraction: p,
      noiseStd: sd,
      devices,
      weight: a,
      G,
      gMin,
      optimum,
      offsets,
      initial,
      initialGap: lossGapOf(h, optimum, initial),
      schedule: { theta: 2 / pMin, gamma: (2 * pMax) / pMin, pMin, pMax },
      knowledge,
    };
  });

  const rows = physics.marketTenants;
  let market: MarketInstance | null = null;
  if (rows.length > 0) {
    const cost = new Float64Array(rows.length * N);
    const v = new Float64Array(rows.length * N);
    const budget = new Float64Array(rows.length);
    rows.forEach((i, r) => {
      cost.set(physics.cost.subarray(i * N, (i + 1) * N), r * N);
      v.set(value.subarray(i * N, (i + 1) * N), r * N);
      budget[r] = physics.tenants[i].budget;
    });
    market = fromArrays({ M: rows.length, N, tau: physics.tau, cost, value: v, budget });
  }
  return { tenants, value, observedValue, market };
}

function unitVector(rng: Rng, out: Float64Array): void {
  let n2 = 0;
  do {
    n2 = 0;
    for (let k = 0; k < out.length; k++) {
      out[k] = rng.normal();
      n2 += out[k] * out[k];
    }
  } while (!(n2 > 0));
  const inv = 1 / Math.sqrt(n2);
  for (let k = 0; k < out.length; k++) out[k] *= inv;
}

function lossGapOf(h: Float64Array, opt: Float64Array, w: Float64Array): number {
  let g = 0;
  for (let k = 0; k < h.length; k++) {
    const e = w[k] - opt[k];
    g += h[k] * e * e;
  }
  return 0.5 * g;
}

/** F_i(w) - F_i*, exact. */
export function lossGap(t: TenantLearner, w: Float64Array): number {
  return lossGapOf(t.curvature, t.optimum, w);
}

/** One participant's update Delta_ij in closed form (device by its local index). */
export function localUpdate(t: TenantLearner, local: number, w: Float64Array, rng: Rng): Float64Array {
  const { D } = t;
  const out = new Float64Array(D);
  for (let k = 0; k < D; k++) {
    const target = t.optimum[k] + t.offsets[local * D + k];
    out[k] = t.contraction[k] * (target - w[k]) + t.noiseStd[k] * rng.normal();
  }
  return out;
}

/** The same update by E explicit SGD steps (slow; the reference the closed form is tested against). */
export function localUpdateSgd(t: TenantLearner, local: number, w: Float64Array, rng: Rng): Float64Array {
  const { D } = t;
  const x = Float64Array.from(w);
  for (let e = 0; e < t.localSteps; e++) {
    for (let k = 0; k < D; k++) {
      const target = t.optimum[k] + t.offsets[local * D + k];
      const grad = t.curvature[k] * (x[k] - target) + t.noise * rng.normal();
      x[k] -= t.stepSize * grad;
    }
  }
  for (let k = 0; k < D; k++) x[k] -= w[k];
  return x;
}

/**
 * zeta: the variance of the rule's total weight sum_{j in S} omega_j over participation sets.
 * Unbiased: sum_{q_j > 0} a_j^2 (1/q_j - 1). FedAvg: 0 (its weights sum to 1 whenever S is not empty).
 */
export function weightVariance(rule: AggregationRule, a: Float64Array, q: Float64Array): number {
  if (rule === "fedavg") return 0;
  let z = 0;
  for (let j = 0; j < a.length; j++) if (q[j] > 0) z += a[j] * a[j] * (1 / q[j] - 1);
  return z;
}

/** eta_r = min(theta / (r + gamma), 1 / (p_max (1 + 2 zeta))). */
export function serverStepSize(t: TenantLearner, round: number, zeta: number): number {
  const { theta, gamma, pMax } = t.schedule;
  return Math.min(theta / (round + gamma), 1 / (pMax * (1 + 2 * zeta)));
}

/** Reusable buffers for `roundUpdate` (one per tenant; contents are scratch, never state). */
export interface RoundScratch {
  readonly deltas: Float64Array[];
  readonly mask: Uint8Array;
  readonly agg: Float64Array;
  readonly error: Float64Array;
}

export function createScratch(t: TenantLearner): RoundScratch {
  const n = t.devices.length;
  const buf = new Float64Array(n * t.D);
  const deltas = Array.from({ length: n }, (_, l) => buf.subarray(l * t.D, (l + 1) * t.D));
  return { deltas, mask: new Uint8Array(n), agg: new Float64Array(t.D), error: new Float64Array(t.D) };
}

/**
 * One round of the tenant's learner: participants (local indices, each with q > 0) run their local
 * steps from w, the rule aggregates, the server steps. Returns a NEW model vector (w is not touched);
 * with no participant it returns w itself (an empty round changes nothing). `q` is by local index;
 * `zeta` = weightVariance(rule, a, q) (passed in: it is constant between market steps).
 */
export function roundUpdate(
  t: TenantLearner,
  w: Float64Array,
  round: number,
  rule: AggregationRule,
  q: Float64Array,
  zeta: number,
  participants: Int32Array,
  rng: Rng,
  scratch: RoundScratch = createScratch(t),
): Float64Array {
  if (participants.length === 0) return w;
  const { D, contraction: p, offsets, weight: a } = t;
  const e = scratch.error;
  for (let k = 0; k < D; k++) e[k] = w[k] - t.optimum[k];
  // deterministic part of each participant's update: P (w_ij* - w) = P (delta_j - e)
  let aS = 0;
  for (let s = 0; s < participants.length; s++) {
    const l = participants[s];
    const d = scratch.deltas[l];
    for (let k = 0; k < D; k++) d[k] = p[k] * (offsets[l * D + k] - e[k]);
    scratch.mask[l] = 1;
    aS += a[l];
  }
  const agg = aggregate(rule, scratch.deltas, a, q, scratch.mask, scratch.agg);
  // the aggregated noise: sum_S omega_j n_j ~ N(0, s_k^2 sum_S omega_j^2)
  let w2 = 0;
  for (let s = 0; s < participants.length; s++) {
    const l = participants[s];
    const om = rule === "fedavg" ? (aS > 0 ? a[l] / aS : 0) : a[l] / q[l];
    w2 += om * om;
    scratch.mask[l] = 0;
  }
  const std = Math.sqrt(w2);
  const eta = serverStepSize(t, round, zeta);
  const out = new Float64Array(D);
  for (let k = 0; k < D; k++) out[k] = w[k] + eta * (agg[k] + t.noiseStd[k] * std * rng.normal());
  return out;
}

/**
 * The exact expected loss gap E[F_i(w_r)] - F_i* for r = 0..rounds under the UNBIASED rule with fixed
 * participation q (by local index; q_j = 0 allowed: that device's data is then missing, and the
 * recursion shows the resulting bias). Per coordinate, with Z = sum_j a_j X_j, Y = sum_j a_j X_j delta_j,
 * X_j = 1{j in S}/q_j:
 *   m' = (1 - eta p A) m + eta p muY,
 *   x' = [(1 - eta p A)^2 + eta^2 p^2 zeta] x + 2 eta p m (muY - eta p (c + A muY))
 *        + eta^2 p^2 (b + muY^2) + eta^2 s^2 nu,
 * where m = E e_k, x = E e_k^2, A = sum_{q>0} a, muY = sum_{q>0} a delta, zeta = Var Z,
 * c = Cov(Z, Y) = sum a^2 (1/q - 1) delta, b = Var Y = sum a^2 (1/q - 1) delta^2, nu = sum a^2 / q.
 */
export function expectedGapCurve(t: TenantLearner, q: Float64Array, rounds: number): Float64Array {
  const { D, weight: a, offsets } = t;
  const n = a.length;
  if (q.length !== n) throw new RangeError(`q has length ${q.length}, the learner has ${n} devices`);
  let A = 0;
  let zeta = 0;
  let nu = 0;
  const muY = new Float64Array(D);
  const c = new Float64Array(D);
  const b = new Float64Array(D);
  for (let l = 0; l < n; l++) {
    if (!(q[l] > 0)) continue;
    const v = a[l] * a[l] * (1 / q[l] - 1);
    A += a[l];
    zeta += v;
    nu += (a[l] * a[l]) / q[l];
    for (let k = 0; k < D; k++) {
      const d = offsets[l * D + k];
      muY[k] += a[l] * d;
      c[k] += v * d;
      b[k] += v * d * d;
    }
  }
  const m = new Float64Array(D);
  const x = new Float64Array(D);
  for (let k = 0; k < D; k++) {
    m[k] = t.initial[k] - t.optimum[k];
    x[k] = m[k] * m[k];
  }
  const out = new Float64Array(rounds + 1);
  const gapOf = () => {
    let g = 0;
    for (let k = 0; k < D; k++) g += t.curvature[k] * x[k];
    return 0.5 * g;
  };
  out[0] = gapOf();
  for (let r = 0; r < rounds; r++) {
    const eta = serverStepSize(t, r, zeta);
    for (let k = 0; k < D; k++) {
      const ep = eta * t.contraction[k];
      const s2 = t.noiseStd[k] ** 2;
      const xk =
        ((1 - ep * A) ** 2 + ep * ep * zeta) * x[k] +
        2 * ep * m[k] * (muY[k] - ep * (c[k] + A * muY[k])) +
        ep * ep * (b[k] + muY[k] * muY[k]) +
        eta * eta * s2 * nu;
      m[k] = (1 - ep * A) * m[k] + ep * muY[k];
      x[k] = xk;
    }
    out[r + 1] = gapOf();
  }
  return out;
}

/** The bound's constants for this learner, with the pieces they are made of (docs/learner.md). */
export interface LearnerBound extends BoundConstants {
  /** gamma and theta of the server schedule. */
  readonly gamma: number;
  readonly theta: number;
  readonly pMin: number;
  readonly pMax: number;
  readonly gMin: number;
  /** alpha = alphaHeterogeneity + alphaNoise + alphaStart. */
  readonly alphaHeterogeneity: number;
  readonly alphaNoise: number;
  readonly alphaStart: number;
}

/**
 * alpha_i, beta_i of E[F_i(w_Gamma)] - F_i* <= (alpha_i V_i(q) + beta_i) / Gamma (every Gamma >= 1) for
 * the unbiased rule with fixed q, every q_ij > 0 (MODEL.md section 3). Derived for this learner in the
 * style of Li et al., "On the Convergence of FedAvg on Non-IID Data" (ICLR 2020), Theorem 3 (partial
 * participation): a one-round contraction of E (w - w*)_k^2 with a variance term, then induction on
 * 1/(r + gamma) under the decaying step theta / (r + gamma). With
 *   A_k = theta^2 / (theta p_k - 1) + (gamma + 1) / (p_max p_k),  kappa = p_max / p_min,
 *   alphaHeterogeneity = max_k A_k p_k^2 / h_k,
 *   alphaNoise         = sum_k A_k h_k s_k^2 / (2 G_min^2),
 *   alphaStart         = kappa (F(w_0) - F*) / G_min^2,
 *   beta               = gamma (F(w_0) - F*) / 4,
 * G_min = min_j G_ij over E_i. The proof is in docs/learner.md. For piecewise-constant q (prices change
 * at market steps) it holds with the largest V over the rounds.
 */
export function boundConstants(t: TenantLearner): LearnerBound {
  const { theta, gamma, pMin, pMax } = t.schedule;
  let het = 0;
  let noise = 0;
  for (let k = 0; k < t.D; k++) {
    const p = t.contraction[k];
    const h = t.curvature[k];
    const Ak = (theta * theta) / (theta * p - 1) + (gamma + 1) / (pMax * p);
    het = Math.max(het, (Ak * p * p) / h);
    noise += Ak * h * t.noiseStd[k] ** 2;
  }
  const g2 = t.gMin * t.gMin;
  const alphaNoise = noise / (2 * g2);
  const alphaStart = ((pMax / pMin) * t.initialGap) / g2;
  return {
    alpha: het + alphaNoise + alphaStart,
    beta: (gamma * t.initialGap) / 4,
    eps: t.target,
    gamma,
    theta,
    pMin,
    pMax,
    gMin: t.gMin,
    alphaHeterogeneity: het,
    alphaNoise,
    alphaStart,
  };
}

/**
 * The sharper per-round form the constants come from (same proof, before the last relaxation):
 *   sum_k h_k/2 [A_k C_k / (r + gamma) + (w_0 - w*)_k^2 (gamma' / (r + gamma'))^2],
 * with C_k bounded through V as in boundConstants and gamma' = max(gamma, 2 kappa (1 + 2 zeta)),
 * zeta <= V / G_min^2. Useful to see how much of the looseness is the 1/Gamma form.
 */
export function boundGapAt(t: TenantLearner, V: number, round: number): number {
  const b = boundConstants(t);
  const kappa = b.pMax / b.pMin;
  const gp = Math.max(b.gamma, 2 * kappa * (1 + (2 * V) / (b.gMin * b.gMin)));
  let start = 0;
  for (let k = 0; k < t.D; k++) start += 0.5 * t.curvature[k] * (t.initial[k] - t.optimum[k]) ** 2;
  return ((b.alphaHeterogeneity + b.alphaNoise) * V) / (round + b.gamma) + start * (gp / (round + gp)) ** 2;
}

/** V_i(q) over the learner's devices with the exact weights (q by local index). */
export function learnerValuation(t: TenantLearner, q: Float64Array): number {
  let V = 0;
  for (let l = 0; l < t.weight.length; l++) {
    if (!(q[l] > 0)) return Number.POSITIVE_INFINITY;
    V += (t.weight[l] * t.weight[l] * t.G[l] * t.G[l]) / q[l];
  }
  return V;
}
