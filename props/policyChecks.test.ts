import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bestResponseDevicePolicy } from "../policies/bestResponseDevice.ts";
import { budgetScaledPrices } from "../policies/budgetScale.ts";
import { createDevicePolicy, createTenantPolicy } from "../policies/registry.ts";
import type { DevicePolicy, TenantPolicy } from "../policies/types.ts";
import {
  checkDevicePolicy,
  checkTenantPolicy,
  deviceCaseArb,
  devicePolicyProperties,
  firstDifference,
  formatPolicyChecks,
  marketObservationArb,
  type PolicyCheckReport,
  type PolicyCheckResult,
  runAsyncProperty,
  tenantPolicyProperties,
} from "./policyChecks.ts";

const RUNS = 25;

function byName(report: PolicyCheckReport, name: string): PolicyCheckResult {
  const r = report.results.find((x) => x.name === name);
  if (!r) throw new Error(`no result ${name}`);
  return r;
}

/** Flat prices scaled to the budget, with a twist from `at` market steps on. */
function twisted(
  name: string,
  twist: (p: Float64Array, step: number) => Float64Array | Promise<Float64Array>,
) {
  return (): TenantPolicy => ({
    name,
    aggregation: "unbiased",
    price(obs, row) {
      const p = budgetScaledPrices(obs, row, new Float64Array(obs.market.N).fill(1));
      return twist(p, obs.step);
    },
  });
}

const nanFromStep2 = twisted("nan", (p, step) => {
  if (step >= 2) p[p.length - 1] = Number.NaN;
  return p;
});

describe("checkTenantPolicy", () => {
  it("passes the built-in policies, and reports how often the guard scaled them", async () => {
    for (const name of ["uniform", "prince"]) {
      const report = await checkTenantPolicy(() => createTenantPolicy(name), { numRuns: RUNS });
      expect(report.passed, formatPolicyChecks(report.results)).toBe(true);
      expect(report.policy).toBe(name);
      expect(report.results.map((r) => r.name)).toEqual([
        "tenant-policy/well-formed",
        "tenant-policy/deterministic",
        "tenant-policy/budget-guard",
        "tenant-policy/episode",
        "tenant-policy/episode-deterministic",
      ]);
      expect(byName(report, "tenant-policy/budget-guard").detail).toMatch(
        /^the guard scaled \d+ of \d+ answers/,
      );
      expect(byName(report, "tenant-policy/episode").detail).toMatch(
        /market steps, 3\/3 tenants met their target/,
      );
      expect(byName(report, "tenant-policy/episode-deterministic").detail).toMatch(
        /^\d+ events bit-identical$/,
      );
    }
  });

  it("a NaN price: well-formed fails with a replayable counterexample, the episode names step and value", async () => {
    const report = await checkTenantPolicy(nanFromStep2, { numRuns: RUNS, seed: 3 });
    expect(report.passed).toBe(false);
    const wf = byName(report, "tenant-policy/well-formed");
    expect(wf.passed).toBe(false);
    expect(wf.error).toMatch(
      /^policy "nan" at market step \d+ for tenant "t\d": price for device \d+ is NaN/,
    );
    expect(wf.seed).toBe(3);
    expect(typeof wf.path).toBe("string");
    const ce = wf.counterexample as { obs: { step: number; market: { cost: number[][] } } };
    expect(ce.obs.step).toBe(2); // shrunk to the first step that fails
    // the others would fail on the same answers: skipped
    expect(byName(report, "tenant-policy/deterministic").skipped).toBe(true);
    expect(byName(report, "tenant-policy/budget-guard").skipped).toBe(true);
    const ep = byName(report, "tenant-policy/episode");
    expect(ep.error).toMatch(/^policy "nan" at market step 2 for tenant "\w+": price for device 19 is NaN/);
    expect(ep.counterexample).toMatchObject({ seed: 3, policy: "nan", step: 2, index: 19, value: "NaN" });
    expect(byName(report, "tenant-policy/episode-deterministic").skipped).toBe(true);
    const text = formatPolicyChecks(report.results, { replay: (r) => `again ${r.name}` });
    expect(text).toContain("FAIL tenant-policy/well-formed");
    expect(text).toContain(`  fast-check: seed 3, path "${wf.path}"`);
    expect(text).toContain("  counterexample: {");
    expect(text).toContain("  replay: again tenant-policy/well-formed");
    expect(text).toContain("SKIP tenant-policy/deterministic");
    expect(text.split("\n").at(-1)).toBe("2 of 5 failed (3 skipped)");

    // the seed and path replay exactly that counterexample
    const suite = tenantPolicyProperties(nanFromStep2);
    const again = await runAsyncProperty(
      "tenant-policy/well-formed",
      suite.properties["tenant-policy/well-formed"],
      {
        seed: wf.seed,
        path: wf.path,
      },
    );
    expect(again.passed).toBe(false);
    expect(again.counterexample).toEqual(wf.counterexample);
    expect(again.error).toBe(wf.error);
  });

  it("wrong length, negative prices and a modified observation fail well-formed", async () => {
    const cases: [() => TenantPolicy, RegExp][] = [
      [twisted("short", (p) => p.slice(1)), /prices have length \d+, expected N = \d+/],
      [
        twisted("negative", (p) => {
          p[0] = -1;
          return p;
        }),
        /price for device 0 is -1; prices must be >= 0/,
      ],
      [
        () => ({
          name: "scribbler",
          aggregation: "fedavg",
          price(obs, row) {
            (obs.market.cost as Float64Array)[row * obs.market.N] = 0;
            return new Float64Array(obs.market.N);
          },
        }),
        /modified the observation it was given: obs\.market\.cost\[0\]/,
      ],
    ];
    for (const [create, message] of cases) {
      const report = await checkTenantPolicy(create, { numRuns: 10, only: ["well-formed"] });
      expect(report.results).toHaveLength(1);
      expect(report.results[0].passed).toBe(false);
      expect(report.results[0].error).toMatch(message);
    }
  });

  it("hidden state across instances fails both determinism checks, showing the first difference", async () => {
    let calls = 0; // shared by every instance: the second instance answers differently
    const drifting = (): TenantPolicy => ({
      name: "drifting",
      aggregation: "fedavg",
      price: (obs, row) =>
        budgetScaledPrices(obs, row, new Float64Array(obs.market.N).fill(1 + (calls++ % 7))),
    });
    const report = await checkTenantPolicy(drifting, { numRuns: 10 });
    expect(byName(report, "tenant-policy/well-formed").passed).toBe(true);
    const det = byName(report, "tenant-policy/deterministic");
    expect(det.passed).toBe(false);
    expect(det.error).toMatch(
      /two instances reset with the same context seed \(\d+\) answered the same observation differently: prices\[0\]\[\d+\]/,
    );
    const ep = byName(report, "tenant-policy/episode-deterministic");
    expect(ep.passed).toBe(false);
    expect(ep.error).toMatch(/^the same seed gave different episodes: /);
  });

  it("a policy drawing from its context stream is deterministic (the built-in random)", async () => {
    const report = await checkTenantPolicy(() => createTenantPolicy("random"), { numRuns: 10 });
    expect(report.passed, formatPolicyChecks(report.results)).toBe(true);
  });

  it("warns when the guard scaled every answer (a policy that ignores its budget)", async () => {
    // ten times what its budget buys against the others' last prices
    const lavish = twisted("lavish", (p) => p.map((x) => 10 * x));
    const report = await checkTenantPolicy(lavish, { numRuns: 10 });
    expect(report.passed).toBe(true);
    const g = byName(report, "tenant-policy/budget-guard");
    expect(g.detail).toMatch(/^the guard scaled \d+ of \d+ answers \((9\d|100)%\)/);
    expect(g.warning).toMatch(
      /^the guard scaled (every answer|9\d% of the answers): the policy ignores its budget/,
    );
    expect(byName(report, "tenant-policy/episode").warning).toMatch(
      /scaled (every price vector|9\d% of the price vectors) the policy posted/,
    );
    expect(formatPolicyChecks(report.results)).toContain("  warning: the guard scaled ");
    // PRINCE spends its budget at the equilibrium: no warning
    const prince = await checkTenantPolicy(() => createTenantPolicy("prince"), { numRuns: 10 });
    expect(prince.results.filter((r) => r.warning)).toEqual([]);
  });

  it("an answer that never settles fails at the timeout, without waiting it out while shrinking", async () => {
    // counted, not timed: a check that waited out every shrink would hang once per attempt
    let hangs = 0;
    const never = twisted("never", (p, step) => {
      if (step < 1) return p;
      hangs++;
      return new Promise<Float64Array>(() => {});
    });
    const report = await checkTenantPolicy(never, { numRuns: 50, timeoutMs: 100 });
    expect(hangs).toBeLessThanOrEqual(4);
    const wf = byName(report, "tenant-policy/well-formed");
    expect(wf.error).toMatch(/^price\(obs, 0\) did not settle within 100 ms/);
    expect((wf.counterexample as { obs: { step: number } }).obs.step).toBeGreaterThanOrEqual(1);
    expect(byName(report, "tenant-policy/episode").error).toMatch(
      /^policy "never" at market step 1 for tenant "\w+": price\(\) did not settle within 100 ms/,
    );
  });

  it("a factory that throws fails every check with its message", async () => {
    const report = await checkTenantPolicy(
      () => {
        throw new Error("no weights file");
      },
      { numRuns: 5 },
    );
    expect(report.passed).toBe(false);
    expect(byName(report, "tenant-policy/well-formed").error).toBe(
      "building the policy threw: no weights file",
    );
    expect(byName(report, "tenant-policy/episode").error).toContain("no weights file");
  });
});

describe("checkDevicePolicy", () => {
  it("passes the built-in devices", async () => {
    for (const name of ["best-response", "myopic", "random"]) {
      const report = await checkDevicePolicy(() => createDevicePolicy(name), { numRuns: RUNS });
      expect(report.passed, `${name}\n${formatPolicyChecks(report.results)}`).toBe(true);
      expect(report.results.map((r) => r.name)).toEqual([
        "device-policy/feasible",
        "device-policy/deterministic",
        "device-policy/episode",
        "device-policy/episode-deterministic",
      ]);
    }
  });

  it("over capacity, or serving an ineligible tenant, fails feasible; the episode names the device", async () => {
    const greedy = (): DevicePolicy => ({
      name: "greedy",
      respond(obs) {
        const q = new Float64Array(obs.market.M * obs.market.N);
        for (let k = 0; k < q.length; k++) q[k] = obs.market.value[k] > 0 ? 0.9 : 0;
        return q;
      },
    });
    const report = await checkDevicePolicy(greedy, { numRuns: RUNS });
    const f = byName(report, "device-policy/feasible");
    expect(f.error).toMatch(/^device \d+'s participation sums to 1\.8 over tenants; capacity is 1$/);
    expect(byName(report, "device-policy/deterministic").skipped).toBe(true);
    expect(byName(report, "device-policy/episode").error).toMatch(
      /^policy "greedy" at market step 0: device \d+'s participation sums to/,
    );

    const careless = (): DevicePolicy => ({
      name: "careless",
      respond: (obs) => new Float64Array(obs.market.M * obs.market.N).fill(1 / obs.market.M),
    });
    const c = await checkDevicePolicy(careless, { numRuns: RUNS, only: ["feasible"] });
    expect(c.results[0].error).toMatch(/but device \d+ cannot serve tenant \d+ \(w = 0\)/);
  });

  it("uses the scenario's devices, only the controlled ones are checked", async () => {
    // q = 2 on devices it does not control is ignored
    const partial = (): DevicePolicy => {
      const inner = bestResponseDevicePolicy();
      return {
        name: "partial",
        respond(obs, devices) {
          const q = inner.respond(obs, devices) as Float64Array;
          const mine = new Set(devices);
          for (let k = 0; k < q.length; k++) if (!mine.has(k % obs.market.N)) q[k] = 2;
          return q;
        },
      };
    };
    const props = devicePolicyProperties(partial);
    const r = await runAsyncProperty("device-policy/feasible", props["device-policy/feasible"], {
      numRuns: RUNS,
    });
    expect(r.passed, r.error).toBe(true);
  });
});

describe("generators and helpers", () => {
  it("market observations look like the environment's", () => {
    fc.assert(
      fc.property(marketObservationArb(), (obs) => {
        const { M, N } = obs.market;
        expect(obs.tenants).toHaveLength(M);
        obs.tenants.forEach((t, i) => {
          expect(t.row).toBe(i);
          expect(t.budget).toBe(obs.market.budget[i]);
        });
        if (obs.step === 0) expect(obs.lastPrices).toBeNull();
        else {
          expect(obs.lastPrices).toHaveLength(M * N);
          for (let k = 0; k < M * N; k++) if (obs.market.value[k] === 0) expect(obs.lastPrices![k]).toBe(0);
          expect(obs.lastParticipation).toHaveLength(M * N);
        }
        if (obs.dataWeight)
          for (let i = 0; i < M; i++) {
            const s = obs.dataWeight.subarray(i * N, (i + 1) * N).reduce((a, b) => a + b, 0);
            expect(Math.abs(s - 1)).toBeLessThan(1e-12);
          }
      }),
      { numRuns: 50, seed: 11 },
    );
    fc.assert(
      fc.property(deviceCaseArb(), (c) => {
        for (const j of c.devices) expect(j).toBeLessThan(c.obs.market.N);
        expect(c.obs.prices).toHaveLength(c.obs.market.M * c.obs.market.N);
      }),
      { numRuns: 50, seed: 11 },
    );
  });

  it("firstDifference compares bit for bit", () => {
    expect(
      firstDifference({ a: [1, Float64Array.of(Number.NaN)] }, { a: [1, Float64Array.of(Number.NaN)] }),
    ).toBeNull();
    expect(firstDifference({ a: Float64Array.of(0) }, { a: Float64Array.of(-0) })).toBe("a[0]: 0 vs -0");
    expect(firstDifference({ a: 1, b: "x" }, { a: 1, b: "y" })).toBe("b: x vs y");
    expect(firstDifference([1, 2], [1])).toBe(": lengths 2 vs 1");
  });
});
