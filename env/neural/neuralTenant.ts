import type { AggregationRule } from "../../market/aggregation.ts";
import type { Compiled, TenantPhysics } from "../compile.ts";
import type { Modality } from "../profiles.ts";
import type { Rng } from "../rng.ts";
import { activeNeuralBackend, assertBackend, type NeuralBackend } from "./backend.ts";
import { irisTask } from "./iris.ts";
import { createNetwork, evaluate, initialParameters, type Network } from "./network.ts";
import { probeHeterogeneity } from "./probe.ts";
import type { NeuralSettings } from "./settings.ts";
import { createNeuralScratch, type NeuralScratch, neuralRound, type RoundTenant } from "./splitRound.ts";
import { generateTask, type Task } from "./tasks.ts";

/**
 * One tenant's neural split learner, built from the compiled scenario (docs/neural.md). What the
 * simulation needs of it mirrors the surrogate's TenantLearner: the devices of E_i with their data
 * weights, the G_ij the market prices on, the initial model and its metric, and a round function.
 * The model is the flat trainable vector theta (network.ts), so the simulation's state holds it
 * exactly like the surrogate's w.
 */
export interface NeuralTenant extends RoundTenant {
  readonly kind: "neural";
  /** Index in scenario.tenants. */
  readonly index: number;
  readonly name: string;
  readonly modality: Modality;
  /** eps_i: the validation metric to reach (<=). */
  readonly target: number;
  readonly settings: NeuralSettings;
  /** E_i (global device indices, ascending); the local index is the position. */
  readonly devices: Int32Array;
  /** G_ij estimated by the probe round, by local index. */
  readonly G: Float64Array;
  readonly task: Task;
  /** theta_0 and its validation metric. */
  readonly initial: Float64Array;
  readonly initialMetric: number;
  /** The tfjs backend the learner was built on (and must run on). */
  readonly backend: NeuralBackend;
}

/** E_i as the surrogate defines it: holders of the tenant's data that finish a round within W_i. */
function eligibleDevices(compiled: Compiled, i: number): { devices: Int32Array; weight: Float64Array } {
  const { physics } = compiled;
  const N = physics.N;
  const idx: number[] = [];
  let total = 0;
  for (let j = 0; j < N; j++)
    if (physics.eligible[i * N + j] && physics.value[i * N + j] > 0) {
      idx.push(j);
      total += physics.samples[i * N + j];
    }
  const devices = Int32Array.from(idx);
  const weight = Float64Array.from(devices, (j) => physics.samples[i * N + j] / total);
  return { devices, weight };
}

function taskFor(
  compiled: Compiled,
  tp: TenantPhysics,
  s: NeuralSettings,
  devices: Int32Array,
  weight: Float64Array,
  rng: Rng,
): Task {
  const { physics } = compiled;
  const N = physics.N;
  const samples = Int32Array.from(devices, (j) =>
    Math.max(1, Math.min(s.maxSamples, Math.round(physics.samples[tp.index * N + j]))),
  );
  if (s.dataset === "iris") return irisTask({ samples, weight, validationSize: s.validationSize }, rng);
  const data = physics.population.data[tp.modality];
  const C = data.classes;
  const labels = new Float64Array(devices.length * C);
  devices.forEach((j, l) => {
    labels.set(data.labels.subarray(j * C, (j + 1) * C), l * C);
  });
  return generateTask(
    {
      modality: tp.modality,
      classes: C,
      labels,
      samples,
      weight,
      validationSize: s.validationSize,
      signal: s.signal,
    },
    rng,
  );
}

/**
 * Builds tenant `tp`'s learner on the active tfjs backend (cpu unless `useNeuralBackend("wasm")` was
 * awaited first). Streams: "task" (data), "network" (frozen base), "init" (theta_0), "probe". Throws
 * a plain Error when the backend is not the one the settings ask for.
 */
export function buildNeuralTenant(
  compiled: Compiled,
  tp: TenantPhysics,
  s: NeuralSettings,
  rng: Rng,
): NeuralTenant {
  const backend = activeNeuralBackend();
  if (backend !== s.backend)
    throw new Error(
      `tenant "${tp.name}" asks for the tfjs ${s.backend} backend but tfjs runs on ${backend ?? "another backend"}; ` +
        "await useNeuralBackend (env/neural/backend.ts) before building the episode",
    );
  const { devices, weight } = eligibleDevices(compiled, tp.index);
  const task = taskFor(compiled, tp, s, devices, weight, rng.child("task"));
  const net: Network = createNetwork(
    {
      tokens: task.shape.tokens,
      features: task.shape.features,
      hidden: s.hidden,
      rank: s.rank,
      serverHidden: s.serverHidden,
      classes: task.classes,
    },
    rng.child("network"),
  );
  const initial = initialParameters(net, rng.child("init"));
  const G = probeHeterogeneity(net, initial, task.devices, weight, s.probeBatch, rng.child("probe"));
  const partial = { net, task, settings: s, backend };
  return {
    kind: "neural",
    index: tp.index,
    name: tp.name,
    modality: tp.modality,
    target: tp.target,
    settings: s,
    devices,
    weight,
    G,
    task,
    net,
    data: task.devices,
    initial,
    initialMetric: neuralMetric(partial, initial),
    backend,
  };
}

/** The tenant's validation metric of theta: cross-entropy, or 1 - accuracy. */
export function neuralMetric(
  t: Pick<NeuralTenant, "net" | "task" | "settings" | "backend">,
  theta: Float64Array,
): number {
  assertBackend(t.backend);
  const e = evaluate(t.net, theta, t.task.validation.x, t.task.validation.y);
  return t.settings.metric === "loss" ? e.loss : 1 - e.accuracy;
}

/** One round on the tenant's backend (splitRound.ts). */
export function neuralTenantRound(
  t: NeuralTenant,
  theta: Float64Array,
  rule: AggregationRule,
  q: Float64Array,
  participants: Int32Array,
  rng: Rng,
  scratch?: NeuralScratch,
): Float64Array {
  assertBackend(t.backend);
  return neuralRound(t, theta, rule, q, participants, rng, scratch ?? createNeuralScratch(t));
}
