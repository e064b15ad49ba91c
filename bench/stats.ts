import { median as medianOrNull } from "../report/stats.ts";

/** Small helpers for benchmarks: repeated wall-clock timings and memory readings. */

/** Runs `fn` `runs` times after `warmup` untimed runs; returns the times in ms and the last result. */
export function timeRuns<T>(fn: () => T, runs: number, warmup = 1): { ms: number[]; result: T } {
  let result = fn();
  for (let w = 1; w < warmup; w++) result = fn();
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    result = fn();
    ms.push(performance.now() - t0);
  }
  return { ms, result };
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The median of non-empty timings (report/stats.ts computes it). */
export function median(xs: number[]): number {
  return medianOrNull(xs) ?? Number.NaN;
}
