import { describe, expect, it } from "vitest";
import { summarise } from "./table.ts";
import type { ComparisonData, TenantOutcome } from "./types.ts";
import { uncertaintySummary } from "./uncertaintySummary.ts";

const DEADLINE = 1000;

function outcome(policy: string, seed: number, tenant: string, time: number | null): TenantOutcome {
  return {
    policy,
    seed,
    tenant,
    type: "vit",
    met: time !== null,
    timeToTarget: time,
    rounds: 10,
    spend: 1,
    finalGap: 0.001,
    ...(time === null ? { reason: "deadline" } : {}),
  };
}

// Tenant a: uniform is slower than PRINCE on seeds 1-4 and misses on 5-6 (PRINCE meets all six).
// Tenant b: uniform misses 4 of 6, PRINCE misses seed 6.
const prince = { a: [100, 120, 110, 130, 90, 105], b: [200, 210, 190, 220, 205, null] };
const uniform = { a: [250, 200, 300, 260, null, null], b: [400, null, null, 500, null, null] };
const results: TenantOutcome[] = [];
for (let s = 1; s <= 6; s++)
  for (const t of ["a", "b"] as const) {
    results.push(outcome("prince", s, t, prince[t][s - 1]));
    results.push(outcome("uniform", s, t, uniform[t][s - 1]));
  }
const data: Pick<ComparisonData, "results" | "policies" | "scenario"> = {
  results,
  policies: ["prince", "uniform"],
  scenario: {
    name: "hand",
    devices: 10,
    tenants: ["a", "b"].map((name) => ({ name, type: "vit", target: 0.01, deadline: DEADLINE })),
  },
};
const u = uncertaintySummary(data, { resamples: 500 });
const row = (tenant: string, policy: string) =>
  u.rows.find((r) => r.tenant === tenant && r.policy === policy)!;

describe("uncertaintySummary", () => {
  it("agrees with the table's medians and speedups and says how many seeds they rest on", () => {
    const table = summarise(results, data.policies, ["a", "b"]);
    for (const s of table) {
      const r = row(s.tenant, s.policy);
      expect(r.medianTime.value).toBe(s.medianTime);
      if (s.policy !== "prince") expect(r.speedup!.median).toBe(s.speedupOfPrince);
    }
    expect(row("a", "uniform").speedup!.n).toBe(4);
    expect(row("b", "uniform").speedup!.n).toBe(2);
    expect(row("a", "prince").speedup).toBeUndefined();
  });

  it("keeps misses: Kaplan-Meier medians, censored speedup counts and bounds", () => {
    // a/uniform: met 200, 250, 260, 300, two misses at 1000 -> S = 5/6, 4/6, 3/6 at 260: median (260 + 300) / 2
    expect(row("a", "uniform").timeToTarget.median).toBe(280);
    // b/uniform: met on 2 of 6: not reached, later than the deadline
    expect(row("b", "uniform").timeToTarget).toMatchObject({ median: null, notBefore: DEADLINE });
    expect(row("b", "uniform").timeToTarget.ci95![1]).toBe(Number.POSITIVE_INFINITY);
    const c = row("b", "uniform").speedup!.censored;
    expect([c.n, c.bothMet, c.princeOnly, c.baselineOnly, c.neitherMet]).toEqual([6, 2, 3, 0, 1]);
    // lower ends: 2, 1000/210, 1000/190, 500/220, 1000/205, 0 -> median of 2.27 and 4.76 -> 3.52
    expect(c.bounds![0]).toBeCloseTo((500 / 220 + 1000 / 210) / 2, 12);
    expect(c.bounds![1]).toBe(Number.POSITIVE_INFINITY);
  });

  it("tests per tenant and baseline with Wilcoxon on log ratios, misses at the deadline", () => {
    // a: uniform slower on all 6 seeds (misses count as the deadline, still slower): p = 2 / 2^6
    expect(row("a", "uniform").speedup!.wilcoxon).toEqual({
      pValue: 2 / 64,
      n: 6,
      zeros: 0,
      method: "exact",
    });
    // b: seed 6 both missed -> zero difference, dropped; 5 positive left: p = 2 / 2^5
    expect(row("b", "uniform").speedup!.wilcoxon).toEqual({
      pValue: 2 / 32,
      n: 6,
      zeros: 1,
      method: "exact",
    });
  });

  it("gives intervals that contain their estimate, from seeded streams", () => {
    for (const r of u.rows) {
      if (r.medianTime.ci95) {
        expect(r.medianTime.ci95[0]).toBeLessThanOrEqual(r.medianTime.value!);
        expect(r.medianTime.ci95[1]).toBeGreaterThanOrEqual(r.medianTime.value!);
      }
    }
    expect(uncertaintySummary(data, { resamples: 500 })).toEqual(u);
    expect(JSON.stringify(uncertaintySummary(data, { resamples: 500, seed: 2 }).rows)).not.toBe(
      JSON.stringify(u.rows),
    );
  });
});
