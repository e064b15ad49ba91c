import { describe, expect, it } from "vitest";
import { aggregate } from "../market/aggregation.ts";
import { roundsToTarget } from "../market/bound.ts";
import { solveStackelberg } from "../market/stackelberg.ts";
import { compileScenario } from "./compile.ts";
import {
  boundConstants,
  boundGapAt,
  buildLearner,
  createScratch,
  expectedGapCurve,
  type Learner,
  learnerValuation,
  localUpdate,
  localUpdateSgd,
  lossGap,
  roundUpdate,
  serverStepSize,
  type TenantLearner,
  weightVariance,
} from "./learner.ts";
import { presetScenario } from "./presets.ts";
import { createRng } from "./rng.ts";
import { validateScenario } from "./scenario.ts";

const tiny = presetScenario("tiny");
const compiled = compileScenario(tiny, createRng(tiny.seed));
const learner = buildLearner(compiled, createRng(1).child("learner"));
const vit = learner.tenants[0]!;

/** The SE participation of each tenant, by learner-local index. */
function seParticipation(L: Learner): Float64Array[] {
  const se = solveStackelberg(L.market!);
  const { N } = compiled.physics;
  return compiled.physics.marketTenants.map((i, r) =>
    Float64Array.from(L.tenants[i]!.devices, (j) => se.participation[r * N + j]),
  );
}
const seQ = seParticipation(learner);

function meanVar(xs: Float64Array): [number, number] {
  let m = 0;
  for (const x of xs) m += x;
  m /= xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) ** 2;
  return [m, v / (xs.length - 1)];
}

describe("buildLearner: geometry from the compiled scenario", () => {
  it("weights sum to 1 over E_i, offsets average to zero, G is the exact gradient norm at w*", () => {
    for (const t of learner.tenants) {
      if (!t) continue;
      const { D } = t;
      expect(t.weight.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (let k = 0; k < D; k++) {
        let s = 0;
        for (let l = 0; l < t.devices.length; l++) s += t.weight[l] * t.offsets[l * D + k];
        expect(Math.abs(s)).toBeLessThan(1e-12);
      }
      for (let l = 0; l < t.devices.length; l++) {
        // grad f_ij(w*) = H (w* - w_ij*) = -H delta_j
        let g2 = 0;
        for (let k = 0; k < D; k++) g2 += (t.curvature[k] * t.offsets[l * D + k]) ** 2;
        expect(t.G[l]).toBeCloseTo(Math.sqrt(g2), 12);
      }
      expect(lossGap(t, t.initial)).toBeCloseTo(1, 12);
      expect(lossGap(t, t.optimum)).toBe(0);
    }
  });

  it("rebuilds the market's value weights as a_ij^2 G_ij^2 from the exact G, on the same devices", () => {
    const { N } = compiled.physics;
    const m = learner.market!;
    compiled.physics.marketTenants.forEach((i, r) => {
      const t = learner.tenants[i]!;
      let eligible = 0;
      for (let j = 0; j < N; j++) if (compiled.market!.value[r * N + j] > 0) eligible++;
      expect(t.devices.length).toBe(eligible);
      t.devices.forEach((j, l) => {
        expect(m.value[r * N + j]).toBeCloseTo((t.weight[l] * t.G[l]) ** 2, 15);
        expect(m.cost[r * N + j]).toBe(compiled.market!.cost[r * N + j]);
      });
    });
    expect(learner.observedValue).toEqual(learner.value); // oracle
  });

  it("'estimated' knowledge multiplies G by log-normal noise; the truth is unchanged", () => {
    const est = buildLearner(compiled, createRng(1).child("learner"), {
      knowledge: "estimated",
      knowledgeNoise: 0.5,
    });
    expect(est.value).toEqual(learner.value);
    const ratios: number[] = [];
    for (let k = 0; k < est.value.length; k++)
      if (est.value[k] > 0) ratios.push(Math.log(Math.sqrt(est.observedValue[k] / est.value[k])));
    const [m, v] = meanVar(Float64Array.from(ratios));
    expect(Math.abs(m)).toBeLessThan(0.3);
    expect(Math.sqrt(v)).toBeGreaterThan(0.3);
    expect(Math.sqrt(v)).toBeLessThan(0.75);
  });

  it("rejects bad options by name", () => {
    expect(() => buildLearner(compiled, createRng(1), { curvature: [0, 1] })).toThrow(/curvature/);
    expect(() => buildLearner(compiled, createRng(1), { initialGap: -1 })).toThrow(/initialGap/);
  });
});

describe("local steps: closed form vs explicit SGD", () => {
  const w = Float64Array.from(vit.initial);

  it("with no gradient noise the closed form is exactly E explicit steps", () => {
    const quiet: TenantLearner = {
      ...vit,
      noise: 0,
      noiseStd: new Float64Array(vit.D),
    };
    for (const l of [0, 3, vit.devices.length - 1]) {
      const a = localUpdate(quiet, l, w, createRng(1));
      const b = localUpdateSgd(quiet, l, w, createRng(2));
      for (let k = 0; k < vit.D; k++) expect(a[k]).toBeCloseTo(b[k], 13);
    }
  });

  it("with noise both have the same mean and per-coordinate variance s_k^2", () => {
    const n = 4000;
    const rA = createRng("closed");
    const rB = createRng("sgd");
    const A = Array.from({ length: n }, () => localUpdate(vit, 2, w, rA));
    const B = Array.from({ length: n }, () => localUpdateSgd(vit, 2, w, rB));
    const exact = localUpdate({ ...vit, noiseStd: new Float64Array(vit.D) }, 2, w, rA);
    for (const k of [0, 7, 15, vit.D - 1]) {
      const [ma, va] = meanVar(Float64Array.from(A, (x) => x[k]));
      const [mb, vb] = meanVar(Float64Array.from(B, (x) => x[k]));
      const s2 = vit.noiseStd[k] ** 2;
      const se = Math.sqrt(s2 / n);
      expect(Math.abs(ma - exact[k])).toBeLessThan(4.5 * se);
      expect(Math.abs(mb - exact[k])).toBeLessThan(4.5 * se);
      // variance of a sample variance of normals: 2 s^4 / (n - 1)
      const sv = Math.sqrt((2 * s2 * s2) / (n - 1));
      expect(Math.abs(va - s2)).toBeLessThan(4.5 * sv);
      expect(Math.abs(vb - s2)).toBeLessThan(4.5 * sv);
    }
  });
});

describe("a round: closed-form aggregated noise vs per-device updates through market/aggregation.ts", () => {
  const q = seQ[0];
  for (const rule of ["unbiased", "fedavg"] as const) {
    it(`${rule}: same mean and variance per coordinate`, () => {
      const zeta = weightVariance(rule, vit.weight, q);
      const participants = Int32Array.from([0, 2, 5, 8]);
      const S = new Uint8Array(vit.devices.length);
      for (const l of participants) S[l] = 1;
      const w = Float64Array.from(vit.initial);
      const eta = serverStepSize(vit, 3, zeta);
      const n = 3000;
      const scratch = createScratch(vit);
      const rA = createRng(`closed-${rule}`);
      const rB = createRng(`explicit-${rule}`);
      const A = Array.from({ length: n }, () =>
        roundUpdate(vit, w, 3, rule, q, zeta, participants, rA, scratch),
      );
      const B = Array.from({ length: n }, () => {
        const deltas = Array.from({ length: vit.devices.length }, (_, l) =>
          S[l] ? localUpdate(vit, l, w, rB) : new Float64Array(vit.D),
        );
        const agg = aggregate(rule, deltas, vit.weight, q, S);
        return Float64Array.from(w, (x, k) => x + eta * agg[k]);
      });
      for (const k of [0, 11, vit.D - 1]) {
        const [ma, va] = meanVar(Float64Array.from(A, (x) => x[k]));
        const [mb, vb] = meanVar(Float64Array.from(B, (x) => x[k]));
        const se = Math.sqrt((va + vb) / n);
        expect(Math.abs(ma - mb)).toBeLessThan(4.5 * se);
        expect(va / vb).toBeGreaterThan(0.85);
        expect(va / vb).toBeLessThan(1.18);
      }
    });
  }

  it("an empty round returns the model itself (nothing changes)", () => {
    const w = Float64Array.from(vit.initial);
    expect(roundUpdate(vit, w, 0, "unbiased", seQ[0], 0, new Int32Array(0), createRng(1))).toBe(w);
  });
});

describe("the server schedule and the exact expected gap", () => {
  it("eta_r = min(theta/(r+gamma), 1/(p_max(1+2 zeta))) decays like 1/r", () => {
    const { theta, gamma, pMax, pMin } = vit.schedule;
    expect(theta).toBeCloseTo(2 / pMin, 12);
    expect(gamma).toBeCloseTo((2 * pMax) / pMin, 12);
    expect(serverStepSize(vit, 0, 0)).toBeCloseTo(1 / pMax, 12);
    expect(serverStepSize(vit, 0, 1)).toBeCloseTo(1 / (3 * pMax), 12);
    expect(serverStepSize(vit, 1000, 0)).toBeCloseTo(theta / (1000 + gamma), 12);
  });

  it("the simulated mean loss gap of the unbiased rule matches the exact recursion", () => {
    const q = seQ[0];
    const zeta = weightVariance("unbiased", vit.weight, q);
    const rounds = 40;
    const runs = 1500;
    const curve = expectedGapCurve(vit, q, rounds);
    const sums = new Float64Array(rounds + 1);
    const sq = new Float64Array(rounds + 1);
    const rng = createRng("mean-gap");
    const scratch = createScratch(vit);
    const buf: number[] = [];
    for (let run = 0; run < runs; run++) {
      let w = vit.initial;
      for (let r = 0; r <= rounds; r++) {
        const g = lossGap(vit, w);
        sums[r] += g;
        sq[r] += g * g;
        if (r === rounds) break;
        buf.length = 0;
        for (let l = 0; l < q.length; l++) if (rng.next() < q[l]) buf.push(l);
        w = roundUpdate(vit, w, r, "unbiased", q, zeta, Int32Array.from(buf), rng, scratch);
      }
    }
    for (const r of [1, 2, 5, 10, 20, 40]) {
      const mean = sums[r] / runs;
      const sd = Math.sqrt(sq[r] / runs - mean * mean);
      expect(Math.abs(mean - curve[r])).toBeLessThan(4.5 * (sd / Math.sqrt(runs)));
    }
    expect(curve[rounds]).toBeLessThan(curve[0] / 50);
  });

  it("with a device left out (q = 0) the unbiased rule converges to a biased point", () => {
    const q = Float64Array.from(seQ[0]);
    q[0] = 0;
    const curve = expectedGapCurve(vit, q, 3000);
    const full = expectedGapCurve(vit, seQ[0], 3000);
    expect(curve[3000]).toBeGreaterThan(5 * full[3000]);
    expect(curve[3000]).toBeGreaterThan(0.8 * curve[2000]); // stalled
  });
});

describe("boundConstants: the bound holds for this learner", () => {
  it("exact expected gap <= the per-round bound <= (alpha V + beta)/r, for SE, uniform-like and random q", () => {
    const rng = createRng("q");
    for (const [i, t] of learner.tenants.entries()) {
      if (!t) continue;
      const b = boundConstants(t);
      expect(b.alpha).toBeGreaterThan(0);
      expect(b.beta).toBeGreaterThan(0);
      expect(b.alpha).toBeCloseTo(b.alphaHeterogeneity + b.alphaNoise + b.alphaStart, 9);
      expect(b.eps).toBe(t.target);
      const qs = [
        seQ[i],
        new Float64Array(t.devices.length).fill(0.3),
        Float64Array.from(t.devices, () => 0.01 + 0.99 * rng.next() ** 3),
        Float64Array.from(t.devices, () => 0.02),
      ];
      for (const q of qs) {
        const V = learnerValuation(t, q);
        const curve = expectedGapCurve(t, q, 2000);
        for (let r = 1; r <= 2000; r++) {
          const sharp = boundGapAt(t, V, r);
          expect(curve[r]).toBeLessThanOrEqual(sharp);
          expect(sharp).toBeLessThanOrEqual(((b.alpha * V + b.beta) / r) * (1 + 1e-12));
        }
        expect(curve[0]).toBeLessThanOrEqual(boundGapAt(t, V, 0));
        // and the rounds the bound promises are enough in expectation
        const R = roundsToTarget(b, V);
        if (R <= 2000) expect(curve[R]).toBeLessThanOrEqual(t.target);
      }
    }
  });

  it("more participation, smaller V, fewer rounds: the bound ranks participation like the exact curve", () => {
    const b = boundConstants(vit);
    const rows = [0.05, 0.1, 0.3, 1].map((x) => {
      const q = new Float64Array(vit.devices.length).fill(x);
      const curve = expectedGapCurve(vit, q, 4000);
      return {
        V: learnerValuation(vit, q),
        bound: roundsToTarget(b, learnerValuation(vit, q)),
        exact: curve.findIndex((g) => g <= 2e-3),
      };
    });
    for (let k = 1; k < rows.length; k++) {
      expect(rows[k].V).toBeLessThan(rows[k - 1].V);
      expect(rows[k].bound).toBeLessThan(rows[k - 1].bound);
      expect(rows[k].exact).toBeLessThanOrEqual(rows[k - 1].exact);
    }
  });
});

describe("learnerValuation", () => {
  it("is the market's V over the tenant's row, infinite when an eligible device has q = 0", () => {
    const q = seQ[0];
    const se = solveStackelberg(learner.market!);
    expect(learnerValuation(vit, q)).toBeCloseTo(se.objective[0], 9);
    const z = Float64Array.from(q);
    z[1] = 0;
    expect(learnerValuation(vit, z)).toBe(Number.POSITIVE_INFINITY);
  });
});

it("a one-device tenant keeps a positive value weight (still eligible)", () => {
  const r = validateScenario({
    tenants: [
      { name: "solo", type: "vit", target: 0.01, deadline: 3600, budget: 1, samplesPerRound: 4, cutLayer: 1 },
    ],
    devices: {
      list: [
        {
          compute: 1e12,
          uplink: 1e6,
          downlink: 1e6,
          energyPerFlop: 1e-11,
          energyPerByte: 1e-7,
          energyPrice: 1,
          data: { image: { samples: 10 } },
        },
      ],
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const c = compileScenario(r.scenario, createRng(1));
  const L = buildLearner(c, createRng(2));
  expect(L.value[0]).toBeGreaterThan(0);
  expect(L.market?.M).toBe(1);
});
