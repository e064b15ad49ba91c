import type { BackendInfo, tf } from "./backend.ts";
import type { AgentState, PpoAgent } from "./ppo.ts";

/**
 * What a training run's checkpoint holds, as data: the format, the records of training.json and
 * the manifest. Reading and writing them is io/checkpoint.ts (the file system stays out of
 * policies/); docs/learned.md ("Files") shows the layout.
 */
export const CHECKPOINT_FORMAT = "sfl-market/learned@2";

export interface Pointer {
  readonly format: string;
  /** Directory of the latest checkpoint, relative to the run directory. */
  readonly latest: string;
  readonly episode: number;
}

/** A checkpoint's manifest.json: the episode count and a SHA-256 of every other file in it. */
export interface Manifest {
  readonly format: string;
  readonly episode: number;
  /** The tfjs backend the run trained on (also in training.json). */
  readonly backend: string;
  /** Path relative to the checkpoint directory -> hex SHA-256 of its bytes. */
  readonly files: Readonly<Record<string, string>>;
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

/** What a checkpoint is made of in memory: what the trainer hands over to be saved. */
export interface CheckpointData<T> {
  readonly episode: number;
  readonly backend: BackendInfo;
  readonly agents: ReadonlyMap<string, { kind: "tenant" | "device"; agent: PpoAgent }>;
  readonly training: T;
}

/** A checkpoint read back: its training.json and every learner's agent. */
export interface LoadedCheckpoint<T> {
  readonly file: CheckpointFile<T>;
  readonly agents: Map<string, { kind: "tenant" | "device"; agent: PpoAgent }>;
}

export function checkpointName(episode: number): string {
  return `ep-${String(episode).padStart(6, "0")}`;
}
