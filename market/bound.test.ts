import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundGap, fitBoundConstants, roundsToTarget, valuation, valuationOf } from "./bound.ts";
import { InputError } from "./errors.ts";

/** The paths of the issues carried by the InputError that fn throws. */
function issuePaths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).issues.map((x) => x.path);
  }
  throw new Error("expected an InputError");
}

describe("valuation", () => {
  // 2 tenants x 3 devices, tenant-major. Tenant 0: device 1 ineligible (w = 0), so its q = 0 is ignored.
  const value = Float64Array.from([1, 0, 2, 0.5, 0.5, 0]);
  const q = Float64Array.from([0.5, 0, 0.25, 1, 0.5, 0]);

  it("sums w/q over eligible devices of one tenant", () => {
    expect(valuation(value, q, 0, 3)).toBe(1 / 0.5 + 2 / 0.25); // 10
    expect(valuation(value, q, 1, 3)).toBe(0.5 / 1 + 0.5 / 0.5); // 1.5
  });

  it("is infinite when an eligible device never participates", () => {
    const q0 = Float64Array.from([0, 0, 0.25, 1, 0.5, 0]);
    expect(valuation(value, q0, 0, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(valuation(value, q0, 1, 3)).toBe(1.5);
  });

  it("agrees with valuationOf on the tenant's row", () => {
    expect(valuationOf([0.5, 0.5, 0], [1, 0.5, 0])).toBe(1.5);
    expect(valuationOf([1, 0, 2], [0.5, 0, 0.25])).toBe(10);
    expect(valuationOf([1], [0])).toBe(Number.POSITIVE_INFINITY);
    expect(valuationOf([], [])).toBe(0);
  });

  it("rejects shapes that do not match", () => {
    expect(() => valuation(value, q, 2, 3)).toThrow(RangeError);
    expect(() => valuation(value, q.subarray(0, 5), 0, 3)).toThrow(/q has length 5/);
    expect(() => valuationOf([1, 2], [1])).toThrow(RangeError);
  });

  it("never increases when a device participates more (property)", () => {
    const row = fc.array(
      fc.record({
        w: fc.double({ min: 0, max: 10, noNaN: true }),
        q: fc.double({ min: 0.01, max: 1, noNaN: true }),
      }),
      {
        minLength: 1,
        maxLength: 10,
      },
    );
    fc.assert(
      fc.property(row, fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), (devs, pick, t) => {
        const w = devs.map((d) => d.w);
        const q = devs.map((d) => d.q);
        const j = pick % devs.length;
        const more = q.slice();
        more[j] = q[j] + t * (1 - q[j]);
        expect(valuationOf(w, more)).toBeLessThanOrEqual(valuationOf(w, q));
      }),
    );
  });
});

describe("roundsToTarget", () => {
  it("is ceil((alpha V + beta) / eps)", () => {
    expect(roundsToTarget({ alpha: 2, beta: 3, eps: 0.5 }, 10)).toBe(46); // (20 + 3) / 0.5
    expect(roundsToTarget({ alpha: 1, beta: 0, eps: 3 }, 10)).toBe(4); // 3.33.. rounds up
    expect(roundsToTarget({ alpha: 0, beta: 0, eps: 1 }, 5)).toBe(0);
  });

  it("does not add a round for round-off in an exact ratio", () => {
    // (0.1 + 0.2) / 0.1 evaluates to 3.0000000000000004 in floating point.
    expect((0.1 + 0.2) / 0.1).toBeGreaterThan(3);
    expect(roundsToTarget({ alpha: 1, beta: 0.2, eps: 0.1 }, 0.1)).toBe(3);
  });

  it("is infinite when V is, even with alpha = 0", () => {
    expect(roundsToTarget({ alpha: 1, beta: 1, eps: 1 }, Number.POSITIVE_INFINITY)).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(roundsToTarget({ alpha: 0, beta: 1, eps: 1 }, Number.POSITIVE_INFINITY)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("names every bad constant", () => {
    expect(issuePaths(() => roundsToTarget({ alpha: -1, beta: 0, eps: 1 }, 1))).toEqual(["alpha"]);
    expect(issuePaths(() => roundsToTarget({ alpha: 1, beta: Number.NaN, eps: 0 }, 1))).toEqual([
      "beta",
      "eps",
    ]);
    expect(() => roundsToTarget({ alpha: 1, beta: 0, eps: -2 }, 1)).toThrow(
      /eps: must be a finite number > 0/,
    );
    expect(issuePaths(() => roundsToTarget({ alpha: 1, beta: 0, eps: 1 }, -1))).toEqual(["V"]);
    expect(issuePaths(() => roundsToTarget({ alpha: 1, beta: 0, eps: 1 }, Number.NaN))).toEqual(["V"]);
  });
});

describe("boundGap", () => {
  it("is (alpha V + beta) / rounds", () => {
    expect(boundGap({ alpha: 2, beta: 3, eps: 0.5 }, 10, 23)).toBe(1);
    expect(boundGap({ alpha: 2, beta: 3, eps: 0.5 }, Number.POSITIVE_INFINITY, 23)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("does not need eps but needs rounds > 0", () => {
    expect(boundGap({ alpha: 1, beta: 1, eps: 0 }, 1, 4)).toBe(0.5);
    expect(issuePaths(() => boundGap({ alpha: 1, beta: 1, eps: 1 }, 1, 0))).toEqual(["rounds"]);
    expect(issuePaths(() => boundGap({ alpha: -1, beta: 1, eps: 1 }, 1, 1))).toEqual(["alpha"]);
  });

  it("meets eps after roundsToTarget rounds, and not one round earlier (property)", () => {
    const pos = (max: number) => fc.double({ min: 1e-3, max, noNaN: true });
    fc.assert(
      fc.property(pos(10), pos(10), pos(1), pos(1000), (alpha, beta, eps, V) => {
        const c = { alpha, beta, eps };
        const G = roundsToTarget(c, V);
        expect(boundGap(c, V, G)).toBeLessThanOrEqual(eps * (1 + 1e-11));
        if (G > 1) expect(boundGap(c, V, G - 1)).toBeGreaterThan(eps);
      }),
    );
  });
});

describe("fitBoundConstants", () => {
  it("recovers exact constants with R^2 = 1", () => {
    // y = rounds * eps = 2 V + 5 at V = 1, 2, 3.
    const fit = fitBoundConstants([
      { V: 1, rounds: 7, eps: 1 },
      { V: 2, rounds: 18, eps: 0.5 },
      { V: 3, rounds: 44, eps: 0.25 },
    ]);
    expect(fit.alpha).toBeCloseTo(2, 12);
    expect(fit.beta).toBeCloseTo(5, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
  });

  it("is ordinary least squares when both constants come out non-negative", () => {
    // x = 0, 1, 2; y = 1, 3, 2: slope 1/2, intercept 3/2, SSE 3/2, SST 2, R^2 = 1/4.
    const fit = fitBoundConstants([
      { V: 0, rounds: 1, eps: 1 },
      { V: 1, rounds: 3, eps: 1 },
      { V: 2, rounds: 2, eps: 1 },
    ]);
    expect(fit.alpha).toBeCloseTo(0.5, 12);
    expect(fit.beta).toBeCloseTo(1.5, 12);
    expect(fit.r2).toBeCloseTo(0.25, 12);
  });

  it("clips a negative slope to 0 and refits the intercept", () => {
    // y = 3, 2, 1: OLS slope -1. Intercept only: beta = 2 (SSE 2); origin only: alpha = 0.8 (SSE 10.8).
    const fit = fitBoundConstants([
      { V: 0, rounds: 3, eps: 1 },
      { V: 1, rounds: 2, eps: 1 },
      { V: 2, rounds: 1, eps: 1 },
    ]);
    expect(fit.alpha).toBe(0);
    expect(fit.beta).toBeCloseTo(2, 12);
    expect(fit.r2).toBeCloseTo(0, 12);
  });

  it("clips a negative intercept to 0 and refits the slope through the origin", () => {
    // y = 1, 3, 5 at V = 1, 2, 3: OLS intercept -1. Through the origin alpha = 22/14 = 11/7 with
    // SSE (4/7)^2 + (1/7)^2 + (2/7)^2 = 3/7; intercept only has SSE 8. R^2 = 1 - (3/7)/8 = 53/56.
    const fit = fitBoundConstants([
      { V: 1, rounds: 1, eps: 1 },
      { V: 2, rounds: 3, eps: 1 },
      { V: 3, rounds: 5, eps: 1 },
    ]);
    expect(fit.alpha).toBeCloseTo(11 / 7, 12);
    expect(fit.beta).toBe(0);
    expect(fit.r2).toBeCloseTo(53 / 56, 12);
  });

  it("reports R^2 = 1 for a constant y fitted exactly", () => {
    const fit = fitBoundConstants([
      { V: 1, rounds: 4, eps: 1 },
      { V: 2, rounds: 8, eps: 0.5 },
    ]);
    expect(fit).toEqual({ alpha: 0, beta: 4, r2: 1 });
  });

  it("needs two distinct V values and valid samples", () => {
    expect(issuePaths(() => fitBoundConstants([]))).toEqual(["samples"]);
    expect(issuePaths(() => fitBoundConstants([{ V: 1, rounds: 3, eps: 1 }]))).toEqual(["samples"]);
    expect(
      issuePaths(() =>
        fitBoundConstants([
          { V: 1, rounds: 3, eps: 1 },
          { V: 1, rounds: 5, eps: 1 },
        ]),
      ),
    ).toEqual(["samples"]);
    expect(
      issuePaths(() =>
        fitBoundConstants([
          { V: Number.POSITIVE_INFINITY, rounds: 3, eps: 1 },
          { V: 1, rounds: 0, eps: -1 },
        ]),
      ),
    ).toEqual(["samples[0].V", "samples[1].rounds", "samples[1].eps"]);
  });

  it("returns non-negative constants and R^2 in [0, 1] for any runs (property)", () => {
    const run = fc.record({
      V: fc.integer({ min: 0, max: 10_000 }).map((k) => k / 10),
      rounds: fc.integer({ min: 1, max: 1e4 }),
      eps: fc.double({ min: 1e-3, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(run, { minLength: 2, maxLength: 10 }), (runs) => {
        fc.pre(runs.some((r) => r.V !== runs[0].V));
        const fit = fitBoundConstants(runs);
        expect(fit.alpha).toBeGreaterThanOrEqual(0);
        expect(fit.beta).toBeGreaterThanOrEqual(0);
        expect(fit.r2).toBeGreaterThanOrEqual(0);
        expect(fit.r2).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
  });

  it("recovers any non-negative constants from noiseless runs (property)", () => {
    fc.assert(
      fc.property(
        // alpha = 0 (y constant) or large enough that y varies well above round-off.
        fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 100, noNaN: true })),
        fc.double({ min: 0.5, max: 100, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 8 }),
        (alpha, beta, Vs) => {
          const fit = fitBoundConstants(Vs.map((V) => ({ V, rounds: alpha * V + beta, eps: 1 })));
          expect(fit.alpha).toBeCloseTo(alpha, 6);
          expect(fit.beta).toBeCloseTo(beta, 4);
          expect(fit.r2).toBeCloseTo(1, 9);
        },
      ),
    );
  });
});
