import fc from "fast-check";
import { fromArrays, type MarketInstance } from "../market/instance.ts";
import { type SolveResult, solveStackelberg } from "../market/stackelberg.ts";
import { tenantBestResponse } from "../market/tenantBestResponse.ts";
import { waterFill } from "../market/waterFill.ts";
import { type MarketArbOptions, marketArb } from "./arbitraries.ts";
import { type TenantResponseFn, tenantObjective } from "./tenant.ts";

/**
 * Property suite for an equilibrium solver (MODEL.md section 3): at the returned prices,
 *
 * - nash: no tenant can improve V_i by more than `tol` (relative) by best-responding: the NashConv
 *   vector, recomputed here with the reference best response (or `respond`), has every entry <= tol;
 *   the solver's own nashConv, if reported, has one entry per tenant, each finite and >= 0.
 * - devices-rational: every device's utility lambda_j = sum_i (P_ij q_ij - c_ij q_ij^tau) is >= 0.
 * - water-filling: the returned participation is the devices' water-filling response to the
 *   returned prices (absolute 1e-9), and the prices are finite, >= 0 and 0 where ineligible;
 *   reported spend and objective, if any, match.
 * - budget: every tenant's spend sum_j P_ij q_ij is <= B_i.
 * - relabel: solving the market with its tenants in reverse order gives the same point with its
 *   rows reversed (participation to `qTol`, prices to `qTol` relative): the solution does not
 *   depend on tenant labels, even where the equilibrium is not unique (docs/solver.md).
 * - identical-tenants: a market with a copy of its first tenant appended (same costs, values,
 *   budget) gives the two copies the same participation (to `qTol`).
 */

/** The fields of a solution the suite checks (SolveResult has them all). */
export type EquilibriumPoint = Pick<SolveResult, "prices" | "participation"> &
  Partial<Pick<SolveResult, "nashConv" | "spend" | "objective">>;

/** An equilibrium solver: market in, prices and participation (tenant-major) out. */
export type SolveFn = (m: MarketInstance) => EquilibriumPoint;

export interface EquilibriumSuiteOptions {
  readonly market?: MarketArbOptions;
  /** Markets to test on, replacing the generator built from `market`. */
  readonly markets?: fc.Arbitrary<MarketInstance>;
  /** NashConv acceptance threshold (default 1e-6). */
  readonly tol?: number;
  /** Tolerance on participation against water-filling (absolute, default 1e-9). */
  readonly qTol?: number;
  /** Best response used to recompute NashConv (default: the reference tenantBestResponse). */
  readonly respond?: TenantResponseFn;
  /** Cap on shrink steps after a failure (default 200). */
  readonly maxShrinks?: number;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(8) : String(x));

/**
 * NashConv per tenant at the given prices, with participation by water-filling: the relative
 * improvement (V_i(now) - V_i(best response)) / V_i(now), never negative; 1 when V_i(now) is infinite.
 */
export function nashConvWith(
  m: MarketInstance,
  prices: Float64Array,
  respond: TenantResponseFn = tenantBestResponse,
): Float64Array {
  const q = waterFill(m, prices).participation;
  const out = new Float64Array(m.M);
  for (let i = 0; i < m.M; i++) {
    const now = tenantObjective(m, i, q, i * m.N);
    if (!Number.isFinite(now)) {
      out[i] = 1;
      continue;
    }
    const best = respond(m, prices.slice(), i).objective;
    out[i] = Math.max(0, (now - best) / now);
  }
  return out;
}

function check(cond: boolean, msg: () => string): asserts cond {
  if (!cond) throw new Error(msg());
}

/** The equilibrium suite's properties by name (see the file comment). */
export function equilibriumProperties(solve: SolveFn = solveStackelberg, opts: EquilibriumSuiteOptions = {}) {
  const tol = opts.tol ?? 1e-6;
  const qTol = opts.qTol ?? 1e-9;
  const respond = opts.respond ?? tenantBestResponse;
  const markets = fc.limitShrink(opts.markets ?? marketArb(opts.market), opts.maxShrinks ?? 200);

  const solution = (m: MarketInstance) => {
    const r = solve(m);
    const n = m.M * m.N;
    check(r.prices.length === n, () => `prices has length ${r.prices.length}, expected M*N = ${n}`);
    check(
      r.participation.length === n,
      () => `participation has length ${r.participation.length}, expected ${n}`,
    );
    return r;
  };

  const nash = fc.property(markets, (m) => {
    const r = solution(m);
    const nc = nashConvWith(m, r.prices, respond);
    for (let i = 0; i < m.M; i++)
      check(
        nc[i] <= tol,
        () =>
          `tenant ${i} can improve V_i by a relative ${fmt(nc[i])} > ${tol} by best-responding ` +
          `(NashConv = [${Array.from(nc, fmt).join(", ")}])`,
      );
    if (r.nashConv) {
      const rep = r.nashConv;
      check(rep.length === m.M, () => `reported nashConv has length ${rep.length}, expected M = ${m.M}`);
      for (let i = 0; i < m.M; i++)
        check(
          Number.isFinite(rep[i]) && rep[i] >= 0,
          () => `reported nashConv[${i}] = ${rep[i]} is not a finite number >= 0`,
        );
    }
  });

  const devicesRational = fc.property(markets, (m) => {
    const { M, N, tau } = m;
    const r = solution(m);
    for (let j = 0; j < N; j++) {
      let u = 0;
      let scale = 0;
      for (let i = 0; i < M; i++) {
        const k = i * N + j;
        if (!(m.value[k] > 0)) continue;
        const pay = r.prices[k] * r.participation[k];
        const cost = m.cost[k] * r.participation[k] ** tau;
        u += pay - cost;
        scale += Math.abs(pay) + cost;
      }
      check(u >= -1e-12 * scale, () => `device ${j} has utility ${fmt(u)} < 0 at the equilibrium`);
    }
  });

  const waterFilling = fc.property(markets, (m) => {
    const { M, N } = m;
    const r = solution(m);
    for (let k = 0; k < M * N; k++) {
      const p = r.prices[k];
      check(
        Number.isFinite(p) && p >= 0,
        () => `P[${Math.floor(k / N)}][${k % N}] = ${p} is not finite and >= 0`,
      );
      check(
        m.value[k] > 0 || p === 0,
        () => `P[${Math.floor(k / N)}][${k % N}] = ${p} on an ineligible pair`,
      );
    }
    const q = waterFill(m, r.prices).participation;
    for (let k = 0; k < M * N; k++)
      check(
        Math.abs(r.participation[k] - q[k]) <= qTol,
        () =>
          `q[${Math.floor(k / N)}][${k % N}] = ${fmt(r.participation[k])}, but devices water-fill ` +
          `${fmt(q[k])} at the returned prices`,
      );
    for (let i = 0; i < M; i++) {
      let spend = 0;
      for (let j = 0; j < N; j++) spend += r.prices[i * N + j] * q[i * N + j];
      const v = tenantObjective(m, i, q, i * N);
      if (r.spend)
        check(
          Math.abs(r.spend[i] - spend) <= 1e-9 * Math.max(spend, m.budget[i]),
          () => `reported spend[${i}] = ${fmt(r.spend?.[i] ?? Number.NaN)}, actual ${fmt(spend)}`,
        );
      if (r.objective)
        check(
          Math.abs(r.objective[i] - v) <= 1e-9 * v || r.objective[i] === v,
          () => `reported objective[${i}] = ${fmt(r.objective?.[i] ?? Number.NaN)}, actual V_i = ${fmt(v)}`,
        );
    }
  });

  const budget = fc.property(markets, (m) => {
    const { M, N } = m;
    const r = solution(m);
    const q = waterFill(m, r.prices).participation;
    for (let i = 0; i < M; i++) {
      let spend = 0;
      for (let j = 0; j < N; j++) spend += r.prices[i * N + j] * q[i * N + j];
      check(
        spend <= m.budget[i] * (1 + 1e-12),
        () => `tenant ${i} spends ${fmt(spend)} > budget ${fmt(m.budget[i])}`,
      );
    }
  });

  const rowsOf = (m: MarketInstance, order: number[]) => {
    const { N } = m;
    const cost = new Float64Array(order.length * N);
    const value = new Float64Array(order.length * N);
    order.forEach((i, r) => {
      cost.set(m.cost.subarray(i * N, (i + 1) * N), r * N);
      value.set(m.value.subarray(i * N, (i + 1) * N), r * N);
    });
    const budget = Float64Array.from(order, (i) => m.budget[i]);
    return fromArrays({ M: order.length, N, tau: m.tau, cost, value, budget });
  };
  const close = (a: number, b: number, rel: boolean) =>
    Math.abs(a - b) <= qTol * (rel ? Math.max(Math.abs(a), Math.abs(b)) : 1);

  const relabel = fc.property(markets, (m) => {
    const { M, N } = m;
    const order = Array.from({ length: M }, (_, i) => M - 1 - i);
    const a = solution(m);
    const b = solution(rowsOf(m, order));
    for (let r = 0; r < M; r++) {
      const i = order[r];
      for (let j = 0; j < N; j++) {
        const qa = a.participation[i * N + j];
        const qb = b.participation[r * N + j];
        check(
          close(qa, qb, false),
          () =>
            `tenant ${i} gets q[${j}] = ${fmt(qa)}, but ${fmt(qb)} once the tenants are listed in reverse order`,
        );
        const pa = a.prices[i * N + j];
        const pb = b.prices[r * N + j];
        check(
          close(pa, pb, true),
          () =>
            `tenant ${i} posts P[${j}] = ${fmt(pa)}, but ${fmt(pb)} once the tenants are listed in reverse order`,
        );
      }
    }
  });

  const identical = fc.property(markets, (m) => {
    const { M, N } = m;
    const twin = rowsOf(m, [...Array.from({ length: M }, (_, i) => i), 0]);
    const r = solution(twin);
    for (let j = 0; j < N; j++) {
      const q0 = r.participation[j];
      const q1 = r.participation[M * N + j];
      check(
        close(q0, q1, false),
        () =>
          `identical tenants 0 and ${M} get q[${j}] = ${fmt(q0)} and ${fmt(q1)} (difference ${fmt(q0 - q1)})`,
      );
    }
  });

  return {
    "equilibrium/nash": nash,
    "equilibrium/devices-rational": devicesRational,
    "equilibrium/water-filling": waterFilling,
    "equilibrium/budget": budget,
    "equilibrium/relabel": relabel,
    "equilibrium/identical-tenants": identical,
  };
}
