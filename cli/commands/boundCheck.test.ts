// `sfl-market bound-check` in-process through main (cli/testCli.ts), on the tiny preset.
import { describe, expect, it } from "vitest";
import type { BoundCheckResult } from "../../experiments/boundCheck.ts";
import { cli, TIMEOUT } from "../testCli.ts";

const ARGS = ["bound-check", "--preset", "tiny", "--seeds", "6", "--perturbations", "6", "--json"];

describe("sfl-market bound-check", () => {
  it(
    "gives every profile the SE's spend, finds the SE's V smallest, and V orders the measured rounds",
    async () => {
      const r = await cli(ARGS);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const out: BoundCheckResult & { scenario: string } = JSON.parse(r.stdout);
      expect(out.scenario).toBe("preset tiny");
      expect(out.profiles.map((p) => p.name.split(" ")[0])).toEqual([
        "se",
        "flat",
        "proportional",
        ...Array.from({ length: 6 }, (_, k) => `perturbed-${k + 1}`),
      ]);
      const se = out.profiles[0];
      for (const p of out.profiles) {
        // equal spend: the comparison is about the shape of participation, not about money
        expect(Math.abs(p.spend / se.spend - 1)).toBeLessThan(1e-6);
        // the SE is the tenant's best response: no profile of that spend has a smaller V
        expect(p.V).toBeGreaterThanOrEqual(se.V * (1 - 1e-9));
        expect(p.met).toBe(p.runs);
      }
      expect(out.spreadV).toBeGreaterThan(2);
      // the learner's progress depends on V: measured, not assumed (docs/learner.md)
      expect(out.spearman!).toBeGreaterThanOrEqual(0.9);
      expect(out.concordance2x.pairs).toBeGreaterThan(0);
      expect(out.concordance2x.concordant).toBe(out.concordance2x.pairs);
      expect(out.fitMeans!.r2).toBeGreaterThan(0.8);
      // the derived bound is loose (docs/learner.md): far above what was measured
      for (const p of out.profiles) expect(p.predictedRounds).toBeGreaterThanOrEqual(p.meanRounds!);
      // same seeds, same bytes
      expect((await cli(ARGS)).stdout).toBe(r.stdout);
    },
    TIMEOUT,
  );

  it(
    "prints the table, and names a tenant that does not exist",
    async () => {
      const r = await cli(["bound-check", "--preset", "tiny", "--seeds", "2", "--perturbations", "0"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^bound-check vit \(preset tiny, target 0\.01, 2 seeds per profile/);
      expect(r.stdout).toMatch(/Spearman\(V_i, mean rounds\) = /);
      for (const line of r.stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
      const bad = await cli(["bound-check", "--preset", "tiny", "--tenant", "nope"]);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe("");
      expect(bad.stderr).toMatch(/tenant: must be a feasible tenant of the scenario \(vit/);
    },
    TIMEOUT,
  );
});
