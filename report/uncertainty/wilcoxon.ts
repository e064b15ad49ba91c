import { averageRanks } from "../stats.ts";
import { normalTail } from "./normal.ts";

/** Largest number of non-zero differences for which the exact null distribution is used. */
export const WILCOXON_EXACT_MAX = 50;

export interface WilcoxonResult {
  /** Differences given (finite ones; non-finite differences are left out before anything else). */
  readonly n: number;
  /** Differences exactly 0, dropped before ranking (Wilcoxon's own rule; scipy's zero_method="wilcox"). */
  readonly zeros: number;
  /** Whether some non-zero |d| are tied (they share the average of their ranks). */
  readonly ties: boolean;
  /** Sum of the ranks of the positive differences. */
  readonly wPlus: number;
  /** Sum of the ranks of the negative differences. */
  readonly wMinus: number;
  /** Two-sided p-value for "the differences are symmetric about 0"; null with no non-zero difference. */
  readonly pValue: number | null;
  /** "exact": the exact (conditional, with ties) null distribution; "normal": the approximation. */
  readonly method: "exact" | "normal";
}

export interface WilcoxonOptions {
  /** Use the exact distribution up to this many non-zero differences (default 50). */
  readonly exactMax?: number;
  /** Continuity correction of 0.5 in the normal approximation (default false, as scipy). */
  readonly continuity?: boolean;
}

/**
 * Wilcoxon's signed-rank test of paired differences d (two-sided).
 *
 * Zeros are dropped (Wilcoxon 1945; scipy.stats.wilcoxon zero_method="wilcox"), the remaining |d| are
 * ranked 1..n' with tied values sharing their average rank, and W+ is the rank sum of the positive d.
 * - n' <= exactMax (default 50): the exact null distribution of W+ given those ranks, every sign
 *   pattern equally likely. Average ranks are multiples of 1/2, so the distribution of 2 W+ is an
 *   integer convolution, exact with or without ties. p = min(1, 2 min(P(W+ <= w), P(W+ >= w))).
 * - beyond: the normal approximation, mean n'(n'+1)/4, variance n'(n'+1)(2n'+1)/24 - sum(t^3 - t)/48
 *   over groups of t tied |d|, optionally with a continuity correction of 1/2.
 * Without ties this equals scipy.stats.wilcoxon(method="exact" / "approx") (values in the tests).
 */
export function wilcoxonSignedRank(d: readonly number[], options: WilcoxonOptions = {}): WilcoxonResult {
  const exactMax = options.exactMax ?? WILCOXON_EXACT_MAX;
  const finite = d.filter((x) => Number.isFinite(x));
  const nonZero = finite.filter((x) => x !== 0);
  const zeros = finite.length - nonZero.length;
  const m = nonZero.length;
  const ranks = averageRanks(nonZero.map(Math.abs));
  let wPlus = 0;
  for (let k = 0; k < m; k++) if (nonZero[k] > 0) wPlus += ranks[k];
  const total = (m * (m + 1)) / 2;
  const tieGroups = tieSizes(nonZero.map(Math.abs));
  const ties = tieGroups.some((t) => t > 1);
  const base = { n: finite.length, zeros, ties, wPlus, wMinus: total - wPlus };
  if (m === 0) return { ...base, pValue: null, method: "exact" };
  if (m <= exactMax) return { ...base, pValue: exactPValue(ranks, wPlus), method: "exact" };
  const mean = total / 2;
  let variance = (m * (m + 1) * (2 * m + 1)) / 24;
  for (const t of tieGroups) variance -= (t * t * t - t) / 48;
  let dev = Math.abs(wPlus - mean);
  if (options.continuity) dev = Math.max(0, dev - 0.5);
  const p = variance > 0 ? 2 * normalTail(dev / Math.sqrt(variance)) : 1;
  return { ...base, pValue: Math.min(1, p), method: "normal" };
}

function tieSizes(xs: readonly number[]): number[] {
  const s = [...xs].sort((a, b) => a - b);
  const out: number[] = [];
  let k = 0;
  while (k < s.length) {
    let e = k;
    while (e + 1 < s.length && s[e + 1] === s[k]) e++;
    out.push(e - k + 1);
    k = e + 1;
  }
  return out;
}

/** Exact two-sided p of W+ = w under random signs, by convolution over the doubled ranks. */
function exactPValue(ranks: readonly number[], w: number): number {
  const doubled = ranks.map((r) => Math.round(2 * r));
  const max = doubled.reduce((a, b) => a + b, 0);
  let dist = new Float64Array(max + 1);
  dist[0] = 1;
  let reach = 0;
  for (const r of doubled) {
    const next = new Float64Array(max + 1);
    for (let s = 0; s <= reach; s++) {
      if (dist[s] === 0) continue;
      next[s] += dist[s] / 2;
      next[s + r] += dist[s] / 2;
    }
    reach += r;
    dist = next;
  }
  const w2 = Math.round(2 * w);
  let lower = 0;
  let upper = 0;
  for (let s = 0; s <= max; s++) {
    if (s <= w2) lower += dist[s];
    if (s >= w2) upper += dist[s];
  }
  return Math.min(1, 2 * Math.min(lower, upper));
}
