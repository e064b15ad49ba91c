import { InputError } from "../market/errors.ts";

/**
 * The project's only source of randomness (DESIGN.md: never Math.random).
 *
 * Generator: xoshiro128** (Blackman and Vigna, https://prng.di.unimi.it/), 4 x 32-bit words, so the
 * hot path is plain 32-bit integer arithmetic (Math.imul) with no BigInt and no allocation; next()
 * combines two outputs into a 53-bit double.
 *
 * Splitting: every stream has a 64-bit key. The root key is a hash of the seed; a child's key is a
 * hash of its parent's key and its label, and a stream's initial state is derived from its key alone.
 * So `child("devices")` is the same stream whenever and however often it is asked for, and adding a
 * new child (or drawing from the parent) never changes another stream's draws. Keys are mixed with
 * BigInt (only when a stream is created, never per draw).
 */

/** A serialisable stream state: plain JSON (hex key, four unsigned 32-bit words). */
export interface RngState {
  /** 64-bit stream key as 16 hex digits; children derive from it. */
  readonly key: string;
  /** xoshiro128** state words, each an integer in [0, 2^32), not all zero. */
  readonly s: readonly [number, number, number, number];
}

const M64 = (1n << 64n) - 1n;

/** SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit avalanche mix. */
function mix64(z: bigint): bigint {
  z = (z + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** FNV-1a 64 over UTF-16 code units; mixed afterwards, so its weak avalanche does not matter. */
function fnv64(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & M64;
  }
  return h;
}

function childKey(parent: bigint, label: string): bigint {
  return mix64(mix64(parent ^ 0x5851f42d4c957f2dn) ^ fnv64(label) ^ BigInt(label.length));
}

function stateFromKey(key: bigint): [number, number, number, number] {
  const a = mix64(key ^ 0x243f6a8885a308d3n);
  const b = mix64(a);
  const s: [number, number, number, number] = [
    Number(a & 0xffffffffn),
    Number(a >> 32n),
    Number(b & 0xffffffffn),
    Number(b >> 32n),
  ];
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // xoshiro's one forbidden state
  return s;
}

const TWO_PI = 2 * Math.PI;
const INV_2_53 = 1 / 9007199254740992;

/** A seeded stream. Not thread-safe by design: give each worker its own child. */
export class Rng {
  readonly #key: bigint;
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  private constructor(key: bigint, s: readonly number[]) {
    this.#key = key;
    this.#s0 = s[0] | 0;
    this.#s1 = s[1] | 0;
    this.#s2 = s[2] | 0;
    this.#s3 = s[3] | 0;
  }

  /** The root stream of a seed; numbers and strings are keyed by `String(seed)`, so 7 and "7" agree. */
  static create(seed: number | string): Rng {
    if (typeof seed === "number" && !Number.isFinite(seed))
      throw new InputError([{ path: "seed", message: "must be a finite number or a string" }], "seed");
    const key = childKey(0x6a09e667f3bcc908n, `seed:${String(seed)}`);
    return new Rng(key, stateFromKey(key));
  }

  /** Restores a stream from `state()`; the restored stream continues exactly where it was. */
  static fromState(state: RngState | unknown): Rng {
    const st = state as Partial<RngState> | null;
    const issues = [];
    if (typeof st?.key !== "string" || !/^[0-9a-f]{16}$/.test(st.key))
      issues.push({ path: "key", message: "must be 16 lowercase hex digits" });
    const s = st?.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32))
      issues.push({ path: "s", message: "must be 4 integers in [0, 2^32)" });
    else if (s.every((x) => x === 0)) issues.push({ path: "s", message: "must not be all zero" });
    if (issues.length) throw new InputError(issues, "rng state");
    return new Rng(BigInt(`0x${st!.key}`), s as readonly number[]);
  }

  /** An independent stream named `label`, a pure function of this stream's key and the label. */
  child(label: string): Rng {
    const key = childKey(this.#key, label);
    return new Rng(key, stateFromKey(key));
  }

  /** A JSON-able snapshot of the stream (key and position). */
  state(): RngState {
    return {
      key: this.#key.toString(16).padStart(16, "0"),
      s: [this.#s0 >>> 0, this.#s1 >>> 0, this.#s2 >>> 0, this.#s3 >>> 0],
    };
  }

  /** Next 32 random bits as an unsigned integer (xoshiro128**). */
  uint32(): number {
    const s1 = this.#s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = (this.#s3 << 11) | (this.#s3 >>> 21);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) * INV_2_53;
  }

  /**
   * Uniform integer in [0, n) for a positive integer n <= 2^53. Uses floor(next() * n): the bias is
   * below n / 2^53, far under any statistical test we run, and it costs one draw.
   */
  int(n: number): number {
    if (!(Number.isInteger(n) && n > 0 && n <= 2 ** 53))
      throw new RangeError(`int(n): n must be an integer in [1, 2^53], got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** true with probability p (p clamped to [0, 1]). */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal by Box-Muller (cosine branch only, so the state stays four words). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1], so log is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(TWO_PI * this.next());
  }

  /** exp(mu + sigma Z): median e^mu, the usual model for bandwidths and speeds. */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 by the U^(1/shape) boost. */
  gamma(shape: number): number {
    return Math.exp(this.logGamma(shape));
  }

  /**
   * log of a Gamma(shape, 1) draw. Working in logs keeps tiny shapes (Dirichlet alpha 0.01) from
   * underflowing to 0, which would make a Dirichlet draw 0/0.
   */
  logGamma(shape: number): number {
    if (!(shape > 0 && Number.isFinite(shape)))
      throw new RangeError(`gamma(shape): shape must be > 0, got ${shape}`);
    if (shape < 1) return this.logGamma(shape + 1) + Math.log(1 - this.next()) / shape;
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d * v);
    }
  }

  /** A point of the simplex drawn from Dirichlet(alpha); every alpha_k must be > 0. */
  dirichlet(alpha: readonly number[]): Float64Array {
    const out = new Float64Array(alpha.length);
    let max = -Infinity;
    for (let k = 0; k < alpha.length; k++) {
      out[k] = this.logGamma(alpha[k]);
      if (out[k] > max) max = out[k];
    }
    let sum = 0;
    for (let k = 0; k < out.length; k++) {
      out[k] = Math.exp(out[k] - max);
      sum += out[k];
    }
    for (let k = 0; k < out.length; k++) out[k] /= sum;
    return out;
  }

  /** Fisher-Yates shuffle in place; returns its argument. */
  shuffle<A extends { length: number; [i: number]: unknown }>(a: A): A {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** The root stream of a seed. */
export function createRng(seed: number | string): Rng {
  return Rng.create(seed);
}

/** Restores a stream saved with `rng.state()`; throws InputError on a malformed state. */
export function rngFromState(state: RngState | unknown): Rng {
  return Rng.fromState(state);
}
