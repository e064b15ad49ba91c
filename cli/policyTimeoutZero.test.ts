// Regression test (issue 11): "a never-settling promise with --policy-timeout 0 ... ends the process
// silently and loses every result". With no timeout there is no timer to race the answer; the
// policy's worker thread finds that its event loop ran dry in the middle of the call, and the run
// stops with an error naming the policy and the market step, PRINCE's completed run kept.
// (cli/userPolicy.test.ts runs this fixture with a timeout of 300 ms, and a thenable with 0.)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, expectNoStack } from "./testCli.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sfl-timeout-zero-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--policy-timeout 0 and a promise that never settles", () => {
  it("compare: the run stops, named by policy and step; the completed run is kept", async () => {
    const spec = "./cli/fixtures/never-settles.ts";
    const json = join(dir, "out.json");
    const r = await cli([
      "compare",
      "--preset",
      "tiny",
      "--seeds",
      "1",
      "--policies",
      `prince,${spec}`,
      "--policy-timeout",
      "0",
      "--json",
      json,
      "--quiet",
    ]);
    expect(r.code, r.stderr).toBe(1);
    expectNoStack(r);
    expect(r.stderr).toContain(
      `error: run 2/2 (policy ${spec}, seed 1) failed: policy "never-settles" at market step 1 for tenant "vit": its answer can never come`,
    );
    const out = JSON.parse(readFileSync(json, "utf8"));
    expect(out.complete).toBe(false);
    expect(out.results.map((x: { policy: string }) => x.policy)).toEqual(["prince", "prince", "prince"]);
  }, 60_000);
});
