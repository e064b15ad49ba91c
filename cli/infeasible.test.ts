import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { presetInput } from "../env/presets.ts";
import { cli, TIMEOUT } from "./testCli.ts";

/** Issue 3: an infeasible tenant is a reported outcome, never a crash or a NaN. */
describe("compare with tenants that cannot succeed", () => {
  const dir = mkdtempSync(join(tmpdir(), "sfl-infeasible-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    "reports a tenant with no eligible device and one with an unreachable target as not met, with reasons",
    async () => {
      const base = presetInput("tiny");
      const vit = base.tenants[0];
      const scenario = {
        ...base,
        tenants: [
          ...base.tenants,
          // a 1 ms round window: no device can finish a round in time, so none is eligible
          { ...vit, name: "no-devices", window: 0.001 },
          // the loss gap starts at 1 and cannot fall to 1e-12 within one minute
          { ...vit, name: "unreachable", target: 1e-12, deadline: 60 },
        ],
      };
      const file = join(dir, "scenario.json");
      writeFileSync(file, JSON.stringify(scenario));
      const out = join(dir, "out.json");
      const r = await cli([
        "compare",
        "--scenario",
        file,
        "--seeds",
        "1",
        "--policies",
        "prince,uniform",
        "--json",
        out,
        "--quiet",
      ]);
      expect(r.code).toBe(0);
      const text = readFileSync(out, "utf8");
      expect(r.stdout + text).not.toMatch(/NaN|Infinity|undefined/);
      const results = JSON.parse(text).results as {
        policy: string;
        tenant: string;
        met: boolean;
        timeToTarget: number | null;
        finalGap: number | null;
        reason?: string;
      }[];
      for (const policy of ["prince", "uniform"]) {
        const none = results.find((x) => x.policy === policy && x.tenant === "no-devices")!;
        expect(none).toMatchObject({ met: false, timeToTarget: null, finalGap: null });
        expect(none.reason).toMatch(/no device .* finishes/i);
        const far = results.find((x) => x.policy === policy && x.tenant === "unreachable")!;
        expect(far).toMatchObject({ met: false, timeToTarget: null });
        expect(far.reason).toMatch(/deadline/i);
        expect(Number.isFinite(far.finalGap)).toBe(true);
      }
      // the feasible tenants still run and PRINCE meets their targets
      const fine = results.filter(
        (x) => x.policy === "prince" && ["vit", "bert", "whisper"].includes(x.tenant),
      );
      expect(fine.map((x) => x.met)).toEqual([true, true, true]);
    },
    TIMEOUT,
  );
});
