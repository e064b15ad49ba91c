import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AggregateFn,
  aggregateFedAvg,
  aggregateUnbiased,
  expectedUpdate,
  fullParticipationUpdate,
} from "../market/aggregation.ts";
import {
  type AggregationCase,
  aggregationCaseArb,
  aggregationProperties,
  mulberry32,
  runAggregationSuite,
  unbiasedExactProperty,
  unbiasedStatisticalProperty,
} from "./aggregation.ts";

const SEED = 20250304;

const fedAvg: AggregateFn = (deltas, a, _q, S, out) => aggregateFedAvg(deltas, a, S, out);

/** Weights participants by a_j / q_j^2: over-corrects, so rare devices dominate. */
const overCorrected: AggregateFn = (deltas, a, q, S) => {
  const out = new Float64Array(deltas[0].length);
  deltas.forEach((d, j) => {
    if (S[j]) for (let k = 0; k < out.length; k++) out[k] += (a[j] / (q[j] * q[j])) * d[k];
  });
  return out;
};

/** Forgets the data weight: sum_{j in S} Delta_j / q_j, unbiased for sum_j Delta_j, not sum_j a_j Delta_j. */
const noDataWeight: AggregateFn = (deltas, _a, q, S) => {
  const out = new Float64Array(deltas[0].length);
  deltas.forEach((d, j) => {
    if (S[j]) for (let k = 0; k < out.length; k++) out[k] += d[k] / q[j];
  });
  return out;
};

const byName = (results: ReturnType<typeof runAggregationSuite>) =>
  Object.fromEntries(results.map((r) => [r.name, r]));

/** Exact bias of a rule on a case, recomputed independently of the property's own check. */
function exactBias(fn: AggregateFn, c: AggregationCase): number {
  const deltas = c.deltas.map((d) => Float64Array.from(d));
  const a = Float64Array.from(c.a);
  const e = expectedUpdate(fn, deltas, a, Float64Array.from(c.q));
  const full = fullParticipationUpdate(deltas, a);
  return Math.max(...Array.from(full, (x, k) => Math.abs(e[k] - x)));
}

describe("aggregation property suite", () => {
  it("passes the unbiased rule", () => {
    const results = runAggregationSuite(aggregateUnbiased, { seed: SEED });
    expect(results.map((r) => r.name)).toEqual([
      "full-participation",
      "unbiased-exact",
      "unbiased-statistical",
    ]);
    for (const r of results) {
      expect(r, r.message).toMatchObject({
        passed: true,
        seed: SEED,
        numRuns: r.name.endsWith("statistical") ? 30 : 100,
      });
      expect(r.counterexample).toBeUndefined();
    }
  });

  it("fails FedAvg on both unbiasedness properties, with a replayable, genuine counterexample", () => {
    const r = byName(runAggregationSuite(fedAvg, { seed: SEED }));
    // With everyone taking part FedAvg is exact; its fault is bias under partial participation.
    expect(r["full-participation"].passed).toBe(true);
    for (const name of ["unbiased-exact", "unbiased-statistical"]) {
      expect(r[name].passed).toBe(false);
      expect(r[name].message).toMatch(/^biased: coordinate \d+/);
      expect(r[name].seed).toBe(SEED);
      expect(r[name].path).toMatch(/^\d+(:\d+)*$/);
    }
    const c = r["unbiased-exact"].counterexample!;
    expect(c.q.length).toBeGreaterThanOrEqual(2);
    expect(new Set(c.q).size).toBe(c.q.length);
    expect(exactBias(fedAvg, c)).toBeGreaterThan(1e-6);
    expect(exactBias(aggregateUnbiased, c)).toBeLessThan(1e-12);
    // Replaying by seed and path reproduces the same counterexample.
    const replay = fc.check(aggregationProperties(fedAvg)["unbiased-exact"], {
      seed: SEED,
      path: r["unbiased-exact"].path,
    });
    expect(replay.failed).toBe(true);
    expect(replay.counterexample?.[0]).toEqual(c);
  });

  it("fails a rule that divides by q_j^2", () => {
    const r = byName(runAggregationSuite(overCorrected, { seed: SEED }));
    // q_j = 1 for all hides the error; partial participation exposes it.
    expect(r["full-participation"].passed).toBe(true);
    expect(r["unbiased-exact"].passed).toBe(false);
    expect(r["unbiased-statistical"].passed).toBe(false);
    expect(exactBias(overCorrected, r["unbiased-exact"].counterexample!)).toBeGreaterThan(1e-6);
  });

  it("fails a rule that forgets the data weights", () => {
    const r = byName(runAggregationSuite(noDataWeight, { seed: SEED }));
    expect(r["full-participation"].passed).toBe(false);
    expect(r["full-participation"].message).toMatch(/everyone taking part/);
    expect(r["unbiased-exact"].passed).toBe(false);
    expect(r["unbiased-statistical"].passed).toBe(false);
  });

  it("fails a rule that modifies its inputs", () => {
    const scribbler: AggregateFn = (deltas, a, q, S, out) => {
      const u = aggregateUnbiased(deltas, a, q, S, out);
      deltas[0][0] = 0;
      return u;
    };
    const r = byName(runAggregationSuite(scribbler, { seed: SEED, numRuns: 20, statisticalRuns: 1 }));
    expect(r["full-participation"].passed).toBe(false);
    expect(r["full-participation"].message).toMatch(/modified its inputs/);
  });

  it("reports a rule that throws as a failure, not a crash", () => {
    const r = runAggregationSuite(
      () => {
        throw new Error("not implemented");
      },
      { seed: SEED, numRuns: 5, statisticalRuns: 1 },
    );
    expect(r.every((x) => !x.passed && x.message === "not implemented")).toBe(true);
  });
});

/** The unbiased rule with q floored at 0.04: right wherever q >= 0.04, biased for rarer devices. */
const flooredAt004: AggregateFn = (deltas, a, q, S, out) =>
  aggregateUnbiased(
    deltas,
    a,
    q.map((x) => Math.max(x, 0.04)),
    S,
    out,
  );

describe("the regimes the equilibrium produces (q down to 1e-3)", () => {
  it("fails a rule that floors q at 0.04, which a suite drawing q >= 0.05 let through", () => {
    const r = byName(runAggregationSuite(flooredAt004, { seed: SEED }));
    expect(r["unbiased-exact"].passed).toBe(false);
    expect(r["unbiased-statistical"].passed).toBe(false);
    const c = r["unbiased-exact"].counterexample!;
    expect(Math.min(...c.q)).toBeLessThan(0.04);
    expect(exactBias(flooredAt004, c)).toBeGreaterThan(1e-6);
    // the same property on the former range q in [0.05, 1] cannot see the floor
    expect(fc.check(unbiasedExactProperty(flooredAt004, { minQ: 0.05 }), { seed: SEED }).failed).toBe(false);
  });

  it("still passes the unbiased rule with q as low as 1e-3", () => {
    const r = fc.check(unbiasedExactProperty(aggregateUnbiased), { seed: SEED, numRuns: 200 });
    expect(r.failed).toBe(false);
  });
});

describe("statistical property options", () => {
  it("refuses fewer than two samples, which cannot estimate a standard error", () => {
    expect(() => unbiasedStatisticalProperty(aggregateUnbiased, { samples: 1 })).toThrow(RangeError);
  });
});

describe("generated cases", () => {
  it("have distinct q_j in [1e-3, 1], reaching below 0.01, positive normalised a_j, and one dimension", () => {
    let rare = 0;
    fc.assert(
      fc.property(aggregationCaseArb({ minDevices: 2, maxDevices: 30, maxDim: 4 }), (c) => {
        const N = c.q.length;
        expect(N).toBeGreaterThanOrEqual(2);
        expect(new Set(c.q).size).toBe(N);
        for (const x of c.q) expect(x >= 1e-3 * (1 - 1e-12) && x <= 1).toBe(true);
        if (c.q.some((x) => x < 0.01)) rare++;
        for (const x of c.a) expect(x).toBeGreaterThan(0);
        expect(c.a.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
        expect(c.deltas).toHaveLength(N);
        for (const d of c.deltas) {
          expect(d).toHaveLength(c.deltas[0].length);
          for (const x of d) expect(Math.abs(x)).toBeLessThanOrEqual(10);
        }
      }),
      { seed: SEED, numRuns: 100 },
    );
    expect(rare).toBeGreaterThan(20);
  });
});

describe("mulberry32", () => {
  it("is reproducible from its seed and differs across seeds", () => {
    const take = (seed: number) => {
      const r = mulberry32(seed);
      return Array.from({ length: 5 }, () => r());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it("is uniform on [0, 1) to the eye of a mean and a histogram", () => {
    const r = mulberry32(1);
    const bins = new Array(10).fill(0);
    let sum = 0;
    let outside = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = r();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
      bins[Math.floor(x * 10)]++;
    }
    expect(outside).toBe(0);
    // Mean of n uniforms: sd = sqrt(1/12 / n) ~ 0.0009; each bin ~ 10000 +- 95.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(600);
  });
});
