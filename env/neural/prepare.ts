import type { LearnerFactory } from "../roundLearner.ts";
import type { Scenario } from "../scenario.ts";
import { NEURAL_BACKENDS, type NeuralBackend, neuralBackendLabel, useNeuralBackend } from "./backend.ts";
import { neuralLearner } from "./factory.ts";

/**
 * Gets a scenario's neural tenants ready to run (docs/neural.md, "Backends"): picks the tfjs backend
 * (the SFL_NEURAL_BACKEND environment variable if set, else the tenants' `learner.backend`, which
 * must agree: tfjs has one backend per process), awaits its initialisation, and returns the scenario
 * with that backend written into every neural tenant, plus the label outputs print
 * ("neural split learner (vit, bert), tfjs 4.22.0 wasm") and the learner factory to run episodes
 * with (factory.ts). A scenario without neural tenants comes back unchanged with label null and
 * factory undefined (the simulation's default, the surrogate), and nothing is initialised.
 */
export async function prepareNeuralScenario(
  scenario: Scenario,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ scenario: Scenario; label: string | null; learnerFactory?: LearnerFactory }> {
  const neural = scenario.tenants.filter((t) => t.learner.neural);
  if (neural.length === 0) return { scenario, label: null };
  const forced = env.SFL_NEURAL_BACKEND;
  if (forced !== undefined && forced !== "" && !(NEURAL_BACKENDS as readonly string[]).includes(forced))
    throw new Error(`SFL_NEURAL_BACKEND must be one of ${NEURAL_BACKENDS.join(", ")}, got '${forced}'`);
  const asked = new Set(neural.map((t) => t.learner.neural?.backend));
  if (!forced && asked.size > 1)
    throw new Error(
      "the scenario's neural tenants ask for different tfjs backends (learner.backend); one process runs one",
    );
  const backend = (forced || [...asked][0]) as NeuralBackend;
  await useNeuralBackend(backend);
  const tenants = scenario.tenants.map((t) =>
    t.learner.neural ? { ...t, learner: { ...t.learner, neural: { ...t.learner.neural, backend } } } : t,
  );
  const rest = neural.length < scenario.tenants.length ? "; the other tenants: surrogate learner" : "";
  const label = `neural split learner (${neural.map((t) => t.name).join(", ")}), ${neuralBackendLabel(backend)}${rest}`;
  return { scenario: { ...scenario, tenants }, label, learnerFactory: neuralLearner };
}
