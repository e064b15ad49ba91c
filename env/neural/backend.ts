import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";

/**
 * The TensorFlow.js backend of the neural split learner (docs/neural.md).
 *
 * Two choices, both pure npm packages that install offline:
 * - "cpu" (default): tfjs's plain JavaScript kernels, float32, one thread. Every reduction runs in a
 *   fixed order, so the same seed gives the same validation curve bit for bit on any machine. Tests
 *   and the byte-identity checks use it.
 * - "wasm": @tensorflow/tfjs-backend-wasm (XNNPACK kernels, binaries shipped inside the package).
 *   About 2-3x faster on these tiny networks; the same bytes run to run on one machine, but its
 *   float32 sums are ordered differently from cpu's, so the two backends' curves differ in the last
 *   bits and, over hundreds of rounds, in the round a target is met (docs/neural.md measures how far).
 * tfjs-node (native) cannot be installed here and is not offered.
 *
 * tfjs has one engine per process: the backend is process-wide. The learner records the backend it
 * was built on and refuses to run a round on another (`assertBackend`), because a silent switch
 * would change the bytes. Every output of a neural run names the backend (`neuralBackendLabel`).
 */

export const NEURAL_BACKENDS = ["cpu", "wasm"] as const;
export type NeuralBackend = (typeof NEURAL_BACKENDS)[number];

export { tf };

let wasmLoaded: Promise<void> | null = null;

/**
 * Makes `name` the process's tfjs backend (awaits its initialisation). Idempotent. Throws with the
 * reason when the wasm binaries cannot load.
 */
export async function useNeuralBackend(name: NeuralBackend = "cpu"): Promise<NeuralBackend> {
  if (!(NEURAL_BACKENDS as readonly string[]).includes(name))
    throw new RangeError(`tfjs backend must be one of ${NEURAL_BACKENDS.join(", ")}, got '${name}'`);
  // tfjs prints a "you are running in Node.js, install tfjs-node" banner on the cpu backend's first
  // use; production mode silences it (and skips debug-only checks, which do not change results).
  tf.enableProdMode();
  if (tf.getBackend() === name) return name;
  if (name === "wasm") {
    wasmLoaded ??= (async () => {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      const require = createRequire(import.meta.url);
      const dist = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
      wasm.setWasmPaths(`${dist}/`);
    })();
    await wasmLoaded;
  }
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend of tfjs did not initialise`);
  await tf.ready();
  return name;
}

/** The backend tfjs runs on now, if it is one of ours. */
export function activeNeuralBackend(): NeuralBackend | null {
  const b = tf.getBackend();
  return (NEURAL_BACKENDS as readonly string[]).includes(b) ? (b as NeuralBackend) : null;
}

/** Throws unless tfjs still runs on `expected` (a learner built on one backend never runs on another). */
export function assertBackend(expected: NeuralBackend): void {
  const now = tf.getBackend();
  if (now !== expected)
    throw new Error(
      `the neural learner was built on the tfjs ${expected} backend but tfjs now runs on ${now}; ` +
        "one process uses one backend (useNeuralBackend)",
    );
}

/** "tfjs 4.22.0 cpu": what outputs print next to the learner's name. */
export function neuralBackendLabel(name: NeuralBackend): string {
  return `tfjs ${tf.version.tfjs} ${name}`;
}
