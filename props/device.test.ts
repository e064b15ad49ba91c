import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MarketInstance } from "../market/instance.ts";
import { congestionPrice, type DeviceResponse, waterFill } from "../market/waterFill.ts";
import { pricedMarketArb } from "./arbitraries.ts";
import { type DeviceResponseFn, deviceKkt, deviceResponseProperties, deviceUtility } from "./device.ts";
import { type PropertyResult, runSuite } from "./runner.ts";

const SEED = 20240601;

function byName(results: PropertyResult[], name: string): PropertyResult {
  const r = results.find((x) => x.name === name);
  if (!r) throw new Error(`no result ${name}`);
  return r;
}

/** Water-filling with the congestion price replaced by f(mu): the usual way to get mu wrong. */
function waterFillWithMu(f: (mu: number) => number, reportMu = true): DeviceResponseFn {
  return (m: MarketInstance, prices: Float64Array): DeviceResponse => {
    const { M, N, tau } = m;
    const participation = new Float64Array(M * N);
    const congestion = new Float64Array(N);
    const p = new Float64Array(M);
    const c = new Float64Array(M);
    for (let j = 0; j < N; j++) {
      for (let i = 0; i < M; i++) {
        p[i] = m.value[i * N + j] > 0 ? prices[i * N + j] : 0;
        c[i] = m.cost[i * N + j];
      }
      const mu = f(congestionPrice(p, c, tau, M));
      congestion[j] = reportMu ? mu : 0;
      for (let i = 0; i < M; i++) {
        const x = p[i] - mu;
        participation[i * N + j] = x > 0 ? (x / (tau * c[i])) ** (1 / (tau - 1)) : 0;
      }
    }
    return { participation, congestion };
  };
}

/** A myopic device: all capacity to the tenant with the best P_ij / c_ij. */
const myopic: DeviceResponseFn = (m, prices) => {
  const { M, N } = m;
  const participation = new Float64Array(M * N);
  for (let j = 0; j < N; j++) {
    let best = -1;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      if (
        m.value[k] > 0 &&
        prices[k] > 0 &&
        (best < 0 || prices[k] / m.cost[k] > prices[best] / m.cost[best])
      )
        best = k;
    }
    if (best >= 0) participation[best] = 1;
  }
  return { participation, congestion: new Float64Array(N) };
};

describe("device suite on the built-in water-filling", () => {
  it("passes every property (tau = 2)", () => {
    const results = runSuite(deviceResponseProperties(), { seed: SEED, numRuns: 150 });
    for (const r of results) expect(r, r.error).toMatchObject({ passed: true, numRuns: 150 });
    expect(results.map((r) => r.name)).toEqual([
      "device/feasible",
      "device/kkt",
      "device/congestion",
      "device/no-better-response",
      "device/monotone",
    ]);
  });

  it("passes for tau in (1, 2] and tau > 2", () => {
    for (const tau of [
      { min: 1.1, max: 2 },
      { min: 2.05, max: 4 },
    ]) {
      const results = runSuite(deviceResponseProperties(waterFill, { market: { tau } }), {
        seed: SEED,
        numRuns: 60,
      });
      for (const r of results)
        expect(r, `${JSON.stringify(tau)} ${r.name}: ${r.error}`).toMatchObject({ passed: true });
    }
  });

  it("deviceKkt and deviceUtility agree with water-filling being optimal", () => {
    for (const { market: m, prices } of fc.sample(pricedMarketArb(), { seed: 1, numRuns: 50 })) {
      const r = waterFill(m, prices);
      for (let j = 0; j < m.N; j++) {
        const d = deviceKkt(m, prices, r.participation, j);
        expect(d.residual).toBeLessThan(1e-12);
        expect(Math.abs(d.mu - r.congestion[j])).toBeLessThanOrEqual(1e-12 * Math.max(1, ...prices));
        expect(deviceUtility(m, prices, r.participation, j)).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe("device suite catches broken responses", () => {
  const run = (impl: DeviceResponseFn) =>
    runSuite(deviceResponseProperties(impl), { seed: SEED, numRuns: 150 });

  it("a water-filling that ignores the capacity constraint (mu = 0) fails feasible", () => {
    const results = run(waterFillWithMu(() => 0));
    const r = byName(results, "device/feasible");
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/over capacity|is not in \[0, 1\]/);
    expect(r.counterexample).toHaveProperty("market");
    expect(r.counterexample).toHaveProperty("prices");
    expect(r.path).toBeTruthy();
  });

  it("too small a congestion price (mu / 2) fails feasible", () => {
    const r = byName(run(waterFillWithMu((mu) => mu / 2)), "device/feasible");
    expect(r.passed).toBe(false);
    expect(r.counterexample).toBeDefined();
  });

  it("too large a congestion price (1.1 mu) fails kkt, congestion and no-better-response", () => {
    const results = run(waterFillWithMu((mu) => 1.1 * mu));
    expect(byName(results, "device/feasible").passed).toBe(true); // it stays feasible...
    for (const name of ["device/kkt", "device/congestion", "device/no-better-response"]) {
      const r = byName(results, name);
      expect(r.passed, name).toBe(false); // ...but leaves capacity unused while charging congestion
      expect(r.counterexample, name).toBeDefined();
    }
    expect(byName(results, "device/kkt").error).toContain("KKT residual");
  });

  it("a right participation with the congestion price misreported fails congestion only", () => {
    const results = run(waterFillWithMu((mu) => mu, false));
    expect(byName(results, "device/congestion").passed).toBe(false);
    for (const name of ["device/feasible", "device/kkt", "device/no-better-response", "device/monotone"])
      expect(byName(results, name).passed, name).toBe(true);
  });

  it("a myopic device (all capacity to the best P/c) fails kkt and no-better-response", () => {
    const results = run(myopic);
    expect(byName(results, "device/feasible").passed).toBe(true);
    expect(byName(results, "device/kkt").passed).toBe(false);
    expect(byName(results, "device/no-better-response").passed).toBe(false);
  });

  it("a response that writes into the price vector fails feasible", () => {
    const r = byName(
      run((m, prices) => {
        const out = waterFill(m, prices);
        prices[0] = -1;
        return out;
      }),
      "device/feasible",
    );
    expect(r.passed).toBe(false);
    expect(r.error).toContain("modified the prices");
  });
});
