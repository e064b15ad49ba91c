import type { Rng } from "../../env/rng.ts";
import { type BootstrapOptions, bootstrapInterval, type Interval, sortedMedian } from "./bootstrap.ts";

/**
 * Statistics that keep the misses. A run that missed its target is right-censored: its time to target
 * is "not before `time`" (for a deadline miss, the deadline; MODEL.md section 4). Nothing here drops
 * a miss: it either counts in the estimate or widens a bound.
 */
export interface CensoredTime {
  /** The time to target if met, else the time the run was last seen without meeting it. */
  readonly time: number;
  readonly met: boolean;
}

export interface SurvivalStep {
  /** A time at which some run met its target. */
  readonly time: number;
  /** Runs not yet met and not censored before this time (censored at this time count as at risk). */
  readonly atRisk: number;
  /** Runs that met the target at exactly this time. */
  readonly events: number;
  /** Kaplan-Meier estimate of P(time to target > this time). */
  readonly survival: number;
}

function usable(obs: readonly CensoredTime[]): CensoredTime[] {
  return obs.filter((o) => Number.isFinite(o.time) && o.time >= 0);
}

/**
 * The Kaplan-Meier (1958) product-limit estimate of the "not yet met" curve S(t) = P(T > t), one step
 * per distinct time at which some run met its target: S = prod (1 - events / atRisk).
 */
export function kaplanMeier(obs: readonly CensoredTime[]): SurvivalStep[] {
  const sorted = usable(obs).sort((a, b) => a.time - b.time);
  const steps: SurvivalStep[] = [];
  let atRisk = sorted.length;
  let survival = 1;
  let k = 0;
  while (k < sorted.length) {
    const t = sorted[k].time;
    let events = 0;
    let leaving = 0;
    while (k < sorted.length && sorted[k].time === t) {
      if (sorted[k].met) events++;
      leaving++;
      k++;
    }
    if (events > 0) {
      survival *= 1 - events / atRisk;
      steps.push({ time: t, atRisk, events, survival });
    }
    atRisk -= leaving;
  }
  return steps;
}

export interface CensoredMedian {
  /** Kaplan-Meier median time to target; null when fewer than half the runs are known to have met it. */
  readonly median: number | null;
  /** When the median is null: the median is later than this (the last time a run was seen). */
  readonly notBefore: number | null;
  readonly met: number;
  readonly n: number;
}

const HALF_TOLERANCE = 1e-12;

/**
 * The median of the Kaplan-Meier curve: the smallest time with S(t) <= 1/2; where S is exactly 1/2
 * on a step, the midpoint of that step and the next event time (the convention of R's survival
 * package), so with no misses it is the ordinary sample median. If S stays above 1/2 (half or more
 * of the runs missed), the median is not reached: null, with `notBefore` the last time observed.
 */
export function kaplanMeierMedian(obs: readonly CensoredTime[]): CensoredMedian {
  const all = usable(obs);
  const met = all.filter((o) => o.met).length;
  const steps = kaplanMeier(all);
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k].survival;
    if (Math.abs(s - 0.5) <= HALF_TOLERANCE) {
      const next = steps[k + 1];
      const median = next ? (steps[k].time + next.time) / 2 : steps[k].time;
      return { median, notBefore: null, met, n: all.length };
    }
    if (s < 0.5) return { median: steps[k].time, notBefore: null, met, n: all.length };
  }
  const last = all.reduce((m, o) => Math.max(m, o.time), Number.NEGATIVE_INFINITY);
  return { median: null, notBefore: all.length ? last : null, met, n: all.length };
}

/**
 * Percentile bootstrap interval of the Kaplan-Meier median: runs are resampled with their censoring,
 * a resample whose median is not reached counts as +Infinity. So `high` is Infinity (JSON: null) when
 * more than 2.5% of the resamples do not reach a median: the data cannot bound it from above.
 */
export function kaplanMeierMedianInterval(
  obs: readonly CensoredTime[],
  rng: Rng,
  options?: BootstrapOptions,
): Interval | null {
  const all = usable(obs);
  if (all.length < 2) return null;
  // Encode each run as a number the generic bootstrap can resample: its index.
  const index = all.map((_, k) => k);
  return bootstrapInterval(
    index,
    (s) => kaplanMeierMedian(Array.from(s, (k) => all[k])).median ?? Number.POSITIVE_INFINITY,
    rng,
    options,
  );
}

/** How the seeds of a paired comparison split by which side met the target. */
export interface CensoredSpeedup {
  /** Seeds with a run on both sides. */
  readonly n: number;
  readonly bothMet: number;
  /** Baseline met, PRINCE missed: speedup at most baseline time / PRINCE's censoring time. */
  readonly baselineOnly: number;
  /** PRINCE met, baseline missed: speedup at least the baseline's censoring time / PRINCE time. */
  readonly princeOnly: number;
  readonly neitherMet: number;
  /** Median speedup over the bothMet seeds alone (null if none): read it with bothMet / n. */
  readonly medianBothMet: number | null;
  /**
   * Bounds on the median speedup over all n seeds: every seed contributes an interval for its
   * speedup (exact if both met, [c/p, inf) if only PRINCE met, (0, b/c] if only the baseline met,
   * (0, inf) if neither), and the median is monotone in each value, so the median of the lower ends
   * and the median of the upper ends bound it. Infinity (JSON: null) means unbounded.
   */
  readonly bounds: Interval | null;
}

/** Median keeping Infinity (an Infinity in the middle gives Infinity). */
function plainMedian(xs: number[]): number {
  const s = Float64Array.from(xs).sort();
  return sortedMedian(s, s.length);
}

/** Speedup of PRINCE over a baseline (baseline time / PRINCE time) per seed, misses kept as bounds. */
export function censoredSpeedup(
  pairs: readonly { readonly baseline: CensoredTime; readonly prince: CensoredTime }[],
): CensoredSpeedup {
  let bothMet = 0;
  let baselineOnly = 0;
  let princeOnly = 0;
  let neitherMet = 0;
  const exact: number[] = [];
  const lows: number[] = [];
  const highs: number[] = [];
  for (const { baseline: b, prince: p } of pairs) {
    if (!(Number.isFinite(b.time) && Number.isFinite(p.time) && b.time >= 0 && p.time > 0)) continue;
    if (b.met && p.met) {
      bothMet++;
      exact.push(b.time / p.time);
      lows.push(b.time / p.time);
      highs.push(b.time / p.time);
    } else if (p.met) {
      princeOnly++;
      lows.push(b.time / p.time);
      highs.push(Number.POSITIVE_INFINITY);
    } else if (b.met) {
      baselineOnly++;
      lows.push(0);
      highs.push(b.time / p.time);
    } else {
      neitherMet++;
      lows.push(0);
      highs.push(Number.POSITIVE_INFINITY);
    }
  }
  const n = bothMet + baselineOnly + princeOnly + neitherMet;
  return {
    n,
    bothMet,
    baselineOnly,
    princeOnly,
    neitherMet,
    medianBothMet: exact.length ? plainMedian(exact) : null,
    bounds: n ? [plainMedian(lows), plainMedian(highs)] : null,
  };
}
