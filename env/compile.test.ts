import { describe, expect, it } from "vitest";
import { compileScenario, nearestRankQuantile } from "./compile.ts";
import { presetScenario } from "./presets.ts";
import { createRng } from "./rng.ts";
import { type Scenario, validateScenario } from "./scenario.ts";

const dev = (over: Record<string, unknown> = {}) => ({
  compute: 1e12,
  uplink: 1e6,
  downlink: 2e6,
  energyPerFlop: 1e-11,
  energyPerByte: 1e-7,
  energyPrice: 2,
  ...over,
});
const tenant = (over: Record<string, unknown> = {}) => ({
  name: "cam",
  type: "vit",
  target: 0.01,
  deadline: 3600,
  budget: 10,
  samplesPerRound: 10,
  cutLayer: 2,
  ...over,
});

function scenario(raw: unknown): Scenario {
  const r = validateScenario(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.scenario;
}
const compile = (s: Scenario) => compileScenario(s, createRng(s.seed));

describe("compileScenario: one device, by hand", () => {
  const s = scenario({ tenants: [tenant()], devices: { list: [dev({ data: { image: { samples: 50 } } })] } });
  const { market, physics } = compile(s);

  it("t_ij = n F_dev / f + (n S + A)(1/u + 1/v)", () => {
    // F_dev = 2 x 2 blocks x 2.91 GFLOP; S = 197 x 768 x 2 B; A = 2 blocks x 24,576 params x 2 B
    const nF = 10 * 4 * 2.91e9;
    const S = 197 * 768 * 2;
    const A = 2 * 24_576 * 2;
    expect(S).toBe(302_592);
    expect(A).toBe(98_304);
    const t = nF / 1e12 + (10 * S + A) * (1 / 1e6 + 1 / 2e6);
    expect(t).toBeCloseTo(0.1164 + 3_124_224 * 1.5e-6, 9); // 4.802736 s
    expect(physics.roundTime[0]).toBeCloseTo(4.802736, 9);
  });

  it("c_ij = pi (e_c n F_dev + e_b (2 n S + 2 A))", () => {
    // 2 x (1e-11 x 1.164e11 + 1e-7 x (2 x 3,025,920 + 2 x 98,304)) = 2 x (1.164 + 0.6248448)
    expect(physics.cost[0]).toBeCloseTo(3.5776896, 9);
    expect(market?.cost[0]).toBeCloseTo(3.5776896, 9);
  });

  it("a lone device is its own mixture: a = 1, skew 0, G = h g0, w = (h g0)^2, W = t", () => {
    expect(physics.dataWeight[0]).toBe(1);
    expect(physics.labelSkew[0]).toBe(0);
    expect(physics.heterogeneity[0]).toBeCloseTo(0.05, 12);
    expect(market?.value[0]).toBeCloseTo(0.0025, 12);
    expect(physics.window[0]).toBe(physics.roundTime[0]);
    expect(physics.tenants[0]).toMatchObject({
      windowDefaulted: true,
      eligibleCount: 1,
      marketRow: 0,
      holders: 1,
    });
    expect(physics.tenants[0].cut.deviceFlops).toBeCloseTo(4 * 2.91e9, 0);
    expect(market?.budget[0]).toBe(10);
    expect(market?.tau).toBe(2);
  });
});

describe("eligibility and weights", () => {
  // Three image holders of increasing slowness and one device without image data.
  const list = [
    dev({ data: { image: { samples: 100, labels: [1, 0] } } }),
    dev({ uplink: 5e5, data: { image: { samples: 300, labels: [1, 1] } } }),
    dev({ uplink: 1e5, data: { image: { samples: 100, labels: [0, 1] } } }),
    dev({ data: { text: { samples: 40 } } }),
  ];

  it("j in E_i iff d_ij > 0 and t_ij <= W_i; w = a^2 G^2 there, 0 elsewhere; c > 0 everywhere", () => {
    const s = scenario({ tenants: [tenant({ window: 10 })], devices: { list } });
    const { market, physics } = compile(s);
    const t = Array.from(physics.roundTime);
    expect(t[0]).toBeLessThan(10);
    expect(t[1]).toBeLessThan(10);
    expect(t[2]).toBeGreaterThan(10); // slow uplink
    expect(Array.from(physics.eligible)).toEqual([1, 1, 0, 0]);
    expect(Array.from(physics.dataWeight)).toEqual([0.2, 0.6, 0.2, 0]);
    // mixture = (100 [1,0] + 300 [.5,.5] + 100 [0,1]) / 500 = [.5, .5]; skews 0.5, 0, 0.5
    expect(Array.from(physics.labelSkew)).toEqual([0.5, 0, 0.5, 0]);
    const G = [0.55, 0.05, 0.55, 0];
    physics.heterogeneity.forEach((g, j) => {
      expect(g).toBeCloseTo(G[j], 12);
    });
    expect(market?.value[0]).toBeCloseTo(0.2 ** 2 * 0.55 ** 2, 14);
    expect(market?.value[1]).toBeCloseTo(0.6 ** 2 * 0.05 ** 2, 14);
    expect(market?.value[2]).toBe(0); // holds data but too slow: not eligible, though its data counts in a
    expect(market?.value[3]).toBe(0);
    expect(Array.from(physics.cost).every((c) => c > 0)).toBe(true);
  });

  it("the default window is the nearest-rank 90th percentile of t_ij over holders", () => {
    expect(nearestRankQuantile(Float64Array.from([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]), 0.9)).toBe(9);
    expect(nearestRankQuantile(Float64Array.from([3, 1, 2]), 0.9)).toBe(3);
    const s = scenario({ tenants: [tenant()], devices: { list } });
    const { physics } = compile(s);
    expect(physics.window[0]).toBe(physics.roundTime[2]); // 3 holders: ceil(2.7) = 3rd smallest
    expect(Array.from(physics.eligible)).toEqual([1, 1, 1, 0]);
  });
});

describe("infeasible tenants", () => {
  const list = [
    dev({ data: { image: { samples: 10 }, text: { samples: 5 } } }),
    dev({ data: { text: { samples: 7 } } }),
  ];

  it("are reported and left out of the market, which maps rows back to tenants", () => {
    const s = scenario({
      tenants: [
        tenant({ name: "asr", type: "whisper" }),
        tenant({ name: "nlp", type: "bert" }),
        tenant({ name: "rushed", window: 0.01 }),
      ],
      devices: { list },
    });
    const { market, physics } = compile(s);
    expect(physics.infeasible.map((x) => [x.tenant, x.code])).toEqual([
      [0, "NO_DATA"],
      [2, "NO_ELIGIBLE_DEVICE"],
    ]);
    expect(physics.infeasible[0].reason).toMatch(/no device holds audio data/);
    expect(physics.infeasible[1].reason).toMatch(/window W = 0.01 s \(fastest takes 4\.8/);
    expect(market?.M).toBe(1);
    expect(physics.marketTenants).toEqual([1]);
    expect(physics.tenants.map((t) => t.marketRow)).toEqual([-1, 0, -1]);
    expect(Array.from(market?.value ?? [])).toEqual(Array.from(physics.value.subarray(2, 4)));
    expect(Number.isNaN(physics.window[0])).toBe(false);
  });

  it("with no feasible tenant the market is null, not a crash", () => {
    const s = scenario({ tenants: [tenant({ type: "whisper" })], devices: { list } });
    expect(compile(s).market).toBeNull();
  });
});

describe("determinism", () => {
  it("the same seed compiles to identical markets and populations; another seed differs", () => {
    const s = presetScenario("tiny");
    const a = compile(s);
    const b = compile(s);
    expect(b.market).toEqual(a.market);
    expect(b.physics.population).toEqual(a.physics.population);
    const c = compile(presetScenario("tiny", { seed: 8 }));
    expect(c.physics.cost).not.toEqual(a.physics.cost);
  });

  it("data weights sum to 1 over holders; tenants sharing a modality share d and skew", () => {
    const s = presetScenario("paper");
    const { physics } = compile(s);
    const N = physics.N;
    for (let i = 0; i < physics.M; i++) {
      const sum = physics.dataWeight.subarray(i * N, (i + 1) * N).reduce((x, y) => x + y, 0);
      expect(sum).toBeCloseTo(1, 12);
    }
    // bert (1) and llama (3) are both text tenants
    expect(physics.samples.subarray(N, 2 * N)).toEqual(physics.samples.subarray(3 * N, 4 * N));
    expect(physics.labelSkew.subarray(N, 2 * N)).toEqual(physics.labelSkew.subarray(3 * N, 4 * N));
  });
});
