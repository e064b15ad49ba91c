import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../market/errors.ts";
import { createMarket } from "../market/instance.ts";
import { bestResponseDevicePolicy } from "../policies/bestResponseDevice.ts";
import { parsePolicySpec } from "../policies/registry.ts";
import {
  deviceIndices,
  deviceObservation,
  marketObservation,
  policyContext,
} from "../policies/testObservation.ts";
import type { TenantPolicy } from "../policies/types.ts";
import { firstLine, loadPolicyModule, PolicyModuleError, policyModuleFile } from "./loadModule.ts";
import { resolveDevicePolicy, resolveTenantPolicy } from "./policyLoaders.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sfl-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a module into the temporary directory and returns its absolute path. */
function moduleFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A PolicyModuleError's code and message, from a promise expected to reject with one. */
async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyModuleError);
    return { code: (err as PolicyModuleError).code, message: (err as Error).message };
  }
  throw new Error("expected a rejection");
}

const m = createMarket({
  tau: 2,
  budget: [4, 3],
  cost: [
    [1, 2, 1],
    [1, 1, 3],
  ],
  value: [
    [1, 0, 2],
    [1, 1, 1],
  ],
});

describe("loading a tenant policy by path", () => {
  it("builds the example's default factory with its options, relative to the working directory", async () => {
    const spec = "./examples/my-pricing.ts";
    const flat = await resolveTenantPolicy(spec, { exponent: 0 });
    expect(flat.name).toBe("value-per-cost");
    expect(flat.aggregation).toBe("unbiased");
    const p = (await flat.price(marketObservation(m), 0)) as Float64Array;
    expect(p).toHaveLength(3);
    expect(p[1]).toBe(0); // ineligible
    expect(p[0]).toBeGreaterThan(0);
    expect(p[2]).toBe(p[0]); // exponent 0: one flat price
    const skewed = (await (await resolveTenantPolicy(spec)).price(marketObservation(m), 0)) as Float64Array;
    expect(skewed[2]).toBeGreaterThan(skewed[0]); // w/c = 2 vs 1
    // the module's own option checks name the module
    const bad = resolveTenantPolicy(spec, { exponnent: 1 });
    await expect(bad).rejects.toBeInstanceOf(InputError);
    await expect(resolveTenantPolicy(spec, { exponnent: 1 })).rejects.toThrow(
      /options of policy module "\.\/examples\/my-pricing\.ts"[\s\S]*options\.exponnent: unknown option/,
    );
  });

  it("resolves paths against cwd, and takes absolute paths and file: URLs", async () => {
    expect(policyModuleFile("./x.ts", { cwd: "/a/b" })).toBe("/a/b/x.ts");
    expect(policyModuleFile("/c/x.ts")).toBe("/c/x.ts");
    expect(policyModuleFile("file:///c/x.ts")).toBe("/c/x.ts");
    const viaCwd = await loadPolicyModule(
      "examples/my-pricing.ts",
      parsePolicySpec("examples/my-pricing.ts") as never,
      "tenant",
      {},
      { cwd: ROOT },
    );
    expect(viaCwd.policy.name).toBe("value-per-cost");
    const url = pathToFileURL(join(ROOT, "examples", "my-pricing.ts")).href;
    expect((await resolveTenantPolicy(url)).name).toBe("value-per-cost");
  });

  it("picks #exportName, else the default export, else the single factory; names the policy by its spec if it has no name", async () => {
    const t = await resolveTenantPolicy("./cli/fixtures/two-policies.ts#tenant", { name: "mine" });
    expect(t.name).toBe("mine");
    expect(t.aggregation).toBe("fedavg");
    const d = await resolveDevicePolicy("./cli/fixtures/two-policies.ts#device");
    expect(d.name).toBe("equal-half");
    // plain JavaScript, one named factory, no name field
    const flat = await resolveTenantPolicy("./cli/fixtures/flat-price.mjs", { price: 2 });
    expect(flat.name).toBe("./cli/fixtures/flat-price.mjs");
    expect(Array.from((await flat.price(marketObservation(m), 1)) as Float64Array)).toEqual([2, 2, 2]);
  });

  it("takes a ready policy object (shared, no options) and a class; fills in aggregation without touching `this`", async () => {
    const file = moduleFile(
      "object.mjs",
      `class Counter {
        calls = 0;
        name = "counter";
        price(obs) { this.calls++; return new Float64Array(obs.market.N).fill(this.calls); }
      }
      export const policy = new Counter();
      export default Counter;`,
    );
    const fromClass = await resolveTenantPolicy(file);
    expect(fromClass.aggregation).toBe("unbiased");
    expect(Array.from((await fromClass.price(marketObservation(m), 0)) as Float64Array)).toEqual([1, 1, 1]);
    expect(Array.from((await fromClass.price(marketObservation(m), 0)) as Float64Array)).toEqual([2, 2, 2]);
    const a = await resolveTenantPolicy(`${file}#policy`);
    const b = await resolveTenantPolicy(`${file}#policy`);
    await a.price(marketObservation(m), 0);
    expect(Array.from((await b.price(marketObservation(m), 0)) as Float64Array)).toEqual([2, 2, 2]); // same object
    const withOptions = await rejection(resolveTenantPolicy(`${file}#policy`, { k: 1 }));
    expect(withOptions.message).toMatch(/is a policy object, which takes no options/);
  });

  it("undoes CommonJS interop and awaits async factories", async () => {
    const cjs = moduleFile(
      "p.cjs",
      `exports.helper = 1;
       exports.make = async (o) => ({ name: "cjs", aggregation: "fedavg", price: (obs) => new Float64Array(obs.market.N).fill(o.level ?? 1) });`,
    );
    const p = await resolveTenantPolicy(cjs, { level: 3 });
    expect(p.name).toBe("cjs");
    expect(Array.from((await p.price(marketObservation(m), 0)) as Float64Array)).toEqual([3, 3, 3]);
  });

  it("loads a device policy: the capped best response is the best response scaled into its cap", async () => {
    const prices = Float64Array.from([3, 1, 2, 2, 2, 4]);
    const obs = deviceObservation(m, prices);
    const all = deviceIndices(m.N);
    const one = await resolveDevicePolicy("./examples/my-device.ts", { cap: 1 });
    const q1 = (await one.respond(obs, all)) as Float64Array;
    expect(Array.from(q1)).toEqual(Array.from(bestResponseDevicePolicy().respond(obs, all) as Float64Array));
    const half = await resolveDevicePolicy("./examples/my-device.ts");
    const q = (await half.respond(obs, all)) as Float64Array;
    for (let j = 0; j < m.N; j++) {
      expect(q[j] + q[m.N + j]).toBeLessThanOrEqual(0.5 + 1e-15);
      for (let i = 0; i < m.M; i++) if (m.value[i * m.N + j] === 0) expect(q[i * m.N + j]).toBe(0);
    }
    await expect(resolveDevicePolicy("./examples/my-device.ts", { cap: 0 })).rejects.toThrow(/options\.cap/);
  });
});

describe("policy module errors name the spec and say what to fix", () => {
  it("a missing file, a directory, an extension it cannot load", async () => {
    const missing = await rejection(resolveTenantPolicy("./examples/nope.ts"));
    expect(missing.code).toBe("POLICY_MODULE_NOT_FOUND");
    expect(missing.message).toContain(
      `"./examples/nope.ts" not found: no file ${join(ROOT, "examples", "nope.ts")}`,
    );
    mkdirSync(join(dir, "sub.ts"), { recursive: true });
    expect((await rejection(resolveTenantPolicy(join(dir, "sub.ts")))).message).toMatch(/is a directory/);
    const json = moduleFile("p.json", "{}");
    const ext = await rejection(resolveTenantPolicy(json));
    expect(ext.code).toBe("POLICY_MODULE_BAD_EXTENSION");
    expect(ext.message).toContain('cannot load a ".json" file');
  });

  it("a module that fails to import: the first informative line of the error", async () => {
    const syntax = moduleFile("syntax.ts", "export default function () {}\nexport const x: number = ;\n");
    const e = await rejection(resolveTenantPolicy(syntax));
    expect(e.code).toBe("POLICY_MODULE_IMPORT_FAILED");
    expect(e.message).toMatch(/failed to import: .*Unexpected|failed to import: .*Expected/);
    expect(e.message.split("\n")).toHaveLength(1);
    const throws = moduleFile("throws.mjs", 'throw new RangeError("no GPU here");\n');
    expect((await rejection(resolveTenantPolicy(throws))).message).toMatch(
      /failed to import: RangeError: no GPU here$/,
    );
    expect(firstLine(new Error('Transform failed with 1 error:\n/x.ts:2:25: ERROR: Unexpected ";"'))).toBe(
      '/x.ts:2:25: ERROR: Unexpected ";"',
    );
  });

  it("no suitable export: lists the exports found; several candidates: asks for #name", async () => {
    const none = await rejection(resolveTenantPolicy("./cli/fixtures/no-policy-export.ts"));
    expect(none.code).toBe("POLICY_MODULE_NO_EXPORT");
    expect(none.message).toContain("exports found: budgetShare (number), settings (object)");
    const two = await rejection(resolveTenantPolicy("./cli/fixtures/two-policies.ts"));
    expect(two.message).toContain("several candidates (device, tenant)");
    expect(two.message).toContain('"./cli/fixtures/two-policies.ts#device"');
    const absent = await rejection(resolveTenantPolicy("./cli/fixtures/two-policies.ts#pricing"));
    expect(absent.message).toContain(
      'has no export "pricing"; exports found: device (function), tenant (function)',
    );
  });

  it("a factory that throws on its options names the module and the options", async () => {
    const e = await rejection(resolveTenantPolicy("./cli/fixtures/strict-options.ts", { lvl: 2 }));
    expect(e.code).toBe("POLICY_MODULE_FACTORY_FAILED");
    expect(e.message).toBe(
      'policy module "./cli/fixtures/strict-options.ts": its factory (default export) threw on the options {"lvl":2}: unknown option "lvl" (this policy takes: level)',
    );
    expect((await resolveTenantPolicy("./cli/fixtures/strict-options.ts", { level: 2 })).name).toBe(
      "strict-options",
    );
  });

  it("the wrong kind, or something that is not a policy", async () => {
    const wrongKind = await rejection(resolveTenantPolicy("./cli/fixtures/two-policies.ts#device"));
    expect(wrongKind.code).toBe("POLICY_MODULE_NOT_A_POLICY");
    expect(wrongKind.message).toContain(
      "returned a device policy, but a tenant pricing policy (price(obs, row)) is needed",
    );
    const notPolicy = moduleFile("np.mjs", "export default () => ({ prices: [] });\n");
    expect((await rejection(resolveTenantPolicy(notPolicy))).message).toMatch(
      /returned object with keys prices, not a policy/,
    );
    const badAgg = moduleFile(
      "agg.mjs",
      'export default () => ({ aggregation: "mean", price: () => [] });\n',
    );
    expect((await rejection(resolveTenantPolicy(badAgg))).message).toContain(
      'aggregation is "mean"; it must be "unbiased" or "fedavg"',
    );
    const both = moduleFile("both.mjs", "export default { name: 'b', price() {}, respond() {} };\n");
    const auto = await rejection(loadPolicyModule(both, { path: both, exportName: null }, "auto"));
    expect(auto.message).toContain("both price() and respond()");
  });

  it("a policy keeps its reset and warnings through the wrapper that names it", async () => {
    const file = moduleFile(
      "wrapped.mjs",
      `export default () => {
        const warnings = [];
        return {
          reset(ctx) { warnings.length = 0; warnings.push({ step: 0, code: "RESET", message: String(ctx.seed) }); },
          get warnings() { return warnings; },
          price: (obs) => new Float64Array(obs.market.N),
        };
      };`,
    );
    const p: TenantPolicy = await resolveTenantPolicy(file);
    expect(p.name).toBe(file);
    await p.reset?.(policyContext(7));
    expect(p.warnings).toEqual([{ step: 0, code: "RESET", message: "7" }]);
  });
});
