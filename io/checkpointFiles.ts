import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { tf } from "../policies/learned/backend.ts";
import { tempName, writeSynced } from "./files.ts";

/**
 * The files of learned policies' checkpoints (io/checkpoint.ts): a tfjs IOHandler that writes and
 * reads the standard "layers-model" format (model.json with the topology and a weights manifest,
 * weights.bin with the float32 weights) with plain node:fs, since the tfjs file:// handler only
 * exists in @tensorflow/tfjs-node; and the atomic file and directory writes checkpoints are made of.
 * Temporary names are io/files.ts's tempName, so a killed run's leftovers are recognised and
 * removed by the next run (removeStaleTemps).
 */

export { writeSynced };

/** Atomic replace: a flushed temporary file beside `file`, renamed over it. */
export async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempName(file);
  try {
    await writeSynced(tmp, data);
    await rename(tmp, file);
  } finally {
    // never let the clean-up's own error hide the real one
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * Builds a directory with `fill` in a temporary sibling, then renames it to `dir` (replacing a stale
 * `dir` left by a run killed after that rename but before it recorded the checkpoint). So `dir` is
 * either absent or complete.
 */
export async function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempName(dir);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    await syncDir(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    await syncDir(dirname(dir));
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const h = await open(dir, "r");
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // some file systems cannot fsync a directory; the rename is still atomic
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Removes the entries of `dir` whose names match `pattern`, except `keep`. */
export async function removeOthers(dir: string, pattern: RegExp, keep: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names)
    if (pattern.test(n) && n !== keep) await rm(join(dir, n), { recursive: true, force: true });
}

export async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, "utf8"));
}

// ---------------------------------------------------------------------------------------------
// tfjs model files

const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

/** A tf.io.IOHandler saving to DIR/model.json + DIR/weights.bin (DIR must exist). */
export function fileSaveHandler(dir: string, metadata: Record<string, unknown> = {}): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const data = artifacts.weightData ? joinWeightData(artifacts.weightData) : new ArrayBuffer(0);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: metadata,
      };
      await writeSynced(join(dir, WEIGHTS_BIN), new Uint8Array(data));
      await writeSynced(join(dir, MODEL_JSON), `${JSON.stringify(json)}\n`);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(0),
          modelTopologyType: "JSON",
          weightDataBytes: data.byteLength,
        },
      };
    },
  };
}

/** A tf.io.IOHandler loading DIR/model.json and the weight files its manifest names. */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = (await readJson(join(dir, MODEL_JSON))) as {
        modelTopology: object;
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
      };
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(await readFile(join(dir, p)));
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        weightSpecs: specs,
        weightData: concat(buffers),
      };
    },
  };
}

/** Saves extra named tensors (not part of a LayersModel) as one binary file; returns their specs. */
export async function saveTensors(
  file: string,
  tensors: { name: string; tensor: tf.Tensor }[],
): Promise<tf.io.WeightsManifestEntry[]> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  await writeSynced(file, new Uint8Array(joinWeightData(data)));
  return specs;
}

export async function loadTensors(
  file: string,
  specs: tf.io.WeightsManifestEntry[],
): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const bytes = await readFile(file);
  const map = tf.io.decodeWeights(concat([bytes]), specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name] }));
}

function joinWeightData(d: tf.io.WeightData): ArrayBuffer {
  return Array.isArray(d) ? tf.io.concatenateArrayBuffers(d) : d;
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out.buffer;
}
