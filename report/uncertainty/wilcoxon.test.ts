import { describe, expect, it } from "vitest";
import { averageRanks } from "../stats.ts";
import { normalTail } from "./normal.ts";
import { wilcoxonSignedRank } from "./wilcoxon.ts";

/** Independent reference: enumerate all 2^n sign patterns of the average ranks. */
function bruteForceP(d: number[]): number {
  const nz = d.filter((x) => x !== 0);
  const ranks = averageRanks(nz.map(Math.abs));
  const w = nz.reduce((s, x, k) => s + (x > 0 ? ranks[k] : 0), 0);
  let lower = 0;
  let upper = 0;
  const total = 2 ** nz.length;
  for (let mask = 0; mask < total; mask++) {
    let s = 0;
    for (let k = 0; k < nz.length; k++) if (mask & (1 << k)) s += ranks[k];
    if (s <= w + 1e-9) lower++;
    if (s >= w - 1e-9) upper++;
  }
  return Math.min(1, (2 * Math.min(lower, upper)) / total);
}

// Reference values: scipy 1.17.1, scipy.stats.wilcoxon(d, method=...), computed once on this machine
// (script in docs/uncertainty.md). scipy's statistic is min(W+, W-).
const d60 = [
  0.30123, 0.598746, 0.025862, -0.590592, -0.154671, -0.691647, 0.360144, 1.640215, -0.192207, -0.320475,
  0.789842, 0.656887, 0.405414, -0.630468, 0.270748, 0.995303, -1.044215, -0.157616, -1.601223, -0.989538,
  -1.541735, 0.064909, -0.967446, 0.571264, 0.456751, 0.113069, -2.21676, -0.238693, 0.251499, 0.413309,
  -1.230136, -0.177753, -0.678519, -0.508837, 1.360899, -0.507535, 0.267478, 1.18439, -0.2836, 0.188298,
  0.410464, 0.363782, -0.925056, 0.37614, 1.658823, -1.247145, 1.159383, 0.419354, -0.34147, 2.300417,
  1.06226, -0.899289, 0.374516, 0.87669, 0.111218, 0.98291, 0.233483, 0.967248, 1.738523, -0.375662,
];

describe("wilcoxonSignedRank", () => {
  it("matches scipy's exact p-values without ties", () => {
    const cases: [number[], number, number][] = [
      [[1.5, 2.5, 0.5, 3.5, 4.5], 0, 0.0625],
      [[0.8, -0.3, 1.2, 2.1, -0.9, 1.7, 0.4, 2.6], 5, 0.078125],
      [[1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3, -0.2, -1.1, 0.71], 5, 0.0048828125],
    ];
    for (const [d, stat, p] of cases) {
      const r = wilcoxonSignedRank(d);
      expect(r.method).toBe("exact");
      expect(Math.min(r.wPlus, r.wMinus)).toBe(stat);
      expect(r.pValue).toBeCloseTo(p, 12);
    }
  });

  it("reproduces the two-sided 5% critical value of the tables for n = 10 (T <= 8)", () => {
    // Negative differences on ranks {1, 3, 4} give W- = 8; on {1, 2, 6} W- = 9.
    const withNegatives = (neg: number[]) =>
      Array.from({ length: 10 }, (_, k) => (neg.includes(k + 1) ? -(k + 1) : k + 1));
    expect(wilcoxonSignedRank(withNegatives([1, 3, 4])).pValue!).toBeLessThanOrEqual(0.05);
    expect(wilcoxonSignedRank(withNegatives([1, 2, 6])).pValue!).toBeGreaterThan(0.05);
    // by hand: the all-positive sample of n has p = 2 / 2^n
    expect(wilcoxonSignedRank(withNegatives([])).pValue).toBeCloseTo(2 / 1024, 15);
  });

  it("is exact with ties and zeros: agrees with enumerating every sign pattern", () => {
    const samples = [
      [1, 1, -2, 2, 3, 0, 0, -1, 4, 4, 4, 5],
      [0.5, -0.5, 0.5, 1, 1, 1, -2, 3, 3, 0, 7, -7, 8, 9],
      [2, -1, 3, -4, 5, -6, 7, 8, 9, -10, 11],
    ];
    for (const d of samples) {
      const r = wilcoxonSignedRank(d);
      expect(r.method).toBe("exact");
      expect(r.pValue).toBeCloseTo(bruteForceP(d), 12);
    }
    const r = wilcoxonSignedRank(samples[0]);
    expect([r.n, r.zeros, r.ties]).toEqual([12, 2, true]);
  });

  it("matches scipy's normal approximation beyond 50 differences", () => {
    const r = wilcoxonSignedRank(d60);
    expect(r.method).toBe("normal");
    expect(Math.min(r.wPlus, r.wMinus)).toBe(795);
    expect(r.pValue).toBeCloseTo(0.3770243171062413, 6);
    expect(wilcoxonSignedRank(d60, { continuity: true }).pValue).toBeCloseTo(0.3790155860994756, 6);
    // 60 values with 6 zeros and many ties: scipy zero_method="wilcox", method="approx"
    const dt = Array.from({ length: 3 }, () => [
      1, 1, 2, -2, 3, 3, 3, -1, 0, 0, 4, 5, 5, -5, 6, 2, 2, 1, 7, 8,
    ]).flat();
    const t = wilcoxonSignedRank(dt);
    expect([t.method, t.zeros, Math.min(t.wPlus, t.wMinus)]).toEqual(["normal", 6, 198]);
    expect(t.pValue! / 2.5218577662966727e-6).toBeCloseTo(1, 5);
  });

  it("is symmetric in the sign of the differences and has no p-value without a non-zero difference", () => {
    const d = [0.8, -0.3, 1.2, 2.1, -0.9, 1.7, 0.4, 2.6];
    const a = wilcoxonSignedRank(d);
    const b = wilcoxonSignedRank(d.map((x) => -x));
    expect(b.pValue).toBe(a.pValue);
    expect([b.wPlus, b.wMinus]).toEqual([a.wMinus, a.wPlus]);
    expect(wilcoxonSignedRank([0, 0, Number.NaN]).pValue).toBeNull();
  });
});

describe("normalTail", () => {
  it("matches scipy.stats.norm.sf within the formula's 1.2e-7 relative error", () => {
    const rel = (x: number, ref: number) => Math.abs(x / ref - 1);
    expect(rel(normalTail(0.5), 0.3085375387259869)).toBeLessThan(1.2e-7);
    expect(rel(normalTail(1.96), 0.024997895148220435)).toBeLessThan(1.2e-7);
    expect(rel(normalTail(5), 2.866515718791933e-7)).toBeLessThan(1.2e-7);
    expect(normalTail(-1.96)).toBeCloseTo(1 - 0.024997895148220435, 8);
  });
});
