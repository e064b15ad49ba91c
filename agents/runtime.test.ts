import { lastValueFrom, type Observable, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { compileScenario } from "../env/compile.ts";
import { PolicyError } from "../env/errors.ts";
import { presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import { createTenantPolicy } from "../policies/registry.ts";
import type { MarketObservation, TenantPolicy } from "../policies/types.ts";
import { type EpisodeEnded, isEpisodeEnded, type MarketEvent, marketEvents } from "./runtime.ts";

const scenario = presetScenario("tiny");
const compiled = compileScenario(scenario, createRng(scenario.seed));

/** One instance serves every tenant, as in a comparison (PRINCE solves the joint market once). */
function shared(policy: TenantPolicy) {
  return { tenant: () => policy };
}

/**
 * The events as text, exactly: typed arrays as plain arrays, and the numbers JSON cannot hold
 * (NaN, +-Infinity, -0) as tagged strings, so that two sequences are equal iff the texts are.
 */
function canonical(events: readonly MarketEvent[]): string {
  return JSON.stringify(events, (_key, v: unknown) => {
    if (v instanceof Float64Array || v instanceof Int32Array) return Array.from(v);
    if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)))
      return `#${Object.is(v, -0) ? "-0" : String(v)}`;
    return v;
  });
}

function collect(stream: Observable<MarketEvent>): Promise<MarketEvent[]> {
  return lastValueFrom(stream.pipe(toArray()));
}

/** The error a stream ends with, and the events it emitted before it (fails if it completes). */
function failure(stream: Observable<MarketEvent>): Promise<{ error: unknown; events: MarketEvent[] }> {
  const events: MarketEvent[] = [];
  return new Promise((resolve, reject) => {
    stream.subscribe({
      next: (e) => events.push(e),
      error: (error) => resolve({ error, events }),
      complete: () => reject(new Error(`the stream completed after ${events.length} events`)),
    });
  });
}

/**
 * Delays of 0..6 ms from a counter (a multiplicative hash of the call number), so answers arrive
 * after timers of varying length without any randomness outside the seed.
 */
function delays() {
  let k = 0;
  const used: number[] = [];
  return {
    next(): number {
      const ms = (Math.imul(++k, 2654435761) >>> 0) % 7;
      used.push(ms);
      return ms;
    },
    used,
  };
}

/** `inner`'s answers, each delivered through a promise that resolves after a timer. */
function asyncOf(inner: TenantPolicy, delay: () => number): TenantPolicy {
  return {
    name: inner.name,
    aggregation: inner.aggregation,
    reset: (ctx) => inner.reset?.(ctx),
    price(obs, row) {
      const prices = inner.price(obs, row);
      return new Promise((resolve) => setTimeout(() => resolve(prices), delay()));
    },
  };
}

/** Prince, except that at market step `step` its first answer is `answer(prices)`. */
function princeExceptAt(
  name: string,
  step: number,
  answer: (obs: MarketObservation, row: number) => Float64Array | Promise<Float64Array>,
): TenantPolicy & { asked: { step: number; tenant: string }[] } {
  const inner = createTenantPolicy("prince");
  const asked: { step: number; tenant: string }[] = [];
  return {
    name,
    aggregation: inner.aggregation,
    asked,
    reset: (ctx) => inner.reset?.(ctx),
    price(obs, row) {
      asked.push({ step: obs.step, tenant: obs.tenants[row].name });
      if (obs.step === step) return answer(obs, row);
      return inner.price(obs, row);
    },
  };
}

describe("marketEvents: a cold, deterministic stream", () => {
  it("does nothing until subscribed, then each subscription runs its own identical episode", async () => {
    let calls = 0;
    const prince = createTenantPolicy("prince");
    const counting: TenantPolicy = {
      name: prince.name,
      aggregation: prince.aggregation,
      reset: (ctx) => prince.reset?.(ctx),
      price(obs, row) {
        calls++;
        return prince.price(obs, row);
      },
    };
    const stream = marketEvents(compiled, shared(counting), { seed: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(0);

    const first = await collect(stream);
    const callsPerEpisode = calls;
    expect(callsPerEpisode).toBeGreaterThan(0);
    const second = await collect(stream);
    expect(calls).toBe(2 * callsPerEpisode);
    expect(second).not.toBe(first);
    expect(canonical(second)).toBe(canonical(first));

    // a fresh policy instance and a fresh stream with the same seed: the same again
    const third = await collect(marketEvents(compiled, shared(createTenantPolicy("prince")), { seed: 1 }));
    expect(canonical(third)).toBe(canonical(first));
  });

  it("the seed matters: another seed gives another sequence (so the check above is not vacuous)", async () => {
    const a = await collect(marketEvents(compiled, shared(createTenantPolicy("prince")), { seed: 1 }));
    const b = await collect(marketEvents(compiled, shared(createTenantPolicy("prince")), { seed: 2 }));
    expect(canonical(a)).not.toBe(canonical(b));
  });

  it("two subscriptions running at the same time do not interfere", async () => {
    const stream = marketEvents(compiled, shared(createTenantPolicy("prince")), { seed: 3 });
    const alone = await collect(stream);
    const [x, y] = await Promise.all([
      collect(marketEvents(compiled, shared(createTenantPolicy("prince")), { seed: 3 })),
      collect(marketEvents(compiled, shared(createTenantPolicy("prince")), { seed: 3 })),
    ]);
    expect(canonical(x)).toBe(canonical(alone));
    expect(canonical(y)).toBe(canonical(alone));
  });
});

describe("marketEvents: the end of the stream", () => {
  // prince meets every target on tiny; uniform misses vit on seed 2 (a deadlineMissed event)
  const cases = [
    { policy: "prince", seed: 1 },
    { policy: "uniform", seed: 2 },
  ];
  let missedSeen = 0;

  for (const c of cases)
    it(`${c.policy}, seed ${c.seed}: exactly one episodeEnded, last, agreeing with the tenant events`, async () => {
      const events = await collect(
        marketEvents(compiled, shared(createTenantPolicy(c.policy)), { seed: c.seed }),
      );
      const ended = events.filter(isEpisodeEnded);
      expect(ended).toHaveLength(1);
      expect(events.at(-1)).toBe(ended[0]);
      const { result } = ended[0] as EpisodeEnded;
      expect(result.seed).toBe(c.seed);
      expect(result.outcomes.map((o) => o.tenant)).toEqual(scenario.tenants.map((t) => t.name));

      for (const o of result.outcomes) {
        const mine = events.filter((e) => e.type !== "episodeEnded" && e.tenant === o.tenant);
        const met = mine.filter((e) => e.type === "targetMet");
        const missed = mine.filter((e) => e.type === "deadlineMissed");
        const rounds = mine.filter((e) => e.type === "roundCompleted");
        const paid = mine.reduce((s, e) => s + (e.type === "payment" ? e.amount : 0), 0);
        expect(met.length + missed.length).toBeLessThanOrEqual(1);
        expect(o.met).toBe(met.length === 1);
        expect(o.status === "missed").toBe(missed.length === 1);
        expect(o.rounds).toBe(rounds.length);
        expect(Math.abs(o.spend - paid)).toBeLessThanOrEqual(1e-9 * Math.max(1, paid));
        const end = met[0] ?? missed[0];
        if (end === undefined) continue;
        expect(end).toMatchObject({ rounds: o.rounds, spend: o.spend, lossGap: o.finalGap });
        if (end.type === "targetMet") {
          expect(o.timeToTarget).toBe(end.timeToTarget);
          expect(end.lossGap).toBeLessThanOrEqual(o.target);
        } else {
          missedSeen++;
          expect(o.timeToTarget).toBeNull();
          expect(end.lossGap).toBeGreaterThan(o.target);
        }
        // nothing happens to a tenant after it is met or missed
        expect(mine.at(-1)).toBe(end);
      }
    });

  it("the cases above include a missed deadline", () => {
    expect(missedSeen).toBeGreaterThan(0);
  });
});

describe("marketEvents: asynchronous policies", () => {
  it("answers through promises resolved after timers of varying length give the same sequence", async () => {
    const sync = await collect(marketEvents(compiled, shared(createTenantPolicy("prince")), { seed: 1 }));
    const d = delays();
    const slow = asyncOf(createTenantPolicy("prince"), d.next);
    const async = await collect(marketEvents(compiled, shared(slow), { seed: 1 }));
    expect(new Set(d.used).size).toBeGreaterThan(2);
    expect(canonical(async)).toBe(canonical(sync));
  });
});

describe("marketEvents: a failing policy ends the stream with a PolicyError", () => {
  it("NaN prices: the error names the policy, the step and the tenant", async () => {
    const bad = princeExceptAt("nan-at-step-1", 1, (obs) => new Float64Array(obs.market.N).fill(Number.NaN));
    const { error, events } = await failure(marketEvents(compiled, shared(bad), { seed: 1 }));
    expect(error).toBeInstanceOf(PolicyError);
    const e = error as PolicyError;
    const firstAtStep1 = bad.asked.find((a) => a.step === 1);
    expect(firstAtStep1).toBeDefined();
    expect(e).toMatchObject({ policy: "nan-at-step-1", step: 1, tenant: firstAtStep1!.tenant });
    expect(e.message).toContain('policy "nan-at-step-1"');
    expect(e.message).toContain("market step 1");
    expect(e.message).toContain("NaN");
    // step 0 went through; nothing of step 1 was posted; no result
    expect(events.some((x) => x.type === "pricesPosted" && x.step === 0)).toBe(true);
    expect(events.some((x) => x.type === "pricesPosted" && x.step >= 1)).toBe(false);
    expect(events.some(isEpisodeEnded)).toBe(false);
  });

  it("a promise that never settles: a PolicyError about the timeout after policyTimeoutMs", async () => {
    const stuck = princeExceptAt("stuck-at-step-1", 1, () => new Promise<Float64Array>(() => {}));
    const t0 = Date.now();
    const { error, events } = await failure(
      marketEvents(compiled, shared(stuck), { seed: 1, policyTimeoutMs: 200 }),
    );
    const elapsed = Date.now() - t0;
    expect(error).toBeInstanceOf(PolicyError);
    const e = error as PolicyError;
    expect(e).toMatchObject({ policy: "stuck-at-step-1", step: 1 });
    expect(e.message).toMatch(/did not settle within 200 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(10_000);
    expect(events.some(isEpisodeEnded)).toBe(false);
    // it stopped at the first unanswered call
    expect(stuck.asked.filter((a) => a.step === 1)).toHaveLength(1);
  });
});

describe("marketEvents: unsubscribing", () => {
  async function unsubscribeAfter(n: number, policy: TenantPolicy, settle: () => Promise<unknown>) {
    const seen: MarketEvent[] = [];
    let ended = false;
    let unsubscribedAt = -1;
    const sub = marketEvents(compiled, shared(policy), { seed: 1 }).subscribe({
      next(e) {
        seen.push(e);
        if (seen.length === n) {
          // the first event comes after subscribe returned (the driver awaits reset first)
          expect(sub).toBeDefined();
          sub.unsubscribe();
          unsubscribedAt = seen.length;
        }
      },
      error: () => {
        ended = true;
      },
      complete: () => {
        ended = true;
      },
    });
    await settle();
    return { seen, ended, unsubscribedAt, closed: sub.closed };
  }

  it("no event, completion or error reaches a subscriber after it unsubscribed (sync policy)", async () => {
    const full = await collect(marketEvents(compiled, shared(createTenantPolicy("prince")), { seed: 1 }));
    expect(full.length).toBeGreaterThan(20);
    // a synchronous policy's episode runs to its end in microtasks, before this timer fires
    const r = await unsubscribeAfter(
      5,
      createTenantPolicy("prince"),
      () => new Promise((res) => setTimeout(res, 50)),
    );
    expect(r.unsubscribedAt).toBe(5);
    expect(r.seen).toHaveLength(5);
    expect(r.ended).toBe(false);
    expect(r.closed).toBe(true);
    expect(canonical(r.seen)).toBe(canonical(full.slice(0, 5)));
  });

  it("the same with an asynchronous policy, waiting past the time a full episode takes", async () => {
    const reference = collect(
      marketEvents(compiled, shared(asyncOf(createTenantPolicy("prince"), delays().next)), { seed: 1 }),
    );
    const r = await unsubscribeAfter(5, asyncOf(createTenantPolicy("prince"), delays().next), async () => {
      await reference;
      await new Promise((res) => setTimeout(res, 100));
    });
    expect(r.seen).toHaveLength(5);
    expect(r.ended).toBe(false);
    expect((await reference).length).toBeGreaterThan(20);
  });

  it("unsubscribing cancels the episode: the policy is not asked again", async () => {
    const inner = createTenantPolicy("prince");
    let calls = 0;
    const counting: TenantPolicy = {
      name: "counting",
      aggregation: inner.aggregation,
      reset: (ctx) => inner.reset?.(ctx),
      price: (obs, row) =>
        new Promise((res) => {
          calls++;
          setTimeout(() => res(inner.price(obs, row) as Float64Array), 1);
        }),
    };
    let atUnsubscribe = -1;
    await new Promise<void>((done) => {
      const sub = marketEvents(compiled, shared(counting), { seed: 1 }).subscribe((e) => {
        if (e.type === "participationChosen") {
          sub.unsubscribe();
          atUnsubscribe = calls;
          done();
        }
      });
    });
    await new Promise((res) => setTimeout(res, 300));
    expect(atUnsubscribe).toBeGreaterThan(0);
    // at most the answer in flight when it unsubscribed
    expect(calls).toBe(atUnsubscribe);
  });
});
