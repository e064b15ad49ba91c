import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  aggregate,
  aggregateFedAvg,
  aggregateUnbiased,
  expectedUpdate,
  fullParticipationUpdate,
} from "./aggregation.ts";
import { InputError } from "./errors.ts";

const vecs = (rows: number[][]) => rows.map((r) => Float64Array.from(r));
const f64 = (xs: number[]) => Float64Array.from(xs);
const mask = (xs: number[]) => Uint8Array.from(xs);

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

// Three devices, two coordinates; devices 0 and 2 took part.
const deltas = vecs([
  [1, 2],
  [3, -1],
  [0, 4],
]);
const a = f64([0.5, 0.25, 0.25]);
const q = f64([0.5, 0.25, 1]);
const S = mask([1, 0, 1]);

describe("the rules on one round", () => {
  it("unbiased weights participants by a_j / q_j", () => {
    // (0.5 / 0.5) [1, 2] + (0.25 / 1) [0, 4] = [1, 3]
    expect(Array.from(aggregateUnbiased(deltas, a, q, S))).toEqual([1, 3]);
  });

  it("FedAvg renormalises the participants' data weights", () => {
    // a over S sums to 0.75: (2/3) [1, 2] + (1/3) [0, 4] = [2/3, 8/3]
    const u = aggregateFedAvg(deltas, a, S);
    expect(u[0]).toBeCloseTo(2 / 3, 15);
    expect(u[1]).toBeCloseTo(8 / 3, 15);
  });

  it("full participation is sum_j a_j Delta_j", () => {
    // 0.5 [1, 2] + 0.25 [3, -1] + 0.25 [0, 4] = [1.25, 1.75]
    expect(Array.from(fullParticipationUpdate(deltas, a))).toEqual([1.25, 1.75]);
  });

  it("aggregate dispatches by name", () => {
    expect(aggregate("unbiased", deltas, a, q, S)).toEqual(aggregateUnbiased(deltas, a, q, S));
    expect(aggregate("fedavg", deltas, a, q, S)).toEqual(aggregateFedAvg(deltas, a, S));
    expect(() => aggregate("median" as "fedavg", deltas, a, q, S)).toThrow(/unknown rule "median"/);
  });

  it("writes into out, overwriting what was there, and returns it", () => {
    const out = f64([99, -99]);
    expect(aggregateUnbiased(deltas, a, q, S, out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 3]);
    expect(aggregateFedAvg(deltas, a, mask([0, 1, 0]), out)).toBe(out);
    expect(Array.from(out)).toEqual([3, -1]);
    expect(fullParticipationUpdate(deltas, a, out)).toBe(out);
    expect(Array.from(out)).toEqual([1.25, 1.75]);
  });

  it("leaves its inputs alone", () => {
    aggregateUnbiased(deltas, a, q, S);
    aggregateFedAvg(deltas, a, S);
    expect(deltas.map((d) => Array.from(d))).toEqual([
      [1, 2],
      [3, -1],
      [0, 4],
    ]);
    expect(Array.from(a)).toEqual([0.5, 0.25, 0.25]);
    expect(Array.from(S)).toEqual([1, 0, 1]);
  });
});

describe("edge cases", () => {
  it("gives a zero update when nobody takes part", () => {
    const none = mask([0, 0, 0]);
    expect(Array.from(aggregateUnbiased(deltas, a, q, none))).toEqual([0, 0]);
    expect(Array.from(aggregateFedAvg(deltas, a, none))).toEqual([0, 0]);
  });

  it("FedAvg gives zero when the participants carry no data weight", () => {
    expect(Array.from(aggregateFedAvg(deltas, f64([0, 1, 0]), S))).toEqual([0, 0]);
  });

  it("unbiased rejects a participant with q <= 0, and ignores q of non-participants", () => {
    expect(issuePaths(() => aggregateUnbiased(deltas, a, f64([0.5, 0.25, 0]), S))).toEqual(["q[2]"]);
    expect(() => aggregateUnbiased(deltas, a, f64([0.5, 0.25, -1]), S)).toThrow(
      /device 2 took part but q = -1/,
    );
    expect(Array.from(aggregateUnbiased(deltas, a, f64([0.5, 0, 1]), S))).toEqual([1, 3]);
  });

  it("names every mismatched shape", () => {
    expect(
      issuePaths(() =>
        aggregateUnbiased(deltas, f64([1, 0]), f64([1]), mask([1, 1, 1, 1]), new Float64Array(3)),
      ),
    ).toEqual(["a", "q", "S", "out"]);
    expect(issuePaths(() => fullParticipationUpdate(vecs([[1, 2], [3]]), f64([0.5, 0.5])))).toEqual([
      "deltas[1]",
    ]);
  });

  it("refuses an output that is one of the updates", () => {
    expect(issuePaths(() => fullParticipationUpdate(deltas, a, deltas[1]))).toEqual(["out"]);
  });

  it("handles a tenant with no devices", () => {
    expect(fullParticipationUpdate([], f64([])).length).toBe(0);
    expect(Array.from(aggregateFedAvg([], f64([]), mask([]), f64([7, 7])))).toEqual([0, 0]);
  });
});

describe("expectedUpdate", () => {
  it("unbiased matches full participation on the hand case", () => {
    const e = expectedUpdate("unbiased", deltas, a, q);
    expect(e[0]).toBeCloseTo(1.25, 14);
    expect(e[1]).toBeCloseTo(1.75, 14);
  });

  it("FedAvg is pulled toward the device that always participates", () => {
    // Device 1 always takes part (q = 1), device 0 half the time, a = [1/2, 1/2], Delta = [1], [0].
    // S = {1} (prob 1/2): FedAvg gives 0; S = {0, 1} (prob 1/2): 1/2. Expectation 1/4, target 1/2.
    const d = vecs([[1], [0]]);
    const w = f64([0.5, 0.5]);
    const qq = f64([0.5, 1]);
    expect(expectedUpdate("fedavg", d, w, qq)[0]).toBeCloseTo(0.25, 15);
    // Unbiased: S = {1} gives 0, S = {0, 1} gives (0.5 / 0.5) 1 = 1. Expectation 1/2.
    expect(expectedUpdate("unbiased", d, w, qq)[0]).toBeCloseTo(0.5, 15);
  });

  it("FedAvg is biased even with equal q, through the empty set", () => {
    // q = [1/2, 1/2]: sets {}, {0}, {1}, {0,1} each 1/4, FedAvg gives 0, 1, 0, 1/2: expectation 3/8.
    const e = expectedUpdate("fedavg", vecs([[1], [0]]), f64([0.5, 0.5]), f64([0.5, 0.5]));
    expect(e[0]).toBeCloseTo(0.375, 15);
  });

  it("skips sets of probability zero, so a device with q = 0 is simply missing", () => {
    // q = [0, 1]: only S = {1} has mass; unbiased gives 0.5 * 2 = 1, not the full 0.5 * 1 + 0.5 * 2.
    const e = expectedUpdate("unbiased", vecs([[1], [2]]), f64([0.5, 0.5]), f64([0, 1]));
    expect(Array.from(e)).toEqual([1]);
  });

  it("takes a user rule as a function", () => {
    // A rule that always returns Delta_0: its expectation is Delta_0 whatever q is.
    const first = (d: readonly Float64Array[]) => Float64Array.from(d[0]);
    expect(Array.from(expectedUpdate(first, deltas, a, q))).toEqual([1, 2]);
  });

  it("refuses more than 20 devices and q outside [0, 1]", () => {
    const many = Array.from({ length: 21 }, () => f64([1]));
    const flat = new Float64Array(21).fill(1 / 21);
    expect(issuePaths(() => expectedUpdate("unbiased", many, flat, new Float64Array(21).fill(0.5)))).toEqual([
      "deltas",
    ]);
    expect(issuePaths(() => expectedUpdate("unbiased", deltas, a, f64([0.5, 1.5, 1])))).toEqual(["q[1]"]);
  });

  it("unbiased matches full participation on random small rounds (property)", () => {
    const round = fc.integer({ min: 1, max: 3 }).chain((D) =>
      fc.array(
        fc.record({
          q: fc.double({ min: 0.01, max: 1, noNaN: true }),
          w: fc.double({ min: 0.01, max: 1, noNaN: true }),
          d: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: D, maxLength: D }),
        }),
        { minLength: 1, maxLength: 7 },
      ),
    );
    fc.assert(
      fc.property(round, (devs) => {
        const total = devs.reduce((s, x) => s + x.w, 0);
        const dd = devs.map((x) => f64(x.d));
        const aa = f64(devs.map((x) => x.w / total));
        const qq = f64(devs.map((x) => x.q));
        const e = expectedUpdate("unbiased", dd, aa, qq);
        const full = fullParticipationUpdate(dd, aa);
        // Terms are at most 5 / 0.01 in size; round-off over 2^7 sets stays far below 1e-9.
        for (let k = 0; k < full.length; k++) expect(Math.abs(e[k] - full[k])).toBeLessThan(1e-9);
      }),
    );
  });
});
