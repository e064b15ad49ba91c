import { beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../../env/rng.ts";
import { initBackend } from "./backend.ts";
import { DEFAULT_PPO, gae, PpoAgent, type Transition } from "./ppo.ts";

// the checkpoint round trip of an agent is io/checkpoint.test.ts
beforeAll(async () => {
  await initBackend("cpu");
});

const shape = { obsSize: 4, actionSize: 2, hidden: 8, initMean: [0.5, -1], initLogStd: [-1, -0.5] };

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
});
