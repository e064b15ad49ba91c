import type { Rng } from "../../env/rng.ts";
import { tf } from "./backend.ts";
import { type NormalizerState, RunningNormalizer } from "./normalizer.ts";

/**
 * Proximal Policy Optimization with the clipped surrogate objective (Schulman, Wolski, Dhariwal,
 * Radford, Klimov 2017, "Proximal Policy Optimization Algorithms", arXiv 1707.06347), on
 * TensorFlow.js: a Gaussian policy with a state-independent, learned log standard deviation, a
 * separate value tower, generalized advantage estimation (Schulman et al. 2016, arXiv 1506.02438)
 * and Adam (Kingma and Ba 2015).
 *
 * Determinism: the network's initial weights are drawn from the project's seeded RNG (env/rng.ts),
 * not from tf.random (whose unseeded initialisers use Math.random); actions are sampled with the
 * RNG too, and so are minibatch orders. Adam is written out here rather than taken from tf.train:
 * tf.train.adam keeps its bias-correction powers beta^t in float32 by repeated multiplication and
 * recomputes them with pow() when its state is restored, so a resumed run would drift from an
 * uninterrupted one in the last bits; here beta^t is computed in float64 from the step count, and
 * the moments are saved exactly (float32 in, float32 out). So on the CPU backend the same seed gives
 * the same bits, and a run resumed from a checkpoint continues exactly as the uninterrupted one.
 */

export interface PpoConfig {
  /** Adam step size. */
  readonly learningRate: number;
  /** The clip range epsilon of the surrogate objective. */
  readonly clip: number;
  /** Passes over each batch. */
  readonly epochs: number;
  /** Transitions per minibatch (the last one of an epoch may be smaller). */
  readonly minibatch: number;
  /** Discount per step, and GAE's lambda. */
  readonly gamma: number;
  readonly lambda: number;
  readonly valueCoef: number;
  readonly entropyCoef: number;
  /** Gradients are scaled down to this global norm (per update step). */
  readonly maxGradNorm: number;
}

export const DEFAULT_PPO: PpoConfig = Object.freeze({
  learningRate: 1e-3,
  clip: 0.2,
  epochs: 8,
  minibatch: 64,
  gamma: 1,
  lambda: 0.95,
  valueCoef: 0.5,
  entropyCoef: 0,
  maxGradNorm: 0.5,
});

export interface AgentShape {
  readonly obsSize: number;
  readonly actionSize: number;
  /** Units in each of the two hidden layers of both towers. */
  readonly hidden: number;
  /** The policy's mean action before any learning (the output bias). */
  readonly initMean: readonly number[];
  readonly initLogStd: readonly number[];
}

/** One step of one agent: what it saw, did, expected, and got. */
export interface Transition {
  /** Normalised observation (what the network saw). */
  readonly obs: readonly number[];
  readonly action: readonly number[];
  readonly logp: number;
  readonly value: number;
  reward: number;
  /** Set on the agent's last step of an episode (terminal: no bootstrap). */
  done: boolean;
}

export interface UpdateStats {
  readonly transitions: number;
  readonly policyLoss: number;
  readonly valueLoss: number;
  readonly approxKl: number;
  readonly clipFraction: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** The agent's saved state apart from the network: everything float64 and JSON. */
export interface AgentState {
  readonly shape: AgentShape;
  readonly normalizer: NormalizerState;
  /** Adam steps taken (bias correction uses beta^t). */
  readonly adamSteps: number;
}

/** Named float32 tensors outside the LayersModel: log std and Adam's moments. */
export type ExtraWeights = { name: string; tensor: tf.Tensor }[];

export class PpoAgent {
  readonly shape: AgentShape;
  readonly model: tf.LayersModel;
  readonly logStd: tf.Variable;
  readonly normalizer: RunningNormalizer;
  #adamSteps: number;
  #m: tf.Variable[] | null = null;
  #v: tf.Variable[] | null = null;

  private constructor(
    shape: AgentShape,
    model: tf.LayersModel,
    logStd: tf.Variable,
    normalizer: RunningNormalizer,
    adamSteps: number,
  ) {
    this.shape = shape;
    this.model = model;
    this.logStd = logStd;
    this.normalizer = normalizer;
    this.#adamSteps = adamSteps;
  }

  /** A fresh agent whose weights come from `rng` (Glorot-uniform hidden layers, small policy head). */
  static create(shape: AgentShape, rng: Rng): PpoAgent {
    const model = buildModel(shape);
    const weights = model.weights.map((w) => {
      const dims = w.shape as number[];
      const n = dims.reduce((a, b) => a * b, 1);
      const values = new Float32Array(n);
      const layer = w.originalName.split("/")[0];
      if (dims.length === 2) {
        const limit = Math.sqrt(6 / (dims[0] + dims[1]));
        const gain = layer === "pi_mean" ? 0.01 : 1;
        for (let k = 0; k < n; k++) values[k] = gain * limit * (2 * rng.next() - 1);
      } else if (layer === "pi_mean") values.set(shape.initMean);
      return tf.tensor(values, dims);
    });
    model.setWeights(weights);
    tf.dispose(weights);
    const logStd = tf.variable(tf.tensor1d(shape.initLogStd as number[]), true);
    return new PpoAgent(shape, model, logStd, new RunningNormalizer(shape.obsSize), 0);
  }

  /** An agent from saved parts (checkpoint.ts reads them). */
  static restore(state: AgentState, model: tf.LayersModel, extra: ExtraWeights): PpoAgent {
    const byName = new Map(extra.map((e) => [e.name, e.tensor]));
    const ls = byName.get("log_std");
    if (!ls) throw new Error("checkpoint has no log_std weight");
    const agent = new PpoAgent(
      state.shape,
      model,
      tf.variable(ls, true),
      RunningNormalizer.fromState(state.normalizer),
      state.adamSteps,
    );
    if (state.adamSteps > 0) {
      const vars = agent.#variables();
      const m = vars.map((_, k) => byName.get(`adam_m/${k}`));
      const v = vars.map((_, k) => byName.get(`adam_v/${k}`));
      if (m.some((t) => !t) || v.some((t) => !t)) throw new Error("checkpoint lacks Adam's moments");
      agent.#m = m.map((t) => tf.variable(t!, false));
      agent.#v = v.map((t) => tf.variable(t!, false));
    }
    for (const [name, t] of byName) if (!name.startsWith("adam_") && name !== "log_std") t.dispose();
    return agent;
  }

  state(): AgentState {
    return { shape: this.shape, normalizer: this.normalizer.state(), adamSteps: this.#adamSteps };
  }

  /** log std and Adam's moments, for the checkpoint (the caller must not dispose them). */
  extraWeights(): ExtraWeights {
    const out: ExtraWeights = [{ name: "log_std", tensor: this.logStd }];
    this.#m?.forEach((t, k) => {
      out.push({ name: `adam_m/${k}`, tensor: t });
    });
    this.#v?.forEach((t, k) => {
      out.push({ name: `adam_v/${k}`, tensor: t });
    });
    return out;
  }

  /** Normalises raw features; `learn` first adds them to the running statistics (training only). */
  observe(raw: ArrayLike<number>, learn: boolean): Float64Array {
    if (learn) this.normalizer.update([raw]);
    return this.normalizer.normalize(raw);
  }

  /** Mean action and value estimate for a normalised observation. */
  evaluate(obs: ArrayLike<number>): { mean: Float64Array; value: number } {
    return scoped(() => {
      const x = tf.tensor2d(Float32Array.from(obs), [1, this.shape.obsSize]);
      const [mu, v] = this.model.predict(x) as tf.Tensor[];
      return { mean: Float64Array.from(mu.dataSync()), value: v.dataSync()[0] };
    });
  }

  /** Samples an action from the Gaussian policy with `rng`; returns it with its log-probability. */
  act(
    obs: ArrayLike<number>,
    rng: Rng,
  ): { action: number[]; logp: number; value: number; mean: Float64Array } {
    const { mean, value } = this.evaluate(obs);
    const logStd = this.logStd.dataSync();
    const action: number[] = [];
    let logp = 0;
    for (let k = 0; k < mean.length; k++) {
      const z = rng.normal();
      const sd = Math.exp(logStd[k]);
      action.push(mean[k] + sd * z);
      logp += -0.5 * z * z - logStd[k] - 0.5 * LOG_2PI;
    }
    return { action, logp, value, mean };
  }

  /**
   * One PPO update on a batch of whole trajectories (each ends with `done`, or is cut and then
   * bootstrapped from its last value): GAE advantages, normalised over the batch, then `epochs`
   * passes of shuffled minibatches.
   */
  update(batch: readonly Transition[], cfg: PpoConfig, rng: Rng): UpdateStats {
    const n = batch.length;
    if (n === 0) return { transitions: 0, policyLoss: 0, valueLoss: 0, approxKl: 0, clipFraction: 0 };
    const { adv, ret } = gae(batch, cfg.gamma, cfg.lambda);
    let mean = 0;
    for (const a of adv) mean += a;
    mean /= n;
    let sq = 0;
    for (const a of adv) sq += (a - mean) ** 2;
    const sd = Math.sqrt(sq / n) || 1;
    const advN = adv.map((a) => (a - mean) / (sd + 1e-8));
    const F = this.shape.obsSize;
    const A = this.shape.actionSize;
    const order = Array.from({ length: n }, (_, k) => k);
    let pl = 0;
    let vl = 0;
    let kl = 0;
    let cf = 0;
    let steps = 0;
    const vars = this.#variables();
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      rng.shuffle(order);
      for (let start = 0; start < n; start += cfg.minibatch) {
        const idx = order.slice(start, start + cfg.minibatch);
        const b = idx.length;
        const obs = new Float32Array(b * F);
        const act = new Float32Array(b * A);
        const oldLogp = new Float32Array(b);
        const advB = new Float32Array(b);
        const retB = new Float32Array(b);
        idx.forEach((k, r) => {
          obs.set(batch[k].obs, r * F);
          act.set(batch[k].action, r * A);
          oldLogp[r] = batch[k].logp;
          advB[r] = advN[k];
          retB[r] = ret[k];
        });
        const stats = scoped(() => {
          const xT = tf.tensor2d(obs, [b, F]);
          const aT = tf.tensor2d(act, [b, A]);
          const oldT = tf.tensor1d(oldLogp);
          const advT = tf.tensor1d(advB);
          const retT = tf.tensor1d(retB);
          let parts: tf.Scalar[] = [];
          const loss = () => {
            const [mu, v] = this.model.apply(xT, { training: true }) as tf.Tensor[];
            const z = tf.div(tf.sub(aT, mu), tf.exp(this.logStd));
            const logp = tf.sub(
              tf.mul(-0.5, tf.sum(tf.square(z), 1)),
              tf.add(tf.sum(this.logStd), 0.5 * A * LOG_2PI),
            );
            const ratio = tf.exp(tf.sub(logp, oldT));
            const surr = tf.minimum(
              tf.mul(ratio, advT),
              tf.mul(tf.clipByValue(ratio, 1 - cfg.clip, 1 + cfg.clip), advT),
            );
            const policyLoss = tf.neg(tf.mean(surr)) as tf.Scalar;
            const valueLoss = tf.mean(tf.square(tf.sub(tf.reshape(v, [-1]), retT))) as tf.Scalar;
            const entropy = tf.add(tf.sum(this.logStd), 0.5 * A * (1 + LOG_2PI)) as tf.Scalar;
            const total = tf.sub(
              tf.add(policyLoss, tf.mul(cfg.valueCoef, valueLoss)),
              tf.mul(cfg.entropyCoef, entropy),
            ) as tf.Scalar;
            const logRatio = tf.sub(logp, oldT);
            // k3 estimator of KL(old || new) (Schulman's note): mean((r - 1) - log r)
            const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar;
            const clipped = tf.mean(
              tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), cfg.clip), "float32"),
            ) as tf.Scalar;
            parts = [policyLoss, valueLoss, approxKl, clipped].map((t) => tf.keep(t));
            return total;
          };
          const { grads } = tf.variableGrads(loss, vars);
          this.#adam(vars, grads, cfg);
          const values = parts.map((t) => t.dataSync()[0]);
          tf.dispose(parts);
          return values;
        });
        pl += stats[0];
        vl += stats[1];
        kl += stats[2];
        cf += stats[3];
        steps++;
      }
    }
    return {
      transitions: n,
      policyLoss: pl / steps,
      valueLoss: vl / steps,
      approxKl: kl / steps,
      clipFraction: cf / steps,
    };
  }

  dispose(): void {
    this.model.dispose();
    this.logStd.dispose();
    this.#m?.forEach((t) => {
      t.dispose();
    });
    this.#v?.forEach((t) => {
      t.dispose();
    });
  }

  /** Trainable variables in a fixed order: the model's weights, then log std. */
  #variables(): tf.Variable[] {
    return [...this.model.trainableWeights.map((w) => w.read() as tf.Variable), this.logStd];
  }

  /** Adam with global-norm gradient clipping; the bias corrections 1 - beta^t are float64. */
  #adam(vars: tf.Variable[], grads: tf.NamedTensorMap, cfg: PpoConfig): void {
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-8;
    const g = vars.map((v) => grads[v.name]);
    if (!this.#m || !this.#v) {
      this.#m = vars.map((v) => tf.variable(tf.zerosLike(v), false));
      this.#v = vars.map((v) => tf.variable(tf.zerosLike(v), false));
    }
    const norm = Math.sqrt(g.reduce((s, t) => s + tf.sum(tf.square(t)).dataSync()[0], 0));
    const scale = norm > cfg.maxGradNorm ? cfg.maxGradNorm / norm : 1;
    this.#adamSteps++;
    const t = this.#adamSteps;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    const step = (cfg.learningRate * Math.sqrt(c2)) / c1;
    for (let k = 0; k < vars.length; k++) {
      const gk = scale === 1 ? g[k] : tf.mul(g[k], scale);
      const m = tf.add(tf.mul(this.#m[k], b1), tf.mul(gk, 1 - b1));
      const v = tf.add(tf.mul(this.#v[k], b2), tf.mul(tf.square(gk), 1 - b2));
      this.#m[k].assign(m);
      this.#v[k].assign(v);
      // the "epsilon hat" form of Adam (Kingma and Ba, section 2): lr_t = lr sqrt(1-b2^t)/(1-b1^t)
      vars[k].assign(tf.sub(vars[k], tf.mul(step, tf.div(m, tf.add(tf.sqrt(v), eps)))));
    }
  }
}

/** Runs `fn` in a tf.tidy scope (disposing its intermediate tensors) and returns its plain result. */
function scoped<T>(fn: () => T): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = fn();
  });
  return out as T;
}

/** Generalized advantage estimates and value targets over concatenated, terminated trajectories. */
export function gae(batch: readonly Transition[], gamma: number, lambda: number) {
  const n = batch.length;
  const adv = new Array<number>(n).fill(0);
  const ret = new Array<number>(n).fill(0);
  let next = 0;
  let nextValue = 0;
  for (let k = n - 1; k >= 0; k--) {
    const t = batch[k];
    // trajectories are concatenated, each ending with a done step (or the batch's end): no
    // bootstrap across a boundary, and a terminal step's successor is worth 0
    if (t.done || k === n - 1) {
      next = 0;
      nextValue = 0;
    }
    const delta = t.reward + gamma * nextValue - t.value;
    next = delta + gamma * lambda * next;
    adv[k] = next;
    ret[k] = next + t.value;
    nextValue = t.value;
  }
  return { adv, ret };
}

/** The actor-critic network: two tanh towers over the observation, a mean head and a value head. */
export function buildModel(shape: AgentShape): tf.LayersModel {
  const zeros = () => tf.initializers.zeros();
  const dense = (units: number, name: string, activation: "tanh" | "linear") =>
    tf.layers.dense({
      units,
      activation,
      name,
      kernelInitializer: zeros(),
      biasInitializer: zeros(),
    });
  const input = tf.input({ shape: [shape.obsSize], name: "obs" });
  const p1 = dense(shape.hidden, "pi_h1", "tanh").apply(input) as tf.SymbolicTensor;
  const p2 = dense(shape.hidden, "pi_h2", "tanh").apply(p1) as tf.SymbolicTensor;
  const mu = dense(shape.actionSize, "pi_mean", "linear").apply(p2) as tf.SymbolicTensor;
  const v1 = dense(shape.hidden, "v_h1", "tanh").apply(input) as tf.SymbolicTensor;
  const v2 = dense(shape.hidden, "v_h2", "tanh").apply(v1) as tf.SymbolicTensor;
  const v = dense(1, "v_out", "linear").apply(v2) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [mu, v], name: "actor_critic" });
}
