import { type Compiled, compileScenario } from "../compile.ts";
import { createRng } from "../rng.ts";
import { validateScenario } from "../scenario.ts";
import { buildNeuralTenant, type NeuralTenant } from "./neuralTenant.ts";
import type { NeuralSettings } from "./settings.ts";

/**
 * A small compiled scenario with one neural tenant, for the tests and bench/neural.ts: `devices`
 * devices of the default population, every one holding the tenant's data (probability 1), and the
 * tenant's learner settings overridden by `learner`.
 */
export function neuralTestScenario(opts: {
  readonly type?: "vit" | "bert" | "whisper" | "llama";
  readonly devices?: number;
  readonly seed?: number;
  /** Dirichlet concentration of the devices' label distributions (default: the population's 0.5). */
  readonly labelAlpha?: number;
  /** eps_i, the validation metric to reach (default 0.5). */
  readonly target?: number;
  readonly learner?: Partial<Omit<NeuralSettings, "kind">>;
}): Compiled {
  const type = opts.type ?? "vit";
  const modality = type === "vit" ? "image" : type === "whisper" ? "audio" : "text";
  const r = validateScenario({
    seed: opts.seed ?? 1,
    devices: {
      count: opts.devices ?? 16,
      modalities: { [modality]: { probability: 1 } },
      labelAlpha: opts.labelAlpha,
    },
    tenants: [
      {
        name: type,
        type,
        target: opts.target ?? 0.5,
        deadline: 1e6,
        budget: 10,
        samplesPerRound: 8,
        cutLayer: 1,
        // every holder is eligible, whatever its speed
        window: 1e6,
        learner: { kind: "neural", ...opts.learner },
      },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return compileScenario(r.scenario, createRng(r.scenario.seed));
}

/** The scenario's one tenant, built on the active backend (stream "learner/neural/<name>" of the seed). */
export function neuralTestTenant(compiled: Compiled, seed: number | string = 1): NeuralTenant {
  const tp = compiled.physics.tenants[0];
  const s = tp.learner.neural;
  if (!s) throw new Error("the test scenario's tenant is not neural");
  return buildNeuralTenant(compiled, tp, s, createRng(seed).child("learner").child(`neural/${tp.name}`));
}
