import {
  type PolicyLoaders,
  parsePolicySpec,
  resolveDevicePolicy as resolveDeviceSpec,
  resolveTenantPolicy as resolveTenantSpec,
} from "../policies/registry.ts";
import type { DevicePolicy, TenantPolicy } from "../policies/types.ts";
import { type IsolatedPolicy, type IsolationOptions, loadIsolatedPolicy } from "./isolatedPolicy.ts";

/**
 * The loaders the CLI (and the library's resolveTenantPolicy) use for the specs that are not
 * built-in names: a user module by path runs in a worker thread (io/isolatedPolicy.ts) or a
 * sandboxed child process, never in the command's own thread; `learned:DIR` is read from its
 * verified checkpoint (io/learnedPolicy.ts) and runs in-process, as the built-in policies do (the
 * fast path: this package's own code). Both are imported lazily, so a built-in name never loads
 * node:fs, worker threads or tfjs.
 */
export const policyLoaders: PolicyLoaders & {
  loadModule(
    spec: string,
    mod: { readonly path: string; readonly exportName: string | null },
    kind: "tenant" | "device",
    options?: Record<string, unknown>,
    opts?: IsolationOptions,
  ): Promise<TenantPolicy | DevicePolicy>;
} = {
  /** A user module by path, of `kind`, in a worker thread. */
  async loadModule(
    spec: string,
    mod: { readonly path: string; readonly exportName: string | null },
    kind: "tenant" | "device",
    options?: Record<string, unknown>,
    opts: IsolationOptions = {},
  ): Promise<TenantPolicy | DevicePolicy> {
    return (await loadIsolatedPolicy(spec, mod, kind, options, opts)).policy;
  },
  /** A trained policy `learned:DIR`, of `kind`. */
  async loadLearned(
    dir: string,
    kind: "tenant" | "device",
    options?: Record<string, unknown>,
  ): Promise<TenantPolicy | DevicePolicy> {
    const m = await import("./learnedPolicy.ts");
    return kind === "tenant" ? m.loadLearnedTenantPolicy(dir, options) : m.loadLearnedDevicePolicy(dir);
  },
};

/**
 * A tenant policy from any spec: a built-in name, `learned:DIR`, or a module path (run in a worker
 * thread). The registry's resolver with these loaders injected; the library's resolveTenantPolicy.
 */
export function resolveTenantPolicy(spec: string, options?: Record<string, unknown>): Promise<TenantPolicy> {
  return resolveTenantSpec(spec, options, policyLoaders);
}

/** A device policy from any spec; see resolveTenantPolicy. */
export function resolveDevicePolicy(spec: string, options?: Record<string, unknown>): Promise<DevicePolicy> {
  return resolveDeviceSpec(spec, options, policyLoaders);
}

/** True for a spec that names a user module by path (not a built-in name, not `learned:DIR`). */
export function isModuleSpec(spec: string): boolean {
  const s = spec.trim();
  const prefixed = /^[a-z][\w-]+:/i.test(s) && !s.startsWith("file:");
  return !prefixed && parsePolicySpec(s).kind === "module";
}

/** A user module by path, isolated, with its factory (io/isolatedPolicy.ts): for compare and check. */
export async function loadModulePolicy(
  spec: string,
  kind: "tenant" | "device" | "auto",
  options?: Record<string, unknown>,
  opts: IsolationOptions = {},
): Promise<IsolatedPolicy<TenantPolicy> | IsolatedPolicy<DevicePolicy>> {
  const p = parsePolicySpec(spec);
  if (p.kind !== "module") throw new Error(`"${spec}" is not a module path`);
  return loadIsolatedPolicy(spec.trim(), p, kind, options, opts);
}

export { PolicyWorkers, stopPolicyWorkers, WATCHDOG_MARGIN_MS } from "./policyHost.ts";
