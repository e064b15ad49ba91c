import { describe, expect, it } from "vitest";
import type { AggregationRule } from "../market/aggregation.ts";
import type { MarketInstance } from "../market/instance.ts";
import { solveStackelberg } from "../market/stackelberg.ts";
import type { DevicePolicy, MarketObservation, TenantPolicy } from "../policies/types.ts";
import { type Compiled, compileScenario } from "./compile.ts";
import { PolicyError } from "./errors.ts";
import { isEvent, type SimEvent } from "./events.ts";
import { buildLearner } from "./learner.ts";
import { presetInput, presetScenario } from "./presets.ts";
import { createRng } from "./rng.ts";
import { type ScenarioInput, validateScenario } from "./scenario.ts";
import {
  deviceRewards,
  downsample,
  initial,
  observe,
  quantilesAt,
  reward,
  runEpisode,
  type State,
  terminal,
  transition,
} from "./simulation.ts";

// ---- inline test policies (the real ones live in policies/) ----

type SyncPolicy = Omit<TenantPolicy, "price"> & { price(obs: MarketObservation, row: number): Float64Array };

/** Stackelberg prices of the observed market, solved once per distinct market. */
function sePolicy(aggregation: AggregationRule = "unbiased"): SyncPolicy {
  let m: MarketInstance | null = null;
  let prices: Float64Array = new Float64Array(0);
  return {
    name: "se-test",
    aggregation,
    price(obs, row) {
      if (obs.market !== m) {
        m = obs.market;
        prices = solveStackelberg(m).prices;
      }
      return prices.slice(row * m.N, (row + 1) * m.N);
    },
  };
}

/** The same price on every device, whatever the budget (the guard scales it). */
function flatPolicy(price: number, aggregation: AggregationRule = "unbiased"): TenantPolicy {
  return {
    name: "flat-test",
    aggregation,
    price: (obs) => new Float64Array(obs.market.N).fill(price),
  };
}

function scenarioOf(raw: unknown) {
  const r = validateScenario(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.scenario;
}
const compile = (raw: unknown): Compiled => {
  const s = scenarioOf(raw);
  return compileScenario(s, createRng(s.seed));
};
function tinyWith(edit: (x: ScenarioInput) => void = () => {}): Compiled {
  const input = structuredClone(presetInput("tiny")) as ScenarioInput;
  edit(input);
  return compile(input);
}
const tinyScenario = presetScenario("tiny");
const tiny = compileScenario(tinyScenario, createRng(tinyScenario.seed));

// ---- a hand-made market: one tenant, two devices ----

const device = (over: Record<string, unknown>) => ({
  compute: 1e12,
  uplink: 1e6,
  downlink: 2e6,
  energyPerFlop: 1e-11,
  energyPerByte: 1e-7,
  energyPrice: 1,
  ...over,
});
const twoDevices = compile({
  tenants: [
    {
      name: "cam",
      type: "vit",
      target: 1e-12,
      deadline: 30_000,
      budget: 1e6,
      window: 100,
      samplesPerRound: 4,
      cutLayer: 1,
      serverFlops: 1e13,
    },
  ],
  devices: {
    list: [
      device({ data: { image: { samples: 100, labels: [3, 1] } } }),
      device({ compute: 5e11, uplink: 4e5, data: { image: { samples: 300, labels: [1, 3] } } }),
    ],
  },
});

describe("rounds on a hand-made 2-device market", () => {
  const p = twoDevices.physics;
  const t0 = p.roundTime[0];
  const t1 = p.roundTime[1];
  const c0 = p.cost[0];
  const c1 = p.cost[1];
  const server = (4 * p.tenants[0].cut.serverFlops) / 1e13; // n_i F_srv / f_E per participant
  // alone on the market with tau = 2, q_j = P_j / (2 c_j): buy q = 0.5 and 0.25
  const P = Float64Array.from([2 * c0 * 0.5, 2 * c1 * 0.25]);
  const fixed: TenantPolicy = { name: "fixed", aggregation: "unbiased", price: () => P };

  it("round length is max t_ij over S plus n |S| F_srv / f_E (W if S is empty), payment is sum_S P_ij", async () => {
    expect(t0).not.toBeCloseTo(t1, 3);
    const events: SimEvent[] = [];
    const res = await runEpisode(
      twoDevices,
      { tenant: () => fixed },
      { seed: 3, onEvent: (e) => events.push(e) },
    );
    const rounds = events.filter(isEvent("roundCompleted"));
    expect(rounds.length).toBeGreaterThan(200);
    const seen = { none: 0, first: 0, second: 0, both: 0 };
    let prevEnd = 0;
    for (const r of rounds) {
      const d = r.time - r.start;
      expect(r.start).toBeCloseTo(prevEnd, 9); // rounds run back to back
      prevEnd = r.time;
      if (r.participants === 0) {
        seen.none++;
        expect(r.payment).toBe(0);
        expect(d).toBeCloseTo(100, 9);
      } else if (r.participants === 2) {
        seen.both++;
        expect(r.payment).toBeCloseTo(P[0] + P[1], 12);
        expect(d).toBeCloseTo(Math.max(t0, t1) + 2 * server, 9);
      } else if (Math.abs(r.payment - P[0]) < 1e-12) {
        seen.first++;
        expect(d).toBeCloseTo(t0 + server, 9);
      } else {
        seen.second++;
        expect(r.payment).toBeCloseTo(P[1], 12);
        expect(d).toBeCloseTo(t1 + server, 9);
      }
    }
    // participation frequencies match q = (0.5, 0.25) (independent devices)
    const n = rounds.length;
    const f0 = (seen.first + seen.both) / n;
    const f1 = (seen.second + seen.both) / n;
    expect(Math.abs(f0 - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
    expect(Math.abs(f1 - 0.25)).toBeLessThan(4 * Math.sqrt(0.1875 / n));
    expect(Math.min(seen.none, seen.first, seen.second, seen.both)).toBeGreaterThan(0);
    // the ledger adds up, and the deadline ends it
    const paid = events.filter(isEvent("payment")).reduce((s, e) => s + e.amount, 0);
    expect(res.outcomes[0].spend).toBeCloseTo(paid, 9);
    expect(res.outcomes[0]).toMatchObject({ status: "missed", met: false, timeToTarget: null });
    const missed = events.filter(isEvent("deadlineMissed"));
    expect(missed).toHaveLength(1);
    expect(missed[0].time).toBe(30_000);
    expect(rounds.at(-1)!.time).toBeLessThanOrEqual(30_000);
  });

  it("the posted participation is the water-filling response q_j = P_j / (2 c_j)", async () => {
    const events: SimEvent[] = [];
    await runEpisode(
      twoDevices,
      { tenant: () => fixed },
      { seed: 1, maxTime: 50, onEvent: (e) => events.push(e) },
    );
    const q = events.find(isEvent("participationChosen"))!;
    expect(q.participation[0]).toBeCloseTo(0.5, 12);
    expect(q.participation[1]).toBeCloseTo(0.25, 12);
    const posted = events.find(isEvent("pricesPosted"))!;
    expect(posted.guardScale).toBe(1);
    expect(posted.expectedSpend).toBeCloseTo(P[0] * 0.5 + P[1] * 0.25, 12);
  });

  it("a market step every K rounds (repricingInterval)", async () => {
    const events: SimEvent[] = [];
    await runEpisode(
      twoDevices,
      { tenant: () => fixed },
      { seed: 1, maxTime: 800, repricingInterval: 7, onEvent: (e) => events.push(e) },
    );
    let sinceStep = 0;
    for (const e of events) {
      if (e.type === "pricesPosted") {
        if (e.step > 0) expect(sinceStep).toBe(7);
        sinceStep = 0;
      }
      if (e.type === "roundCompleted") sinceStep++;
    }
  });
});

describe("the budget guard", () => {
  it("scales a tenant's prices down to its budget once devices respond", async () => {
    const events: SimEvent[] = [];
    await runEpisode(tiny, { tenant: () => flatPolicy(1e6) }, { seed: 1, onEvent: (e) => events.push(e) });
    const posted = events.filter(isEvent("pricesPosted"));
    expect(posted.length).toBeGreaterThan(0);
    for (const e of posted) {
      expect(e.guardScale).toBeLessThan(1e-3);
      expect(e.expectedSpend).toBeLessThanOrEqual(e.budget * (1 + 1e-12));
      expect(e.expectedSpend).toBeGreaterThan(0.999 * e.budget);
      // the guard scales, it does not reshape: every eligible device gets the same price
      expect(e.summary.max).toBeCloseTo(e.summary.min, 9);
      expect(e.summary.max).toBeCloseTo(1e6 * e.guardScale, 6);
    }
  });

  it("leaves prices within budget untouched", async () => {
    const events: SimEvent[] = [];
    await runEpisode(tiny, { tenant: () => sePolicy() }, { seed: 1, onEvent: (e) => events.push(e) });
    for (const e of events.filter(isEvent("pricesPosted"))) expect(e.guardScale).toBe(1);
  });
});

describe("the tiny preset with Stackelberg prices", () => {
  it("meets every target with unbiased aggregation, deterministically, in well under a second", async () => {
    const t0 = performance.now();
    const a = await runEpisode(tiny, { tenant: () => sePolicy() }, { seed: 11 });
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    expect(a.outcomes.every((o) => o.met && o.status === "met")).toBe(true);
    for (const o of a.outcomes) {
      expect(o.finalGap!).toBeLessThanOrEqual(o.target);
      expect(o.timeToTarget!).toBeGreaterThan(0);
      expect(o.rounds).toBeGreaterThan(0);
    }
    const b = await runEpisode(tiny, { tenant: () => sePolicy() }, { seed: 11 });
    expect(JSON.stringify(b.outcomes)).toBe(JSON.stringify(a.outcomes));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = await runEpisode(tiny, { tenant: () => sePolicy() }, { seed: 12 });
    expect(JSON.stringify(c.outcomes)).not.toBe(JSON.stringify(a.outcomes));
  });

  it("reports trajectories, per-step summaries and the bound's data", async () => {
    const r = await runEpisode(tiny, { tenant: () => sePolicy() }, { seed: 2, maxTrajectoryPoints: 10 });
    expect(r.trajectories).toHaveLength(3);
    for (const tr of r.trajectories) {
      expect(tr.time.length).toBeLessThanOrEqual(10);
      expect(tr.gap[0]).toBeCloseTo(1, 12);
      const o = r.outcomes.find((x) => x.tenant === tr.tenant)!;
      expect(tr.gap.at(-1)).toBe(o.finalGap);
    }
    expect(r.steps.length).toBe(r.marketSteps);
    expect(r.steps[0].tenants.map((t) => t.tenant)).toEqual(["vit", "bert", "whisper"]);
    for (const s of r.steps[0].tenants) {
      expect(s.participation.min).toBeGreaterThan(0);
      expect(s.valuation).toBeGreaterThan(0);
      expect(s.expectedSpend).toBeLessThanOrEqual(
        tinyScenario.tenants.find((t) => t.name === s.tenant)!.budget * (1 + 1e-9),
      );
    }
    for (const b of r.bound) {
      expect(b.measuredRounds).toBe(r.outcomes.find((o) => o.tenant === b.tenant)!.rounds);
      expect(b.boundRounds!).toBeGreaterThanOrEqual(b.measuredRounds!); // the bound is an upper bound
      expect(b.valuation).toBeGreaterThan(0);
    }
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  });
});

describe("the paper preset (calibration, docs/simulation.md)", () => {
  it("Stackelberg prices with unbiased aggregation meet every target well before its deadline", async () => {
    const paper = presetScenario("paper");
    const c = compileScenario(paper, createRng(paper.seed));
    const s0 = initial(c, 1);
    const se = solveStackelberg(observe(s0).market);
    expect(se.congestion.filter((mu) => mu > 0).length).toBeGreaterThanOrEqual(20); // devices contested
    const r = await runEpisode(c, { tenant: () => sePolicy() }, { seed: 1 });
    for (const o of r.outcomes) {
      const deadline = paper.tenants[o.index].deadline;
      expect(o.met).toBe(true);
      expect(o.timeToTarget!).toBeLessThan(0.5 * deadline);
      expect(o.rounds).toBeGreaterThan(100); // participation matters at this target
    }
  });
});

describe("bias: FedAvg under unequal participation stalls where the unbiased rule does not", () => {
  const tight = tinyWith((x) => {
    for (const t of x.tenants) t.target = 1e-3;
  });

  it("same SE participation: unbiased meets a tight target, FedAvg stays near its biased fixed point", async () => {
    const unbiased = await runEpisode(tight, { tenant: () => sePolicy("unbiased") }, { seed: 1 });
    expect(unbiased.outcomes.every((o) => o.met)).toBe(true);

    const q: Float64Array[] = [];
    const fed = await runEpisode(
      tight,
      { tenant: () => sePolicy("fedavg") },
      {
        seed: 1,
        onEvent: (e) => {
          if (e.type === "participationChosen" && e.step === 0) q[e.index] = e.participation;
        },
      },
    );
    const vit = fed.outcomes[0];
    expect(vit.met).toBe(false);
    expect(vit.status).toBe("missed");

    // FedAvg's expected update vanishes at w* + e_b, e_b = sum_j pi_j delta_j / sum_j pi_j with
    // pi_j = E[a_j 1{j in S} / sum_S a]: a data-weighted average tilted towards frequent participants.
    const t = buildLearner(tight, createRng(1).child("learner")).tenants[0]!;
    const qv = Float64Array.from(t.devices, (j) => q[0][j]);
    const spread = Math.max(...qv) / Math.min(...qv);
    expect(spread).toBeGreaterThan(3); // strongly unequal participation
    const pi = new Float64Array(qv.length);
    const rng = createRng("pi");
    for (let s = 0; s < 40_000; s++) {
      let aS = 0;
      const S: number[] = [];
      for (let l = 0; l < qv.length; l++)
        if (rng.next() < qv[l]) {
          S.push(l);
          aS += t.weight[l];
        }
      for (const l of S) pi[l] += t.weight[l] / aS;
    }
    const piSum = pi.reduce((x, y) => x + y, 0);
    let biasGap = 0;
    for (let k = 0; k < t.D; k++) {
      let e = 0;
      for (let l = 0; l < qv.length; l++) e += (pi[l] / piSum) * t.offsets[l * t.D + k];
      biasGap += 0.5 * t.curvature[k] * e * e;
    }
    expect(biasGap).toBeGreaterThan(2 * vit.target); // the biased point is above the target
    const tail = fed.trajectories[0].gap.slice(-100);
    const tailMean = tail.reduce((x, y) => x + y, 0) / tail.length;
    expect(Math.min(...tail)).toBeGreaterThan(vit.target);
    expect(tailMean / biasGap).toBeGreaterThan(0.5);
    expect(tailMean / biasGap).toBeLessThan(2);
  });
});

describe("outcomes that are not successes", () => {
  it("an infeasible tenant is reported with its reason, never a crash or a NaN", async () => {
    const c = tinyWith((x) => {
      x.devices.modalities = { audio: { probability: 0 } };
    });
    expect(c.physics.infeasible.map((x) => x.name)).toEqual(["whisper"]);
    const events: SimEvent[] = [];
    const r = await runEpisode(c, { tenant: () => sePolicy() }, { seed: 1, onEvent: (e) => events.push(e) });
    const w = r.outcomes.find((o) => o.tenant === "whisper")!;
    expect(w).toMatchObject({ status: "infeasible", met: false, timeToTarget: null, rounds: 0, spend: 0 });
    expect(w.finalGap).toBeNull();
    expect(w.reason).toMatch(/no device holds audio data/);
    expect(events.filter(isEvent("tenantInfeasible")).map((e) => e.tenant)).toEqual(["whisper"]);
    expect(r.outcomes.filter((o) => o.tenant !== "whisper").every((o) => o.met)).toBe(true);
    expect(JSON.stringify(r)).not.toMatch(/NaN/);
  });

  it("a scenario with no feasible tenant ends at once with every tenant reported", async () => {
    const c = tinyWith((x) => {
      x.devices.modalities = {
        audio: { probability: 0 },
        image: { probability: 0 },
        text: { probability: 0 },
      };
    });
    const s = initial(c, 1);
    expect(terminal(s)).toBe(true);
    const r = await runEpisode(c, { tenant: () => sePolicy() }, { seed: 1 });
    expect(r.outcomes.map((o) => o.status)).toEqual(["infeasible", "infeasible", "infeasible"]);
    expect(r.marketSteps).toBe(0);
  });

  it("a deadline that passes first is a miss at start + T_i, with the reason", async () => {
    const c = tinyWith((x) => {
      x.tenants[1].deadline = 30;
    });
    const r = await runEpisode(c, { tenant: () => sePolicy() }, { seed: 1 });
    const bert = r.outcomes[1];
    expect(bert).toMatchObject({ status: "missed", met: false, timeToTarget: null });
    expect(bert.reason).toMatch(/deadline/);
    expect(bert.finalGap!).toBeGreaterThan(bert.target);
  });

  it("maxTime cuts the episode: unfinished tenants, truncated", async () => {
    const r = await runEpisode(tiny, { tenant: () => sePolicy() }, { seed: 1, maxTime: 20 });
    expect(r.truncated).toBe(true);
    expect(r.endTime).toBe(20);
    expect(r.outcomes.every((o) => o.status === "unfinished" && o.reason!.includes("maxTime"))).toBe(true);
  });
});

describe("market steps: arrivals and finishes", () => {
  it("a late tenant arrives at its start; every arrival and finish is a market step for all active tenants", async () => {
    const c = tinyWith((x) => {
      x.tenants[2].start = 120;
    });
    const events: SimEvent[] = [];
    await runEpisode(c, { tenant: () => sePolicy() }, { seed: 4, onEvent: (e) => events.push(e) });
    const arrived = events.filter(isEvent("tenantArrived"));
    expect(arrived.map((e) => [e.tenant, e.time])).toEqual([
      ["vit", 0],
      ["bert", 0],
      ["whisper", 120],
    ]);
    const stepsAt = (time: number) => events.filter((e) => e.type === "pricesPosted" && e.time === time);
    expect(stepsAt(120).length).toBeGreaterThanOrEqual(1);
    expect(stepsAt(120).some((e) => e.tenant === "whisper")).toBe(true);
    for (const f of events.filter(isEvent("targetMet"))) {
      const others = stepsAt(f.time);
      const activeAfter = events.filter(isEvent("roundCompleted")).some((e) => e.start >= f.time);
      if (activeAfter) expect(others.length).toBeGreaterThan(0);
    }
    // time never goes backwards
    for (let k = 1; k < events.length; k++) expect(events[k].time).toBeGreaterThanOrEqual(events[k - 1].time);
  });
});

describe("policies are checked at the boundary", () => {
  const nanAt = (step: number): TenantPolicy => ({
    name: "nan-policy",
    aggregation: "unbiased",
    price(obs: MarketObservation, row: number) {
      const p = sePolicy().price(obs, row);
      if (obs.step === step) p[3] = Number.NaN;
      return p;
    },
  });

  it("a NaN price raises PolicyError naming the policy, the step and the value", async () => {
    const err = await runEpisode(tiny, { tenant: () => nanAt(0) }, { seed: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect(err.policy).toBe("nan-policy");
    expect(err.step).toBe(0);
    expect(err.index).toBe(3);
    expect(Number.isNaN(err.value)).toBe(true);
    expect(err.message).toMatch(
      /policy "nan-policy" at market step 0 for tenant "vit": price for device 3 is NaN/,
    );
    const later = await runEpisode(tiny, { tenant: () => nanAt(2) }, { seed: 1 }).catch((e) => e);
    expect(later).toBeInstanceOf(PolicyError);
    expect(later.step).toBe(2);
  });

  it("wrong length, negative, infinite prices and a throwing policy are PolicyErrors too", async () => {
    const bad = (price: TenantPolicy["price"]): TenantPolicy => ({
      name: "bad",
      aggregation: "unbiased",
      price,
    });
    const cases: [TenantPolicy, RegExp][] = [
      [bad(() => new Float64Array(3)), /length 3, expected N = 20/],
      [bad((o) => new Float64Array(o.market.N).fill(-1)), /device 0 is -1; prices must be >= 0/],
      [
        bad((o) => new Float64Array(o.market.N).fill(Number.POSITIVE_INFINITY)),
        /Infinity; prices must be finite/,
      ],
      [
        bad(() => {
          throw new Error("boom");
        }),
        /price\(\) threw: boom/,
      ],
      [bad(async () => Promise.reject(new Error("async boom"))), /async boom/],
    ];
    for (const [pol, msg] of cases) {
      const err = await runEpisode(tiny, { tenant: () => pol }, { seed: 1 }).catch((e) => e);
      expect(err).toBeInstanceOf(PolicyError);
      expect(err.policy).toBe("bad");
      expect(err.message).toMatch(msg);
    }
  });

  it("transition checks raw actions the same way", () => {
    const s = initial(tiny, 1);
    expect(() => transition(s, { prices: {} })).toThrow(PolicyError);
    expect(() => transition(s, { prices: {} })).toThrow(/vit.*no price vector/);
  });

  it("asynchronous policies give the same episode as synchronous ones", async () => {
    const sync = await runEpisode(tiny, { tenant: () => sePolicy() }, { seed: 5 });
    const inner = sePolicy();
    const asyncPol: TenantPolicy = {
      name: "se-test",
      aggregation: "unbiased",
      price: async (o, r) => {
        await new Promise((res) => setTimeout(res, 0));
        return inner.price(o, r);
      },
    };
    const asy = await runEpisode(tiny, { tenant: () => asyncPol }, { seed: 5 });
    expect(JSON.stringify(asy)).toBe(JSON.stringify(sync));
  });
});

describe("the functional core", () => {
  it("transition is pure: the old state is untouched and replaying it gives the same result", () => {
    const s0 = initial(tiny, 9);
    const obs = observe(s0);
    const pol = sePolicy();
    const actions = { prices: Object.fromEntries(obs.tenants.map((t) => [t.name, pol.price(obs, t.row)])) };
    const before = JSON.stringify(s0.tenants.map((t) => ({ ...t, model: Array.from(t.model!) })));
    const a = transition(s0, actions as { prices: Record<string, Float64Array> });
    const b = transition(s0, actions as { prices: Record<string, Float64Array> });
    expect(JSON.stringify(s0.tenants.map((t) => ({ ...t, model: Array.from(t.model!) })))).toBe(before);
    expect(a.state).not.toBe(s0);
    expect(JSON.stringify(a.events)).toBe(JSON.stringify(b.events));
    expect(a.state.tenants.map((t) => t.lossGap)).toEqual(b.state.tenants.map((t) => t.lossGap));
    expect(Object.isFrozen(a.state)).toBe(true);
    expect(Object.isFrozen(a.state.tenants[0])).toBe(true);
    expect(a.state.tenants[0].model).not.toBe(s0.tenants[0].model); // vectors replaced, not mutated
    // the random streams are inside the state, as JSON
    expect(JSON.parse(JSON.stringify(a.state.tenants[0].rng))).toEqual(a.state.tenants[0].rng);
    expect(a.state.tenants[0].rng).not.toEqual(s0.tenants[0].rng);
  });

  it("observe gives the active market with last prices; rewards telescope to ln(initial/final gap)", () => {
    let s: State = initial(tiny, 3);
    const pol = sePolicy();
    const total: Record<string, number> = { vit: 0, bert: 0, whisper: 0 };
    let first = true;
    while (!terminal(s)) {
      const obs = observe(s);
      if (first) {
        expect(obs.lastPrices).toBeNull();
        expect(obs.step).toBe(0);
        expect(obs.tenants.map((t) => t.row)).toEqual([0, 1, 2]);
        first = false;
      } else {
        expect(obs.lastPrices!.length).toBe(obs.market.M * obs.market.N);
      }
      const prices = Object.fromEntries(obs.tenants.map((t) => [t.name, pol.price(obs, t.row)]));
      const res = transition(s, { prices });
      for (const [k, v] of Object.entries(reward(res.state, res.events))) total[k] += v;
      s = res.state;
    }
    expect(() => observe(s)).toThrow(/over/);
    expect(() => transition(s, { prices: {} })).toThrow(/over/);
    for (const t of s.tenants) expect(total[t.name]).toBeCloseTo(Math.log(1 / t.lossGap), 9);
  });

  it("device agents: their participation replaces water-filling; capacity is enforced", () => {
    const s0 = initial(tiny, 2, { deviceAgents: [0, 1] });
    const obs = observe(s0);
    const pol = sePolicy();
    const prices = Object.fromEntries(obs.tenants.map((t) => [t.name, pol.price(obs, t.row)]));
    const { M, N } = obs.market;
    const q = new Float64Array(M * N);
    for (let r = 0; r < M; r++) if (obs.market.value[r * N] > 0) q[r * N] = 1 / M; // device 0 splits evenly
    const res = transition(s0, { prices, participation: q });
    const chosen = res.events.filter(isEvent("participationChosen"));
    for (const [r, e] of chosen.entries()) {
      expect(e.participation[0]).toBe(obs.market.value[r * N] > 0 ? 1 / M : 0);
      expect(e.participation[1]).toBe(0); // device 1's agent gave nothing
    }
    const over = new Float64Array(M * N);
    for (let r = 0; r < M; r++) over[r * N + 1] = obs.market.value[r * N + 1] > 0 ? 0.9 : 0;
    const eligible1 = Array.from({ length: M }, (_, r) => obs.market.value[r * N + 1] > 0).filter(
      Boolean,
    ).length;
    if (eligible1 > 1) expect(() => transition(s0, { prices, participation: over })).toThrow(/capacity/);
    expect(() => transition(s0, { prices })).toThrow(PolicyError);
    const u = deviceRewards(res.state, res.events, [0, 1]);
    expect(u[1]).toBe(0);
    expect(Number.isFinite(u[0])).toBe(true);
  });

  it("runEpisode drives a DevicePolicy over the devices it controls", async () => {
    const lazy: DevicePolicy = {
      name: "lazy",
      respond: (o) => new Float64Array(o.market.M * o.market.N), // controlled devices never take part
    };
    const r = await runEpisode(
      tiny,
      { tenant: () => sePolicy(), device: { policy: lazy, devices: [0, 1, 2, 3, 4, 5] } },
      { seed: 1, maxTime: 300 },
    );
    for (const s of r.steps) for (const t of s.tenants) expect(t.valuation).toBeNull(); // some q = 0: V infinite
    const greedy: DevicePolicy = {
      name: "greedy",
      respond: (o) => new Float64Array(o.market.M * o.market.N).fill(1),
    };
    await expect(
      runEpisode(tiny, { tenant: () => sePolicy(), device: { policy: greedy } }, { seed: 1 }),
    ).rejects.toThrow(/greedy.*capacity is 1/);
  });
});

describe("helpers", () => {
  it("quantilesAt interpolates order statistics over the given devices", () => {
    const x = Float64Array.from([5, 1, 4, 2, 3, 100]);
    const q = quantilesAt(x, Int32Array.from([0, 1, 2, 3, 4]));
    expect(q).toEqual({ min: 1, p10: 1.4, p25: 2, median: 3, p75: 4, p90: 4.6, max: 5, mean: 3 });
  });

  it("downsample keeps the first and last points and at most max", () => {
    const time = Array.from({ length: 1001 }, (_, k) => k);
    const d = downsample({ time, gap: time.map((t) => 1 / (1 + t)) }, 500);
    expect(d.time.length).toBeLessThanOrEqual(500);
    expect(d.time[0]).toBe(0);
    expect(d.time.at(-1)).toBe(1000);
  });
});
