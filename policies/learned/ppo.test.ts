import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../../env/rng.ts";
import { type BackendInfo, initBackend, tf } from "./backend.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { DEFAULT_PPO, gae, PpoAgent, type Transition } from "./ppo.ts";

let backend: BackendInfo;
let dir: string;
beforeAll(async () => {
  backend = await initBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "sfl-ppo-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const shape = { obsSize: 4, actionSize: 2, hidden: 8, initMean: [0.5, -1], initLogStd: [-1, -0.5] };

function batch(seed: number, n: number): Transition[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, k) => ({
    obs: [rng.normal(), rng.normal(), rng.normal(), rng.normal()],
    action: [rng.normal(), rng.normal()],
    logp: -2 + 0.1 * rng.normal(),
    value: 0,
    reward: rng.normal(),
    done: k % 10 === 9,
  }));
}

describe("gae", () => {
  it("matches a hand computation, with no bootstrap across a done step", () => {
    const t = (reward: number, value: number, done: boolean): Transition => ({
      obs: [],
      action: [],
      logp: 0,
      value,
      reward,
      done,
    });
    const { adv, ret } = gae([t(1, 0.5, false), t(2, 1, true), t(3, 0, true)], 0.9, 0.5);
    const d1 = 2 - 1; // last step of its trajectory
    const d0 = 1 + 0.9 * 1 - 0.5;
    expect(adv[1]).toBeCloseTo(d1, 12);
    expect(adv[0]).toBeCloseTo(d0 + 0.9 * 0.5 * d1, 12);
    expect(adv[2]).toBeCloseTo(3, 12);
    expect(ret[0]).toBeCloseTo(adv[0] + 0.5, 12);
  });
});

describe("PpoAgent", () => {
  it("starts at its initial mean, and is a pure function of the seed", () => {
    const a = PpoAgent.create(shape, createRng("a"));
    const b = PpoAgent.create(shape, createRng("a"));
    const x = [0.3, -0.2, 1, 0];
    const ea = a.evaluate(x);
    expect(ea.mean[0]).toBeCloseTo(0.5, 1);
    expect(ea.mean[1]).toBeCloseTo(-1, 1);
    expect(Array.from(b.evaluate(x).mean)).toEqual(Array.from(ea.mean));
    expect(a.act(x, createRng(1))).toEqual(b.act(x, createRng(1)));
    a.dispose();
    b.dispose();
  });

  it("moves the mean action toward actions with positive advantage", () => {
    const agent = PpoAgent.create(shape, createRng("b"));
    const rng = createRng(2);
    const x = [0, 0, 0, 0];
    const before = agent.evaluate(x).mean[0];
    for (let it = 0; it < 5; it++) {
      const steps: Transition[] = [];
      for (let k = 0; k < 32; k++) {
        const a = agent.act(x, rng);
        steps.push({
          obs: x,
          action: a.action,
          logp: a.logp,
          value: a.value,
          reward: a.action[0],
          done: true,
        });
      }
      agent.update(steps, DEFAULT_PPO, rng);
    }
    expect(agent.evaluate(x).mean[0]).toBeGreaterThan(before + 0.05);
    agent.dispose();
  });

  it("round-trips through a checkpoint: same outputs, and the next update gives the same bits", async () => {
    const agent = PpoAgent.create(shape, createRng("c"));
    agent.observe([1, 2, 3, 4], true);
    agent.observe([2, 0, 3, 1], true);
    agent.update(batch(1, 30), DEFAULT_PPO, createRng(5));
    await saveCheckpoint(dir, 3, backend, new Map([["t", { kind: "tenant" as const, agent }]]), { note: 1 });
    expect((await readdir(join(dir, "checkpoints"))).sort()).toEqual(["ep-000003"]);
    const model = JSON.parse(await readFile(join(dir, "checkpoints/ep-000003/learner-0/model.json"), "utf8"));
    expect(model.format).toBe("layers-model");
    expect(model.weightsManifest[0].paths).toEqual(["weights.bin"]);
    expect(model.userDefinedMetadata.backend).toBe("cpu");
    const { file, agents } = await loadCheckpoint<{ note: number }>(dir);
    expect(file.episode).toBe(3);
    expect(file.training).toEqual({ note: 1 });
    expect(file.backend.name).toBe("cpu");
    const copy = agents.get("t")!.agent;
    const x = [0.1, 0.2, -0.3, 0.4];
    expect(Array.from(copy.evaluate(x).mean)).toEqual(Array.from(agent.evaluate(x).mean));
    expect(Array.from(copy.observe([1, 1, 1, 1], false))).toEqual(
      Array.from(agent.observe([1, 1, 1, 1], false)),
    );
    agent.update(batch(2, 30), DEFAULT_PPO, createRng(6));
    copy.update(batch(2, 30), DEFAULT_PPO, createRng(6));
    const weights = (a: PpoAgent) => [...a.model.getWeights(), a.logStd].map((w) => Array.from(w.dataSync()));
    expect(weights(copy)).toEqual(weights(agent));
    // a later checkpoint replaces the earlier one
    await saveCheckpoint(dir, 4, backend, new Map([["t", { kind: "tenant" as const, agent }]]), { note: 2 });
    expect(await readdir(join(dir, "checkpoints"))).toEqual(["ep-000004"]);
    agent.dispose();
    copy.dispose();
    expect(tf.getBackend()).toBe("cpu");
  });
});
