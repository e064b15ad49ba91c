import { describe, expect, it } from "vitest";
import { createRng } from "../rng.ts";
import { tf, useNeuralBackend } from "./backend.ts";
import {
  batchTensors,
  createNetwork,
  deviceGradients,
  forward,
  initialParameters,
  localTraining,
  splitGradients,
  stack,
  summedLoss,
} from "./network.ts";

const spec = { tokens: 3, features: 4, hidden: 5, rank: 2, serverHidden: 6, classes: 3 };

function randomBatch(S: number, n: number, seed: number) {
  const r = createRng(seed);
  const x = Float32Array.from({ length: S * n * spec.tokens * spec.features }, () => r.normal());
  const y = Int32Array.from({ length: S * n }, () => r.int(spec.classes));
  return { S, n, x, y };
}

/** theta with every entry non-zero (B starts at 0, which would hide errors in dA). */
function randomTheta(size: number, seed: number) {
  const r = createRng(seed);
  return Float64Array.from({ length: size }, () => Math.fround(0.5 * r.normal()));
}

describe("split network", () => {
  it("the written-out split gradients equal tfjs's autodiff of the same loss", async () => {
    await useNeuralBackend("cpu");
    const net = createNetwork(spec, createRng(1));
    const S = 3;
    const theta = new Float32Array(S * net.size);
    for (let s = 0; s < S; s++) theta.set(randomTheta(net.size, 10 + s), s * net.size);
    const params = stack(net, theta, S);
    const [X, Y] = batchTensors(net, randomBatch(S, 4, 2));
    const manual = splitGradients(net, params, X, Y).map((g) => Array.from(g.dataSync()));
    const auto = tf
      .grads((...p: tf.Tensor[]) => summedLoss(forward(net, p as tf.Tensor3D[], X), Y))(params)
      .map((g) => Array.from(g.dataSync()));
    expect(manual.length).toBe(6);
    manual.forEach((g, t) => {
      const scale = Math.max(1e-3, ...auto[t].map(Math.abs));
      for (let k = 0; k < g.length; k++) expect(Math.abs(g[k] - auto[t][k]) / scale).toBeLessThan(1e-4);
    });
    tf.dispose([...params, X, Y]);
  });

  it("each device's gradient depends only on its own batch (stacking keeps devices apart)", async () => {
    await useNeuralBackend("cpu");
    const net = createNetwork(spec, createRng(1));
    const theta = randomTheta(net.size, 3);
    const two = randomBatch(2, 4, 5);
    const both = deviceGradients(net, theta, two);
    const size = spec.tokens * spec.features;
    const second = deviceGradients(net, theta, {
      S: 1,
      n: 4,
      x: two.x.slice(4 * size),
      y: two.y.slice(4),
    });
    const a = Array.from(both.subarray(net.size));
    for (let k = 0; k < second.length; k++) expect(second[k]).toBeCloseTo(a[k], 6);
  });

  it("one local step moves theta by -lr times the gradient", async () => {
    await useNeuralBackend("cpu");
    const net = createNetwork(spec, createRng(1));
    const theta = initialParameters(net, createRng(4));
    const batch = randomBatch(2, 4, 6);
    const g = deviceGradients(net, theta, batch);
    const d = localTraining(net, theta, [batch], 0.1);
    let moved = 0;
    for (let k = 0; k < d.length; k++) {
      expect(d[k]).toBeCloseTo(-0.1 * g[k], 5);
      moved += Math.abs(d[k]);
    }
    expect(moved).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBeLessThan(50);
  });
});
