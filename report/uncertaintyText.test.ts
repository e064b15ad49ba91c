import { describe, expect, it } from "vitest";
import type { ComparisonData, TenantOutcome } from "./types.ts";
import { uncertaintySummary } from "./uncertaintySummary.ts";
import { renderUncertainty } from "./uncertaintyText.ts";

const out = (policy: string, seed: number, time: number | null): TenantOutcome => ({
  policy,
  seed,
  tenant: "a",
  type: "vit",
  met: time !== null,
  timeToTarget: time,
  rounds: 1,
  spend: 1,
  finalGap: 0,
});
const prince = [100, 120, 110, 130, 90, 105];
const uniform = [250, 200, null, null, null, null];
const data: Pick<ComparisonData, "results" | "policies" | "scenario"> = {
  results: prince.flatMap((p, k) => [out("prince", k + 1, p), out("uniform", k + 1, uniform[k])]),
  policies: ["prince", "uniform"],
  scenario: { name: "x", devices: 1, tenants: [{ name: "a", type: "vit", target: 0.1, deadline: 1000 }] },
};

describe("renderUncertainty", () => {
  const text = renderUncertainty(data, uncertaintySummary(data, { resamples: 200 }));
  const lines = text.split("\n");

  it("fits 80 columns and lists every policy of the tenant", () => {
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines.filter((l) => l.startsWith("  prince"))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("  uniform"))).toHaveLength(2);
  });

  it("shows misses: a Kaplan-Meier median not reached, open speedup bounds, the seeds a speedup rests on", () => {
    const [times, speedup] = lines.filter((l) => l.startsWith("  uniform"));
    // met on 2 of 6: the median is later than the 1000 s deadline
    expect(times).toMatch(/^ {2}uniform +2\/6 +225 \[\S+, \S+\] +>1000$/);
    // both met on 2 of 6 seeds; over all six the lower ends are 2.5, 1.67, 1000/110, 1000/130,
    // 1000/90, 1000/105 -> median (1000/130 + 1000/110) / 2 = 8.39; upper ends inf
    expect(speedup).toMatch(/^ {2}uniform +2\/6 +2\.08x \[[\d.]+x, [\d.]+x\] +\[8\.39x, inf\] +0\.031$/);
  });
});
