/**
 * The equilibrium at one device for given budget multipliers, any tau (the kernel of
 * localEquilibrium.ts; MODEL.md section 3, docs/solver.md).
 *
 * With its multiplier nu_i known, tenant i's best response at device j minimises w/q + nu_i Pay(q).
 * Every eligible tenant keeps q_i > 0 (else V_i is infinite). Where the device is congested the
 * others' demand is D_-i(mu) = sum_{k != i} ((P_k - mu)/(tau c_k))^(1/(tau-1)), so the congestion
 * slope seen by i is mu'(q_i) = 1 / R_-i with R_-i = sum_{k != i} r_k, r_k = q_k^(2-tau)/((tau-1) tau c_k),
 * and the first-order condition w_i/q_i^2 = nu_i Pay'(q_i) reads, with y_i = w_i / nu_i,
 *
 *   phi_i(q) := tau^2 c_i q_i^(tau+1) + theta q_i^3 / R_-i + mu q_i^2 = y_i,        sum_i q_i = 1.
 *
 * theta = 1 and mu > 0: congested. mu = 0 and sum q < 1 at theta = 0: uncongested (theta plays no
 * part). In between lies the kink: mu = 0, capacity exactly used, and Pay has a left slope (theta = 0)
 * and a right slope (theta = 1) at q_i, so each tenant's condition holds as an inclusion and the
 * equilibria form a continuum. The selection rule: one common weight theta in [0, 1] on the
 * congestion term for every tenant at the device. It treats tenants alike (relabelling them
 * relabels the point; identical tenants get identical q) and is a function of nu alone, so every
 * method that goes through it reaches the same point.
 *
 * One parameter t >= 0 runs through both: theta = min(t, 1), mu = max(t - 1, 0) * muScale; the
 * demand sum_i q_i(t) falls as t grows, and t is found by a bracketed Newton solve. For each t the
 * q_i solve their conditions by Newton in log q (the R_-i couple them through one rank-one term).
 */

/** Scratch and results of one device's solve; arrays have one entry per eligible tenant. */
export interface DeviceProblem {
  /** number of eligible tenants */
  n: number;
  tau: number;
  c: Float64Array;
  y: Float64Array;
  /** in: warm start (0 = none); out: q_i */
  q: Float64Array;
  /** out: d log q_i / d t at the solution (for the Jacobian) */
  dq: Float64Array;
  /** scratch */
  a: Float64Array;
  b: Float64Array;
  d: Float64Array;
  r: Float64Array;
  rm: Float64Array;
  f: Float64Array;
  p: Float64Array;
}

export function deviceProblem(M: number): DeviceProblem {
  const f = () => new Float64Array(M);
  return {
    n: 0,
    tau: 2,
    c: f(),
    y: f(),
    q: f(),
    dq: f(),
    a: f(),
    b: f(),
    d: f(),
    r: f(),
    rm: f(),
    f: f(),
    p: f(),
  };
}

/** The device's state at the solution. */
export interface DeviceSolution {
  /** 0 uncongested, 1 kink (mu = 0, theta in [0, 1]), 2 congested (mu > 0) */
  kind: 0 | 1 | 2;
  t: number;
  mu: number;
  theta: number;
  muScale: number;
}

const UNCONGESTED = 0;
const KINK = 1;
const CONGESTED = 2;

/** q at theta = 0, mu = 0: (y / (tau^2 c))^(1/(tau+1)). */
export function uncongestedQ(y: number, c: number, tau: number): number {
  return (y / (tau * tau * c)) ** (1 / (tau + 1));
}

/**
 * Solves phi_i(q) = y_i for all i at fixed theta, mu (Newton in v = log q; the coupling through
 * R_-i is a rank-one term handled by one scalar elimination). q holds the start and the answer.
 * Returns max |log phi_i - log y_i|.
 */
function solveAt(P: DeviceProblem, theta: number, mu: number): number {
  const { n, tau, q, a, d, r, f } = P;
  const k2 = theta > 0 ? 2 - tau : 0;
  let worst = Number.POSITIVE_INFINITY;
  for (let it = 0; it < 100; it++) {
    residuals(P, theta, mu);
    worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(f[i]));
    if (worst <= 1e-15) return worst;
    // J = diag(a') + (2 - tau) d r^T with a' = a - (2 - tau) d r (R_-i excludes i itself):
    // dv = -(f + d dR) / a', dR = (2 - tau) sum_k r_k dv_k.
    let sF = 0;
    let sD = 0;
    for (let i = 0; i < n; i++) {
      a[i] -= k2 * d[i] * r[i];
      sF += (r[i] * f[i]) / a[i];
      sD += (r[i] * d[i]) / a[i];
    }
    const dR = k2 !== 0 ? (-k2 * sF) / (1 + k2 * sD) : 0;
    let step = 1;
    for (let i = 0; i < n; i++) {
      const dv = Math.abs((f[i] + d[i] * dR) / a[i]);
      // at most a factor e^2 per step (log phi is convex and increasing in log q)
      if (dv * step > 2) step = 2 / dv;
    }
    for (let i = 0; i < n; i++) q[i] *= Math.exp((-step * (f[i] + d[i] * dR)) / a[i]);
  }
  return worst;
}

/** Fills r, rm (R_-i, by prefix and suffix sums), f, a, d, b at (theta, mu). */
function residuals(P: DeviceProblem, theta: number, mu: number): void {
  const { n, tau, c, y, q, a, b, d, r, rm, f, p } = P;
  const t2 = tau * tau;
  for (let i = 0; i < n; i++) {
    p[i] = tau === 2 ? q[i] : q[i] ** (tau - 1);
    r[i] = q[i] / (p[i] * (tau - 1) * tau * c[i]);
  }
  // R_-i without cancellation: prefix sums into rm, then add suffix sums
  let acc = 0;
  for (let i = 0; i < n; i++) {
    rm[i] = acc;
    acc += r[i];
  }
  acc = 0;
  for (let i = n - 1; i >= 0; i--) {
    rm[i] += acc;
    acc += r[i];
  }
  for (let i = 0; i < n; i++) {
    const qi = q[i];
    const own = t2 * c[i] * p[i] * qi * qi;
    const cong = theta > 0 ? (theta * qi * qi * qi) / rm[i] : 0;
    const cm = mu * qi * qi;
    const phi = own + cong + cm;
    f[i] = Math.log(phi / y[i]);
    // d log phi / d v_i at fixed R_-i; d_i = d log phi_i / d R_-i; b_i = d log phi_i / d mu
    a[i] = ((tau + 1) * own + 3 * cong + 2 * cm) / phi;
    d[i] = -cong / (rm[i] * phi);
    b[i] = (qi * qi) / phi;
  }
}

/**
 * Solves one device with n >= 2 eligible tenants (the caller handles n <= 1). `warmT` >= 0 is a
 * starting t (negative: none); q may hold a warm start (all entries > 0) or zeros.
 */
export function solveDevice(P: DeviceProblem, warmT: number): DeviceSolution {
  const { n, tau, c, y, q } = P;
  // uncongested answers; if they fit, done
  let sumU = 0;
  for (let i = 0; i < n; i++) sumU += uncongestedQ(y[i], c[i], tau);
  let muScale = 0;
  for (let i = 0; i < n; i++) muScale += tau * c[i];
  muScale /= n;
  if (sumU <= 1) {
    for (let i = 0; i < n; i++) q[i] = uncongestedQ(y[i], c[i], tau);
    return { kind: UNCONGESTED, t: 0, mu: 0, theta: 0, muScale };
  }
  const warm = warmT >= 0 && q.subarray(0, n).every((x) => x > 0);
  if (!warm) for (let i = 0; i < n; i++) q[i] = uncongestedQ(y[i], c[i], tau) / sumU;
  // g(t) = sum q(t) - 1 is decreasing; bracket [lo, hi] with g(lo) > 0 >= g(hi)
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  let t = warm ? warmT : 1;
  const at = (tt: number) => {
    const theta = Math.min(tt, 1);
    const mu = tt > 1 ? (tt - 1) * muScale : 0;
    solveAt(P, theta, mu);
    let g = -1;
    for (let i = 0; i < n; i++) g += q[i];
    return g;
  };
  let g = at(t);
  for (let it = 0; it < 200; it++) {
    if (g > 0) lo = t;
    else hi = t;
    if (Math.abs(g) <= 1e-15 || (Number.isFinite(hi) && hi - lo <= 1e-15 * Math.max(1, hi))) break;
    const slope = dSum(P, t, muScale);
    let next = slope < 0 ? t - g / slope : Number.NaN;
    if (!(next > lo && next < hi)) next = Number.isFinite(hi) ? 0.5 * (lo + hi) : Math.max(2 * t, t + 1);
    t = next;
    g = at(t);
  }
  // exact capacity: remove the last ulps
  if (g > 0) {
    const s = g + 1;
    for (let i = 0; i < n; i++) q[i] /= s;
  }
  dSum(P, t, muScale);
  const theta = Math.min(t, 1);
  const mu = t > 1 ? (t - 1) * muScale : 0;
  return { kind: t > 1 ? CONGESTED : KINK, t, mu, theta, muScale };
}

/**
 * d sum_i q_i / d t at the current point (refreshes the residual terms); fills P.dq with
 * u = d log q_i / d t and leaves a' = a - (2 - tau) d r in P.a. theta' = 1 below t = 1, mu' = muScale above.
 */
function dSum(P: DeviceProblem, t: number, muScale: number): number {
  const theta = Math.min(t, 1);
  const mu = t > 1 ? (t - 1) * muScale : 0;
  residuals(P, theta, mu);
  const { n, tau, q, a, b, d, r, rm, dq } = P;
  const k2 = theta > 0 ? 2 - tau : 0;
  const ft = P.f; // reused for d log phi_i / d t
  let sF = 0;
  let sD = 0;
  for (let i = 0; i < n; i++) {
    const qi = q[i];
    ft[i] = t < 1 ? (qi * b[i]) / rm[i] : b[i] * muScale; // q^3 / (R_-i phi) = q b / R_-i
    a[i] -= k2 * d[i] * r[i];
    sF += (r[i] * ft[i]) / a[i];
    sD += (r[i] * d[i]) / a[i];
  }
  const dR = k2 !== 0 ? (-k2 * sF) / (1 + k2 * sD) : 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    dq[i] = -(ft[i] + d[i] * dR) / a[i];
    s += q[i] * dq[i];
  }
  return s;
}

/**
 * d log q_i / d log nu_k at a kink or congested solution (after solveDevice, whose last dSum left
 * a', d, r, u = P.dq in place), written into out[i * n + k], and d t / d log nu_k into dt[k].
 * F_i = log phi_i - log y_i with log y_i = log w_i - log nu_i, so dF_i / d log nu_k = delta_ik, and
 * sum_i q_i = 1 holds throughout: dv = -J^-1 e_k + u dt_k with dt_k = (q . J^-1 e_k) / (q . u), since
 * J^-1 dF/dt = -u.
 */
export function deviceSensitivity(
  P: DeviceProblem,
  sol: DeviceSolution,
  out: Float64Array,
  dt: Float64Array,
): void {
  const { n, tau, q, a, d, r, dq: u } = P;
  const k2 = sol.theta > 0 ? 2 - tau : 0;
  let sD = 0;
  let sQD = 0;
  let qu = 0;
  for (let i = 0; i < n; i++) {
    sD += (r[i] * d[i]) / a[i];
    sQD += (q[i] * d[i]) / a[i];
    qu += q[i] * u[i];
  }
  for (let k = 0; k < n; k++) {
    // z = J^-1 e_k: z_i = (delta_ik - d_i g) / a'_i with g = (2 - tau) r_k / (a'_k (1 + (2 - tau) sD))
    const g = (k2 * r[k]) / (a[k] * (1 + k2 * sD));
    const qz = q[k] / a[k] - g * sQD;
    const dtk = qu !== 0 ? qz / qu : 0;
    dt[k] = dtk;
    for (let i = 0; i < n; i++) {
      const z = ((i === k ? 1 : 0) - d[i] * g) / a[i];
      out[i * n + k] = -z + u[i] * dtk;
    }
  }
}
