/**
 * Running mean and variance of observation features (Welford's algorithm, batched with Chan et
 * al.'s parallel update), the usual observation normaliser of PPO implementations. Its state is
 * plain JSON (float64 numbers round-trip exactly), saved with every checkpoint so a resumed run
 * normalises exactly as the uninterrupted one would; evaluation uses it frozen.
 */
export interface NormalizerState {
  readonly count: number;
  readonly mean: readonly number[];
  /** Sum of squared deviations (M2), per feature. */
  readonly m2: readonly number[];
}

/** Normalised features are clipped to +-CLIP standard deviations. */
export const CLIP = 5;

export class RunningNormalizer {
  count = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;

  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
  }

  static fromState(s: NormalizerState): RunningNormalizer {
    if (!(Array.isArray(s.mean) && Array.isArray(s.m2) && s.mean.length === s.m2.length))
      throw new Error("normaliser state: mean and m2 must be arrays of one length");
    const n = new RunningNormalizer(s.mean.length);
    n.count = s.count;
    n.mean.set(s.mean);
    n.m2.set(s.m2);
    return n;
  }

  state(): NormalizerState {
    return { count: this.count, mean: Array.from(this.mean), m2: Array.from(this.m2) };
  }

  /** Adds a batch of rows (each of length `size`). */
  update(rows: readonly ArrayLike<number>[]): void {
    const nb = rows.length;
    if (nb === 0) return;
    const { size } = this;
    for (let k = 0; k < size; k++) {
      let m = 0;
      for (const r of rows) m += r[k];
      m /= nb;
      let s = 0;
      for (const r of rows) s += (r[k] - m) ** 2;
      const na = this.count;
      const n = na + nb;
      const delta = m - this.mean[k];
      this.mean[k] += (delta * nb) / n;
      this.m2[k] += s + (delta * delta * na * nb) / n;
    }
    this.count += nb;
  }

  /** (x - mean) / std, clipped; std is 1 until two samples were seen, and at least 1e-4. */
  normalize(x: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.size);
    for (let k = 0; k < this.size; k++) {
      const v = this.count > 1 ? this.m2[k] / this.count : 1;
      const sd = Math.max(Math.sqrt(v), 1e-4);
      const z = (x[k] - this.mean[k]) / sd;
      out[k] = Math.max(-CLIP, Math.min(CLIP, z));
    }
    return out;
  }
}
