import { describe, expect, it } from "vitest";
import { summariseAxes } from "./aggregate.ts";
import type { RunRecord } from "./collect.ts";

const outcome = (policy: string, tenant: string, time: number | null) => ({
  policy,
  tenant,
  type: "vit",
  met: time !== null,
  timeToTarget: time,
  rounds: 1,
  spend: 1,
  finalGap: 0.1,
});

/** Runs where uniform takes `ratio` times PRINCE's time on tenant a, and misses tenant b. */
function record(seed: number, budget: number, ratio: number): RunRecord {
  return {
    runId: `r${seed}-${budget}`,
    configHash: String(budget),
    seed,
    params: { budget },
    policies: ["prince", "uniform"],
    outcomes: [
      outcome("prince", "a", 100),
      outcome("prince", "b", 50),
      outcome("uniform", "a", 100 * ratio),
      outcome("uniform", "b", null),
    ],
    warnings: [],
  };
}

describe("the sweep report's numbers", () => {
  it("speedup: geometric mean over seeds of pairs that both met; met shares per policy; seeded intervals over seeds", () => {
    const records = [record(1, 1, 2), record(2, 1, 8), record(3, 1, 4), record(1, 2, 1), record(2, 2, 1)];
    const [s] = summariseAxes(records, ["budget"]);
    expect(s.cells.map((c) => c.value)).toEqual([1, 2]);
    const one = s.cells[0];
    expect(one.speedup.uniform.estimate).toBeCloseTo(4, 12); // (2 * 8 * 4)^(1/3)
    expect(one.speedup.uniform.pairs).toBe(3); // tenant b never pairs: uniform missed it
    const [lo, hi] = one.speedup.uniform.ci95!;
    expect(lo).toBeGreaterThanOrEqual(2);
    expect(hi).toBeLessThanOrEqual(8);
    expect(lo).toBeLessThan(hi);
    expect(one.met).toEqual({
      prince: { estimate: 1, ci95: [1, 1] },
      uniform: { estimate: 0.5, ci95: [0.5, 0.5] },
    });
    expect(s.cells[1].speedup.uniform).toEqual({ estimate: 1, ci95: [1, 1], pairs: 2 });
    // the same data, the same intervals
    expect(summariseAxes(records, ["budget"])).toEqual([s]);
  });

  it("one seed gives no interval, and no pair gives no speedup", () => {
    const r = record(1, 1, 2);
    const none = {
      ...r,
      outcomes: r.outcomes.map((o) =>
        o.policy === "uniform" ? { ...o, met: false, timeToTarget: null } : o,
      ),
    };
    const [s] = summariseAxes([none], ["budget"]);
    expect(s.cells[0].speedup.uniform).toEqual({ estimate: null, ci95: null, pairs: 0 });
    expect(s.cells[0].met.prince.ci95).toBeNull();
  });
});
