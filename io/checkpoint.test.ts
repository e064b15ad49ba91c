import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../env/rng.ts";
import { type BackendInfo, initBackend, tf } from "../policies/learned/backend.ts";
import { DEFAULT_PPO, PpoAgent, type Transition } from "../policies/learned/ppo.ts";
import { CheckpointError, loadCheckpoint, readCheckpointFile, saveCheckpoint } from "./checkpoint.ts";

let backend: BackendInfo;
let root: string;
beforeAll(async () => {
  backend = await initBackend("cpu");
  root = await mkdtemp(join(tmpdir(), "sfl-checkpoint-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const shape = { obsSize: 4, actionSize: 2, hidden: 8, initMean: [0.5, -1], initLogStd: [-1, -0.5] };

function batch(seed: number, n: number): Transition[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, k) => ({
    obs: [rng.normal(), rng.normal(), rng.normal(), rng.normal()],
    action: [rng.normal(), rng.normal()],
    logp: -2 + 0.1 * rng.normal(),
    value: 0,
    reward: rng.normal(),
    done: k % 10 === 9,
  }));
}

let n = 0;
/** A fresh run directory holding one checkpoint after 3 episodes. */
async function savedRun(): Promise<string> {
  const dir = join(root, `run-${n++}`);
  const agent = PpoAgent.create(shape, createRng("c"));
  await saveCheckpoint(dir, {
    episode: 3,
    backend,
    agents: new Map([["t", { kind: "tenant" as const, agent }]]),
    training: { note: 1 },
  });
  agent.dispose();
  return dir;
}

const EP = "checkpoints/ep-000003";
const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** Rewrites the manifest so it vouches for the files as they are now (a consistent forgery). */
async function reseal(dir: string) {
  const file = join(dir, EP, "manifest.json");
  const m = JSON.parse(await readFile(file, "utf8"));
  for (const f of Object.keys(m.files)) m.files[f] = sha(await readFile(join(dir, EP, f)));
  await writeFile(file, JSON.stringify(m));
}

/** The CheckpointError loading `dir` raises. */
async function refusal(dir: string): Promise<CheckpointError> {
  const e = await loadCheckpoint(dir).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CheckpointError);
  return e as CheckpointError;
}

describe("checkpoints", () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(root, "roundtrip");
  });

  it("round-trips through a checkpoint: same outputs, and the next update gives the same bits", async () => {
    const agent = PpoAgent.create(shape, createRng("c"));
    agent.observe([1, 2, 3, 4], true);
    agent.observe([2, 0, 3, 1], true);
    agent.update(batch(1, 30), DEFAULT_PPO, createRng(5));
    await saveCheckpoint(dir, {
      episode: 3,
      backend,
      agents: new Map([["t", { kind: "tenant" as const, agent }]]),
      training: { note: 1 },
    });
    expect((await readdir(join(dir, "checkpoints"))).sort()).toEqual(["ep-000003"]);
    const model = JSON.parse(await readFile(join(dir, "checkpoints/ep-000003/learner-0/model.json"), "utf8"));
    expect(model.format).toBe("layers-model");
    expect(model.weightsManifest[0].paths).toEqual(["weights.bin"]);
    expect(model.userDefinedMetadata.backend).toBe("cpu");
    const { file, agents } = await loadCheckpoint<{ note: number }>(dir);
    expect(file.episode).toBe(3);
    expect(file.training).toEqual({ note: 1 });
    expect(file.backend.name).toBe("cpu");
    const copy = agents.get("t")!.agent;
    const x = [0.1, 0.2, -0.3, 0.4];
    expect(Array.from(copy.evaluate(x).mean)).toEqual(Array.from(agent.evaluate(x).mean));
    expect(Array.from(copy.observe([1, 1, 1, 1], false))).toEqual(
      Array.from(agent.observe([1, 1, 1, 1], false)),
    );
    agent.update(batch(2, 30), DEFAULT_PPO, createRng(6));
    copy.update(batch(2, 30), DEFAULT_PPO, createRng(6));
    const weights = (a: PpoAgent) => [...a.model.getWeights(), a.logStd].map((w) => Array.from(w.dataSync()));
    expect(weights(copy)).toEqual(weights(agent));
    // a later checkpoint replaces the earlier one
    await saveCheckpoint(dir, {
      episode: 4,
      backend,
      agents: new Map([["t", { kind: "tenant" as const, agent }]]),
      training: { note: 2 },
    });
    expect(await readdir(join(dir, "checkpoints"))).toEqual(["ep-000004"]);
    agent.dispose();
    copy.dispose();
    expect(tf.getBackend()).toBe("cpu");
  });

  it("the manifest records the episode count and a checksum of every file", async () => {
    const run = await savedRun();
    const { manifest } = await readCheckpointFile(run);
    expect(manifest.episode).toBe(3);
    expect(Object.keys(manifest.files).sort()).toEqual([
      "learner-0/model.json",
      "learner-0/train.bin",
      "learner-0/weights.bin",
      "training.json",
    ]);
    for (const [f, sum] of Object.entries(manifest.files))
      expect(sha(await readFile(join(run, EP, f)))).toBe(sum);
  });
});

// Regressions (issue 11): corrupt checkpoints used to be accepted (NaN actions, repeated episodes)
// or to fail with tfjs's internal messages ("json.weightsManifest is not iterable").
describe("a corrupt checkpoint is refused, naming the file", () => {
  it("random bytes in weights.bin", async () => {
    const run = await savedRun();
    const w = join(run, EP, "learner-0", "weights.bin");
    const bytes = await readFile(w);
    bytes[5] ^= 0xff;
    await writeFile(w, bytes);
    const e = await refusal(run);
    expect(e.file).toBe(w);
    expect(e.message).toBe(
      `${w} is corrupt: its checksum does not match the one in ${join(run, EP, "manifest.json")} (changed or damaged since it was written); restore it from a backup, or start the run again in a new --out`,
    );
  });

  it("NaN weights, even with a manifest that vouches for them", async () => {
    const run = await savedRun();
    const w = join(run, EP, "learner-0", "weights.bin");
    const f = new Float32Array(new Uint8Array(await readFile(w)).buffer);
    f[0] = Number.NaN;
    await writeFile(w, new Uint8Array(f.buffer));
    await reseal(run);
    const e = await refusal(run);
    expect(e.message).toContain("holds weights that are NaN or infinite");
  });

  it("an edited episode counter, in the pointer or in training.json", async () => {
    const run = await savedRun();
    const pointer = join(run, "checkpoint.json");
    const p = JSON.parse(await readFile(pointer, "utf8"));
    await writeFile(pointer, JSON.stringify({ ...p, episode: 1 }));
    expect((await refusal(run)).message).toContain(
      `${pointer} says 1 episodes but the checkpoint's manifest says 3`,
    );

    const other = await savedRun();
    const training = join(other, EP, "training.json");
    const t = JSON.parse(await readFile(training, "utf8"));
    await writeFile(training, JSON.stringify({ ...t, episode: 1 }));
    expect((await refusal(other)).file).toBe(training);
  });

  it("a model.json that is not a model: a sentence, not tfjs's internals", async () => {
    const run = await savedRun();
    const model = join(run, EP, "learner-0", "model.json");
    await writeFile(model, JSON.stringify({ modelTopology: {}, weightsManifest: 7 }));
    await reseal(run);
    const e = await refusal(run);
    expect(e.file).toBe(model);
    expect(e.message).toMatch(
      /model\.json cannot be read as a TensorFlow\.js model \(.*\); restore it from a backup/,
    );
  });

  it("a missing file, a file the manifest does not list, garbage JSON, and an older format", async () => {
    const run = await savedRun();
    await rm(join(run, EP, "learner-0", "train.bin"));
    expect((await refusal(run)).message).toContain("train.bin is missing: the checkpoint is incomplete");

    const extra = await savedRun();
    await writeFile(join(extra, EP, "stray.txt"), "x");
    expect((await refusal(extra)).message).toContain("stray.txt is not part of the checkpoint");

    const garbage = await savedRun();
    await writeFile(join(garbage, EP, "manifest.json"), "{ not json");
    expect((await refusal(garbage)).message).toContain("manifest.json is not valid JSON");

    const old = await savedRun();
    const pointer = join(old, "checkpoint.json");
    await writeFile(pointer, JSON.stringify({ format: "sfl-market/learned@1", latest: 3 }));
    expect((await refusal(old)).message).toContain(
      "is a sfl-market/learned@1 checkpoint, which this version",
    );
  });
});
