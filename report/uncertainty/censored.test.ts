import { describe, expect, it } from "vitest";
import { createRng } from "../../env/rng.ts";
import { censoredSpeedup, kaplanMeier, kaplanMeierMedian, kaplanMeierMedianInterval } from "./censored.ts";

const met = (time: number) => ({ time, met: true });
const miss = (time: number) => ({ time, met: false });

describe("kaplanMeier", () => {
  it("matches the product-limit estimate by hand and scipy.stats.ecdf", () => {
    // events 3, 5, 8, 12; censored 5, 10, 15. By hand: S(3) = 6/7, S(5) = 6/7 * 5/6 = 5/7 (the run
    // censored at 5 is still at risk), S(8) = 5/7 * 3/4 = 15/28, S(12) = 15/28 * 1/2 = 15/56.
    // scipy 1.17.1 ecdf(CensoredData(uncensored=[3,5,8,12], right=[5,10,15])).sf gives the same:
    // 0.85714286, 0.71428571, 0.53571429, 0.26785714.
    const steps = kaplanMeier([met(8), miss(5), met(3), met(12), miss(15), met(5), miss(10)]);
    expect(steps.map((s) => s.time)).toEqual([3, 5, 8, 12]);
    expect(steps.map((s) => s.atRisk)).toEqual([7, 6, 4, 2]);
    const expected = [6 / 7, 5 / 7, 15 / 28, 15 / 56];
    for (const [k, s] of steps.entries()) expect(s.survival).toBeCloseTo(expected[k], 12);
    expect(kaplanMeierMedian([met(8), miss(5), met(3), met(12), miss(15), met(5), miss(10)]).median).toBe(12);
  });

  it("is the ordinary median when nothing is censored (odd and even counts)", () => {
    expect(kaplanMeierMedian([met(5), met(1), met(3)]).median).toBe(3);
    expect(kaplanMeierMedian([met(4), met(1), met(3), met(2)]).median).toBe(2.5);
  });

  it("counts misses rather than dropping them", () => {
    // Met at 100 and 200, three misses at the 1000 s deadline: the median of the met runs is 150,
    // but 3 of 5 runs did not meet the target before 1000 s, so the median time is not reached.
    const runs = [met(100), met(200), miss(1000), miss(1000), miss(1000)];
    expect(kaplanMeierMedian(runs)).toEqual({ median: null, notBefore: 1000, met: 2, n: 5 });
    // Three met, two missed: S = 4/5, 3/5, 2/5 after the events; the median is the third event.
    expect(kaplanMeierMedian([met(100), met(200), met(300), miss(1000), miss(1000)]).median).toBe(300);
  });

  it("bootstraps the censored median, unbounded above when misses dominate resamples", () => {
    const mostlyMet = [met(10), met(12), met(14), met(16), met(18), met(20), miss(100)];
    const ci = kaplanMeierMedianInterval(mostlyMet, createRng(1))!;
    expect(ci[0]).toBeGreaterThanOrEqual(10);
    expect(ci[1]).toBeLessThanOrEqual(20);
    const halfMissed = [met(10), met(12), miss(100), miss(100)];
    expect(kaplanMeierMedianInterval(halfMissed, createRng(1))![1]).toBe(Number.POSITIVE_INFINITY);
    expect(kaplanMeierMedianInterval([met(1)], createRng(1))).toBeNull();
  });
});

describe("censoredSpeedup", () => {
  it("keeps every seed: exact ratios where both met, bounds where one missed", () => {
    const deadline = 1000;
    const s = censoredSpeedup([
      { baseline: met(300), prince: met(100) }, // 3
      { baseline: met(200), prince: met(100) }, // 2
      { baseline: miss(deadline), prince: met(250) }, // >= 4
      { baseline: miss(deadline), prince: met(500) }, // >= 2
      { baseline: met(400), prince: miss(deadline) }, // <= 0.4
    ]);
    expect([s.n, s.bothMet, s.princeOnly, s.baselineOnly, s.neitherMet]).toEqual([5, 2, 2, 1, 0]);
    expect(s.medianBothMet).toBe(2.5);
    // lower ends 3, 2, 4, 2, 0 -> median 2; upper ends 3, 2, inf, inf, 0.4 -> median 3
    expect(s.bounds).toEqual([2, 3]);
  });

  it("is unbounded where misses leave too little information", () => {
    const s = censoredSpeedup([
      { baseline: miss(1000), prince: met(100) },
      { baseline: miss(1000), prince: miss(1000) },
      { baseline: met(100), prince: met(100) },
    ]);
    expect(s.medianBothMet).toBe(1);
    expect(s.bounds).toEqual([1, Number.POSITIVE_INFINITY]);
    expect(censoredSpeedup([]).bounds).toBeNull();
  });
});
