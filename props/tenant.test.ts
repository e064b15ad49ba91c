import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMarket, fromArrays, type MarketInstance } from "../market/instance.ts";
import { tenantBestResponse } from "../market/tenantBestResponse.ts";
import { waterFill } from "../market/waterFill.ts";
import { tenantCaseArb } from "./arbitraries.ts";
import { type PropertyResult, runSuite } from "./runner.ts";
import {
  costOfEverything,
  deviceViews,
  type TenantResponse,
  type TenantResponseFn,
  tenantObjective,
  tenantResponseProperties,
} from "./tenant.ts";

const SEED = 777;

function byName(results: PropertyResult[], name: string): PropertyResult {
  const r = results.find((x) => x.name === name);
  if (!r) throw new Error(`no result ${name}`);
  return r;
}

/** What the devices actually do when tenant i posts `row`: a fully consistent report. */
function honestReport(m: MarketInstance, prices: Float64Array, i: number, row: Float64Array): TenantResponse {
  const all = prices.slice();
  all.set(row, i * m.N);
  const participation = waterFill(m, all).participation.slice(i * m.N, (i + 1) * m.N);
  let spend = 0;
  for (let j = 0; j < m.N; j++) spend += row[j] * participation[j];
  return { prices: row, participation, spend, objective: tenantObjective(m, i, participation) };
}

/** Spends only 90% of the budget. */
const ninetyPercent: TenantResponseFn = (m, prices, i) => {
  const budget = m.budget.slice();
  budget[i] *= 0.9;
  return tenantBestResponse(fromArrays({ ...m, budget }), prices, i);
};

/** Perturbs the optimal prices by a few percent (and reports honestly what they buy). */
const perturbed: TenantResponseFn = (m, prices, i) => {
  const br = tenantBestResponse(m, prices, i);
  return honestReport(
    m,
    prices,
    i,
    br.prices.map((p, j) => p * (1 + 0.03 * Math.sin(3 * j + 1))),
  );
};

/** Perturbs the optimal prices, then rescales them to spend exactly the budget: only optimality can tell. */
const perturbedOnBudget: TenantResponseFn = (m, prices, i) => {
  const br = tenantBestResponse(m, prices, i);
  const row = br.prices.map((p, j) => p * (1 + 0.05 * Math.sin(3 * j + 1)));
  if (!br.budgetBinds) return honestReport(m, prices, i, br.prices);
  let lo = 0;
  let hi = 2;
  for (let it = 0; it < 100; it++) {
    const s = 0.5 * (lo + hi);
    if (
      honestReport(
        m,
        prices,
        i,
        row.map((p) => p * s),
      ).spend <= m.budget[i]
    )
      lo = s;
    else hi = s;
  }
  return honestReport(
    m,
    prices,
    i,
    row.map((p) => p * lo),
  );
};

/** Best-responds as if alone on the market (ignores the rivals' prices), reports the real outcome. */
const ignoresRivals: TenantResponseFn = (m, prices, i) => {
  const br = tenantBestResponse(m, new Float64Array(m.M * m.N), i);
  return honestReport(m, prices, i, br.prices);
};

/** Right prices, but reports the participation at the current prices (before responding). */
const staleParticipation: TenantResponseFn = (m, prices, i) => {
  const br = tenantBestResponse(m, prices, i);
  const q = waterFill(m, prices).participation.slice(i * m.N, (i + 1) * m.N);
  return { ...br, participation: q };
};

describe("tenant suite on the built-in best response", () => {
  it("passes every property (tau = 2, fast path)", () => {
    const results = runSuite(tenantResponseProperties(), { seed: SEED, numRuns: 150 });
    expect(results.map((r) => r.name)).toEqual([
      "tenant/consistent",
      "tenant/budget-binds",
      "tenant/optimal",
    ]);
    for (const r of results) expect(r, r.error).toMatchObject({ passed: true, numRuns: 150 });
  });

  it("passes with the generic path at tau = 2 and for tau in (1, 2]", () => {
    const generic: TenantResponseFn = (m, p, i) => tenantBestResponse(m, p, i, { method: "generic" });
    for (const r of runSuite(tenantResponseProperties(generic), { seed: SEED, numRuns: 15 }))
      expect(r, r.error).toMatchObject({ passed: true });
    const convex = tenantResponseProperties(tenantBestResponse, { market: { tau: { min: 1.1, max: 2 } } });
    for (const r of runSuite(convex, { seed: SEED, numRuns: 12 }))
      expect(r, r.error).toMatchObject({ passed: true });
  });

  it("the budget binds whenever buying everything is unaffordable", () => {
    for (const { market: m, prices, tenant: i } of fc.sample(tenantCaseArb(), { seed: 3, numRuns: 100 })) {
      const br = tenantBestResponse(m, prices, i);
      expect(br.budgetBinds).toBe(costOfEverything(deviceViews(m, prices, i)) > m.budget[i]);
    }
  });

  // Regression: for tau > 2 congestionPrice with capacity 0 (the inverse supply at q = 1) stopped a
  // few ulps below the top rival price, leaving the rival ~1e-5 of the device because demand goes
  // like (P - mu)^(1/(tau-1)). Capacity 0 now returns the top price exactly.
  it("tau > 2: reported participation matches water-filling when buying a whole device", () => {
    const market = createMarket({ tau: 4, budget: [1, 100], cost: [[1], [1]], value: [[1], [1]] });
    const props = tenantResponseProperties(tenantBestResponse, {
      cases: fc.constant({ market, prices: Float64Array.from([10, 0]), tenant: 1 }),
    });
    const r = runSuite(props, { seed: 1, numRuns: 1, only: ["consistent"] })[0];
    expect(r.error ?? "").toBe("");
  });
});

describe("tenant suite catches broken responses", () => {
  const run = (impl: TenantResponseFn) =>
    runSuite(tenantResponseProperties(impl), { seed: SEED, numRuns: 150 });

  it("spending only 90% of the budget fails budget-binds and optimal", () => {
    const results = run(ninetyPercent);
    expect(byName(results, "tenant/consistent").passed).toBe(true);
    const binds = byName(results, "tenant/budget-binds");
    expect(binds.passed).toBe(false);
    expect(binds.error).toContain("90.0000% of the budget");
    expect(binds.counterexample).toHaveProperty("tenant");
    expect(byName(results, "tenant/optimal").passed).toBe(false);
  });

  it("perturbed prices fail (overspending or underspending)", () => {
    const results = run(perturbed);
    const failed = results.filter((r) => !r.passed).map((r) => r.name);
    expect(failed).toContain("tenant/consistent"); // some perturbations overspend
    expect(failed).toContain("tenant/budget-binds"); // others leave money unspent
  });

  it("perturbed prices rescaled to spend the whole budget fail optimal only", () => {
    const results = run(perturbedOnBudget);
    expect(byName(results, "tenant/consistent").passed).toBe(true);
    expect(byName(results, "tenant/budget-binds").passed).toBe(true);
    const r = byName(results, "tenant/optimal");
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/gives? V_i = .* < objective/);
  });

  it("ignoring the rivals' prices fails", () => {
    const failed = run(ignoresRivals).filter((r) => !r.passed);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.counterexample !== undefined)).toBe(true);
  });

  it("a stale participation report fails consistent", () => {
    const r = byName(run(staleParticipation), "tenant/consistent");
    expect(r.passed).toBe(false);
    expect(r.error).toContain("devices water-fill");
  });
});
