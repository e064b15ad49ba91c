import { describe, expect, it } from "vitest";
import { createRng } from "../rng.ts";
import { validateScenario } from "../scenario.ts";
import { tf, useNeuralBackend } from "./backend.ts";
import { validationCurve } from "./curves.ts";
import { neuralMetric } from "./neuralTenant.ts";
import { neuralTestScenario, neuralTestTenant } from "./testScenario.ts";

const small = { devices: 8, learner: { validationSize: 64, maxSamples: 32 } };

describe("neural tenant", () => {
  it("same seed on cpu: the same validation curve bit for bit; another seed: another curve", async () => {
    await useNeuralBackend("cpu");
    const curve = (seed: number) => {
      const t = neuralTestTenant(neuralTestScenario(small), seed);
      const q = new Float64Array(t.devices.length).fill(0.6);
      return Array.from(validationCurve(t, "unbiased", q, 8, createRng(seed).child("sampling")));
    };
    const a = curve(1);
    expect(curve(1)).toEqual(a);
    expect(curve(2)).not.toEqual(a);
    expect(a.every(Number.isFinite)).toBe(true);
    // training reduces the validation loss from the initial model's
    expect(a[8]).toBeLessThan(a[0]);
  });

  it("builds from the scenario: E_i, data weights, probed G_ij > 0, theta_0's metric", async () => {
    await useNeuralBackend("cpu");
    const t = neuralTestTenant(neuralTestScenario(small));
    expect(t.devices.length).toBe(8);
    expect(t.weight.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(Array.from(t.G).every((g) => g > 1e-6 && Number.isFinite(g))).toBe(true);
    // the probe sees the label skew: G varies across devices
    expect(Math.max(...t.G) / Math.min(...t.G)).toBeGreaterThan(1.2);
    expect(t.initialMetric).toBe(neuralMetric(t, t.initial));
    // 10 classes at a random start: cross-entropy near ln 10
    expect(t.initialMetric).toBeGreaterThan(1.5);
    expect(t.backend).toBe("cpu");
  });

  it("an empty round leaves the model untouched; rounds leak no tensors", async () => {
    await useNeuralBackend("cpu");
    const t = neuralTestTenant(neuralTestScenario(small));
    const before = tf.memory().numTensors;
    const q = new Float64Array(t.devices.length).fill(1);
    validationCurve(t, "fedavg", q, 3, createRng(3));
    expect(tf.memory().numTensors).toBe(before);
    const c = validationCurve(t, "unbiased", new Float64Array(t.devices.length).fill(1e-9), 3, createRng(3));
    expect(Array.from(c)).toEqual([t.initialMetric, t.initialMetric, t.initialMetric, t.initialMetric]);
  });

  it("the iris option trains on the real data (3 classes, 30 held out)", async () => {
    await useNeuralBackend("cpu");
    const t = neuralTestTenant(neuralTestScenario({ devices: 8, learner: { dataset: "iris" } }));
    expect(t.task.classes).toBe(3);
    expect(t.task.validation.n).toBe(30);
    const c = validationCurve(t, "unbiased", new Float64Array(8).fill(1), 30, createRng(1));
    expect(c[30]).toBeLessThan(0.7 * c[0]);
  });

  it("refuses to run on a backend other than the one it was built on", async () => {
    await useNeuralBackend("cpu");
    const compiled = neuralTestScenario({ ...small, learner: { ...small.learner, backend: "wasm" } });
    expect(() => neuralTestTenant(compiled)).toThrow(/asks for the tfjs wasm backend but tfjs runs on cpu/);
  });
});

describe('scenario "learner": { "kind": "neural" }', () => {
  const base = (learner: unknown) => ({
    devices: { count: 4 },
    tenants: [
      {
        name: "v",
        type: "vit",
        target: 1,
        deadline: 10,
        budget: 1,
        samplesPerRound: 4,
        cutLayer: 1,
        learner,
      },
    ],
  });

  it("resolves the defaults and keeps the surrogate's fields for compile", () => {
    const r = validateScenario(base({ kind: "neural", hidden: 7 }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const l = r.scenario.tenants[0].learner;
    expect(l.neural).toMatchObject({ kind: "neural", hidden: 7, rank: 2, backend: "cpu", metric: "loss" });
    expect(l.dimension).toBe(32);
    const s = validateScenario(base(undefined));
    expect(s.ok && s.scenario.tenants[0].learner.neural).toBeUndefined();
  });

  it("names a bad field by its path, with the neural learner's allowed fields", () => {
    const r = validateScenario(base({ kind: "neural", hidden: 0, dimension: 3, backend: "gpu" }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
    expect(byPath["tenants[0].learner.hidden"]).toMatch(/integer in \[1, 256\], got 0/);
    expect(byPath["tenants[0].learner.backend"]).toMatch(/"cpu" or "wasm"/);
    expect(byPath["tenants[0].learner.dimension"]).toMatch(/unknown field; allowed: kind, dataset, metric/);
    const k = validateScenario(base({ kind: "quantum" }));
    expect(!k.ok && k.issues[0].path).toBe("tenants[0].learner.kind");
  });
});
