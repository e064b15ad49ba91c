import { genericBestResponse } from "./genericBestResponse.ts";
import type { MarketInstance } from "./instance.ts";
import { deviceWaterFill } from "./waterFill.ts";

/**
 * Tenant i's best response to the other tenants' prices (MODEL.md section 3):
 *
 *   minimise V_i(q_i) = sum_{j in E_i} w_ij / q_ij   subject to   sum_j Pay_ij(q_ij) <= B_i.
 *
 * Work in participation space: each device contributes a one-dimensional problem
 *   min_q  w_ij / q + nu Pay_ij(q),   q in (0, 1],
 * and one budget multiplier nu is set so the budget binds. The first-order condition is
 * phi(q) := q^2 Pay'(q) = w_ij / nu; for 1 < tau <= 2, Pay is convex, so phi is increasing and the
 * solution is unique and exact. For tau = 2 the congestion price is piecewise linear in q, so each
 * piece gives a cubic (the fast path). Other tau use genericBestResponse.ts (each device's problem
 * parameterised by its congestion price, no nested root-finding); for tau > 2 each one-dimensional
 * problem is searched globally on a grid and the duality gap is reported.
 */
export interface BestResponse {
  /** Tenant i's prices P_ij (length N); 0 on ineligible devices. */
  readonly prices: Float64Array;
  /** The participation q_ij the prices buy (length N), given the others' prices. */
  readonly participation: Float64Array;
  /** V_i at the best response. */
  readonly objective: number;
  /** sum_j P_ij q_ij at the best response (<= B_i). */
  readonly spend: number;
  /** V_i at the current prices (before responding); Infinity if some eligible q_ij is 0. */
  readonly currentObjective: number;
  /** The budget multiplier nu (0 when the budget does not bind). */
  readonly nu: number;
  /** False when buying all capacity of every eligible device costs less than B_i. */
  readonly budgetBinds: boolean;
  /** Relative duality gap (V - dual bound) / V; 0 up to rounding when tau <= 2. */
  readonly dualityGap: number;
  /** True when the solution is exact (tau <= 2). */
  readonly exact: boolean;
}

export interface BestResponseOptions {
  /** Warm start for the budget multiplier (e.g. the previous response's nu). */
  readonly nuHint?: number;
  /** Force the generic numerical path (for cross-checks); default: fast path when tau = 2. */
  readonly method?: "auto" | "generic";
}

/**
 * Spend target slightly under B_i so that rounding never pushes spend over the budget: the
 * multiplier search accepts any spend within TOLERANCE * B_i of the target, which stays below B_i.
 */
const BUDGET_SLACK = 5e-13;
const TOLERANCE = 4e-13;

export function tenantBestResponse(
  m: MarketInstance,
  prices: Float64Array,
  i: number,
  opts: BestResponseOptions = {},
): BestResponse {
  if (!(Number.isInteger(i) && i >= 0 && i < m.M))
    throw new RangeError(`tenant index ${i} out of range 0..${m.M - 1}`);
  if (prices.length !== m.M * m.N)
    throw new RangeError(`prices has length ${prices.length}, expected ${m.M * m.N}`);
  if (m.tau === 2 && opts.method !== "generic") return fastTau2(m, prices, i, opts.nuHint);
  return generic(m, prices, i, opts.nuHint);
}

/** V_i of tenant i's current participation at device-wise water-filling. */
function currentParticipation(
  m: MarketInstance,
  prices: Float64Array,
  i: number,
  j: number,
  p: Float64Array,
  c: Float64Array,
  q: Float64Array,
): number {
  const { M, N } = m;
  for (let k = 0; k < M; k++) {
    const idx = k * N + j;
    p[k] = m.value[idx] > 0 ? prices[idx] : 0;
    c[k] = m.cost[idx];
  }
  deviceWaterFill(p, c, m.tau, M, q);
  return q[i];
}

// ---------------------------------------------------------------------------------------------
// Fast path, tau = 2.
// On a piece where the other tenants' active set is fixed (size l, sums A_l = sum p_k r_k and
// R_l = sum r_k with r_k = 1/(2 c_k)), mu(q) = (A_l - 1 + q) / R_l; where the device is not
// congested, mu = 0. So mu(q) = a + b q piecewise, Pay(q) = a q + (b + 2c) q^2 and
// phi(q) = q^2 (a + beta q) with beta = 2 (b + 2c): a cubic, convex and increasing on its piece.
// ---------------------------------------------------------------------------------------------

interface Pieces {
  /** pieces per device (0 for ineligible devices). */
  count: Int32Array;
  /** piece data at j * M + k: start and end of the q-range, and mu(q) = a + b q. */
  qa: Float64Array;
  qb: Float64Array;
  a: Float64Array;
  b: Float64Array;
}

function buildPieces(m: MarketInstance, prices: Float64Array, i: number, current: Float64Array): Pieces {
  const { M, N } = m;
  const count = new Int32Array(N);
  const qa = new Float64Array(N * M);
  const qb = new Float64Array(N * M);
  const a = new Float64Array(N * M);
  const b = new Float64Array(N * M);
  const op = new Float64Array(M);
  const or = new Float64Array(M);
  const p = new Float64Array(M);
  const c = new Float64Array(M);
  const q = new Float64Array(M);
  for (let j = 0; j < N; j++) {
    if (!(m.value[i * N + j] > 0)) continue;
    current[j] = currentParticipation(m, prices, i, j, p, c, q);
    // others' active prices, sorted descending (insertion sort: M is small)
    let n = 0;
    for (let k = 0; k < M; k++) {
      if (k === i || !(p[k] > 0)) continue;
      const pk = p[k];
      const rk = 1 / (2 * c[k]);
      let s = n++;
      while (s > 0 && op[s - 1] < pk) {
        op[s] = op[s - 1];
        or[s] = or[s - 1];
        s--;
      }
      op[s] = pk;
      or[s] = rk;
    }
    let A = 0;
    let R = 0;
    for (let l = 0; l < n; l++) {
      A += op[l] * or[l];
      R += or[l];
    }
    const base = j * M;
    let cnt = 0;
    // uncongested piece [0, 1 - A_n]
    if (A < 1) {
      qa[base] = 0;
      qb[base] = 1 - A;
      a[base] = 0;
      b[base] = 0;
      cnt = 1;
    }
    // congested pieces, active set shrinking from n to 1 as q grows
    let Al = A;
    let Rl = R;
    for (let l = n; l >= 1; l--) {
      const pNext = l < n ? op[l] : 0;
      const start = Math.max(0, 1 - Al + pNext * Rl);
      const end = l === 1 ? 1 : 1 - Al + op[l - 1] * Rl;
      if (end > start) {
        qa[base + cnt] = start;
        qb[base + cnt] = Math.min(1, end);
        a[base + cnt] = (Al - 1) / Rl;
        b[base + cnt] = 1 / Rl;
        cnt++;
      }
      Al -= op[l - 1] * or[l - 1];
      Rl -= or[l - 1];
    }
    count[j] = cnt;
  }
  return { count, qa, qb, a, b };
}

/** Solves q^2 (a + beta q) = y on [lo, hi] by Newton from the right (convex, increasing there). */
function cubicRoot(a: number, beta: number, y: number, lo: number, hi: number): number {
  if (a === 0) return Math.min(hi, Math.max(lo, Math.cbrt(y / beta)));
  let q = hi;
  for (let it = 0; it < 100; it++) {
    const f = q * q * (a + beta * q) - y;
    const df = 2 * a * q + 3 * beta * q * q;
    const next = q - f / df;
    if (!(next < q)) break;
    if (next <= lo) return lo;
    if (q - next <= 1e-16 * q) {
      q = next;
      break;
    }
    q = next;
  }
  return q;
}

interface Eval {
  spend: number;
  /** d spend / d log nu */
  slope: number;
}

/** Fills q (and piece index) for multiplier nu; returns spend and its slope in log nu. */
function evalNu(
  m: MarketInstance,
  i: number,
  pc: Pieces,
  nu: number,
  q: Float64Array,
  piece: Int32Array,
): Eval {
  const { M, N } = m;
  let spend = 0;
  let slope = 0;
  for (let j = 0; j < N; j++) {
    const cnt = pc.count[j];
    if (cnt === 0) continue;
    const w = m.value[i * N + j];
    const c2 = 2 * m.cost[i * N + j];
    const y = w / nu;
    const base = j * M;
    let qq = 1;
    let k = cnt - 1;
    let interior = false;
    for (let s = 0; s < cnt; s++) {
      const a = pc.a[base + s];
      const beta = 2 * (pc.b[base + s] + c2);
      const hi = pc.qb[base + s];
      if (hi * hi * (a + beta * hi) >= y) {
        const lo = pc.qa[base + s];
        if (lo > 0 && lo * lo * (a + beta * lo) >= y) qq = lo;
        else {
          qq = cubicRoot(a, beta, y, lo, hi);
          interior = true;
        }
        k = s;
        break;
      }
    }
    q[j] = qq;
    piece[j] = k;
    const a = pc.a[base + k];
    const bb = pc.b[base + k] + c2;
    spend += qq * (a + bb * qq);
    if (interior) {
      const payPrime = a + 2 * bb * qq;
      const beta = 2 * bb;
      const phiPrime = 2 * a * qq + 3 * beta * qq * qq;
      slope -= (payPrime * y) / phiPrime;
    }
  }
  return { spend, slope };
}

function fastTau2(m: MarketInstance, prices: Float64Array, i: number, nuHint?: number): BestResponse {
  const { M, N } = m;
  const B = m.budget[i];
  const current = new Float64Array(N);
  const pc = buildPieces(m, prices, i, current);
  const q = new Float64Array(N);
  const piece = new Int32Array(N);
  const currentObjective = objectiveOf(m, i, current);

  // Budget does not bind when all capacity of every eligible device costs at most B.
  let payAll = 0;
  let guess = 0;
  for (let j = 0; j < N; j++) {
    const cnt = pc.count[j];
    if (cnt === 0) continue;
    const k = j * M + cnt - 1;
    const c = m.cost[i * N + j];
    payAll += pc.a[k] + pc.b[k] + 2 * c;
    guess += 2 * c * (m.value[i * N + j] / (4 * c)) ** (2 / 3);
  }
  const target = B * (1 - BUDGET_SLACK);
  let nu: number;
  let budgetBinds = true;
  if (payAll <= target) {
    budgetBinds = false;
    nu = 0;
    for (let j = 0; j < N; j++) {
      if (pc.count[j] === 0) continue;
      q[j] = 1;
      piece[j] = pc.count[j] - 1;
    }
  } else {
    nu = solveNu(
      (x) => evalNu(m, i, pc, Math.exp(x), q, piece),
      target,
      Math.log(nuHint && nuHint > 0 ? nuHint : (guess / B) ** 1.5),
    );
    evalNu(m, i, pc, nu, q, piece);
  }
  const out = new Float64Array(N);
  let spend = 0;
  for (let j = 0; j < N; j++) {
    if (pc.count[j] === 0) continue;
    const k = j * M + piece[j];
    const qq = q[j];
    out[j] = pc.a[k] + (pc.b[k] + 2 * m.cost[i * N + j]) * qq;
    spend += out[j] * qq;
  }
  return {
    prices: out,
    participation: q,
    objective: objectiveOf(m, i, q),
    spend,
    currentObjective,
    nu,
    budgetBinds,
    dualityGap: 0,
    exact: true,
  };
}

/**
 * Finds x = log nu with spend(x) within TOLERANCE (relative) of the target, by Newton steps
 * on log spend safeguarded with a bracket. Returns nu (not its log).
 */
function solveNu(f: (x: number) => Eval, target: number, x0: number): number {
  let lo = Number.NEGATIVE_INFINITY; // spend > target here
  let hi = Number.POSITIVE_INFINITY; // spend <= target here
  let x = Number.isFinite(x0) ? x0 : 0;
  for (let it = 0; it < 200; it++) {
    const { spend, slope } = f(x);
    if (Math.abs(spend - target) <= TOLERANCE * target) return Math.exp(x);
    if (spend > target) lo = x;
    else hi = x;
    let next = Number.NaN;
    if (slope < 0 && spend > 0) next = x - (Math.log(spend) - Math.log(target)) / (slope / spend);
    if (Number.isFinite(lo) && Number.isFinite(hi)) {
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (hi - lo <= 1e-15 * Math.max(1, Math.abs(hi))) return Math.exp(hi);
    } else if (!Number.isFinite(next)) next = spend > target ? x + 2 : x - 2;
    else next = Math.min(x + 8, Math.max(x - 8, next));
    x = next;
  }
  if (Number.isFinite(hi)) return Math.exp(hi);
  throw new Error("tenantBestResponse: budget multiplier search failed to find a feasible point");
}

function objectiveOf(m: MarketInstance, i: number, q: Float64Array): number {
  const { N } = m;
  let v = 0;
  for (let j = 0; j < N; j++) {
    const w = m.value[i * N + j];
    if (w > 0) v += q[j] > 0 ? w / q[j] : Number.POSITIVE_INFINITY;
  }
  return v;
}

function generic(m: MarketInstance, prices: Float64Array, i: number, nuHint?: number): BestResponse {
  const { M, N } = m;
  const r = genericBestResponse(m, prices, i, nuHint, BUDGET_SLACK, TOLERANCE);
  const current = new Float64Array(N);
  const p = new Float64Array(M);
  const c = new Float64Array(M);
  const qcol = new Float64Array(M);
  for (let j = 0; j < N; j++)
    if (m.value[i * N + j] > 0) current[j] = currentParticipation(m, prices, i, j, p, c, qcol);
  return {
    prices: r.prices,
    participation: r.q,
    objective: objectiveOf(m, i, r.q),
    spend: r.spend,
    currentObjective: objectiveOf(m, i, current),
    nu: r.nu,
    budgetBinds: r.budgetBinds,
    dualityGap: r.dualityGap,
    exact: m.tau <= 2,
  };
}
