import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, TIMEOUT } from "./testCli.ts";

describe("sfl-market start (what npm start runs)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sfl-start-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    "runs the paper comparison of every policy, prints compare's table and writes the report and JSON",
    async () => {
      const out = join(dir, "paper");
      const [start, compare] = await Promise.all([
        cli(["start", "--seeds", "1", "--out", out, "--quiet"]),
        cli(["compare", "--preset", "paper", "--seeds", "1", "--quiet"]),
      ]);
      expect(start.code).toBe(0);
      expect(start.stdout).toBe(compare.stdout);
      for (const t of ["vit", "bert", "whisper", "llama"]) expect(start.stdout).toContain(`tenant ${t}`);
      expect(existsSync(join(out, "index.html"))).toBe(true);
      const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
      expect(json.policies).toEqual([
        "prince",
        "uniform",
        "proportional",
        "random",
        "greedy-topk",
        "single-tenant",
      ]);
      expect(json.results).toHaveLength(6 * 4);
      // PRINCE meets every tenant's target on the paper preset (the README's claim, seed 1 here)
      const prince = json.results.filter((r: { policy: string }) => r.policy === "prince");
      expect(prince.every((r: { met: boolean }) => r.met)).toBe(true);
    },
    2 * TIMEOUT,
  );
});
