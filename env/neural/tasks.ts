import type { Modality } from "../profiles.ts";
import type { Rng } from "../rng.ts";

/**
 * Synthetic non-IID classification tasks shaped like each modality (MODEL.md section 5), generated
 * from the seeded RNG. Every sample is a short sequence of T tokens with d features each, which is
 * what the device-side block of the split network consumes:
 * - image (vit): T patches of a small picture. Each class has a few textures (d-pixel patterns); each
 *   patch shows one of its class's textures, chosen at random, at a per-image contrast, plus pixel
 *   noise (so the class is in what the patches look like, not where: the server pools over tokens).
 * - text (bert, llama): T token ids from a vocabulary of V words. Each class has a sparse topic (a
 *   Dirichlet over the vocabulary); each token comes from the class topic with probability `signal`,
 *   else from a shared background. Tokens are embedded by a frozen table (the pretrained embedding).
 * - audio (whisper): T frames of a d-bin spectrogram. Each class is a chirp: a band whose centre
 *   starts at a class frequency and moves at a class slope; a sample has a random onset shift and
 *   spectral noise.
 * Label skew: device j draws each label from its own distribution p_j (the population's Dirichlet
 * label skew, env/population.ts), so the devices' local objectives differ the way the market's G_ij
 * says they do. The validation set is drawn from the data-weighted mixture of the devices' label
 * distributions: the task the tenant is judged on is the one its devices hold together.
 */

export interface TaskShape {
  /** Tokens per sample. */
  readonly tokens: number;
  /** Features per token (after the frozen embedding, for text). */
  readonly features: number;
  /** Vocabulary size (text only; 0 otherwise). */
  readonly vocabulary: number;
  /** Signal-to-noise knob: contrast (image), topic probability (text), band amplitude (audio). */
  readonly signal: number;
}

/** Per-modality shapes (ours): small enough that one local step takes well under a millisecond. */
export const TASK_SHAPES: Readonly<Record<Modality, TaskShape>> = Object.freeze({
  image: { tokens: 6, features: 8, vocabulary: 0, signal: 1 },
  text: { tokens: 8, features: 8, vocabulary: 32, signal: 0.5 },
  audio: { tokens: 8, features: 8, vocabulary: 0, signal: 0.9 },
});

/** A labelled set: x is row-major [n, tokens, features] float32, y the class of each sample. */
export interface LabelledSet {
  readonly n: number;
  readonly x: Float32Array;
  readonly y: Int32Array;
}

export interface Task {
  /** "tabular" for the real-data option (iris.ts). */
  readonly modality: Modality | "tabular";
  readonly shape: TaskShape;
  readonly classes: number;
  /** One set per device (by the caller's device order). */
  readonly devices: readonly LabelledSet[];
  readonly validation: LabelledSet;
}

export interface TaskRequest {
  readonly modality: Modality;
  readonly classes: number;
  /** Row-major [n, classes]: device l's label distribution (rows sum to 1). */
  readonly labels: Float64Array;
  /** Samples generated for each device (the caller caps the population's d_ij). */
  readonly samples: Int32Array;
  /** Data weights a_l (sum 1): the mixture the validation set is drawn from. */
  readonly weight: Float64Array;
  readonly validationSize: number;
  /** Overrides TASK_SHAPES[modality].signal (tests use it to make tasks easier or harder). */
  readonly signal?: number;
}

/** A class-conditional sampler: writes one sample of class c into x at offset o. */
type Sampler = (c: number, x: Float32Array, o: number, rng: Rng) => void;

function imageSampler(s: TaskShape, C: number, rng: Rng): Sampler {
  const d = s.features;
  const K = 3; // textures per class
  const tex = new Float32Array(C * K * d);
  for (let k = 0; k < tex.length; k++) tex[k] = rng.normal();
  return (c, x, o, r) => {
    const contrast = s.signal * (0.5 + r.next());
    for (let t = 0; t < s.tokens; t++) {
      const base = (c * K + r.int(K)) * d;
      for (let f = 0; f < d; f++) x[o + t * d + f] = contrast * tex[base + f] + r.normal();
    }
  };
}

function textSampler(s: TaskShape, C: number, rng: Rng): Sampler {
  const V = s.vocabulary;
  const d = s.features;
  const embed = new Float32Array(V * d);
  for (let k = 0; k < embed.length; k++) embed[k] = rng.normal();
  const cdf = (p: Float64Array) => {
    const out = new Float64Array(p.length);
    let acc = 0;
    for (let v = 0; v < p.length; v++) out[v] = acc += p[v];
    out[p.length - 1] = 1;
    return out;
  };
  const topics = Array.from({ length: C }, () => cdf(rng.dirichlet(Array(V).fill(0.1))));
  const draw = (table: Float64Array, u: number) => {
    let v = 0;
    while (v < V - 1 && table[v] < u) v++;
    return v;
  };
  return (c, x, o, r) => {
    for (let t = 0; t < s.tokens; t++) {
      const v = r.next() < s.signal ? draw(topics[c], r.next()) : r.int(V);
      x.set(embed.subarray(v * d, (v + 1) * d), o + t * d);
    }
  };
}

function audioSampler(s: TaskShape, C: number, rng: Rng): Sampler {
  const F = s.features;
  const centre = Float64Array.from({ length: C }, () => rng.next() * F);
  const slope = Float64Array.from({ length: C }, () => (rng.next() - 0.5) * 1.2);
  return (c, x, o, r) => {
    const onset = (r.next() - 0.5) * 2;
    for (let t = 0; t < s.tokens; t++) {
      const f0 = centre[c] + slope[c] * (t + onset);
      for (let f = 0; f < F; f++) {
        const dist = f - f0;
        x[o + t * F + f] = s.signal * 2 * Math.exp(-0.5 * dist * dist) + 0.6 * r.normal();
      }
    }
  };
}

const SAMPLERS: Record<Modality, (s: TaskShape, C: number, rng: Rng) => Sampler> = {
  image: imageSampler,
  text: textSampler,
  audio: audioSampler,
};

function drawLabel(p: Float64Array, off: number, C: number, u: number): number {
  let acc = 0;
  for (let c = 0; c < C - 1; c++) {
    acc += p[off + c];
    if (u < acc) return c;
  }
  return C - 1;
}

function drawSet(n: number, size: number, label: () => number, sample: Sampler, rng: Rng): LabelledSet {
  const x = new Float32Array(n * size);
  const y = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    y[s] = label();
    sample(y[s], x, s * size, rng);
  }
  return { n, x, y };
}

/**
 * Draws a task: the class structure from `rng.child("classes")`, each device's set from
 * `rng.child("device/<l>")`, the validation set from `rng.child("validation")`, so a device's data
 * does not depend on how many samples the others hold.
 */
export function generateTask(req: TaskRequest, rng: Rng): Task {
  const { modality, classes: C } = req;
  const base = TASK_SHAPES[modality];
  const shape = req.signal === undefined ? base : { ...base, signal: req.signal };
  const size = shape.tokens * shape.features;
  const sample = SAMPLERS[modality](shape, C, rng.child("classes"));
  const n = req.samples.length;
  const devices: LabelledSet[] = [];
  for (let l = 0; l < n; l++) {
    const r = rng.child(`device/${l}`);
    devices.push(drawSet(req.samples[l], size, () => drawLabel(req.labels, l * C, C, r.next()), sample, r));
  }
  const mix = new Float64Array(C);
  for (let l = 0; l < n; l++) for (let c = 0; c < C; c++) mix[c] += req.weight[l] * req.labels[l * C + c];
  const vr = rng.child("validation");
  const validation = drawSet(req.validationSize, size, () => drawLabel(mix, 0, C, vr.next()), sample, vr);
  return { modality, shape, classes: C, devices, validation };
}
