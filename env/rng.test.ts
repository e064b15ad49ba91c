import { describe, expect, it } from "vitest";
import { createRng, Rng, rngFromState } from "./rng.ts";

const draws = (r: Rng, n: number) => Array.from({ length: n }, () => r.next());

function meanVar(xs: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i];
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - m) ** 2;
  return [m, v / (xs.length - 1)];
}

describe("createRng", () => {
  it("is deterministic per seed, and numbers and strings agree", () => {
    expect(draws(createRng(42), 5)).toEqual(draws(createRng(42), 5));
    expect(draws(createRng(42), 5)).toEqual(draws(createRng("42"), 5));
    expect(draws(createRng(42), 5)).not.toEqual(draws(createRng(43), 5));
  });

  it("draws doubles in [0, 1) that use more than 32 bits", () => {
    const xs = draws(createRng(1), 10_000);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.some((x) => (x * 2 ** 32) % 1 !== 0)).toBe(true);
  });

  it("rejects a non-finite numeric seed", () => {
    expect(() => createRng(Number.NaN)).toThrow(/seed/);
  });
});

describe("child streams", () => {
  it("same label gives the same stream, different labels differ", () => {
    const root = createRng(7);
    expect(draws(root.child("devices"), 5)).toEqual(draws(root.child("devices"), 5));
    expect(draws(root.child("devices"), 5)).not.toEqual(draws(root.child("sampling"), 5));
    expect(draws(root.child("devices"), 5)).not.toEqual(draws(createRng(8).child("devices"), 5));
  });

  it("does not depend on the parent's position or on other children", () => {
    const a = createRng(7);
    const before = draws(a.child("policy/prince"), 5);
    draws(a, 1000);
    a.child("something-new");
    expect(draws(a.child("policy/prince"), 5)).toEqual(before);
  });

  it("nested labels are not confused with concatenations", () => {
    const r = createRng(3);
    expect(draws(r.child("a").child("b"), 3)).not.toEqual(draws(r.child("ab"), 3));
    expect(draws(r.child("a").child("b"), 3)).not.toEqual(draws(r.child("b").child("a"), 3));
  });

  it("streams are uncorrelated", () => {
    const r = createRng(11);
    const x = draws(r.child("x"), 20_000);
    const y = draws(r.child("y"), 20_000);
    let c = 0;
    for (let i = 0; i < x.length; i++) c += (x[i] - 0.5) * (y[i] - 0.5);
    const corr = c / x.length / (1 / 12);
    expect(Math.abs(corr)).toBeLessThan(0.03); // 4 standard errors at n = 20k
  });
});

describe("state round trip", () => {
  it("continues the stream exactly, through JSON, and children survive it", () => {
    const r = createRng("round-trip");
    draws(r, 17);
    const saved = JSON.parse(JSON.stringify(r.state()));
    const restored = rngFromState(saved);
    expect(draws(restored, 10)).toEqual(draws(r, 10));
    expect(draws(restored.child("c"), 3)).toEqual(draws(r.child("c"), 3));
    expect(Rng.fromState(saved).state()).toEqual(saved);
  });

  it("rejects malformed states with paths", () => {
    expect(() => rngFromState({ key: "xyz", s: [0, 0, 0, 0] })).toThrow(/key[\s\S]*s:/);
    expect(() => rngFromState(null)).toThrow(/key/);
  });
});

describe("distributions (fixed seed)", () => {
  const r = createRng(2024);
  const n = 50_000;

  it("uniform: mean 1/2, variance 1/12", () => {
    const [m, v] = meanVar(draws(r.child("u"), n));
    expect(m).toBeCloseTo(0.5, 2);
    expect(v).toBeCloseTo(1 / 12, 2);
  });

  it("int covers [0, n) evenly", () => {
    const s = r.child("int");
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[s.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => s.int(0)).toThrow(RangeError);
    expect(() => s.int(2.5)).toThrow(RangeError);
  });

  it("normal: mean 0, variance 1", () => {
    const s = r.child("n");
    const [m, v] = meanVar(Array.from({ length: n }, () => s.normal()));
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(v - 1)).toBeLessThan(0.03);
  });

  it("logNormal: median e^mu, log-variance sigma^2", () => {
    const s = r.child("ln");
    const xs = Array.from({ length: n }, () => s.logNormal(Math.log(6), 0.6)).sort((a, b) => a - b);
    expect(xs[n / 2]).toBeGreaterThan(5.8);
    expect(xs[n / 2]).toBeLessThan(6.2);
    const [, v] = meanVar(xs.map(Math.log));
    expect(Math.abs(v - 0.36)).toBeLessThan(0.015);
  });

  it("gamma: mean and variance equal the shape, for shape below and above 1", () => {
    for (const k of [0.3, 1, 4.5]) {
      const s = r.child(`g${k}`);
      const [m, v] = meanVar(Array.from({ length: n }, () => s.gamma(k)));
      expect(Math.abs(m - k) / k).toBeLessThan(0.03);
      expect(Math.abs(v - k) / k).toBeLessThan(0.08);
    }
  });

  it("dirichlet: on the simplex, mean alpha_k / sum alpha, no NaN for tiny alpha", () => {
    const s = r.child("dir");
    const alpha = [0.5, 1, 2.5];
    const sums = [0, 0, 0];
    let worst = 0;
    for (let i = 0; i < 20_000; i++) {
      const p = s.dirichlet(alpha);
      worst = Math.max(worst, Math.abs(p[0] + p[1] + p[2] - 1));
      for (let k = 0; k < 3; k++) sums[k] += p[k];
    }
    expect(worst).toBeLessThan(1e-12);
    expect(sums[0] / 20_000).toBeCloseTo(0.125, 2);
    expect(sums[2] / 20_000).toBeCloseTo(0.625, 2);
    const tiny = s.dirichlet(new Array(10).fill(0.001));
    expect(tiny.every((x) => Number.isFinite(x))).toBe(true);
    expect(tiny.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("bernoulli: frequency p", () => {
    const s = r.child("b");
    let hits = 0;
    for (let i = 0; i < n; i++) if (s.bernoulli(0.3)) hits++;
    expect(Math.abs(hits / n - 0.3)).toBeLessThan(0.01);
  });

  it("shuffle permutes in place, deterministically", () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const b = createRng(5).shuffle([...a]);
    expect([...b].sort((x, y) => x - y)).toEqual(a);
    expect(b).not.toEqual(a);
    expect(createRng(5).shuffle(Float64Array.from(a))).toEqual(Float64Array.from(b));
  });
});
