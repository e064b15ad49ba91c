import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";

/**
 * The one place that picks the TensorFlow.js backend for everything that learns (docs/learned.md).
 *
 * Order, when the choice is "auto":
 *   1. "tensorflow": @tensorflow/tfjs-node (native libtensorflow), an optional dependency. Its
 *      install script downloads libtensorflow, so it is absent wherever that download cannot happen
 *      (npm drops an optional dependency whose install fails); it is used only when it loads.
 *   2. "wasm": @tensorflow/tfjs-backend-wasm. Its .wasm binaries ship inside the package, so it
 *      works offline; in Node we point it at the package's own dist/ folder.
 *   3. "cpu": the pure-JavaScript backend that @tensorflow/tfjs always registers.
 * The choice can be forced with the SFL_TFJS_BACKEND environment variable (auto, tensorflow, wasm,
 * cpu) or the `prefer` argument (the train command's --backend). Tests and CI use "cpu": it is
 * deterministic (plain float32 JavaScript loops, one thread), so the same seed gives the same bytes.
 *
 * Every output that involves learning names the backend it used (CSV header, checkpoint metadata,
 * the train command's output, compare's notes), because float32 results differ in their last bits
 * between backends.
 */

export const BACKEND_NAMES = ["auto", "tensorflow", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_NAMES)[number];
export type BackendName = Exclude<BackendChoice, "auto">;

export interface BackendInfo {
  /** The backend in use, as tf.getBackend() names it. */
  readonly name: BackendName;
  /** Why this one (what was asked, what failed to load). */
  readonly detail: string;
  readonly tfjsVersion: string;
}

/** The tfjs module every learned module uses (one engine, whatever the backend). */
export { tf };

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** The backend chosen so far, or null before the first `initBackend`. */
export function currentBackend(): BackendInfo | null {
  return current;
}

/**
 * Chooses and initialises the backend (once per process: later calls with the same choice return
 * the same answer; a different explicit choice switches backend). Throws when an explicitly asked
 * backend cannot load.
 */
export async function initBackend(prefer?: BackendChoice): Promise<BackendInfo> {
  const choice = prefer ?? parseChoice(process.env.SFL_TFJS_BACKEND);
  if (current && (choice === "auto" || choice === current.name)) return current;
  if (pending) {
    const got = await pending;
    if (choice === "auto" || choice === got.name) return got;
  }
  pending = select(choice);
  try {
    current = await pending;
    return current;
  } finally {
    pending = null;
  }
}

function parseChoice(text: string | undefined): BackendChoice {
  if (text === undefined || text === "") return "auto";
  if ((BACKEND_NAMES as readonly string[]).includes(text)) return text as BackendChoice;
  throw new Error(`SFL_TFJS_BACKEND must be one of ${BACKEND_NAMES.join(", ")}, got '${text}'`);
}

async function select(choice: BackendChoice): Promise<BackendInfo> {
  // tfjs prints a "you are running in Node.js, install tfjs-node" banner on the CPU backend's first
  // use; production mode silences library warnings (and skips debug-only checks).
  tf.enableProdMode();
  const notes: string[] = [];
  const info = (name: BackendName, why: string): BackendInfo => ({
    name,
    detail: [why, ...notes].join("; "),
    tfjsVersion: tf.version.tfjs,
  });
  if (choice === "tensorflow" || choice === "auto") {
    const why = await tryNode();
    if (why === null) return info("tensorflow", "native libtensorflow (@tensorflow/tfjs-node)");
    if (choice === "tensorflow") throw new Error(`the tensorflow backend cannot load: ${why}`);
    notes.push(`tfjs-node not used (${why})`);
  }
  if (choice === "wasm" || choice === "auto") {
    const why = await tryWasm();
    if (why === null) return info("wasm", "WebAssembly (@tensorflow/tfjs-backend-wasm)");
    if (choice === "wasm") throw new Error(`the wasm backend cannot load: ${why}`);
    notes.push(`wasm not used (${why})`);
  }
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend of tfjs did not initialise");
  await tf.ready();
  return info("cpu", choice === "cpu" ? "pure JavaScript (asked for)" : "pure JavaScript (fallback)");
}

/** null when @tensorflow/tfjs-node loaded and is the backend, else why not. */
async function tryNode(): Promise<string | null> {
  // a variable specifier: the package is optional, so neither TypeScript nor a bundler may require it
  const spec = "@tensorflow/tfjs-node";
  try {
    await import(spec);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    return /Cannot find (module|package)/.test(msg) ? "not installed" : firstLine(msg);
  }
  try {
    if (!(await tf.setBackend("tensorflow"))) return "its backend did not initialise";
    await tf.ready();
    return null;
  } catch (e) {
    return firstLine((e as Error).message);
  }
}

/** null when the wasm backend is ready, else why not. */
async function tryWasm(): Promise<string | null> {
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
    // Node reads the binaries from disk; the trailing separator makes this a prefix for all three
    wasm.setWasmPaths(`${dist}/`);
    if (!(await tf.setBackend("wasm"))) return "its backend did not initialise";
    await tf.ready();
    return null;
  } catch (e) {
    return firstLine((e as Error).message ?? String(e));
  }
}

function firstLine(s: string): string {
  return s.split("\n")[0].slice(0, 200);
}
