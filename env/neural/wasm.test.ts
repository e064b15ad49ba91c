import { describe, expect, it } from "vitest";
import { createRng } from "../rng.ts";
import { useNeuralBackend } from "./backend.ts";
import { validationCurve } from "./curves.ts";
import { neuralTestScenario, neuralTestTenant } from "./testScenario.ts";

// Its own file: tfjs's backend is process-wide and vitest runs each file in its own worker.
const small = { devices: 8, learner: { validationSize: 64, maxSamples: 32 } };

describe("neural learner on the wasm backend", () => {
  it("gives the same bytes run to run, and stays close to the cpu backend's curve", async () => {
    const curve = (backend: "cpu" | "wasm") => {
      const t = neuralTestTenant(neuralTestScenario({ ...small, learner: { ...small.learner, backend } }));
      const q = new Float64Array(t.devices.length).fill(0.6);
      return Array.from(validationCurve(t, "unbiased", q, 10, createRng(7)));
    };
    await useNeuralBackend("cpu");
    const cpu = curve("cpu");
    await useNeuralBackend("wasm");
    const a = curve("wasm");
    expect(curve("wasm")).toEqual(a);
    // float32 sums in another order: not the same bits, the same curve to ~1e-4
    for (let r = 0; r < a.length; r++) expect(Math.abs(a[r] - cpu[r])).toBeLessThan(1e-3);
  });
});
