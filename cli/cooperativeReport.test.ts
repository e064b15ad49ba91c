// `sfl-market solve --cooperative`, in-process through main (cli/testCli.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMarket } from "../market/instance.ts";
import { waterFill } from "../market/waterFill.ts";
import { cli, ROOT, TIMEOUT } from "./testCli.ts";

const EXAMPLE = "examples/market.json";

describe("sfl-market solve --cooperative", () => {
  it(
    "--json gains cooperative (prices, participation, objective) and priceOfAnarchy (total, perTenant)",
    async () => {
      const [plain, r] = await Promise.all([
        cli(["solve", EXAMPLE, "--json"]),
        cli(["solve", EXAMPLE, "--json", "--cooperative"]),
      ]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      const base = JSON.parse(plain.stdout);
      // the SE fields are unchanged
      for (const k of Object.keys(base)) expect(out[k]).toEqual(base[k]);
      const m = createMarket(JSON.parse(readFileSync(join(ROOT, EXAMPLE), "utf8")));
      const { cooperative: c, priceOfAnarchy: poa } = out;
      expect(c.prices).toHaveLength(m.M);
      expect(c.participation).toHaveLength(m.M);
      // the optimum's prices, posted, buy its participation
      const back = waterFill(m, Float64Array.from(c.prices.flat())).participation;
      c.participation.flat().forEach((q: number, k: number) => {
        expect(back[k]).toBeCloseTo(q, 9);
      });
      c.spend.forEach((s: number, i: number) => {
        expect(s).toBeLessThanOrEqual(m.budget[i] * (1 + 1e-12));
      });
      const seTotal = base.objective.reduce((a: number, b: number) => a + b, 0);
      expect(poa.total).toBeCloseTo(seTotal / c.total, 12);
      expect(poa.total).toBeGreaterThanOrEqual(1);
      poa.perTenant.forEach((x: number, i: number) => {
        expect(x).toBeCloseTo(base.objective[i] / c.objective[i], 12);
      });
      expect(c.dualityGap).toBeLessThan(1e-8);
    },
    TIMEOUT,
  );

  it(
    "prints the optimum and the price of anarchy after the summary",
    async () => {
      const r = await cli(["solve", EXAMPLE, "--cooperative"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /cooperative optimum \(sum of V_i under the same budgets\): [\d.]+ \(duality gap/,
      );
      expect(r.stdout).toMatch(/price of anarchy: total [\d.]+; per tenant [\d.]+, [\d.]+, [\d.]+\n$/);
    },
    TIMEOUT,
  );
});
