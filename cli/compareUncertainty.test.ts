// compare --uncertainty in-process through main: it adds, and changes nothing else.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, TIMEOUT } from "./testCli.ts";

const dir = mkdtempSync(join(tmpdir(), "sfl-uncertainty-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ARGS = ["compare", "--preset", "tiny", "--seeds", "3", "--policies", "prince,uniform", "--quiet"];

describe("sfl-market compare --uncertainty", () => {
  it(
    "adds `uncertainty` to the JSON (ci95 intervals, Wilcoxon per tenant and baseline), the table and the report",
    async () => {
      const plain = await cli([...ARGS, "--json", "-"]);
      const withU = await cli([...ARGS, "--json", "-", "--uncertainty", "--report", dir]);
      expect(plain.code).toBe(0);
      expect(withU.code).toBe(0);
      const { uncertainty, ...rest } = JSON.parse(withU.stdout);
      // without the new key the JSON is the same bytes as without the flag
      expect(`${JSON.stringify(rest)}\n`).toBe(plain.stdout);
      expect(uncertainty.rows).toHaveLength(3 * 2);
      for (const r of uncertainty.rows) {
        expect(r.runs).toBe(3);
        if (r.medianTime.ci95 !== null) expect(r.medianTime.ci95).toHaveLength(2);
        if (r.policy === "uniform") {
          expect(r.speedup.wilcoxon.n).toBe(3);
          expect(r.speedup.censored.n).toBe(3);
        } else expect(r.speedup).toBeUndefined();
      }
      expect(withU.stderr).toMatch(/^uncertainty: percentile bootstrap, 95% intervals/m);
      expect(plain.stderr).not.toMatch(/^uncertainty:/m);
      expect(readFileSync(join(dir, "index.html"), "utf8")).toContain("<h2>Uncertainty</h2>");
    },
    TIMEOUT * 4,
  );
});
