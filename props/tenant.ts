import fc from "fast-check";
import type { MarketInstance } from "../market/instance.ts";
import { type DeviceView, paymentCurve } from "../market/supply.ts";
import { type BestResponse, tenantBestResponse } from "../market/tenantBestResponse.ts";
import { waterFill } from "../market/waterFill.ts";
import {
  type MarketArbOptions,
  type PriceArbOptions,
  seededUniform,
  type TenantCase,
  tenantCaseArb,
} from "./arbitraries.ts";

/**
 * Property suite for a tenant's best response (MODEL.md section 3): given the other tenants' prices,
 * tenant i posts P_i to minimise V_i(q_i) = sum_{j in E_i} w_ij / q_ij subject to
 * sum_j P_ij q_ij <= B_i, where q is the devices' water-filling response.
 *
 * - consistent: prices finite, >= 0, 0 where ineligible; the reported participation is the devices'
 *   water-filling response to them; the reported spend and objective match; spend <= B_i; inputs
 *   untouched.
 * - budget-binds: when buying all capacity of every eligible device (through the inverse supply
 *   curve) costs more than B_i, the response spends B_i (relative 1e-9); otherwise it buys all of
 *   it. The reported budgetBinds flag, if any, agrees.
 * - optimal: no budget-feasible change lowers V_i: random perturbations of the returned participation
 *   (priced through the inverse supply curve) and of the returned prices (priced by water-filling),
 *   each rescaled to spend the whole budget, never give V_i below the response's objective beyond a
 *   relative 1e-9 (plus the reported duality gap when the response says it is not exact, tau > 2).
 *   The response also does no worse than the current prices when those are within budget.
 */

/** The fields of a best response the suite checks (BestResponse has them all). */
export type TenantResponse = Pick<BestResponse, "prices" | "participation" | "objective" | "spend"> &
  Partial<Pick<BestResponse, "budgetBinds" | "exact" | "dualityGap">>;

/** A tenant best response: market, everyone's posted prices (tenant-major) and the tenant in. */
export type TenantResponseFn = (m: MarketInstance, prices: Float64Array, i: number) => TenantResponse;

export interface TenantSuiteOptions {
  readonly market?: MarketArbOptions;
  readonly prices?: PriceArbOptions;
  /** Cases to test on, replacing the generator built from `market` and `prices`. */
  readonly cases?: fc.Arbitrary<TenantCase>;
  /** Relative tolerance on V_i and on spending the budget (default 1e-9). */
  readonly relTol?: number;
  /** Random perturbations per case tried by optimal (default 16, half in each space). */
  readonly perturbations?: number;
  /** Cap on shrink steps after a failure (default 400). */
  readonly maxShrinks?: number;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(10) : String(x));

/** V_i(q_i) over eligible devices; Infinity if some eligible q_ij is 0. */
export function tenantObjective(m: MarketInstance, i: number, q: ArrayLike<number>, offset = 0): number {
  let v = 0;
  for (let j = 0; j < m.N; j++) {
    const w = m.value[i * m.N + j];
    if (w > 0) v += q[offset + j] > 0 ? w / q[offset + j] : Number.POSITIVE_INFINITY;
  }
  return v;
}

/** Tenant i's view of each device (null where ineligible): the others' prices and costs there. */
export function deviceViews(m: MarketInstance, prices: Float64Array, i: number): (DeviceView | null)[] {
  const { M, N, tau } = m;
  return Array.from({ length: N }, (_, j) => {
    if (!(m.value[i * N + j] > 0)) return null;
    const otherPrices: number[] = [];
    const otherCosts: number[] = [];
    for (let k = 0; k < M; k++) {
      if (k === i) continue;
      const idx = k * N + j;
      otherPrices.push(m.value[idx] > 0 ? prices[idx] : 0);
      otherCosts.push(m.cost[idx]);
    }
    return { otherPrices, otherCosts, cost: m.cost[i * N + j], tau };
  });
}

/** Cost of buying all capacity of every eligible device, sum_j Pay_ij(1). */
export function costOfEverything(views: readonly (DeviceView | null)[]): number {
  let s = 0;
  for (const v of views) if (v) s += paymentCurve(v, 1);
  return s;
}

/** Expected spend sum_j P_ij q_ij of tenant i when it posts `row` and devices water-fill. */
function spendAndObjective(m: MarketInstance, prices: Float64Array, i: number, row: Float64Array) {
  const all = prices.slice();
  all.set(row, i * m.N);
  const q = waterFill(m, all).participation;
  let spend = 0;
  for (let j = 0; j < m.N; j++) spend += row[j] * q[i * m.N + j];
  return { spend, objective: tenantObjective(m, i, q, i * m.N), q: q.subarray(i * m.N, (i + 1) * m.N) };
}

/**
 * Largest theta in [0, thetaMax] with spend(theta) <= B, for spend increasing in theta, by
 * bisection in log theta (60 steps: relative precision ~1e-15 of the bracket).
 */
function fitBudget(spend: (theta: number) => number, B: number, thetaMax: number): number {
  if (spend(thetaMax) <= B) return thetaMax;
  let lo = Math.log(thetaMax) - 1;
  while (spend(Math.exp(lo)) > B) {
    lo -= 4;
    if (lo < -700) return 0;
  }
  let hi = Math.log(thetaMax);
  for (let it = 0; it < 80 && hi - lo > 1e-15; it++) {
    const mid = 0.5 * (lo + hi);
    if (spend(Math.exp(mid)) <= B) lo = mid;
    else hi = mid;
  }
  return Math.exp(lo);
}

function check(cond: boolean, msg: () => string): asserts cond {
  if (!cond) throw new Error(msg());
}

/** The tenant suite's properties by name (see the file comment). */
export function tenantResponseProperties(
  impl: TenantResponseFn = tenantBestResponse,
  opts: TenantSuiteOptions = {},
) {
  const relTol = opts.relTol ?? 1e-9;
  const tries = opts.perturbations ?? 16;
  const cases = fc.limitShrink(opts.cases ?? tenantCaseArb(opts.market, opts.prices), opts.maxShrinks ?? 400);

  const respond = (c: TenantCase) => {
    const { market: m, prices, tenant: i } = c;
    const r = impl(m, prices.slice(), i);
    check(r.prices.length === m.N, () => `prices has length ${r.prices.length}, expected N = ${m.N}`);
    check(
      r.participation.length === m.N,
      () => `participation has length ${r.participation.length}, expected N = ${m.N}`,
    );
    return r;
  };

  const consistent = fc.property(cases, (c) => {
    const { market: m, prices, tenant: i } = c;
    const { N } = m;
    const before = prices.slice();
    const r = impl(m, prices, i);
    check(
      prices.every((p, k) => Object.is(p, before[k])),
      () => "the response modified the posted prices",
    );
    check(r.prices.length === N, () => `prices has length ${r.prices.length}, expected N = ${N}`);
    for (let j = 0; j < N; j++) {
      const p = r.prices[j];
      check(Number.isFinite(p) && p >= 0, () => `P[${i}][${j}] = ${p} is not a finite number >= 0`);
      check(
        m.value[i * N + j] > 0 || p === 0,
        () => `P[${i}][${j}] = ${p} but device ${j} is ineligible for tenant ${i}`,
      );
    }
    const actual = spendAndObjective(m, prices, i, r.prices);
    for (let j = 0; j < N; j++) {
      check(
        Math.abs(r.participation[j] - actual.q[j]) <= relTol * Math.max(actual.q[j], 1e-300) + 1e-15,
        () =>
          `reported q[${i}][${j}] = ${fmt(r.participation[j])}, but devices water-fill ` +
          `${fmt(actual.q[j])} at the returned prices`,
      );
    }
    const B = m.budget[i];
    check(
      actual.spend <= B * (1 + 1e-12),
      () => `spend ${fmt(actual.spend)} at the returned prices exceeds the budget ${fmt(B)}`,
    );
    check(
      Math.abs(r.spend - actual.spend) <= relTol * Math.max(B, actual.spend),
      () => `reported spend ${fmt(r.spend)}, actual ${fmt(actual.spend)}`,
    );
    check(
      Math.abs(r.objective - actual.objective) <= relTol * actual.objective ||
        r.objective === actual.objective,
      () =>
        `reported objective ${fmt(r.objective)}, but V_i at the returned prices is ${fmt(actual.objective)}`,
    );
  });

  const budgetBinds = fc.property(cases, (c) => {
    const { market: m, prices, tenant: i } = c;
    const r = respond(c);
    const B = m.budget[i];
    const everything = costOfEverything(deviceViews(m, prices, i));
    const actual = spendAndObjective(m, prices, i, r.prices);
    if (everything > B * (1 + relTol)) {
      check(
        actual.spend >= B * (1 - relTol),
        () =>
          `buying all capacity costs ${fmt(everything)} > budget ${fmt(B)}, yet the response spends only ` +
          `${fmt(actual.spend)} (${((100 * actual.spend) / B).toFixed(4)}% of the budget)`,
      );
      check(
        r.budgetBinds !== false,
        () => "budgetBinds is false, but buying all capacity exceeds the budget",
      );
    } else if (everything < B * (1 - relTol)) {
      for (let j = 0; j < m.N; j++) {
        if (!(m.value[i * m.N + j] > 0)) continue;
        check(
          actual.q[j] >= 1 - relTol,
          () =>
            `all capacity costs ${fmt(everything)} <= budget ${fmt(B)}, yet q[${i}][${j}] = ${fmt(actual.q[j])} < 1`,
        );
      }
      check(r.budgetBinds !== true, () => "budgetBinds is true, but all capacity fits in the budget");
    }
  });

  const optimal = fc.property(cases, fc.integer(), (c, seed) => {
    const { market: m, prices, tenant: i } = c;
    const { N } = m;
    const r = respond(c);
    const B = m.budget[i];
    const slack = relTol + (r.exact === false ? Math.max(0, r.dualityGap ?? 0) : 0);
    const floor = r.objective * (1 - slack);
    // the current prices, when within budget, are a feasible alternative
    const current = spendAndObjective(m, prices, i, prices.subarray(i * N, (i + 1) * N));
    if (current.spend <= B)
      check(
        r.objective <= current.objective * (1 + slack),
        () =>
          `the response's V_i = ${fmt(r.objective)} is worse than V_i = ${fmt(current.objective)} at the ` +
          `current prices, which are within budget (spend ${fmt(current.spend)} <= ${fmt(B)})`,
      );
    const views = deviceViews(m, prices, i);
    const q0 = r.participation;
    const rnd = seededUniform(seed);
    const sizes = [1e-4, 1e-2, 0.2, 1];
    const q1 = new Float64Array(N);
    const q2 = new Float64Array(N);
    const row = new Float64Array(N);
    for (let t = 0; t < tries; t++) {
      const size = sizes[t % sizes.length];
      const z = Array.from({ length: N }, () => size * (2 * rnd() - 1));
      if (t % 2 === 0) {
        // participation space: q' = q exp(z), then scaled by theta (capped at 1) to spend B
        for (let j = 0; j < N; j++)
          q1[j] = views[j] ? Math.min(1, Math.max(q0[j], 1e-300) * Math.exp(z[j])) : 0;
        const payAt = (theta: number) => {
          let s = 0;
          for (let j = 0; j < N; j++) {
            const v = views[j];
            if (v) s += paymentCurve(v, Math.min(1, theta * q1[j]));
          }
          return s;
        };
        const theta = fitBudget(
          payAt,
          B,
          1 / Math.min(...Array.from(q1).filter((x, j) => views[j] && x > 0), 1),
        );
        for (let j = 0; j < N; j++) q2[j] = Math.min(1, theta * q1[j]);
        const v = tenantObjective(m, i, q2);
        check(
          v >= floor,
          () =>
            `perturbed participation [${Array.from(q2, fmt).join(", ")}] costs ${fmt(payAt(theta))} <= ` +
            `budget ${fmt(B)} and gives V_i = ${fmt(v)} < objective ${fmt(r.objective)}`,
        );
      } else {
        // price space: P' = P exp(z) on eligible devices, scaled by theta to spend B after water-filling
        for (let j = 0; j < N; j++) row[j] = views[j] ? Math.max(r.prices[j], 1e-300) * Math.exp(z[j]) : 0;
        const scaled = new Float64Array(N);
        const spendAt = (theta: number) => {
          for (let j = 0; j < N; j++) scaled[j] = theta * row[j];
          return spendAndObjective(m, prices, i, scaled).spend;
        };
        const theta = fitBudget(spendAt, B, 1e6);
        for (let j = 0; j < N; j++) scaled[j] = theta * row[j];
        const alt = spendAndObjective(m, prices, i, scaled);
        check(
          alt.objective >= floor,
          () =>
            `perturbed prices [${Array.from(scaled, fmt).join(", ")}] spend ${fmt(alt.spend)} <= budget ` +
            `${fmt(B)} and give V_i = ${fmt(alt.objective)} < objective ${fmt(r.objective)}`,
        );
      }
    }
  });

  return {
    "tenant/consistent": consistent,
    "tenant/budget-binds": budgetBinds,
    "tenant/optimal": optimal,
  };
}
