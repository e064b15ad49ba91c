import { stat } from "node:fs/promises";
import { extname, isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  firstLine,
  importFailed,
  interop,
  type LoadedPolicy,
  type ModuleSpec,
  POLICY_MODULE_EXTENSIONS,
  type PolicyKind,
  PolicyModuleError,
  policyFromExports,
} from "../policies/moduleExports.ts";
import type { DevicePolicy, TenantPolicy } from "../policies/types.ts";

/**
 * Importing a user's policy module from a path (the "module" form of parsePolicySpec):
 * `./my-pricing.ts`, `lib/policies.js#greedy`. The path is resolved against the current working
 * directory (or `cwd`); `.ts`, `.mts`, `.cts`, `.js`, `.mjs` and `.cjs` files load. TypeScript loads
 * through the loader the process already has (the CLI registers tsx; vitest has its own) and
 * otherwise through tsx's `tsImport`. What the module must export is policies/moduleExports.ts.
 *
 * loadPolicyModule runs the module in this thread, sharing its classes and caches: for code that
 * trusts the module. The CLI and resolveTenantPolicy run a module by path in a worker thread
 * instead (io/policyHost.ts), where it cannot take the process down.
 */

export type {
  LoadedPolicy,
  ModuleSpec,
  PolicyKind,
  PolicyModuleErrorCode,
} from "../policies/moduleExports.ts";
export { firstLine, POLICY_MODULE_EXTENSIONS, PolicyModuleError } from "../policies/moduleExports.ts";

export interface LoadOptions {
  /** Directory relative paths are resolved against (default: process.cwd()). */
  readonly cwd?: string;
}

export function policyModuleFile(path: string, opts: LoadOptions = {}): string {
  if (path.startsWith("file:")) return fileURLToPath(path);
  return isAbsolute(path) ? path : resolve(opts.cwd ?? process.cwd(), path);
}

/**
 * The absolute file of a module spec, checked: it exists, is not a directory and has an extension
 * that loads; else the PolicyModuleError that says so.
 */
export async function checkPolicyModuleFile(
  spec: string,
  mod: ModuleSpec,
  opts: LoadOptions = {},
): Promise<string> {
  const file = policyModuleFile(mod.path, opts);
  const ext = extname(file).toLowerCase();
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch {
    throw new PolicyModuleError(
      "POLICY_MODULE_NOT_FOUND",
      spec,
      file,
      `policy module "${spec}" not found: no file ${file}${isAbsolute(mod.path) ? "" : ` (relative paths are resolved against ${opts.cwd ?? process.cwd()})`}`,
    );
  }
  if (info.isDirectory())
    throw new PolicyModuleError(
      "POLICY_MODULE_NOT_FOUND",
      spec,
      file,
      `policy module "${spec}": ${file} is a directory; give the module file (e.g. ${mod.path.replace(/[\\/]+$/, "")}/index.ts)`,
    );
  if (!(POLICY_MODULE_EXTENSIONS as readonly string[]).includes(ext))
    throw new PolicyModuleError(
      "POLICY_MODULE_BAD_EXTENSION",
      spec,
      file,
      `policy module "${spec}": cannot load a "${ext || "(none)"}" file; a policy module is ${POLICY_MODULE_EXTENSIONS.join(", ")}`,
    );
  return file;
}

/** Imports a policy module and returns its exports (CommonJS interop undone); cached per file. */
export async function importPolicyModule(
  spec: string,
  mod: ModuleSpec,
  opts: LoadOptions = {},
): Promise<{ file: string; exports: Record<string, unknown> }> {
  const file = await checkPolicyModuleFile(spec, mod, opts);
  let ns = cache.get(file);
  if (!ns) {
    const loading = importFile(file).then(interop);
    cache.set(file, loading);
    // a failed import is not cached, so a fixed file can be retried in the same process
    loading.catch(() => cache.delete(file));
    ns = loading;
  }
  try {
    return { file, exports: await ns };
  } catch (err) {
    throw importFailed(spec, file, firstLine(err), err);
  }
}

const cache = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Native import first, so the module shares this process's instances of the library (classes,
 * caches); tsx's tsImport when the process has no TypeScript loader, or when Node cannot place a
 * .ts file that lies outside an ESM package (tsx then reports ERR_REQUIRE_CYCLE_MODULE).
 */
async function importFile(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    const ts = /\.[cm]?ts$/i.test(file);
    if (!(ts && (code === "ERR_UNKNOWN_FILE_EXTENSION" || code === "ERR_REQUIRE_CYCLE_MODULE"))) throw err;
    const { tsImport } = await import("tsx/esm/api");
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
}

/**
 * Loads the policy of a module spec in this thread: imports it, picks the export, builds the
 * policy with `options` and checks it is a policy of `kind` ("auto": whichever it is; an object
 * with both price() and respond() then needs an explicit kind).
 */
export async function loadPolicyModule(
  spec: string,
  mod: ModuleSpec,
  kind: PolicyKind | "auto",
  options?: Record<string, unknown>,
  opts: LoadOptions = {},
): Promise<LoadedPolicy<TenantPolicy> | LoadedPolicy<DevicePolicy>> {
  const { file, exports } = await importPolicyModule(spec, mod, opts);
  return policyFromExports(spec, file, exports, mod.exportName, kind, options);
}

export async function loadTenantPolicyModule(
  spec: string,
  mod: ModuleSpec,
  options?: Record<string, unknown>,
  opts: LoadOptions = {},
): Promise<TenantPolicy> {
  return (await loadPolicyModule(spec, mod, "tenant", options, opts)).policy as TenantPolicy;
}

/** A device policy from a module spec (what resolveDevicePolicy does with a path). */
export async function loadDevicePolicyModule(
  spec: string,
  mod: ModuleSpec,
  options?: Record<string, unknown>,
  opts: LoadOptions = {},
): Promise<DevicePolicy> {
  return (await loadPolicyModule(spec, mod, "device", options, opts)).policy as DevicePolicy;
}
