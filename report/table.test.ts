import { describe, expect, it } from "vitest";
import { missKind, princeOf, renderTable, summarise, tableBlocks } from "./table.ts";
import { syntheticComparison } from "./testData.ts";
import type { ComparisonData, TenantOutcome } from "./types.ts";

function run(
  policy: string,
  tenant: string,
  seed: number,
  time: number | null,
  extra: Partial<TenantOutcome> = {},
) {
  return {
    policy,
    seed,
    tenant,
    type: "bert",
    met: time !== null,
    timeToTarget: time,
    rounds: time === null ? 100 : time / 2,
    spend: time === null ? 500 : time * 3,
    finalGap: time === null ? 0.5 : 0.01,
    ...(time === null ? { reason: "deadline" } : {}),
    ...extra,
  } satisfies TenantOutcome;
}

const results: TenantOutcome[] = [
  // Tenant A: PRINCE meets on every seed; uniform misses seed 2; never never meets.
  run("prince", "A", 1, 10),
  run("prince", "A", 2, 20),
  run("prince", "A", 3, 30),
  run("uniform", "A", 1, 30),
  run("uniform", "A", 2, null),
  run("uniform", "A", 3, 90),
  run("never", "A", 1, null),
  run("never", "A", 2, null),
  run("never", "A", 3, null),
  // Tenant B: tied times (speedup 1 on seed 1), an even number of seeds.
  run("prince", "B", 1, 10),
  run("prince", "B", 2, 10),
  run("uniform", "B", 1, 10),
  run("uniform", "B", 2, 30),
  // Tenant C: PRINCE never meets, so no speedup is defined anywhere.
  run("prince", "C", 1, null),
  run("uniform", "C", 1, 40),
];

const row = (rows: ReturnType<typeof summarise>, policy: string, tenant: string) =>
  rows.find((r) => r.policy === policy && r.tenant === tenant)!;

describe("summarise", () => {
  const rows = summarise(results, ["prince", "uniform", "never", "absent"], ["A", "B", "C"]);

  it("gives one row per tenant and policy, tenant-major, in the given orders", () => {
    expect(rows.map((r) => `${r.tenant}/${r.policy}`)).toEqual([
      "A/prince",
      "A/uniform",
      "A/never",
      "A/absent",
      "B/prince",
      "B/uniform",
      "B/never",
      "B/absent",
      "C/prince",
      "C/uniform",
      "C/never",
      "C/absent",
    ]);
  });

  it("takes the median time over the seeds where the target was met", () => {
    expect(row(rows, "prince", "A")).toEqual({
      policy: "prince",
      tenant: "A",
      metRate: 1,
      medianTime: 20,
      speedupOfPrince: 1,
    });
    expect(row(rows, "uniform", "A").metRate).toBeCloseTo(2 / 3, 15);
    expect(row(rows, "uniform", "A").medianTime).toBe(60);
  });

  it("pairs seeds for the speedup: baseline time / PRINCE time, median over seeds where both met", () => {
    // seed 1: 30 / 10 = 3, seed 3: 90 / 30 = 3; seed 2 is not paired (uniform missed).
    expect(row(rows, "uniform", "A").speedupOfPrince).toBe(3);
    // ties: 10 / 10 = 1 and 30 / 10 = 3, median 2.
    expect(row(rows, "uniform", "B").speedupOfPrince).toBe(2);
    expect(row(rows, "uniform", "B").medianTime).toBe(20);
  });

  it("gives null time and speedup to a policy that never meets its target", () => {
    expect(row(rows, "never", "A")).toEqual({
      policy: "never",
      tenant: "A",
      metRate: 0,
      medianTime: null,
      speedupOfPrince: null,
    });
  });

  it("gives null speedups when PRINCE never met the target, and for pairs without runs", () => {
    expect(row(rows, "prince", "C").speedupOfPrince).toBeNull();
    expect(row(rows, "uniform", "C").speedupOfPrince).toBeNull();
    expect(row(rows, "uniform", "C").medianTime).toBe(40);
    expect(row(rows, "absent", "B")).toEqual({
      policy: "absent",
      tenant: "B",
      metRate: 0,
      medianTime: null,
      speedupOfPrince: null,
    });
  });

  it("treats a met run without a usable time as not met", () => {
    const odd = [run("prince", "A", 1, 10), run("uniform", "A", 1, 20, { timeToTarget: null })];
    const r = summarise(odd, ["prince", "uniform"], ["A"]);
    expect(row(r, "uniform", "A")).toMatchObject({ metRate: 0, medianTime: null, speedupOfPrince: null });
  });

  it("finds PRINCE by name, case-insensitively, or not at all", () => {
    expect(princeOf(["uniform", "PRINCE"])).toBe("PRINCE");
    expect(princeOf(["uniform"])).toBeNull();
    const upper = results.map((r) => (r.policy === "prince" ? { ...r, policy: "PRINCE" } : r));
    expect(row(summarise(upper, ["PRINCE", "uniform"], ["A"]), "uniform", "A").speedupOfPrince).toBe(3);
    expect(row(summarise(results, ["uniform"], ["A"]), "uniform", "A").speedupOfPrince).toBeNull();
  });
});

function data(over: Partial<ComparisonData> = {}): ComparisonData {
  return {
    title: "t",
    scenario: {
      name: "s",
      devices: 10,
      tenants: [
        { name: "A", type: "vit", target: 0.02, deadline: 100 },
        { name: "B", type: "bert", target: 0.01, deadline: 50 },
      ],
    },
    seeds: [1, 2, 3],
    policies: ["prince", "uniform", "never"],
    results,
    summary: [],
    trajectories: [],
    distributions: [],
    bound: { spearman: null, n: 0, points: [] },
    notes: [],
    meta: {},
    ...over,
  };
}

describe("tableBlocks", () => {
  it("adds medians of rounds and spend over met seeds, and counts the reasons for misses", () => {
    const blocks = tableBlocks(data());
    expect(blocks.map((b) => b.tenant)).toEqual(["A", "B", "C"]);
    const uniformA = blocks[0].rows.find((r) => r.policy === "uniform")!;
    expect(uniformA).toMatchObject({
      met: 2,
      runs: 3,
      medianRounds: 30,
      medianSpend: 180,
      misses: [["deadline", 1]],
    });
    const neverA = blocks[0].rows.find((r) => r.policy === "never")!;
    expect(neverA).toMatchObject({
      met: 0,
      runs: 3,
      medianTime: null,
      medianRounds: null,
      misses: [["deadline", 3]],
    });
    expect(neverA.missedGap).toBe(0.5);
    // Tenant C is not in the scenario: its type comes from the results, target and deadline are unknown.
    expect(blocks[2]).toMatchObject({ tenant: "C", type: "bert", target: null, deadline: null });
  });

  it("prefers the summary rows it is given", () => {
    const summary = [{ policy: "uniform", tenant: "A", metRate: 0.5, medianTime: 42, speedupOfPrince: 4.2 }];
    const uniformA = tableBlocks(data({ summary }))[0].rows.find((r) => r.policy === "uniform")!;
    expect(uniformA.medianTime).toBe(42);
    expect(uniformA.speedupOfPrince).toBe(4.2);
  });
});

describe("renderTable", () => {
  it("prints one aligned block per tenant with policies as rows", () => {
    const text = renderTable(data());
    expect(text).toContain("tenant A (vit, target 0.02, deadline 100 s)");
    const lines = text.split("\n");
    const header = lines.findIndex((l) => l.trim().startsWith("policy"));
    const block = lines.slice(header, header + 4);
    expect(block.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(["policy", "prince", "uniform", "never"]);
    expect(new Set(block.map((l) => l.length)).size).toBe(1);
    expect(block[2]).toMatch(/uniform\s+2\/3\s+60\s+30\s+180\s+3\.00x$/);
    expect(block[3]).toMatch(/never\s+0\/3\s+—\s+—\s+—\s+—$/);
    expect(text).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("is deterministic and handles the synthetic comparison", () => {
    const a = renderTable(syntheticComparison());
    expect(renderTable(syntheticComparison())).toBe(a);
    expect(a).toContain("tenant llama-chat");
    expect(a).not.toMatch(/NaN|undefined|Infinity/);
  });

  it("handles no tenants and no results", () => {
    const text = renderTable(data({ results: [], scenario: { name: "s", devices: 0, tenants: [] } }));
    expect(text).toContain("(no tenants)");
  });
});

describe("misses are grouped by the kind of reason", () => {
  it("runs that missed for the same reason with different numbers count together", () => {
    const gap = (seed: number, g: number) =>
      run("uniform", "A", seed, null, {
        finalGap: g,
        reason: `deadline passed (T = 100 s after its start) with loss gap ${g} > target 0.02 after ${seed * 10} rounds`,
      });
    const blocks = tableBlocks(data({ results: [run("prince", "A", 1, 10), gap(1, 0.4), gap(2, 0.8)] }));
    const row = blocks[0].rows.find((r) => r.policy === "uniform")!;
    expect(row.misses).toEqual([["deadline passed", 2]]);
    expect(row.missedGap).toBeCloseTo(0.6, 12);
    expect(missKind("no device holding image data finishes a round within W = 0.001 s")).toBe(
      "no device holding image data finishes a round within W = 0.001 s",
    );
    expect(missKind("left out: no data")).toBe("left out");
  });
});
