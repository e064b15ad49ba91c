/**
 * The few statistics the report needs. Inputs may contain anything a run can produce; non-finite
 * values are left out rather than allowed to turn a whole summary into NaN.
 */

// Math.min(...xs) and push(...xs) pass every element as an argument and overflow the stack for a
// few hundred thousand elements (a stress comparison's samples): these loop instead.

/** The smallest of xs (Infinity if empty), as Math.min(...xs) without the argument limit. */
export function minOf(xs: Iterable<number>): number {
  let m = Number.POSITIVE_INFINITY;
  for (const x of xs) if (x < m || Number.isNaN(x)) m = x;
  return m;
}

/** The largest of xs (-Infinity if empty), as Math.max(...xs) without the argument limit. */
export function maxOf(xs: Iterable<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m || Number.isNaN(x)) m = x;
  return m;
}

/** Appends every element of `from` to `to`, as to.push(...from) without the argument limit. */
export function pushAll<T>(to: T[], from: Iterable<T>): void {
  for (const x of from) to.push(x);
}

function finiteSorted(xs: readonly number[]): number[] {
  return xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

/** Quantile p in [0, 1] with linear interpolation between order statistics (R's type 7); null if empty. */
export function quantile(xs: readonly number[], p: number): number | null {
  const s = finiteSorted(xs);
  if (s.length === 0) return null;
  const h = (s.length - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** Median of the finite values (mean of the middle two for an even count); null if there are none. */
export function median(xs: readonly number[]): number | null {
  return quantile(xs, 0.5);
}

/** Ranks 1..n, ties sharing the average of the ranks they span. */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((_, k) => k).sort((a, b) => xs[a] - xs[b] || a - b);
  const ranks = new Array<number>(xs.length);
  let k = 0;
  while (k < order.length) {
    let end = k;
    while (end + 1 < order.length && xs[order[end + 1]] === xs[order[k]]) end++;
    const rank = (k + end) / 2 + 1;
    for (let t = k; t <= end; t++) ranks[order[t]] = rank;
    k = end + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation: Pearson's correlation of the average ranks, so ties are handled
 * exactly. Pairs with a non-finite member are left out. Null when fewer than 3 pairs remain or
 * either side has no variance (all ranks equal), where the coefficient is undefined.
 */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length) {
    throw new RangeError(`spearman: ${xs.length} x values but ${ys.length} y values`);
  }
  const px: number[] = [];
  const py: number[] = [];
  for (let k = 0; k < xs.length; k++) {
    if (Number.isFinite(xs[k]) && Number.isFinite(ys[k])) {
      px.push(xs[k]);
      py.push(ys[k]);
    }
  }
  const n = px.length;
  if (n < 3) return null;
  const rx = averageRanks(px);
  const ry = averageRanks(py);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let k = 0; k < n; k++) {
    const dx = rx[k] - mean;
    const dy = ry[k] - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  // Clamp the last ulp of rounding so a perfect monotone relation reads exactly +-1.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}
