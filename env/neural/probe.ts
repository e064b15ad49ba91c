import type { Rng } from "../rng.ts";
import { deviceGradients, type Network } from "./network.ts";
import type { LabelledSet } from "./tasks.ts";

/**
 * The probe round that gives the market its G_ij from the data (docs/neural.md, "G_ij from a probe
 * round"). A real tenant cannot know each device's gradient dissimilarity at the optimum (the
 * surrogate's oracle), but before training it can ask every eligible device for one gradient at the
 * initial model theta_0 on a probe batch of its own data (the devices compute it with the split
 * network, exactly as in a training step, without updating anything). Then
 *     g_j = grad f_j(theta_0) on the probe batch,   gbar = sum_j a_j g_j,
 *     G_j = || g_j - gbar ||,
 * the bounded-dissimilarity constant of the local-SGD analyses (Li et al. 2020: ||grad f_j -
 * grad F||), measured at theta_0 instead of at the optimum. Where the surrogate's G_ij is the norm
 * at the optimum, this one is centred, because at theta_0 the gradients share a large common part
 * that says nothing about heterogeneity. A probe batch of m samples adds sampling noise of order
 * sigma / sqrt(m) to every G_j (m = `probeBatch`); devices with less data than m are probed with
 * replacement. A tiny floor keeps every eligible device's w_ij = a_ij^2 G_ij^2 > 0.
 */
export function probeHeterogeneity(
  net: Network,
  theta: Float64Array,
  data: readonly LabelledSet[],
  weight: Float64Array,
  probeBatch: number,
  rng: Rng,
): Float64Array {
  const n = data.length;
  const size = net.spec.tokens * net.spec.features;
  const x = new Float32Array(n * probeBatch * size);
  const y = new Int32Array(n * probeBatch);
  for (let l = 0; l < n; l++) {
    const set = data[l];
    for (let k = 0; k < probeBatch; k++) {
      const i = rng.int(set.n);
      x.set(set.x.subarray(i * size, (i + 1) * size), (l * probeBatch + k) * size);
      y[l * probeBatch + k] = set.y[i];
    }
  }
  const g = deviceGradients(net, theta, { S: n, n: probeBatch, x, y });
  const P = net.size;
  const mean = new Float64Array(P);
  for (let l = 0; l < n; l++) for (let k = 0; k < P; k++) mean[k] += weight[l] * g[l * P + k];
  const G = new Float64Array(n);
  for (let l = 0; l < n; l++) {
    let s = 0;
    for (let k = 0; k < P; k++) s += (g[l * P + k] - mean[k]) ** 2;
    G[l] = Math.max(Math.sqrt(s), 1e-12);
  }
  return G;
}
