import { describe, expect, it } from "vitest";
import { createRng } from "../../env/rng.ts";
import { bootstrapInterval, medianInterval, pairedRatios, pairedSpeedupInterval } from "./bootstrap.ts";

/** P(X >= k) for X ~ Binomial(n, p), summed directly. */
function binomialAtLeast(n: number, p: number, k: number): number {
  let total = 0;
  for (let x = k; x <= n; x++) {
    let c = 1;
    for (let t = 0; t < x; t++) c = (c * (n - t)) / (t + 1);
    total += c * p ** x * (1 - p) ** (n - x);
  }
  return total;
}

describe("medianInterval (percentile bootstrap)", () => {
  it("matches the exact bootstrap distribution of the median of 1..11", () => {
    // The median of a resample of 11 from {1..11} is its 6th order statistic, so
    // P(median <= k) = P(Binomial(11, k/11) >= 6): 0.0072 at k = 2, 0.0512 at 3, 0.9488 at 8, 0.9928
    // at 9 (also scipy.stats.binom.sf(5, 11, k/11)). The percentile interval's ends are where that
    // distribution crosses 2.5% and 97.5%: 3 and 9, with a wide margin for Monte Carlo error.
    const cdf = (k: number) => binomialAtLeast(11, k / 11, 6);
    let low = 1;
    while (cdf(low) < 0.025) low++;
    let high = 1;
    while (cdf(high) < 0.975) high++;
    expect([low, high]).toEqual([3, 9]);
    const xs = [9, 1, 8, 2, 7, 3, 6, 4, 5, 11, 10];
    expect(medianInterval(xs, createRng(1).child("t"), { resamples: 4000 })).toEqual([low, high]);
  });

  it("gives [1, 2] for the sample {1, 2}: resample medians 1, 1.5, 2 with probability 1/4, 1/2, 1/4", () => {
    expect(medianInterval([2, 1], createRng(3))).toEqual([1, 2]);
  });

  it("covers the true median of a log-normal about 95% of the time", () => {
    const rng = createRng(11);
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 25 }, () => rng.logNormal(0, 1)); // true median e^0 = 1
      const ci = medianInterval(xs, rng.child(`b${t}`), { resamples: 400 })!;
      if (ci[0] <= 1 && 1 <= ci[1]) covered++;
    }
    // Binomial(300, 0.95) has sd 3.8; the percentile median interval is slightly conservative at n = 25.
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.995);
  });

  it("is a pure function of the data and the stream", () => {
    const src = createRng(5);
    const xs = Array.from({ length: 30 }, () => src.normal());
    expect(medianInterval(xs, createRng(7).child("x"))).toEqual(medianInterval(xs, createRng(7).child("x")));
    const others = [8, 9, 10, 11].map((seed) => medianInterval(xs, createRng(seed).child("x")));
    expect(
      others.some((ci) => JSON.stringify(ci) !== JSON.stringify(medianInterval(xs, createRng(7).child("x")))),
    ).toBe(true);
  });

  it("needs two finite values; a constant sample gives a zero-width interval", () => {
    expect(medianInterval([], createRng(1))).toBeNull();
    expect(medianInterval([4, Number.NaN, Number.POSITIVE_INFINITY], createRng(1))).toBeNull();
    expect(medianInterval([4, 4, 4], createRng(1))).toEqual([4, 4]);
  });

  it("honours level and rejects bad options", () => {
    const xs = Array.from({ length: 40 }, (_, k) => k);
    const wide = bootstrapInterval(xs, (s) => s[0], createRng(2), { level: 0.99 })!;
    const narrow = bootstrapInterval(xs, (s) => s[0], createRng(2), { level: 0.5 })!;
    expect(wide[0]).toBeLessThanOrEqual(narrow[0]);
    expect(wide[1]).toBeGreaterThanOrEqual(narrow[1]);
    expect(() => medianInterval(xs, createRng(1), { resamples: 0 })).toThrow(/resamples/);
    expect(() => medianInterval(xs, createRng(1), { level: 1 })).toThrow(/level/);
  });
});

describe("paired speedups", () => {
  const baseline = new Map([
    [1, 300],
    [2, 200],
    [3, 500],
    [5, 100],
  ]);
  const prince = new Map([
    [1, 100],
    [2, 100],
    [3, 250],
    [4, 80],
    [5, 0],
  ]);

  it("pairs by seed, dropping seeds without both times (and a zero PRINCE time)", () => {
    expect(pairedRatios(baseline, prince)).toEqual([
      { seed: 1, ratio: 3 },
      { seed: 2, ratio: 2 },
      { seed: 3, ratio: 2 },
    ]);
  });

  it("reports the median ratio, its interval and how many seeds it rests on", () => {
    const s = pairedSpeedupInterval(baseline, prince, createRng(1));
    expect(s.median).toBe(2);
    expect(s.n).toBe(3);
    // every resample median is 2, 2.5 (impossible with n = 3) or 3: the interval lies in [2, 3]
    expect(s.ci95![0]).toBe(2);
    expect(s.ci95![1]).toBeLessThanOrEqual(3);
    expect(pairedSpeedupInterval(new Map([[1, 5]]), new Map([[1, 5]]), createRng(1))).toEqual({
      median: 1,
      ci95: null,
      n: 1,
    });
  });
});
