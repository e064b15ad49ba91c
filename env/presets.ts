import { InputError } from "../market/errors.ts";
import type { FmType } from "./profiles.ts";
import { type Scenario, type ScenarioInput, validateScenario } from "./scenario.ts";

/**
 * Built-in scenarios. Each is the raw input a scenario file would hold, so a user can print one,
 * edit it and load it back.
 *
 * Calibration status: the cut layers, samples per round and windows follow from the FM profiles and
 * the device population; the budgets were set with a standalone-demand estimate (each tenant's
 * single-tenant best response, tau = 2) so that, summed over tenants, many devices are asked for more
 * than their capacity (congested at the equilibrium). Targets eps_i are in the surrogate learner's
 * loss-gap units (PRESET_TARGETS says how they were checked) and deadlines T_i in seconds; budgets are
 * the knob: scale them with `budgetScale`, or edit the tables.
 */

export const PRESET_NAMES = ["paper", "tiny", "stress", "paper-neural"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface PresetOptions {
  /** Overrides the preset's seed. */
  readonly seed?: number | string;
  /** Multiplies every tenant's budget B_i (default 1). */
  readonly budgetScale?: number;
}

/** Per-type settings shared by the presets: cut layer, samples per round, server FLOP/s. */
interface TypeSettings {
  readonly cutLayer: number;
  readonly samplesPerRound: number;
  readonly serverFlops: number;
  readonly deadline: number;
}

/**
 * Why these: the cut keeps the device side to ~1-2 blocks, which is what a phone can hold in memory
 * (one LLaMA-7B block is ~0.4 GB in fp16); n_i is a small batch times a few local steps, smaller
 * for the models whose smashed data is megabytes per sample; the server rates are a fraction of an
 * A100 (312 TFLOP/s fp16 peak) per tenant, more for LLaMA whose server side is ~13 TFLOPs per sample.
 * Deadlines leave room for ~1000 rounds at the default window.
 */
export const TYPE_SETTINGS: Readonly<Record<FmType, TypeSettings>> = Object.freeze({
  vit: { cutLayer: 2, samplesPerRound: 16, serverFlops: 1e14, deadline: 6 * 3600 },
  bert: { cutLayer: 2, samplesPerRound: 16, serverFlops: 1e14, deadline: 6 * 3600 },
  whisper: { cutLayer: 2, samplesPerRound: 4, serverFlops: 1e14, deadline: 12 * 3600 },
  llama: { cutLayer: 1, samplesPerRound: 4, serverFlops: 4e14, deadline: 24 * 3600 },
});

/**
 * Budgets B_i, credits per round (1 credit ~ the energy price a median owner asks for 1 J).
 * Calibration (standalone tau = 2 best responses, seed of each preset): paper gives a mean
 * participation of ~0.3 per tenant, and ~30% of the devices are asked for more than their capacity by
 * the sum of the tenants' standalone demands, all of them by more than one tenant (image/text/audio
 * overlap, and bert and llama share the text data); tiny ~25%; stress (eight tenants, budgets 50x
 * paper for 50x the devices) ~55%. A budget of roughly sum_j c_ij over eligible devices buys full
 * participation; these are ~20-30% of that.
 */
export const PRESET_BUDGETS: Readonly<Record<PresetName, Readonly<Record<FmType, number>>>> = Object.freeze({
  paper: { vit: 60, bert: 40, whisper: 160, llama: 400 },
  tiny: { vit: 8, bert: 5, whisper: 20, llama: 50 },
  stress: { vit: 3000, bert: 2000, whisper: 8000, llama: 20000 },
  "paper-neural": { vit: 15, bert: 10, whisper: 40, llama: 100 },
});

/**
 * Loss-gap targets eps_i of the surrogate learner (env/learner.ts), in units of the initial gap
 * F_i(w_0) - F_i* = 1. Calibrated with the simulation (docs/simulation.md, "Calibration"):
 * - paper, 1e-4: deep in the regime where participation matters (the gap falls like (alpha V + beta)/r
 *   there, so rounds scale with V). Stackelberg prices with unbiased aggregation meet every target on
 *   seeds 1-5 in 1.0-3.3 h (at most 34% of the deadline: vit 1.4-1.7 h of 6 h, bert 1.0-2.0 h of 6 h,
 *   whisper 2.0-3.3 h of 12 h, llama 2.0-3.3 h of 24 h), with 27-28 of the 200 devices congested at
 *   the equilibrium; uniform prices (policies/uniform.ts) miss vit and mostly bert even with unbiased
 *   aggregation, and with FedAvg every tenant stalls at its bias floor (1e-3 to 6e-3).
 * - tiny, 1e-2: reached in tens of rounds, so tests and examples run in milliseconds.
 * - stress, 1e-4: Stackelberg prices meet every target (llama, whose rounds are server-bound, in ~3 h).
 */
export const PRESET_TARGETS: Readonly<Record<PresetName, Readonly<Record<FmType, number>>>> = Object.freeze({
  paper: { vit: 1e-4, bert: 1e-4, whisper: 1e-4, llama: 1e-4 },
  tiny: { vit: 0.01, bert: 0.01, whisper: 0.01, llama: 0.01 },
  stress: { vit: 1e-4, bert: 1e-4, whisper: 1e-4, llama: 1e-4 },
  "paper-neural": { vit: 0.7, bert: 0.8, whisper: 0.8, llama: 0.8 },
});

function tenant(preset: PresetName, name: string, type: FmType, budget: number, start = 0, deeperCut = 0) {
  const s = TYPE_SETTINGS[type];
  return {
    name,
    type,
    target: PRESET_TARGETS[preset][type],
    deadline: s.deadline,
    budget,
    samplesPerRound: s.samplesPerRound,
    cutLayer: s.cutLayer + deeperCut,
    serverFlops: s.serverFlops,
    start,
  };
}

const BUILDERS: Record<PresetName, (budgetScale: number) => ScenarioInput> = {
  /** The paper's setting: the four tenant types on one shared population of 200 devices. */
  paper: (k) => ({
    seed: 2025,
    tau: 2,
    repricingInterval: 10,
    devices: { count: 200 },
    tenants: (["vit", "bert", "whisper", "llama"] as const).map((t) =>
      tenant("paper", t, t, k * PRESET_BUDGETS.paper[t]),
    ),
  }),
  /** Three tenants on 20 devices: for examples and fast tests. */
  tiny: (k) => ({
    seed: 7,
    tau: 2,
    repricingInterval: 5,
    devices: { count: 20 },
    tenants: (["vit", "bert", "whisper"] as const).map((t) =>
      tenant("tiny", t, t, k * PRESET_BUDGETS.tiny[t]),
    ),
  }),
  /** 10,000 devices, two tenants of each type; the second cuts one block deeper and arrives an hour later. */
  stress: (k) => ({
    seed: 99,
    tau: 2,
    repricingInterval: 20,
    devices: { count: 10_000 },
    tenants: (["vit", "bert", "whisper", "llama"] as const).flatMap((t) => [
      tenant("stress", `${t}-a`, t, k * PRESET_BUDGETS.stress[t]),
      tenant("stress", `${t}-b`, t, k * PRESET_BUDGETS.stress[t], 3600, 1),
    ]),
  }),
  /**
   * The paper's four tenant types with the neural split learner (env/neural/, docs/neural.md) on 48
   * devices, budgets a quarter of paper's for a quarter of the devices; targets are validation
   * cross-entropies (PRESET_TARGETS), deadlines sized to the neural tasks; the wasm backend.
   */
  "paper-neural": (k) => ({
    seed: 2025,
    tau: 2,
    repricingInterval: 10,
    devices: { count: 48 },
    tenants: (["vit", "bert", "whisper", "llama"] as const).map((t) => ({
      ...tenant("paper-neural", t, t, k * PRESET_BUDGETS["paper-neural"][t]),
      deadline: NEURAL_DEADLINES[t],
      learner: { kind: "neural" as const, backend: "wasm" as const },
    })),
  }),
};

/** paper-neural's deadlines T_i (s): about twice PRINCE's time to the neural targets (docs/neural.md). */
const NEURAL_DEADLINES: Readonly<Record<FmType, number>> = {
  vit: 3600,
  bert: 3600,
  whisper: 7200,
  llama: 14400,
};

/** The raw scenario input of a preset (what `sfl-market` would write as a scenario file). */
export function presetInput(name: PresetName, opts: PresetOptions = {}): ScenarioInput {
  const input = BUILDERS[name](opts.budgetScale ?? 1);
  return opts.seed === undefined ? input : { ...input, seed: opts.seed };
}

/** A preset, validated and resolved; throws InputError only for bad options (e.g. budgetScale <= 0). */
export function presetScenario(name: PresetName, opts: PresetOptions = {}): Scenario {
  const r = validateScenario(presetInput(name, opts));
  if (!r.ok) throw new InputError(r.issues, `preset ${name}`);
  return r.scenario;
}
