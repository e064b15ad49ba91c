import { describe, expect, it } from "vitest";
import { DEFAULT_POPULATION, generatePopulation, heterogeneity, populationFromList } from "./population.ts";
import { createRng } from "./rng.ts";

const params = (count: number) => ({ ...DEFAULT_POPULATION, count });
const median = (a: Float64Array) => {
  const s = Float64Array.from(a).sort();
  return s[Math.floor(s.length / 2)];
};

describe("generatePopulation", () => {
  it("reproduces identical populations from the same seed, different from another seed", () => {
    const a = generatePopulation(params(300), createRng(9).child("devices"));
    const b = generatePopulation(params(300), createRng(9).child("devices"));
    const c = generatePopulation(params(300), createRng(10).child("devices"));
    expect(b).toEqual(a);
    expect(c.compute).not.toEqual(a.compute);
  });

  it("a smaller population is a prefix of a larger one with the same seed", () => {
    const small = generatePopulation(params(50), createRng(1));
    const big = generatePopulation(params(500), createRng(1));
    expect(big.uplink.subarray(0, 50)).toEqual(small.uplink);
    expect(big.data.audio.samples.subarray(0, 50)).toEqual(small.data.audio.samples);
    expect(big.data.image.labels.subarray(0, 500)).toEqual(small.data.image.labels);
  });

  it("changing one parameter leaves the other quantities' draws alone", () => {
    const a = generatePopulation(params(100), createRng(4));
    const b = generatePopulation(
      { ...params(100), labelAlpha: 5, uplink: { median: 1e6, sigma: 1 } },
      createRng(4),
    );
    expect(b.compute).toEqual(a.compute);
    expect(b.data.text.samples).toEqual(a.data.text.samples);
    expect(b.uplink).not.toEqual(a.uplink);
  });

  it("has the configured medians and modality shares (fixed seed, 4000 devices)", () => {
    const p = generatePopulation(params(4000), createRng(2));
    expect(median(p.uplink) / 750e3).toBeGreaterThan(0.93);
    expect(median(p.uplink) / 750e3).toBeLessThan(1.07);
    expect(median(p.compute) / 2e12).toBeGreaterThan(0.9);
    expect(median(p.compute) / 2e12).toBeLessThan(1.1);
    const share = (a: Float64Array) => a.filter((d) => d > 0).length / a.length;
    expect(share(p.data.image.samples)).toBeCloseTo(0.6, 1);
    expect(share(p.data.audio.samples)).toBeCloseTo(0.4, 1);
    expect(p.data.text.samples.every((d) => d === 0 || (Number.isInteger(d) && d >= 1))).toBe(true);
  });

  it("label skew: rows are distributions, the mixture is near uniform, small alpha skews more", () => {
    const skewed = generatePopulation({ ...params(2000), labelAlpha: 0.1 }, createRng(3)).data.image;
    const mild = generatePopulation({ ...params(2000), labelAlpha: 10 }, createRng(3)).data.image;
    for (let k = 0; k < 10; k++) expect(skewed.mixture[k]).toBeCloseTo(0.1, 1);
    const row = skewed.labels.subarray(0, 10);
    if (skewed.samples[0] > 0) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const meanSkew = (d: typeof mild) =>
      d.skew.reduce((a, b) => a + b, 0) / d.samples.filter((x) => x > 0).length;
    expect(meanSkew(skewed)).toBeGreaterThan(0.6);
    expect(meanSkew(mild)).toBeLessThan(0.2);
    expect(skewed.skew.every((s, j) => (skewed.samples[j] > 0 ? s >= 0 && s < 1 : s === 0))).toBe(true);
  });
});

describe("populationFromList", () => {
  const dev = {
    compute: 1e12,
    uplink: 1e6,
    downlink: 2e6,
    energyPerFlop: 1e-11,
    energyPerByte: 1e-7,
    energyPrice: 1,
  };

  it("takes the numbers as given, normalises label counts, and measures skew from the mixture", () => {
    const p = populationFromList([
      { ...dev, data: { image: { samples: 100, labels: [30, 10] } } },
      { ...dev, data: { image: { samples: 300, labels: [0.5, 0.5] }, text: { samples: 5 } } },
    ]);
    expect(p.N).toBe(2);
    expect(p.downlink[1]).toBe(2e6);
    expect(Array.from(p.data.image.labels)).toEqual([0.75, 0.25, 0.5, 0.5]);
    // mixture = (100 x [.75,.25] + 300 x [.5,.5]) / 400 = [0.5625, 0.4375]
    expect(p.data.image.mixture[0]).toBeCloseTo(0.5625, 12);
    expect(p.data.image.skew[0]).toBeCloseTo(0.1875, 12);
    expect(p.data.image.skew[1]).toBeCloseTo(0.0625, 12);
    expect(Array.from(p.data.text.samples)).toEqual([0, 5]);
    expect(p.data.text.classes).toBe(4);
    expect(p.data.audio.samples.every((d) => d === 0)).toBe(true);
  });

  it("names every inconsistent label list", () => {
    expect(() =>
      populationFromList([
        { ...dev, data: { image: { samples: 1, labels: [1, 1] } } },
        { ...dev, data: { image: { samples: 1, labels: [1, 1, 1] }, audio: { samples: 2, labels: [0, 0] } } },
      ]),
    ).toThrow(/\[1\]\.data\.image\.labels[\s\S]*\[1\]\.data\.audio\.labels/);
  });
});

describe("heterogeneity", () => {
  it("is h (g0 + skew), so balanced data still has G = h g0 > 0", () => {
    expect(heterogeneity(0, 2, 0.05)).toBeCloseTo(0.1, 12);
    expect(heterogeneity(0.5, 1, 0.05)).toBeCloseTo(0.55, 12);
  });
});
