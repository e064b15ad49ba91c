// Regression (issue 11): valid scenarios ran for hours (a deadline of 1e8 s with a target of 1e-12,
// a huge deadline with a tiny target). Every episode is capped (rounds per tenant, market steps),
// with defaults from the scenario, and a capped tenant is an outcome: unfinished, "cap reached".
import { describe, expect, it } from "vitest";
import { createTenantPolicy } from "../policies/registry.ts";
import { compileScenario } from "./compile.ts";
import { presetInput } from "./presets.ts";
import { createRng } from "./rng.ts";
import { validateScenario } from "./scenario.ts";
import { DEFAULT_MAX_ROUNDS, episodeCaps, runEpisode } from "./simulation.ts";

/** The tiny preset with every tenant given a deadline of 1e8 s and a target of 1e-12. */
function runaway() {
  const s = structuredClone(presetInput("tiny")) as { tenants: { deadline: number; target: number }[] };
  for (const t of s.tenants) {
    t.deadline = 1e8;
    t.target = 1e-12;
  }
  const r = validateScenario(s);
  if (!r.ok) throw new Error("the runaway scenario is valid");
  return compileScenario(r.scenario, createRng(r.scenario.seed));
}

describe("episode caps", () => {
  it("the defaults come from the scenario and are finite", () => {
    const compiled = runaway();
    const caps = episodeCaps(compiled);
    const M = compiled.physics.tenants.length;
    const K = compiled.physics.repricingInterval;
    expect(caps.maxRounds).toBe(DEFAULT_MAX_ROUNDS);
    expect(caps.maxMarketSteps).toBe(M * Math.ceil(DEFAULT_MAX_ROUNDS / K) + 2 * M + 1);
    expect(episodeCaps(compiled, { maxRounds: 100, repricingInterval: 5 }).maxMarketSteps).toBe(
      M * 20 + 2 * M + 1,
    );
  });

  it("a tenant that reaches the round cap stops there: unfinished, cap reached", async () => {
    const r = await runEpisode(
      runaway(),
      { tenant: () => createTenantPolicy("prince") },
      { seed: 1, maxRounds: 300 },
    );
    expect(r.truncated).toBe(true);
    for (const o of r.outcomes) {
      expect(o.status).toBe("unfinished");
      expect(o.met).toBe(false);
      expect(o.rounds).toBe(300);
      expect(o.reason).toMatch(
        /^cap reached: 300 rounds \(the episode's round cap; raise it with --max-rounds\) with loss gap /,
      );
    }
  });

  it("the market step cap ends the episode, every running tenant unfinished", async () => {
    const r = await runEpisode(
      runaway(),
      { tenant: () => createTenantPolicy("uniform") },
      { seed: 1, maxMarketSteps: 5 },
    );
    expect(r.marketSteps).toBe(5);
    expect(r.truncated).toBe(true);
    for (const o of r.outcomes) {
      expect(o.status).toBe("unfinished");
      expect(o.reason).toMatch(
        /^cap reached: 5 market steps \(the episode's step cap; raise it with --max-steps\)/,
      );
    }
  });

  it("a cap no preset run reaches changes nothing", async () => {
    const s = presetInput("tiny");
    const r0 = validateScenario(s);
    if (!r0.ok) throw new Error("tiny is valid");
    const compiled = compileScenario(r0.scenario, createRng(r0.scenario.seed));
    const policy = () => createTenantPolicy("prince");
    const capped = await runEpisode(compiled, { tenant: policy }, { seed: 2 });
    const loose = await runEpisode(
      compiled,
      { tenant: policy },
      { seed: 2, maxRounds: 1e9, maxMarketSteps: 1e9 },
    );
    expect(JSON.stringify(capped)).toBe(JSON.stringify(loose));
  });
});
