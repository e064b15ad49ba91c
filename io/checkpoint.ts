import { createHash } from "node:crypto";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { tf } from "../policies/learned/backend.ts";
import {
  CHECKPOINT_FORMAT,
  type CheckpointData,
  type CheckpointFile,
  checkpointName,
  type LearnerRecord,
  type Manifest,
  type Pointer,
} from "../policies/learned/checkpoint.ts";
import { PpoAgent } from "../policies/learned/ppo.ts";
import {
  exists,
  fileLoadHandler,
  fileSaveHandler,
  loadTensors,
  removeOthers,
  saveTensors,
  writeAtomic,
  writeDirAtomic,
  writeSynced,
} from "./checkpointFiles.ts";
import { makeDirs } from "./files.ts";

/**
 * A training run's directory on disk (docs/learned.md, "Files"):
 *
 *   DIR/checkpoint.json                 which checkpoint is the latest (replaced atomically, last)
 *   DIR/checkpoints/ep-000012/          the checkpoint after 12 completed episodes
 *       manifest.json                   the episode count and a SHA-256 of every other file
 *       training.json                   the training state: config, episodes done, RNG states,
 *                                       normalisers, the learning curve, unused rollouts, backend
 *       learner-0/model.json            tfjs layers-model topology + weights manifest
 *       learner-0/weights.bin           the network's float32 weights
 *       learner-0/train.bin             log std and Adam's moments (float32; specs in training.json)
 *   DIR/curve.csv, DIR/curve.svg        the learning curve (rewritten from training.json)
 *
 * A checkpoint directory is built in a temporary sibling and renamed into place, and only then does
 * checkpoint.json point at it; so a run killed at any instant leaves the previous checkpoint intact
 * and named. Reading one verifies it first: the pointer, the manifest and training.json agree on the
 * episode count, every file has the checksum the manifest records, and every weight is finite; a
 * file that fails is named, with what to do, and nothing of it is used.
 */

const POINTER = "checkpoint.json";
const CHECKPOINTS = "checkpoints";
const MANIFEST = "manifest.json";

/** A checkpoint that cannot be used; the message names the file and what to do. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  /** The file at fault. */
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.file = file;
  }
}

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

/** Every file under `dir`, relative to it, sorted. */
async function filesUnder(dir: string, at = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(at, { withFileTypes: true })) {
    const p = join(at, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(dir, p)));
    else out.push(relative(dir, p));
  }
  return out.sort();
}

/** Saves a checkpoint after `data.episode` completed episodes; returns its directory. */
export async function saveCheckpoint<T>(runDir: string, data: CheckpointData<T>): Promise<string> {
  const { episode, backend, agents, training } = data;
  const name = checkpointName(episode);
  const root = join(runDir, CHECKPOINTS);
  await makeDirs(root);
  await writeDirAtomic(join(root, name), async (tmp) => {
    const learners: LearnerRecord[] = [];
    let k = 0;
    for (const [learner, { kind, agent }] of agents) {
      const dir = `learner-${k++}`;
      const sub = join(tmp, dir);
      await mkdir(sub);
      await agent.model.save(
        fileSaveHandler(sub, { learner, kind, episode, backend: backend.name, format: CHECKPOINT_FORMAT }),
      );
      const extraSpecs = await saveTensors(join(sub, "train.bin"), agent.extraWeights());
      learners.push({ name: learner, kind, dir, agent: agent.state(), extraSpecs });
    }
    const file: CheckpointFile<T> = { format: CHECKPOINT_FORMAT, episode, backend, learners, training };
    await writeSynced(join(tmp, "training.json"), `${JSON.stringify(file)}\n`);
    const files: Record<string, string> = {};
    for (const f of await filesUnder(tmp)) files[f] = sha256(await readFile(join(tmp, f)));
    const manifest: Manifest = { format: CHECKPOINT_FORMAT, episode, backend: backend.name, files };
    await writeSynced(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  const pointer: Pointer = { format: CHECKPOINT_FORMAT, latest: `${CHECKPOINTS}/${name}`, episode };
  await writeAtomic(join(runDir, POINTER), `${JSON.stringify(pointer, null, 2)}\n`);
  await removeOthers(root, /^ep-\d+$/, name);
  return join(root, name);
}

/** True when `runDir` holds a checkpoint. */
export async function hasCheckpoint(runDir: string): Promise<boolean> {
  return exists(join(runDir, POINTER));
}

const RESTORE = "restore it from a backup, or start the run again in a new --out";

/** Reads a JSON file of a checkpoint; every way it can fail is a CheckpointError naming it. */
async function readJsonFile(file: string, what: string): Promise<{ text: Buffer; value: unknown }> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      file,
      code === "ENOENT"
        ? `${file} is missing: the checkpoint is incomplete; ${RESTORE}`
        : `cannot read ${file} (${code ?? (e as Error).message}); check its permissions`,
    );
  }
  try {
    return { text, value: JSON.parse(text.toString("utf8").replace(/^\uFEFF/, "")) };
  } catch {
    throw new CheckpointError(file, `${file} is not valid JSON (${what} was damaged); ${RESTORE}`);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;

/**
 * Reads and verifies the latest checkpoint's files (no tensors built): the pointer, the manifest,
 * every file's checksum and training.json. Throws CheckpointError naming the file at fault.
 */
export async function readCheckpointFile<T>(
  runDir: string,
): Promise<{ dir: string; file: CheckpointFile<T>; manifest: Manifest }> {
  const pointerFile = join(runDir, POINTER);
  if (!(await exists(pointerFile)))
    throw new CheckpointError(
      pointerFile,
      `${runDir} holds no trained policy (no ${POINTER}; train one with \`sfl-market train --out ${runDir}\`)`,
    );
  const { value: pointer } = await readJsonFile(pointerFile, "the pointer to the latest checkpoint");
  if (
    !isObject(pointer) ||
    typeof pointer.latest !== "string" ||
    !/^checkpoints\/ep-\d{6,}$/.test(pointer.latest) ||
    !Number.isSafeInteger(pointer.episode)
  )
    throw new CheckpointError(
      pointerFile,
      isObject(pointer) && typeof pointer.format === "string" && pointer.format !== CHECKPOINT_FORMAT
        ? `${pointerFile} is a ${pointer.format} checkpoint, which this version (${CHECKPOINT_FORMAT}) cannot verify; train the run again`
        : `${pointerFile} is not a ${CHECKPOINT_FORMAT} checkpoint pointer (it was edited or damaged); ${RESTORE}`,
    );
  const dir = join(runDir, pointer.latest);
  const manifestFile = join(dir, MANIFEST);
  const { value: m } = await readJsonFile(manifestFile, "the checkpoint's manifest");
  if (
    !isObject(m) ||
    m.format !== CHECKPOINT_FORMAT ||
    !isObject(m.files) ||
    !Number.isSafeInteger(m.episode)
  )
    throw new CheckpointError(
      manifestFile,
      `${manifestFile} is not a ${CHECKPOINT_FORMAT} manifest; ${RESTORE}`,
    );
  const manifest = m as unknown as Manifest;
  if (manifest.episode !== pointer.episode)
    throw new CheckpointError(
      pointerFile,
      `${pointerFile} says ${pointer.episode} episodes but the checkpoint's manifest says ${manifest.episode} (was one of them edited?); ${RESTORE}`,
    );
  if (`${pointer.latest.slice(CHECKPOINTS.length + 1)}` !== checkpointName(manifest.episode))
    throw new CheckpointError(
      pointerFile,
      `${pointerFile} points to ${pointer.latest}, which is not the directory of episode ${manifest.episode}; ${RESTORE}`,
    );
  const present = new Set((await filesUnder(dir)).filter((f) => f !== MANIFEST));
  for (const [f, sum] of Object.entries(manifest.files)) {
    const path = join(dir, f);
    if (!present.has(f))
      throw new CheckpointError(path, `${path} is missing: the checkpoint is incomplete; ${RESTORE}`);
    present.delete(f);
    if (sha256(await readFile(path)) !== sum)
      throw new CheckpointError(
        path,
        `${path} is corrupt: its checksum does not match the one in ${manifestFile} (changed or damaged since it was written); ${RESTORE}`,
      );
  }
  for (const f of present)
    throw new CheckpointError(
      join(dir, f),
      `${join(dir, f)} is not part of the checkpoint (its manifest does not list it); remove it`,
    );
  const trainingFile = join(dir, "training.json");
  const { value: file } = await readJsonFile(trainingFile, "the training state");
  if (!isObject(file) || file.format !== CHECKPOINT_FORMAT || !Array.isArray(file.learners))
    throw new CheckpointError(
      trainingFile,
      `${trainingFile} is not a ${CHECKPOINT_FORMAT} training state; ${RESTORE}`,
    );
  if (file.episode !== manifest.episode)
    throw new CheckpointError(
      trainingFile,
      `${trainingFile} says ${String(file.episode)} episodes but its manifest says ${manifest.episode}; ${RESTORE}`,
    );
  return { dir, file: file as unknown as CheckpointFile<T>, manifest };
}

/** A tfjs failure while building a learner from its files, as a sentence that names them. */
function unreadable(path: string, e: unknown): CheckpointError {
  return new CheckpointError(
    path,
    `${path} cannot be read as a TensorFlow.js model (${(e as Error)?.message ?? String(e)}); ${RESTORE}`,
  );
}

/** Loads the latest checkpoint, verified (readCheckpointFile), with every learner's agent. */
export async function loadCheckpoint<T>(runDir: string): Promise<{
  file: CheckpointFile<T>;
  agents: Map<string, { kind: "tenant" | "device"; agent: PpoAgent }>;
}> {
  const { dir, file } = await readCheckpointFile<T>(runDir);
  const agents = new Map<string, { kind: "tenant" | "device"; agent: PpoAgent }>();
  try {
    for (const l of file.learners) {
      const sub = join(dir, l.dir);
      let model: tf.LayersModel;
      try {
        model = await tf.loadLayersModel(fileLoadHandler(sub));
      } catch (e) {
        throw unreadable(join(sub, "model.json"), e);
      }
      let extra: { name: string; tensor: tf.Tensor }[];
      try {
        extra = await loadTensors(join(sub, "train.bin"), l.extraSpecs);
      } catch (e) {
        model.dispose();
        throw unreadable(join(sub, "train.bin"), e);
      }
      const bad = [...model.getWeights(), ...extra.map((x) => x.tensor)].some((w) =>
        (w.dataSync() as Float32Array).some((x) => !Number.isFinite(x)),
      );
      if (bad) {
        model.dispose();
        for (const x of extra) x.tensor.dispose();
        throw new CheckpointError(
          join(sub, "weights.bin"),
          `${sub} holds weights that are NaN or infinite (the run diverged, or the files were edited consistently); ${RESTORE}`,
        );
      }
      agents.set(l.name, { kind: l.kind, agent: PpoAgent.restore(l.agent, model, extra) });
    }
  } catch (e) {
    for (const { agent } of agents.values()) agent.dispose();
    throw e;
  }
  return { file, agents };
}
