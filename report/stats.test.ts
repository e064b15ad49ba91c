import { describe, expect, it } from "vitest";
import { averageRanks, median, quantile, spearman } from "./stats.ts";

describe("median and quantile", () => {
  it("takes the middle value, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it("ignores non-finite values", () => {
    expect(median([1, Number.NaN, 3, Number.POSITIVE_INFINITY])).toBe(2);
    expect(median([Number.NaN])).toBeNull();
  });

  it("interpolates linearly between order statistics (type 7)", () => {
    const xs = [1, 2, 3, 4, 5];
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile(xs, 0.25)).toBe(2);
    expect(quantile(xs, 0.05)).toBeCloseTo(1.2, 12);
    expect(quantile(xs, 0.95)).toBeCloseTo(4.8, 12);
    expect(quantile(xs, 1)).toBe(5);
  });
});

describe("averageRanks", () => {
  it("gives tied values the mean of the ranks they span", () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([5, 5, 5])).toEqual([2, 2, 2]);
    expect(averageRanks([3, 1, 2])).toEqual([3, 1, 2]);
  });
});

describe("spearman", () => {
  it("is +1 for any increasing relation and -1 for any decreasing one", () => {
    expect(spearman([1, 2, 3, 4, 5], [1, 8, 27, 64, 125])).toBe(1);
    expect(spearman([1, 2, 3, 4, 5], [10, 9, 5, 2, -7])).toBe(-1);
  });

  it("matches hand-computed values with ties (average ranks)", () => {
    // x ranks 1, 2.5, 2.5, 4; y ranks 1..4: sxy = 4.5, sxx = 4.5, syy = 5, rho = 4.5 / sqrt(22.5).
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(3 / Math.sqrt(10), 12);
    // y ranks 1, 2, 3.5, 5, 3.5: sxy = 8, sxx = 10, syy = 9.5.
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 12);
  });

  it("is null with fewer than 3 points or without variance", () => {
    expect(spearman([1, 2], [2, 1])).toBeNull();
    expect(spearman([], [])).toBeNull();
    expect(spearman([1, 1, 1, 1], [1, 2, 3, 4])).toBeNull();
    expect(spearman([1, 2, 3], [7, 7, 7])).toBeNull();
  });

  it("leaves out pairs with a non-finite member", () => {
    expect(spearman([1, 2, Number.NaN, 3], [1, 2, 5, 3])).toBe(1);
    expect(spearman([1, Number.NaN, 3], [1, 2, 3])).toBeNull();
  });

  it("rejects inputs of different lengths", () => {
    expect(() => spearman([1, 2, 3], [1, 2])).toThrow(RangeError);
  });
});
