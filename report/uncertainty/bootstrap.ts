import type { Rng } from "../../env/rng.ts";

/** A closed interval [low, high]; in JSON every interval is written as `ci95: [low, high]`. */
export type Interval = readonly [number, number];

export interface BootstrapOptions {
  /** Bootstrap resamples (default 2000). */
  readonly resamples?: number;
  /** Coverage of the interval (default 0.95). */
  readonly level?: number;
}

export const DEFAULT_RESAMPLES = 2000;

/** The median of a sorted sample: the middle value, or the mean of the middle two. */
export function sortedMedian(s: Float64Array, n: number): number {
  const h = (n - 1) / 2;
  const lo = Math.floor(h);
  return lo === h ? s[lo] : (s[lo] + s[lo + 1]) / 2;
}

/** Type-7 quantile of an ascending array (linear interpolation between order statistics). */
function sortedQuantile(s: Float64Array, p: number): number {
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] === s[hi] ? s[lo] : s[lo] + (h - lo) * (s[hi] - s[lo]); // Infinity - Infinity is NaN
}

/**
 * Percentile bootstrap interval (Efron and Tibshirani 1993, ch. 13) of `statistic` over the finite
 * values of `xs`: draw `resamples` samples of size n with replacement from `rng`, evaluate the
 * statistic on each, and return the (1 - level)/2 and (1 + level)/2 quantiles (type 7) of those
 * values. The statistic gets the resample sorted ascending, in a buffer it must not keep.
 *
 * Null for fewer than 2 finite values: one value gives no information about spread. The draws come
 * only from `rng`, so the interval is a pure function of the data and the stream's state; give each
 * interval its own child stream (rng.child(label)) so that adding one never moves another.
 */
export function bootstrapInterval(
  xs: readonly number[],
  statistic: (sortedSample: Float64Array) => number,
  rng: Rng,
  options: BootstrapOptions = {},
): Interval | null {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const level = options.level ?? 0.95;
  if (!(Number.isInteger(resamples) && resamples >= 1))
    throw new RangeError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1), got ${level}`);
  const data = Float64Array.from(xs.filter((x) => Number.isFinite(x)));
  const n = data.length;
  if (n < 2) return null;
  const sample = new Float64Array(n);
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let k = 0; k < n; k++) sample[k] = data[rng.int(n)];
    sample.sort();
    stats[b] = statistic(sample);
  }
  stats.sort();
  return [sortedQuantile(stats, (1 - level) / 2), sortedQuantile(stats, (1 + level) / 2)];
}

/** Percentile bootstrap interval of the median (see bootstrapInterval). */
export function medianInterval(xs: readonly number[], rng: Rng, options?: BootstrapOptions): Interval | null {
  return bootstrapInterval(xs, (s) => sortedMedian(s, s.length), rng, options);
}

/** Per-seed paired speedups: baseline time / PRINCE time on each seed where both are finite and > 0. */
export function pairedRatios(
  baseline: ReadonlyMap<number, number>,
  prince: ReadonlyMap<number, number>,
): { seed: number; ratio: number }[] {
  const out: { seed: number; ratio: number }[] = [];
  for (const [seed, b] of baseline) {
    const p = prince.get(seed);
    if (p !== undefined && p > 0 && b > 0 && Number.isFinite(b) && Number.isFinite(p))
      out.push({ seed, ratio: b / p });
  }
  return out.sort((x, y) => x.seed - y.seed);
}

/**
 * The median per-seed speedup and its percentile bootstrap interval. Seeds are resampled as pairs
 * (one ratio per seed), which keeps what the seeds share (the device population, the scenario).
 * `n` is the number of seeds the figure rests on: those where both runs have a time.
 */
export function pairedSpeedupInterval(
  baseline: ReadonlyMap<number, number>,
  prince: ReadonlyMap<number, number>,
  rng: Rng,
  options: { readonly resamples?: number } = {},
): { median: number | null; ci95: Interval | null; n: number } {
  const ratios = pairedRatios(baseline, prince).map((r) => r.ratio);
  const sorted = Float64Array.from(ratios).sort();
  return {
    median: ratios.length ? sortedMedian(sorted, sorted.length) : null,
    ci95: medianInterval(ratios, rng, options),
    n: ratios.length,
  };
}
