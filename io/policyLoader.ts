import type { ComparisonPolicy } from "../agents/comparison.ts";
import type { PolicyKind } from "../policies/moduleExports.ts";
import { parsePolicySpec, resolveTenantPolicy } from "../policies/registry.ts";
import type { DevicePolicy, TenantPolicy } from "../policies/types.ts";
import { type IsolatedPolicy, type IsolationOptions, loadIsolatedPolicy } from "./isolatedPolicy.ts";

/**
 * The policy loader the CLI injects where a spec names a module by path: the module runs in a
 * worker thread (or a sandboxed child process), never in the command's own thread. Built-in names
 * and `learned:DIR` stay in-process (the fast path: they are this package's own code).
 */

/** True for a spec that names a user module by path (not a built-in name, not `learned:DIR`). */
export function isModuleSpec(spec: string): boolean {
  const s = spec.trim();
  const prefixed = /^[a-z][\w-]+:/i.test(s) && !s.startsWith("file:");
  return !prefixed && parsePolicySpec(s).kind === "module";
}

/** A user module by path, isolated (io/isolatedPolicy.ts). */
export async function loadModulePolicy(
  spec: string,
  kind: PolicyKind | "auto",
  options?: Record<string, unknown>,
  opts: IsolationOptions = {},
): Promise<IsolatedPolicy<TenantPolicy> | IsolatedPolicy<DevicePolicy>> {
  const p = parsePolicySpec(spec);
  if (p.kind !== "module") throw new Error(`"${spec}" is not a module path`);
  return loadIsolatedPolicy(spec.trim(), p, kind, options, opts);
}

/**
 * The policies of a comparison: each spec built once up front (so a typo, a bad module or bad
 * options fail before any run); module paths become entries whose instances live in their worker.
 */
export async function comparisonPolicies(
  specs: readonly string[],
  policyOptions: Readonly<Record<string, Record<string, unknown>>>,
  opts: IsolationOptions = {},
): Promise<ComparisonPolicy[]> {
  const out: ComparisonPolicy[] = [];
  for (const spec of specs) {
    if (isModuleSpec(spec)) {
      const loaded = (await loadModulePolicy(
        spec,
        "tenant",
        policyOptions[spec],
        opts,
      )) as IsolatedPolicy<TenantPolicy>;
      out.push({ name: spec, create: () => loaded.instance() });
    } else {
      await resolveTenantPolicy(spec, policyOptions[spec]);
      out.push(spec);
    }
  }
  return out;
}

export { PolicyWorkers, stopPolicyWorkers, WATCHDOG_MARGIN_MS } from "./policyHost.ts";
