import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { BackendInfo } from "./backend.ts";
import { tf } from "./backend.ts";
import { type AgentState, PpoAgent } from "./ppo.ts";
import {
  exists,
  fileLoadHandler,
  fileSaveHandler,
  loadTensors,
  readJson,
  removeOthers,
  saveTensors,
  writeAtomic,
  writeDirAtomic,
  writeSynced,
} from "./store.ts";

/**
 * A training run's directory (docs/learned.md, "Files"):
 *
 *   DIR/checkpoint.json                 which checkpoint is the latest (replaced atomically, last)
 *   DIR/checkpoints/ep-000012/          the checkpoint after 12 completed episodes
 *       training.json                   the training state: config, episodes done, RNG states,
 *                                       normalisers, the learning curve, unused rollouts, backend
 *       learner-0/model.json            tfjs layers-model topology + weights manifest
 *       learner-0/weights.bin           the network's float32 weights
 *       learner-0/train.bin             log std and Adam's moments (float32; specs in training.json)
 *   DIR/curve.csv, DIR/curve.svg        the learning curve (rewritten from training.json)
 *
 * A checkpoint directory is built in a temporary sibling and renamed into place, and only then does
 * checkpoint.json point at it; so a run killed at any instant leaves the previous checkpoint intact
 * and named, and `--resume` restarts after the last completed episode.
 */
export const CHECKPOINT_FORMAT = "sfl-market/learned@1";
const POINTER = "checkpoint.json";
const CHECKPOINTS = "checkpoints";

export interface Pointer {
  readonly format: string;
  /** Directory of the latest checkpoint, relative to the run directory. */
  readonly latest: string;
  readonly episode: number;
}

export interface LearnerRecord {
  /** Tenant name (or "device" for the learned device policy). */
  readonly name: string;
  readonly kind: "tenant" | "device";
  /** Directory of its files inside the checkpoint. */
  readonly dir: string;
  readonly agent: AgentState;
  readonly extraSpecs: tf.io.WeightsManifestEntry[];
}

/** What training.json holds; `T` is the trainer's own part (config, curve, RNG states...). */
export interface CheckpointFile<T> {
  readonly format: string;
  readonly episode: number;
  readonly backend: BackendInfo;
  readonly learners: readonly LearnerRecord[];
  readonly training: T;
}

export function checkpointName(episode: number): string {
  return `ep-${String(episode).padStart(6, "0")}`;
}

/** Saves a checkpoint of `agents` (by learner name) after `episode` completed episodes. */
export async function saveCheckpoint<T>(
  runDir: string,
  episode: number,
  backend: BackendInfo,
  agents: ReadonlyMap<string, { kind: "tenant" | "device"; agent: PpoAgent }>,
  training: T,
): Promise<string> {
  const name = checkpointName(episode);
  const root = join(runDir, CHECKPOINTS);
  await mkdir(root, { recursive: true });
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

export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
}

/** Reads the latest checkpoint's training.json (no tensors). */
export async function readCheckpointFile<T>(
  runDir: string,
): Promise<{ dir: string; file: CheckpointFile<T> }> {
  let pointer: Pointer;
  try {
    pointer = (await readJson(join(runDir, POINTER))) as Pointer;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      code === "ENOENT"
        ? `${runDir} holds no trained policy (no ${POINTER}; train one with \`sfl-market train --out ${runDir}\`)`
        : `cannot read ${join(runDir, POINTER)}: ${(e as Error).message}`,
    );
  }
  if (pointer?.format !== CHECKPOINT_FORMAT || typeof pointer.latest !== "string")
    throw new CheckpointError(`${join(runDir, POINTER)} is not a ${CHECKPOINT_FORMAT} checkpoint pointer`);
  const dir = join(runDir, pointer.latest);
  let file: CheckpointFile<T>;
  try {
    file = (await readJson(join(dir, "training.json"))) as CheckpointFile<T>;
  } catch (e) {
    throw new CheckpointError(`cannot read ${join(dir, "training.json")}: ${(e as Error).message}`);
  }
  if (file?.format !== CHECKPOINT_FORMAT || !Array.isArray(file.learners))
    throw new CheckpointError(`${join(dir, "training.json")} is not a ${CHECKPOINT_FORMAT} checkpoint`);
  return { dir, file };
}

/** Loads the latest checkpoint: its training.json and every learner's agent. */
export async function loadCheckpoint<T>(runDir: string): Promise<{
  file: CheckpointFile<T>;
  agents: Map<string, { kind: "tenant" | "device"; agent: PpoAgent }>;
}> {
  const { dir, file } = await readCheckpointFile<T>(runDir);
  const agents = new Map<string, { kind: "tenant" | "device"; agent: PpoAgent }>();
  for (const l of file.learners) {
    const sub = join(dir, l.dir);
    const model = await tf.loadLayersModel(fileLoadHandler(sub));
    const extra = await loadTensors(join(sub, "train.bin"), l.extraSpecs);
    agents.set(l.name, { kind: l.kind, agent: PpoAgent.restore(l.agent, model, extra) });
  }
  return { file, agents };
}
