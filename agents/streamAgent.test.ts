import { concatMap, filter, lastValueFrom, map, type OperatorFunction, take, timer, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { compileScenario } from "../env/compile.ts";
import { PolicyError } from "../env/errors.ts";
import { presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import type { EpisodeResult } from "../env/simulation.ts";
import { createTenantPolicy } from "../policies/registry.ts";
import type { TenantPolicy } from "../policies/types.ts";
import { isEpisodeEnded, marketEvents } from "./runtime.ts";
import { type PriceRequest, streamTenantPolicy } from "./streamAgent.ts";

const scenario = presetScenario("tiny");
const compiled = compileScenario(scenario, createRng(scenario.seed));

/** Events as exact text (typed arrays as arrays; NaN, +-Infinity and -0 tagged). */
function canonical(events: readonly unknown[]): string {
  return JSON.stringify(events, (_key, v: unknown) => {
    if (v instanceof Float64Array || v instanceof Int32Array) return Array.from(v);
    if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)))
      return `#${Object.is(v, -0) ? "-0" : String(v)}`;
    return v;
  });
}

async function episode(policy: TenantPolicy, seed: number, policyTimeoutMs?: number) {
  const events = await lastValueFrom(
    marketEvents(compiled, { tenant: () => policy }, { seed, policyTimeoutMs }).pipe(toArray()),
  );
  const end = events.at(-1);
  if (!end || !isEpisodeEnded(end)) throw new Error("the stream did not end with episodeEnded");
  return { events: events.slice(0, -1), result: end.result };
}

/** Outcomes without the policy label (which is the stream agent's own name). */
function outcomesOf(result: EpisodeResult) {
  return result.outcomes.map(({ policy: _policy, ...rest }) => rest);
}

/** PRINCE's prices for each request, computed by a PRINCE instance owned by the agent. */
function princeAnswer(): (req: PriceRequest) => Float64Array {
  const prince = createTenantPolicy("prince");
  return ({ obs, row }) => {
    const p = prince.price(obs, row);
    if (!(p instanceof Float64Array)) throw new Error("prince answers synchronously");
    return p;
  };
}

/** 0..4 ms, from a counter: timers of varying length without randomness outside the seed. */
function counterDelay(): () => number {
  let k = 0;
  return () => (Math.imul(++k, 2246822519) >>> 0) % 5;
}

const agents: Record<string, () => OperatorFunction<PriceRequest, Float64Array>> = {
  map: () => map(princeAnswer()),
  "concatMap with a timer": () => {
    const answer = princeAnswer();
    const delay = counterDelay();
    return concatMap((req) => timer(delay()).pipe(map(() => answer(req))));
  },
};

describe("streamTenantPolicy: a stream agent runs wherever a policy does", () => {
  for (const [kind, make] of Object.entries(agents))
    for (const seed of [1, 2])
      it(`${kind} around PRINCE's prices: the same events and outcomes as PRINCE (seed ${seed})`, async () => {
        const reference = await episode(createTenantPolicy("prince"), seed);
        const agent = streamTenantPolicy("stream-prince", make());
        const run = await episode(agent, seed);
        expect(canonical(run.events)).toBe(canonical(reference.events));
        expect(outcomesOf(run.result)).toEqual(outcomesOf(reference.result));
        expect(run.result.outcomes.every((o) => o.policy === "stream-prince")).toBe(true);
        expect(reference.result.outcomes.every((o) => o.policy === "prince")).toBe(true);
      });

  it("one agent instance runs episode after episode (reset reconnects the stream)", async () => {
    const agent = streamTenantPolicy("stream-prince", agents["concatMap with a timer"]());
    const a = await episode(agent, 1);
    const b = await episode(agent, 2);
    const c = await episode(agent, 1);
    expect(canonical(c.events)).toBe(canonical(a.events));
    expect(canonical(b.events)).not.toBe(canonical(a.events));
  });

  it("the aggregation rule given to the adapter is the one the tenants' learners use", async () => {
    const unbiased = await episode(streamTenantPolicy("s", map(princeAnswer())), 1);
    const fedavg = await episode(streamTenantPolicy("s", map(princeAnswer()), "fedavg"), 1);
    expect(unbiased.result.outcomes.every((o) => o.aggregation === "unbiased")).toBe(true);
    expect(fedavg.result.outcomes.every((o) => o.aggregation === "fedavg")).toBe(true);
  });
});

describe("streamTenantPolicy: agents that break the one-answer-per-request contract", () => {
  it("an operator that drops answers (filter) fails with a timeout PolicyError instead of hanging", async () => {
    const answer = princeAnswer();
    const dropper = streamTenantPolicy("drops-step-1", (requests) =>
      requests.pipe(
        filter((req) => req.obs.step !== 1),
        map(answer),
      ),
    );
    const t0 = Date.now();
    const error = await episode(dropper, 1, 200).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ policy: "drops-step-1", step: 1 });
    expect((error as PolicyError).message).toMatch(/did not settle within 200 ms/);
  });

  it("an operator that errors fails the run with a PolicyError carrying the cause", async () => {
    const answer = princeAnswer();
    const boom = new Error("agent crashed");
    const crasher = streamTenantPolicy("crashes-at-step-1", (requests) =>
      requests.pipe(
        map((req) => {
          if (req.obs.step === 1) throw boom;
          return answer(req);
        }),
      ),
    );
    const error = await episode(crasher, 1, 200).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ policy: "crashes-at-step-1", step: 1 });
    expect((error as PolicyError).message).toContain("agent crashed");
    expect((error as PolicyError).cause).toBe(boom);
  });

  it("an operator that completes early (take) fails the run instead of hanging", async () => {
    const quitter = streamTenantPolicy("quits", (requests) => requests.pipe(map(princeAnswer()), take(2)));
    const t0 = Date.now();
    const error = await episode(quitter, 1, 200).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ policy: "quits", step: 0 });
    // it fails at once with the reason, not after the answer timeout
    expect((error as PolicyError).message).toContain("completed before answering every request");
    expect((error as PolicyError).message).not.toContain("did not settle");
  });
});
