import type { Quantiles } from "./events.ts";

// ---------------------------------------------------------------------------------------------
// summaries

/** Quantiles (linear interpolation between order statistics) of x at the given indices. */
export function quantilesAt(x: Float64Array, at: Int32Array): Quantiles {
  const n = at.length;
  if (n === 0) return { min: 0, p10: 0, p25: 0, median: 0, p75: 0, p90: 0, max: 0, mean: 0 };
  const v = new Float64Array(n);
  let sum = 0;
  for (let s = 0; s < n; s++) {
    v[s] = x[at[s]];
    sum += v[s];
  }
  v.sort();
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(n - 1, lo + 1);
    return v[lo] + (h - lo) * (v[hi] - v[lo]);
  };
  return {
    min: v[0],
    p10: q(0.1),
    p25: q(0.25),
    median: q(0.5),
    p75: q(0.75),
    p90: q(0.9),
    max: v[n - 1],
    mean: sum / n,
  };
}

/** Keeps at most `max` points, evenly spread by index, always the first and the last. */
export function downsample(tr: { time: number[]; gap: number[] }, max: number) {
  const n = tr.time.length;
  if (n <= max || max < 2) return { time: tr.time.slice(), gap: tr.gap.slice() };
  const time: number[] = [];
  const gap: number[] = [];
  let prev = -1;
  for (let k = 0; k < max; k++) {
    const idx = Math.round((k * (n - 1)) / (max - 1));
    if (idx === prev) continue;
    prev = idx;
    time.push(tr.time[idx]);
    gap.push(tr.gap[idx]);
  }
  return { time, gap };
}
