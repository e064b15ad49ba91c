import { describe, expect, it } from "vitest";
import { enforceBudgets, spendOf } from "../market/budgetGuard.ts";
import type { MarketInstance } from "../market/instance.ts";
import { waterFill } from "../market/waterFill.ts";
import { type BudgetGuardFn, budgetGuardProperties } from "./budgetGuard.ts";
import { runSuite } from "./runner.ts";

const SEED = 20261202;

const byName = (results: ReturnType<typeof runSuite>) => Object.fromEntries(results.map((r) => [r.name, r]));

const run = (guard: BudgetGuardFn) =>
  byName(runSuite(budgetGuardProperties(guard), { seed: SEED, numRuns: 60 }));

/** Every tenant's prices times one common factor, the largest keeping all within budget. */
const commonFactorGuard: BudgetGuardFn = (m: MarketInstance, p: Float64Array) => {
  const at = (t: number) => {
    const x = p.map((v) => v * t);
    const s = spendOf(m, x, waterFill(m, x).participation);
    return { x, ok: s.every((v, i) => v <= m.budget[i]) };
  };
  let lo = -745;
  let hi = 0;
  if (at(1).ok) return { prices: p.slice() };
  for (let it = 0; it < 60; it++) {
    const mid = 0.5 * (lo + hi);
    if (at(Math.exp(mid)).ok) lo = mid;
    else hi = mid;
  }
  return { prices: at(Math.exp(lo)).x };
};

describe("budget guard property suite", () => {
  it("passes the guard", () => {
    const r = run(enforceBudgets);
    expect(Object.keys(r)).toEqual(["within-budget", "scales-only", "largest-given-others", "maximal"]);
    for (const x of Object.values(r)) expect(x, x.error).toMatchObject({ passed: true, seed: SEED });
  });

  it("fails a guard that stops after one sweep (rivals pushed back over budget)", () => {
    const r = run((m, p) => enforceBudgets(m, p, 1));
    expect(r["within-budget"].passed).toBe(false);
    expect(r["within-budget"].error).toMatch(/spends .* > budget/);
  });

  it("fails one common factor for everyone: feasible, but not each tenant's largest", () => {
    const r = run(commonFactorGuard);
    expect(r["within-budget"].passed).toBe(true);
    expect(r["largest-given-others"].passed).toBe(false);
    expect(r.maximal.passed).toBe(false);
  });

  it("fails a guard that aims 0.1% under the budgets", () => {
    const r = run((m, p) => enforceBudgets({ ...m, budget: m.budget.map((b) => b * 0.999) }, p));
    expect(r["within-budget"].passed).toBe(true);
    expect(r["largest-given-others"].passed).toBe(false);
  });

  it("fails a guard that scales a tenant within budget too, or scales by more than 1", () => {
    const halve = run((_m, p) => ({ prices: p.map((v) => v / 2) }));
    expect(halve["scales-only"].passed).toBe(false);
    const rows = run((m, p) => ({ prices: p.map((v, k) => (k % m.N === 0 ? v * 0.5 : v)) }));
    expect(rows["scales-only"].passed).toBe(false);
  });
});
