import { useNeuralBackend } from "../env/neural/backend.ts";
import { validationCurve } from "../env/neural/curves.ts";
import { neuralTestScenario, neuralTestTenant } from "../env/neural/testScenario.ts";
import { createRng } from "../env/rng.ts";
import type { BenchRow } from "./market.ts";
import { median, timeRuns } from "./stats.ts";

/**
 * The neural split learner (docs/neural.md): rounds per second of each tenant type's network on the
 * cpu and wasm backends, one tenant on 48 devices (paper-neural's population size) with q = 0.3 for
 * every device (about 14 participants a round), default network, each round followed by the
 * validation metric (what the simulation does). Both backends in one run, so their ratio is
 * comparable on a loaded machine.
 */
const ROUNDS = 20;

export async function benchNeural(log: (line: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const backend of ["cpu", "wasm"] as const) {
    await useNeuralBackend(backend);
    for (const type of ["vit", "bert", "whisper", "llama"] as const) {
      const t = neuralTestTenant(neuralTestScenario({ type, devices: 48, learner: { backend } }));
      const q = new Float64Array(t.devices.length).fill(0.3);
      const { ms } = timeRuns(() => validationCurve(t, "unbiased", q, ROUNDS, createRng(1)), 3, 1);
      const perRound = median(ms) / ROUNDS;
      rows.push({
        name: `neural round ${type} (${backend})`,
        median: `${(1000 / perRound).toFixed(1)} rounds/s`,
        detail: `${perRound.toFixed(2)} ms per round (+ validation), ${t.net.size} parameters, ${t.devices.length} devices, q = 0.3`,
      });
      log(`${rows.at(-1)!.name}: ${rows.at(-1)!.median}`);
    }
  }
  return rows;
}
