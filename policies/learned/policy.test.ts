import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runComparison } from "../../agents/comparison.ts";
import { compileScenario } from "../../env/compile.ts";
import { createRng } from "../../env/rng.ts";
import { runEpisode } from "../../env/simulation.ts";
import { saveCheckpoint } from "../../io/checkpoint.ts";
import { resolveDevicePolicy, resolveTenantPolicy } from "../../io/policyLoaders.ts";
import { type BackendInfo, initBackend } from "./backend.ts";
import { trainDevicePolicy } from "./device.ts";
import { tinyScenario } from "./testScenario.ts";
import { Trainer, trainConfig } from "./trainer.ts";

let backend: BackendInfo;
let dir: string;
beforeAll(async () => {
  backend = await initBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "sfl-learned-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("learned:DIR", () => {
  it("is a tenant policy of the registry that compare can run, noting its backend", async () => {
    const scenario = tinyScenario();
    const t = Trainer.create(
      trainConfig({ scenario, scenarioName: "tiny", seed: 1, learners: ["vit", "bert", "whisper"] }),
      backend,
    );
    await t.runEpisode();
    await saveCheckpoint(join(dir, "run"), t.checkpoint());
    t.dispose();
    const spec = `learned:${join(dir, "run")}`;
    const policy = await resolveTenantPolicy(spec);
    expect(policy.name).toBe("learned");
    expect(policy.aggregation).toBe("unbiased");
    const compiled = compileScenario(scenario, createRng(scenario.seed));
    const out = await runComparison({
      compiled,
      seeds: [1, 2],
      policies: ["prince", spec],
      resolve: resolveTenantPolicy,
    });
    expect(out.failure).toBeNull();
    const runs = out.runs.filter((r) => r.policy === spec);
    expect(runs).toHaveLength(2);
    expect(runs[0].warnings[0]).toMatch(
      /BACKEND: learned policy .* trained on tfjs cpu\) evaluated on tfjs cpu/,
    );
    // deterministic: the same seed gives the same episode
    const again = await runComparison({
      compiled,
      seeds: [1],
      policies: [spec],
      resolve: resolveTenantPolicy,
    });
    expect(again.runs[0].result.outcomes).toEqual(runs[0].result.outcomes);
  });

  it("fails with a message a user can act on", async () => {
    await expect(resolveTenantPolicy(`learned:${join(dir, "nothing")}`)).rejects.toThrow(
      /holds no trained policy/,
    );
    await expect(resolveTenantPolicy("learned:")).rejects.toThrow(/needs a directory/);
  });
});

describe("learned device policy", () => {
  it("trains through the DevicePolicy interface, and loads as learned:DIR", async () => {
    const scenario = tinyScenario(["vit", "bert"]);
    const compiled = compileScenario(scenario, createRng(scenario.seed));
    const devices = [0, 1, 2, 3, 4, 5, 6, 7];
    const means: number[] = [];
    const agent = await trainDevicePolicy({
      compiled,
      tenants: "prince",
      devices,
      episodes: 6,
      seed: 1,
      onEpisode: (_, m) => means.push(m),
    });
    expect(means).toHaveLength(6);
    // relative utility: 0 is the best response; the last episodes beat the first
    expect(means[5]).toBeGreaterThan(means[0]);
    await saveCheckpoint(join(dir, "dev"), {
      episode: 6,
      backend,
      agents: new Map([["device", { kind: "device" as const, agent }]]),
      training: {},
    });
    const policy = await resolveDevicePolicy(`learned:${join(dir, "dev")}`);
    expect(policy.name).toBe("learned");
    const tenant = await resolveTenantPolicy("prince");
    const r = await runEpisode(compiled, { tenant: () => tenant, device: { policy, devices } }, { seed: 9 });
    expect(r.outcomes.every((o) => o.status === "met" || o.status === "missed")).toBe(true);
    agent.dispose();
  });
});
