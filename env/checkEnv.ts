import type { ParallelEnv, Space } from "./parallelEnv.ts";
import { createRng, type Rng } from "./rng.ts";

/**
 * Conformance checks for a parallel environment, in the spirit of PettingZoo's api_test and
 * Gymnasium's seeding and determinism checks. Run them against MarketParallelEnv, or against your own
 * environment (any object with the ParallelEnv surface):
 *
 * - spaces are stable: observationSpace(a) and actionSpace(a) return the same object on every call,
 *   before and after reset;
 * - observations lie in their spaces, at reset and at every step;
 * - determinism: two fresh environments reset with the same seed and fed the same actions produce
 *   bit-identical observations, rewards, terminations, truncations and agent lists;
 * - reseeding: reset({seed}) on a used environment reproduces the first episode;
 * - the random stream continues: a following reset() without a seed gives a different episode than the
 *   seeded one, and the same one on both environments.
 *
 * Actions are drawn from the action spaces with a stream of their own (seeded by `seed`), so a failed
 * check can be replayed. Nothing is thrown for a failed check: the report says which and why.
 */

export interface CheckOptions {
  readonly seed?: number | string;
  /** Steps per rollout (default 20; fewer if the episode ends). */
  readonly steps?: number;
}

export interface Check {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface CheckReport {
  readonly passed: boolean;
  readonly checks: readonly Check[];
  /** Steps of the seeded rollout compared between the two environments. */
  readonly stepsCompared: number;
}

interface Frame {
  agents: string[];
  observations: Record<string, unknown>;
  rewards?: Record<string, number>;
  terminations?: Record<string, boolean>;
  truncations?: Record<string, boolean>;
}

interface Rollout {
  frames: Frame[];
  /** First observation outside its space: "<agent> at step k". */
  outside: string | null;
  error: string | null;
}

export function checkEnv<O, A>(makeEnv: () => ParallelEnv<O, A>, opts: CheckOptions = {}): CheckReport {
  const seed = opts.seed ?? 0;
  const steps = opts.steps ?? 20;
  const checks: Check[] = [];
  const add = (name: string, passed: boolean, detail: string) => checks.push({ name, passed, detail });

  let a: ParallelEnv<O, A>;
  let b: ParallelEnv<O, A>;
  try {
    a = makeEnv();
    b = makeEnv();
  } catch (err) {
    add("construct", false, `makeEnv threw: ${(err as Error).message}`);
    return { passed: false, checks, stepsCompared: 0 };
  }

  // spaces, before reset
  const spacesBefore = spaceSnapshot(a);
  add("spaces are stable", spacesBefore.stable, spacesBefore.detail);

  const actionRng = () => createRng(seed).child("checkEnv/actions");
  const a1 = rollout(a, { seed }, steps, actionRng());
  const b1 = rollout(b, { seed }, steps, actionRng());
  const spacesAfter = spaceSnapshot(a);
  const sameObjects = spacesAfter.stable && sameSpaceObjects(spacesBefore.spaces, spacesAfter.spaces);
  add(
    "spaces are the same objects after reset",
    sameObjects,
    sameObjects ? "unchanged" : "observationSpace/actionSpace returned different objects after reset()",
  );
  const err = a1.error ?? b1.error;
  add("reset and step run", err === null, err ?? `${a1.frames.length - 1} steps`);
  const outside = a1.outside ?? b1.outside;
  add("observations lie in their spaces", outside === null, outside ?? "all observations contained");

  const diff = firstDifference(a1.frames, b1.frames);
  add(
    "same seed, same trajectory",
    diff === null,
    diff ?? `${a1.frames.length - 1} steps bit-identical (observations, rewards, terminations, agents)`,
  );

  // the random stream continues past a seeded reset
  const a2 = rollout(a, {}, steps, actionRng());
  const b2 = rollout(b, {}, steps, actionRng());
  const diff2 = firstDifference(a2.frames, b2.frames);
  add(
    "reset() without a seed is reproducible",
    diff2 === null && a2.error === null && b2.error === null,
    a2.error ?? b2.error ?? diff2 ?? "the unseeded episodes after the same seeded one agree",
  );
  const same12 = firstDifference(a1.frames, a2.frames) === null;
  add(
    "reset() without a seed continues the random stream",
    !same12,
    same12 ? "the episode after reset() repeats the seeded episode" : "a new episode",
  );

  // reseeding a used environment reproduces the first episode
  const a3 = rollout(a, { seed }, steps, actionRng());
  const diff3 = firstDifference(a1.frames, a3.frames);
  add("reset({seed}) reseeds", diff3 === null, diff3 ?? "a used environment reproduces the seeded episode");

  return {
    passed: checks.every((c) => c.passed),
    checks,
    stepsCompared: Math.min(a1.frames.length, b1.frames.length) - 1,
  };
}

function rollout<O, A>(
  env: ParallelEnv<O, A>,
  resetOpts: { seed?: number | string },
  steps: number,
  rng: Rng,
): Rollout {
  const frames: Frame[] = [];
  let outside: string | null = null;
  const inSpace = (obs: Record<string, unknown>, k: number) => {
    for (const [agent, o] of Object.entries(obs)) {
      if (outside) return;
      let sp: Space<O>;
      try {
        sp = env.observationSpace(agent);
      } catch (e) {
        outside = `${agent} at step ${k}: observationSpace threw (${(e as Error).message})`;
        return;
      }
      if (!sp.contains(o)) outside = `${agent} at step ${k}: ${preview(o)} is not in its ${sp.kind} space`;
    }
  };
  try {
    const r = env.reset(resetOpts);
    frames.push({ agents: [...env.agents], observations: r.observations });
    inSpace(r.observations, 0);
    for (let k = 1; k <= steps && env.agents.length > 0; k++) {
      const actions: Record<string, A> = {};
      for (const agent of env.agents) actions[agent] = env.actionSpace(agent).sample(rng);
      const s = env.step(actions);
      frames.push({
        agents: [...env.agents],
        observations: s.observations,
        rewards: s.rewards,
        terminations: s.terminations,
        truncations: s.truncations,
      });
      inSpace(s.observations, k);
    }
    return { frames, outside, error: null };
  } catch (e) {
    return { frames, outside, error: `threw at step ${frames.length}: ${(e as Error).message}` };
  }
}

function spaceSnapshot<O, A>(env: ParallelEnv<O, A>) {
  const spaces = new Map<string, [unknown, unknown]>();
  let detail = "every getter returned the same object twice";
  let stable = true;
  for (const agent of env.possibleAgents) {
    try {
      const o1 = env.observationSpace(agent);
      const o2 = env.observationSpace(agent);
      const x1 = env.actionSpace(agent);
      const x2 = env.actionSpace(agent);
      if (o1 !== o2 || x1 !== x2) {
        stable = false;
        detail = `${agent}: ${o1 !== o2 ? "observationSpace" : "actionSpace"} returned a new object on a second call`;
      }
      spaces.set(agent, [o1, x1]);
    } catch (e) {
      stable = false;
      detail = `${agent}: a space getter threw (${(e as Error).message})`;
    }
  }
  return { spaces, stable, detail };
}

function sameSpaceObjects(a: Map<string, [unknown, unknown]>, b: Map<string, [unknown, unknown]>): boolean {
  for (const [k, [o, x]] of a) {
    const other = b.get(k);
    if (!other || other[0] !== o || other[1] !== x) return false;
  }
  return true;
}

/** Where two rollouts first differ (null if bit-identical). */
function firstDifference(x: readonly Frame[], y: readonly Frame[]): string | null {
  if (x.length !== y.length) return `the rollouts have ${x.length - 1} and ${y.length - 1} steps`;
  for (let k = 0; k < x.length; k++) {
    const fx = x[k];
    const fy = y[k];
    if (fx.agents.join("\n") !== fy.agents.join("\n")) return `step ${k}: agents differ`;
    for (const key of ["observations", "rewards", "terminations", "truncations"] as const) {
      const where = bitDiff(fx[key], fy[key], key);
      if (where) return `step ${k}: ${where}`;
    }
  }
  return null;
}

/** Bit-for-bit comparison of numbers, typed arrays, arrays and plain objects. */
function bitDiff(x: unknown, y: unknown, path: string): string | null {
  if (typeof x === "number" && typeof y === "number") {
    return sameBits(x, y) ? null : `${path}: ${x} vs ${y}`;
  }
  if (ArrayBuffer.isView(x) && ArrayBuffer.isView(y)) {
    const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
    if (bx.length !== by.length || x.constructor !== y.constructor) return `${path}: shapes differ`;
    for (let k = 0; k < bx.length; k++) if (bx[k] !== by[k]) return `${path}: byte ${k} differs`;
    return null;
  }
  if (Array.isArray(x) && Array.isArray(y)) {
    if (x.length !== y.length) return `${path}: lengths ${x.length} vs ${y.length}`;
    for (let k = 0; k < x.length; k++) {
      const d = bitDiff(x[k], y[k], `${path}[${k}]`);
      if (d) return d;
    }
    return null;
  }
  if (x && y && typeof x === "object" && typeof y === "object") {
    const kx = Object.keys(x).sort();
    const ky = Object.keys(y).sort();
    if (kx.join("\n") !== ky.join("\n")) return `${path}: keys differ`;
    for (const k of kx) {
      const d = bitDiff((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(x, y) ? null : `${path}: ${String(x)} vs ${String(y)}`;
}

const scratch = new Float64Array(2);
const scratchBits = new Uint32Array(scratch.buffer);
function sameBits(a: number, b: number): boolean {
  scratch[0] = a;
  scratch[1] = b;
  return scratchBits[0] === scratchBits[2] && scratchBits[1] === scratchBits[3];
}

function preview(x: unknown): string {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    const a = Array.from(x as unknown as ArrayLike<number>).slice(0, 6);
    return `[${a.join(", ")}${(x as unknown as ArrayLike<number>).length > 6 ? ", ..." : ""}]`;
  }
  return String(x);
}
