import type { Rng } from "../rng.ts";
import { tf } from "./backend.ts";

/**
 * The split network of one tenant (MODEL.md section 5; docs/neural.md draws it).
 *
 * Device side (the first k_i blocks, shrunk to one block): a frozen dense layer W0 (d x h), the
 * stand-in for the pretrained FM block, with a trainable LoRA-style low-rank adapter A (d x r),
 * B (r x h), applied to every token:
 *     Z = relu(X (W0 + A B) + b0)                    X: [tokens, d]  ->  Z: [tokens, h] (smashed data)
 * Server side (trainable, per-device copies during a round as in SFL-V1):
 *     P = mean over tokens of Z;  H1 = relu(P W1 + b1);  logits = H1 W2 + b2
 * The trainable parameters theta are one flat vector, laid out [A | B | W1 | b1 | W2 | b2]; the first
 * `deviceSize` entries are the device side. A and the server weights start random, B at zero (the
 * usual LoRA start: the adapted block equals the frozen one), so the first round already learns.
 *
 * Every function here runs many devices at once: their parameters are stacked on a leading axis S
 * and every product is a batched matMul, so a round of |S| devices costs the same number of tfjs
 * kernel calls as a round of one. Each device's loss depends only on its own slice, so the gradient
 * of the summed loss is every device's own gradient.
 */

export interface NetworkSpec {
  readonly tokens: number;
  readonly features: number;
  /** h: width of the device block (the smashed data per token). */
  readonly hidden: number;
  /** r: rank of the adapter. */
  readonly rank: number;
  /** Width of the server's hidden layer. */
  readonly serverHidden: number;
  readonly classes: number;
}

export interface Network {
  readonly spec: NetworkSpec;
  /** Frozen base W0 (d x h) and bias b0 (h), float32. */
  readonly base: Float32Array;
  readonly baseBias: Float32Array;
  /** Length of theta, and of its device-side prefix [A | B]. */
  readonly size: number;
  readonly deviceSize: number;
}

/** Offsets and shapes of the trainable tensors in theta. */
function layout(s: NetworkSpec) {
  const { features: d, hidden: h, rank: r, serverHidden: h2, classes: C } = s;
  const shapes: [number, number][] = [
    [d, r],
    [r, h],
    [h, h2],
    [1, h2],
    [h2, C],
    [1, C],
  ];
  const offsets: number[] = [];
  let o = 0;
  for (const [a, b] of shapes) {
    offsets.push(o);
    o += a * b;
  }
  return { shapes, offsets, size: o, deviceSize: d * r + r * h };
}

/** The frozen base from `rng` (scaled so Z has unit-order entries). */
export function createNetwork(spec: NetworkSpec, rng: Rng): Network {
  const { features: d, hidden: h } = spec;
  const base = new Float32Array(d * h);
  for (let k = 0; k < base.length; k++) base[k] = rng.normal() / Math.sqrt(d);
  const baseBias = new Float32Array(h);
  for (let k = 0; k < h; k++) baseBias[k] = 0.1 * rng.normal();
  const { size, deviceSize } = layout(spec);
  return { spec, base, baseBias, size, deviceSize };
}

/** theta_0: A ~ N(0, 1/d), B = 0, W1 ~ N(0, 2/h), W2 ~ N(0, 1/h2), biases 0 (float32 values). */
export function initialParameters(net: Network, rng: Rng): Float64Array {
  const { shapes, offsets, size } = layout(net.spec);
  const theta = new Float64Array(size);
  const fill = (t: number, std: number) => {
    const [a, b] = shapes[t];
    for (let k = 0; k < a * b; k++) theta[offsets[t] + k] = Math.fround(std * rng.normal());
  };
  fill(0, 1 / Math.sqrt(net.spec.features));
  fill(2, Math.sqrt(2 / net.spec.hidden));
  fill(4, 1 / Math.sqrt(net.spec.serverHidden));
  return theta;
}

/** S copies of the parameters (rows of `thetas`, row-major [S, size]) as stacked tensors. */
export function stack(net: Network, thetas: Float32Array, S: number): tf.Tensor3D[] {
  const { shapes, offsets, size } = layout(net.spec);
  return shapes.map(([a, b], t) => {
    const buf = new Float32Array(S * a * b);
    for (let s = 0; s < S; s++)
      buf.set(thetas.subarray(s * size + offsets[t], s * size + offsets[t] + a * b), s * a * b);
    return tf.tensor3d(buf, [S, a, b]);
  });
}

/**
 * One split-learning step of S devices at once, with the gradients written out (no autodiff tape:
 * the split is explicit, and matMul's transpose flags avoid transposes). Shapes, m = n * tokens:
 *   device:  U = X A [S,m,r];  Zpre = X W0 + U B + b0;  Z = relu(Zpre)       (Z sent up)
 *   server:  P = mean_tokens Z [S,n,h];  H = relu(P W1 + b1);  logits = H W2 + b2
 *            dlogits = (softmax - Y) / n;  dW2 = H^T dlogits;  dW1 = P^T dHpre;  dZ = dP / tokens
 *                                                                            (dZ sent down)
 *   device:  dZpre = dZ * [Zpre > 0];  dB = U^T dZpre;  dA = X^T (dZpre B^T)
 * Returns the gradients in theta's order [A, B, W1, b1, W2, b2] (tensors the caller disposes).
 * network.test.ts checks them against tfjs's autodiff of the same loss.
 */
export function splitGradients(
  net: Network,
  params: tf.Tensor3D[],
  X: tf.Tensor3D,
  Y: tf.Tensor3D,
): tf.Tensor3D[] {
  const [A, B, W1, b1, W2, b2] = params;
  const { tokens: T, features: d, hidden: h } = net.spec;
  const [S, m] = X.shape;
  const n = m / T;
  // device side, forward
  const U = tf.matMul(X, A);
  const frozen = tf.reshape(tf.matMul(tf.reshape(X, [S * m, d]), tf.tensor2d(net.base, [d, h])), [S, m, h]);
  const Zpre = tf.add(tf.add(frozen, tf.matMul(U, B)), tf.tensor1d(net.baseBias));
  const Z = tf.relu(Zpre);
  // server side, forward and backward
  const P = tf.mean(tf.reshape(Z, [S, n, T, h]), 2) as tf.Tensor3D;
  const Hpre = tf.add(tf.matMul(P, W1), b1);
  const H = tf.relu(Hpre) as tf.Tensor3D;
  const logits = tf.add(tf.matMul(H, W2), b2) as tf.Tensor3D;
  const dL = tf.div(tf.sub(tf.softmax(logits), Y), n) as tf.Tensor3D;
  const dW2 = tf.matMul(H, dL, true, false);
  const db2 = tf.sum(dL, 1, true);
  const dHpre = tf.mul(tf.matMul(dL, W2, false, true), tf.step(Hpre)) as tf.Tensor3D;
  const dW1 = tf.matMul(P, dHpre, true, false);
  const db1 = tf.sum(dHpre, 1, true);
  const dP = tf.div(tf.matMul(dHpre, W1, false, true), T);
  const dZ = tf.reshape(tf.broadcastTo(tf.reshape(dP, [S, n, 1, h]), [S, n, T, h]), [S, m, h]);
  // device side, backward
  const dZpre = tf.mul(dZ, tf.step(Zpre)) as tf.Tensor3D;
  const dB = tf.matMul(U, dZpre, true, false);
  const dA = tf.matMul(X, tf.matMul(dZpre, B, false, true), true, false);
  return [dA, dB, dW1, db1, dW2, db2] as tf.Tensor3D[];
}

/** Logits [S, n, C] of S stacked models on X [S, n * tokens, d] (forward only). */
export function forward(net: Network, params: tf.Tensor3D[], X: tf.Tensor3D): tf.Tensor3D {
  const [A, B, W1, b1, W2, b2] = params;
  const { tokens: T, features: d, hidden: h } = net.spec;
  const [S, m] = X.shape;
  const W = tf.add(tf.tensor2d(net.base, [d, h]), tf.matMul(A, B));
  const Z = tf.relu(tf.add(tf.matMul(X, W as tf.Tensor3D), tf.tensor1d(net.baseBias)));
  const P = tf.mean(tf.reshape(Z, [S, m / T, T, h]), 2) as tf.Tensor3D;
  const H = tf.relu(tf.add(tf.matMul(P, W1), b1)) as tf.Tensor3D;
  return tf.add(tf.matMul(H, W2), b2) as tf.Tensor3D;
}

/** Sum over devices of each device's mean cross-entropy; Y one-hot [S, n, C]. */
export function summedLoss(logits: tf.Tensor3D, Y: tf.Tensor3D): tf.Scalar {
  const n = logits.shape[1];
  return tf.div(tf.neg(tf.sum(tf.mul(Y, tf.logSoftmax(logits)))), n) as tf.Scalar;
}

/** The batches of one local step, for S devices: X [S, n, tokens * d] and labels [S, n]. */
export interface StepBatch {
  readonly S: number;
  readonly n: number;
  readonly x: Float32Array;
  readonly y: Int32Array;
}

export function batchTensors(net: Network, b: StepBatch): [tf.Tensor3D, tf.Tensor3D] {
  const { tokens: T, features: d, classes: C } = net.spec;
  const X = tf.tensor3d(b.x, [b.S, b.n * T, d]);
  const Y = tf.oneHot(tf.tensor2d(b.y, [b.S, b.n], "int32"), C).toFloat() as tf.Tensor3D;
  return [X, Y];
}

/**
 * Local training of S devices from the same start theta: `steps.length` SGD steps of size `lr`, one
 * batch each. Returns the updates Delta_s = theta_s - theta, row-major [S, size] (float32 values).
 */
export function localTraining(net: Network, theta: Float64Array, steps: readonly StepBatch[], lr: number) {
  const S = steps[0].S;
  const start = new Float32Array(S * net.size);
  for (let s = 0; s < S; s++) start.set(theta, s * net.size);
  let params = stack(net, start, S);
  for (const batch of steps) {
    const next = tf.tidy(() => {
      const [X, Y] = batchTensors(net, batch);
      const g = splitGradients(net, params, X, Y);
      return params.map((p, t) => tf.sub(p, tf.mul(g[t], lr)) as tf.Tensor3D);
    });
    tf.dispose(params);
    params = next;
  }
  const out = flatten(net, params, S);
  tf.dispose(params);
  for (let s = 0; s < S; s++) for (let k = 0; k < net.size; k++) out[s * net.size + k] -= start[k];
  return out;
}

/** Each device's gradient of its mean loss at theta over one batch, row-major [S, size]. */
export function deviceGradients(net: Network, theta: Float64Array, batch: StepBatch): Float32Array {
  const start = new Float32Array(batch.S * net.size);
  for (let s = 0; s < batch.S; s++) start.set(theta, s * net.size);
  const params = stack(net, start, batch.S);
  const grads = tf.tidy(() => {
    const [X, Y] = batchTensors(net, batch);
    return splitGradients(net, params, X, Y) as tf.Tensor3D[];
  });
  const out = flatten(net, grads, batch.S);
  tf.dispose([...params, ...grads]);
  return out;
}

/** Stacked tensors -> row-major [S, size]. */
function flatten(net: Network, tensors: tf.Tensor[], S: number): Float32Array {
  const { offsets } = layout(net.spec);
  const out = new Float32Array(S * net.size);
  tensors.forEach((t, i) => {
    const v = t.dataSync() as Float32Array;
    const len = v.length / S;
    for (let s = 0; s < S; s++) out.set(v.subarray(s * len, (s + 1) * len), s * net.size + offsets[i]);
  });
  return out;
}

export interface Evaluation {
  /** Mean cross-entropy. */
  readonly loss: number;
  /** Fraction classified correctly. */
  readonly accuracy: number;
}

/** Loss and accuracy of the model theta on a labelled set ([n, tokens * d] features). */
export function evaluate(net: Network, theta: Float64Array, x: Float32Array, y: Int32Array): Evaluation {
  const n = y.length;
  const params = stack(net, Float32Array.from(theta), 1);
  const [loss, correct] = tf.tidy(() => {
    const [X, Y] = batchTensors(net, { S: 1, n, x, y });
    const logits = forward(net, params, X);
    const l = summedLoss(logits, Y);
    const hit = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 2), tf.tensor2d(y, [1, n], "int32")), "float32"));
    return [l, hit];
  });
  const out = { loss: loss.dataSync()[0], accuracy: correct.dataSync()[0] / n };
  tf.dispose([loss, correct, ...params]);
  return out;
}
