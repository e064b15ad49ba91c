import { describe, expect, it } from "vitest";
import { randomMarket } from "../market/testMarkets.ts";
import {
  createDevicePolicy,
  createTenantPolicy,
  devicePolicies,
  devicePolicyNames,
  parsePolicySpec,
  resolveDevicePolicy,
  resolveTenantPolicy,
  tenantPolicies,
  tenantPolicyNames,
  UnknownPolicyError,
} from "./registry.ts";
import { deviceIndices, deviceObservation, marketObservation, policyContext } from "./testObservation.ts";

const TENANT = ["prince", "uniform", "proportional", "random", "greedy-topk", "single-tenant"];
const DEVICE = ["best-response", "myopic", "random"];

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("policy registry", () => {
  it("holds the policies of MODEL.md section 7, each documented and building a working policy", async () => {
    expect(tenantPolicyNames()).toEqual(TENANT);
    expect(devicePolicyNames()).toEqual(DEVICE);
    const m = randomMarket({ M: 3, N: 12, seed: 1 });
    for (const name of tenantPolicyNames()) {
      const entry = tenantPolicies[name];
      expect(entry.name).toBe(name);
      expect(entry.summary.length).toBeGreaterThan(10);
      expect(entry.source.length).toBeGreaterThan(0);
      expect(entry.options.find((o) => o.name === "aggregation")?.default).toBe(entry.aggregation);
      const policy = createTenantPolicy(name);
      expect(policy.name).toBe(name);
      expect(policy.aggregation).toBe(entry.aggregation);
      await policy.reset?.(policyContext(1, name));
      const p = await policy.price(marketObservation(m), 1);
      expect(p).toHaveLength(m.N);
      expect(Array.from(p).every((x) => x >= 0 && Number.isFinite(x))).toBe(true);
      expect(Array.from(p).some((x) => x > 0)).toBe(true);
    }
    for (const name of devicePolicyNames()) {
      const entry = devicePolicies[name];
      expect(entry.name).toBe(name);
      const policy = createDevicePolicy(name);
      expect(policy.name).toBe(name);
      await policy.reset?.(policyContext(1, name));
      const q = await policy.respond(
        deviceObservation(m, new Float64Array(m.M * m.N).fill(1)),
        deviceIndices(m.N),
      );
      expect(q).toHaveLength(m.M * m.N);
    }
  });

  it("the aggregation defaults: unbiased for prince and single-tenant, fedavg for the other baselines", () => {
    const rules = Object.fromEntries(tenantPolicyNames().map((n) => [n, tenantPolicies[n].aggregation]));
    expect(rules).toEqual({
      prince: "unbiased",
      uniform: "fedavg",
      proportional: "fedavg",
      random: "fedavg",
      "greedy-topk": "fedavg",
      "single-tenant": "unbiased",
    });
  });

  it("names every known policy when asked for an unknown one", () => {
    const e = thrown(() => createTenantPolicy("nope"));
    expect(e).toBeInstanceOf(UnknownPolicyError);
    expect((e as UnknownPolicyError).code).toBe("UNKNOWN_POLICY");
    expect((e as UnknownPolicyError).known).toEqual(TENANT);
    expect(e.message).toBe(
      'unknown tenant pricing policy "nope"; known: prince, uniform, proportional, random, greedy-topk, single-tenant',
    );
    const d = thrown(() => createDevicePolicy("lazy"));
    expect(d.message).toBe('unknown device policy "lazy"; known: best-response, myopic, random');
    // near misses get a suggestion; planned policies say so; prototype keys are not policies
    expect(thrown(() => createTenantPolicy("greedy-top-k")).message).toMatch(/did you mean "greedy-topk"\?/);
    expect(thrown(() => createTenantPolicy("learned")).message).toMatch(
      /"learned" \(a learned policy is named by its training run: learned:DIR, after sfl-market train --out DIR\); known: prince/,
    );
    expect(thrown(() => createTenantPolicy("constructor"))).toBeInstanceOf(UnknownPolicyError);
    expect(thrown(() => createDevicePolicy("toString"))).toBeInstanceOf(UnknownPolicyError);
  });

  it("passes options through and rejects unknown ones, also for policies without options", () => {
    expect(createTenantPolicy("uniform", { aggregation: "unbiased" }).aggregation).toBe("unbiased");
    expect(() => createTenantPolicy("greedy-topk", { K: 3 })).toThrow(/options\.K: unknown option/);
    expect(() => createDevicePolicy("myopic", { x: 1 })).toThrow(/takes: none/);
  });

  it("parses specs: names, and module paths (recognised, not loadable yet)", async () => {
    expect(parsePolicySpec(" uniform ")).toEqual({ kind: "name", name: "uniform" });
    expect(parsePolicySpec("./mine.ts")).toEqual({ kind: "module", path: "./mine.ts", exportName: null });
    expect(parsePolicySpec("lib/p.js#tenant")).toEqual({
      kind: "module",
      path: "lib/p.js",
      exportName: "tenant",
    });
    expect(parsePolicySpec("/abs/p.mjs")).toMatchObject({ kind: "module", path: "/abs/p.mjs" });
    expect(parsePolicySpec("file:///x/p.ts")).toMatchObject({ kind: "module" });
    expect(parsePolicySpec("policy.ts")).toMatchObject({ kind: "module", path: "policy.ts" });
    expect((await resolveTenantPolicy("prince")).name).toBe("prince");
    expect((await resolveDevicePolicy("myopic")).name).toBe("myopic");
    // the registry does no I/O: a path or a trained policy needs the loaders io/ injects
    await expect(resolveTenantPolicy("./mine.ts")).rejects.toThrow(
      /a policy module; loading it needs the policy loaders/,
    );
    await expect(resolveDevicePolicy("learned:dir")).rejects.toThrow(/a trained policy; loading it needs/);
    const { policyLoaders } = await import("../io/policyLoaders.ts");
    await expect(resolveTenantPolicy("./mine.ts", undefined, policyLoaders)).rejects.toMatchObject({
      code: "POLICY_MODULE_NOT_FOUND",
    });
    await expect(resolveDevicePolicy("./mine.ts", undefined, policyLoaders)).rejects.toThrow(
      /policy module "\.\/mine\.ts" not found/,
    );
    await expect(resolveTenantPolicy("nope")).rejects.toThrow(/known: prince/);
  });
});
