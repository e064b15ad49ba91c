import { describe, expect, it } from "vitest";
import { compileScenario } from "../../env/compile.ts";
import { MarketParallelEnv } from "../../env/parallelEnv.ts";
import { presetScenario } from "../../env/presets.ts";
import { createRng } from "../../env/rng.ts";
import { runEpisode } from "../../env/simulation.ts";
import type { MarketObservation } from "../../policies/types.ts";
import { openSession } from "./open.ts";
import type { EnvServerOptions } from "./options.ts";
import { PROTOCOL } from "./session.ts";
import { decodeLine, encodeLine } from "./wire.ts";

const scenario = presetScenario("tiny");
const tiny = compileScenario(scenario, createRng(scenario.seed));

// biome-ignore lint/suspicious/noExplicitAny: decoded JSON replies, read field by field by the assertions
type Json = Record<string, any>;

/** A session on the tiny preset with the handshake done; `ask` sends one request and decodes the reply. */
async function client(options: EnvServerOptions = {}) {
  const session = await openSession({ scenario, scenarioName: "preset tiny", options, version: "test" });
  const ask = async (req: unknown): Promise<Json> =>
    decodeLine((await session.handle(typeof req === "string" ? req : encodeLine(req))).line) as Json;
  const hello = await ask({ op: "hello", protocol: PROTOCOL });
  expect(hello.ok).toBe(true);
  return { session, ask, hello };
}

const errorOf = (r: Json) => {
  expect(r.ok).toBe(false);
  return r.error as { code: string; message: string; path?: string };
};

describe("env-server session: the handshake", () => {
  it("answers hello with the version, the agents and their spaces as the environment has them", async () => {
    const { hello } = await client();
    const env = new MarketParallelEnv(tiny);
    expect(hello).toMatchObject({ protocol: PROTOCOL, server: "sfl-market", version: "test" });
    expect(hello.possibleAgents).toEqual([...env.possibleAgents]);
    for (const a of env.possibleAgents) {
      const act = env.actionSpace(a) as unknown as { low: Float64Array; high: Float64Array };
      expect(hello.spaces[a].action).toEqual({
        kind: "box",
        shape: [20],
        low: [...act.low],
        high: [...act.high],
      });
      // unbounded sides cross the wire as Infinity, not null
      expect(hello.spaces[a].observation.high).toContain(Number.POSITIVE_INFINITY);
      expect(hello.spaces[a].observation.low).toContain(Number.NEGATIVE_INFINITY);
    }
    expect(hello.tenants.vit).toMatchObject({ type: "vit", deadline: tiny.physics.tenants[0].deadline });
  });

  it("refuses another protocol version, and any op but hello and close before the handshake", async () => {
    const session = await openSession({ scenario, scenarioName: "t", options: {}, version: "9.9.9" });
    const ask = async (req: unknown) => decodeLine((await session.handle(encodeLine(req))).line) as Json;
    expect(errorOf(await ask({ op: "reset", seed: 1 })).code).toBe("HANDSHAKE");
    const e = errorOf(await ask({ id: 7, op: "hello", protocol: 2 }));
    expect(e.code).toBe("PROTOCOL");
    expect(e.message).toMatch(/protocol 2.*sfl-market 9\.9\.9.*speaks 1/);
    expect((await ask({ id: 7, op: "hello", protocol: 2 })).id).toBe(7);
    expect((await ask({ op: "hello", protocol: PROTOCOL })).ok).toBe(true);
    expect((await ask({ op: "reset", seed: 1 })).ok).toBe(true);
  });
});

describe("env-server session: malformed requests get an error reply and change nothing", () => {
  it("not JSON, not an object, an unknown op, a bad seed, step before reset", async () => {
    const { ask } = await client();
    expect(errorOf(await ask("{oops")).code).toBe("BAD_JSON");
    expect(errorOf(await ask("[1, 2]")).code).toBe("BAD_REQUEST");
    expect(errorOf(await ask({ op: "jump" }))).toMatchObject({ code: "UNKNOWN_OP", path: "op" });
    expect(errorOf(await ask({ op: "step", actions: {} })).code).toBe("STATE");
    expect(errorOf(await ask({ op: "reset", seed: 1.5 }))).toMatchObject({
      code: "BAD_REQUEST",
      path: "seed",
    });
    expect(errorOf(await ask({ op: "reset", seed: 2 ** 60 })).path).toBe("seed");
    expect(errorOf(await ask({ op: "reset", options: [1] })).path).toBe("options");
  });

  it("unknown agent, wrong shape, NaN, a price above the cap, a missing action: then the same step succeeds", async () => {
    const { ask, hello } = await client();
    const reset = await ask({ op: "reset", seed: 3 });
    const cap = hello.spaces.vit.action.high[0] as number;
    const ok = (x: number) => Array.from({ length: 20 }, () => x);
    const all = { vit: ok(1), bert: ok(1), whisper: ok(1) };
    const bad = async (actions: unknown, code: string, path?: string) => {
      const e = errorOf(await ask({ op: "step", actions }));
      expect(e.code).toBe(code);
      if (path !== undefined) expect(e.path).toBe(path);
      return e;
    };
    expect((await bad({ ...all, nobody: ok(1) }, "UNKNOWN_AGENT", "actions.nobody")).message).toMatch(
      /the client's agents: vit, bert, whisper/,
    );
    await bad({ ...all, vit: [1, 2] }, "BAD_ACTION", "actions.vit");
    await bad({ ...all, vit: "cheap" }, "BAD_ACTION", "actions.vit");
    await bad({ ...all, vit: [...ok(1).slice(1), "x"] }, "BAD_ACTION", "actions.vit[19]");
    expect(
      (await bad({ ...all, bert: [...ok(1).slice(1), Number.NaN] }, "BAD_ACTION", "actions.bert")).message,
    ).toMatch(/device 19 is NaN/);
    expect((await bad({ ...all, vit: ok(cap * 2) }, "BAD_ACTION", "actions.vit")).message).toMatch(/cap/);
    expect((await bad({ vit: ok(1), bert: ok(1) }, "BAD_ACTION", "actions.whisper")).message).toMatch(
      /no action/,
    );
    await bad("all", "BAD_REQUEST", "actions");
    // nothing moved: the step now gives what a fresh environment gives for this seed and these actions
    const step = await ask({ op: "step", actions: all });
    expect(step.ok).toBe(true);
    const env = new MarketParallelEnv(tiny);
    expect(reset.observations.vit).toEqual([...env.reset({ seed: 3 }).observations.vit]);
    const direct = env.step(
      Object.fromEntries(Object.entries(all).map(([a, v]) => [a, Float64Array.from(v)])),
    );
    expect(step.rewards).toEqual(direct.rewards);
    expect(step.observations.vit).toEqual([...direct.observations.vit]);
  });

  it("an action for a finished agent is refused, and a step after the client's episode ended", async () => {
    const { ask } = await client({ tenants: ["vit"] });
    await ask({ op: "reset", seed: 2 });
    let r: Json = { agents: ["vit"] };
    // a price that buys nothing: vit never learns and is truncated at the end of the episode
    while (r.agents.length > 0) r = await ask({ op: "step", actions: { vit: new Array(20).fill(0) } });
    expect(r.truncations.vit || r.terminations.vit).toBe(true);
    expect(errorOf(await ask({ op: "step", actions: { vit: new Array(20).fill(0) } })).code).toBe("STATE");
    const { ask: ask2 } = await client({ tenants: ["vit", "bert"] });
    await ask2({ op: "reset", seed: 2 });
    expect(errorOf(await ask2({ op: "step", actions: { whisper: new Array(20).fill(1) } }))).toMatchObject({
      code: "UNKNOWN_AGENT",
      message: expect.stringMatching(/priced by the rivals' policy \(prince\)/),
    });
  });
});

describe("env-server session: the bridge is the environment", () => {
  it("every tenant the client's: the trajectory is MarketParallelEnv's, bit for bit through the wire", async () => {
    const { ask } = await client();
    const env = new MarketParallelEnv(tiny);
    const rng = createRng("bridge-actions");
    for (const seed of [5, undefined]) {
      const r = await ask(seed === undefined ? { op: "reset" } : { op: "reset", seed });
      const d = env.reset(seed === undefined ? {} : { seed });
      expect(r.observations).toEqual(plain(d.observations));
      let steps = 0;
      while (env.agents.length > 0) {
        const actions = Object.fromEntries(env.agents.map((a) => [a, env.actionSpace(a).sample(rng)]));
        const viaWire = await ask({ op: "step", actions });
        const direct = env.step(actions);
        steps++;
        expect(viaWire.agents).toEqual([...env.agents]);
        for (const key of ["observations", "rewards", "terminations", "truncations"] as const)
          expect(viaWire[key]).toEqual(plain(direct[key]));
      }
      expect(steps).toBeGreaterThan(1);
    }
  });

  it("PRINCE rivals in the server, the client pricing its tenant as PRINCE: runEpisode's outcome for it", async () => {
    const { ask, hello } = await client({ tenants: ["vit"], rivals: "prince", info: "market" });
    const { resolveTenantPolicy } = await import("../../policies/registry.ts");
    const mine = await resolveTenantPolicy("prince");
    const seed = 4;
    await mine.reset?.({ rng: createRng(seed).child("policy/prince"), seed });
    let r = await ask({ op: "reset", seed });
    let last: Json = r;
    let total = 0;
    while (r.agents.length > 0) {
      const info = r.infos.vit;
      const obs = revive(info.market);
      const actions = info.market
        ? { vit: [...(await mine.price(obs, info.row))] }
        : { vit: new Array(20).fill(0) };
      r = await ask({ op: "step", actions });
      total += r.rewards.vit;
      last = r;
    }
    const all = await resolveTenantPolicy("prince");
    const episode = await runEpisode(tiny, { tenant: () => all }, { seed });
    const vit = episode.outcomes.find((o) => o.tenant === "vit")!;
    const o = last.observations.vit as number[];
    expect(last.terminations.vit).toBe(vit.met);
    expect(o[5]).toBe(vit.rounds);
    expect(o[6]).toBeCloseTo(vit.spend, 9);
    expect(10 ** o[1]).toBeCloseTo(vit.finalGap!, 12);
    expect(total).toBeCloseTo(Math.log(1 / vit.finalGap!), 9);
    // the example's time-to-target: timeUsed times the deadline from the handshake
    expect(o[4] * hello.tenants.vit.deadline).toBeCloseTo(vit.timeToTarget!, 6);
  });
});

/** Typed arrays as plain arrays, as they come out of the wire. */
function plain(x: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(x).map(([k, v]) => [k, ArrayBuffer.isView(v) ? [...(v as Float64Array)] : v]),
  );
}

/** The market observation of an info back as the typed arrays a TenantPolicy reads. */
function revive(m: Json | null): MarketObservation {
  if (m === null) return null as unknown as MarketObservation;
  const f = (x: number[] | null) => (x === null ? null : Float64Array.from(x));
  return {
    ...m,
    market: { ...m.market, cost: f(m.market.cost), value: f(m.market.value), budget: f(m.market.budget) },
    lastPrices: f(m.lastPrices),
    lastParticipation: f(m.lastParticipation),
    ...(m.dataWeight ? { dataWeight: f(m.dataWeight) } : {}),
  } as MarketObservation;
}
