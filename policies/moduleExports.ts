import type { AggregationRule } from "../market/aggregation.ts";
import { InputError, type InputIssue } from "../market/errors.ts";
import type { DevicePolicy, PolicyContext, TenantPolicy } from "./types.ts";

/**
 * What a user's policy module exports, and how a policy is built from it: the export used, the
 * factory called with the options, the policy checked and its defaults filled in. Pure (no file
 * system, no import): io/loadModule.ts imports the module, in this thread or in the worker that
 * runs it (io/policyWorker.ts), and hands its exports to policyFromExports. docs/plugins.md states
 * the contract; in short:
 *
 * - The export used is `#exportName` if given, else the default export, else the module's only
 *   export that can be a policy (one policy object of the wanted kind, or failing that one function).
 * - An export is either a factory `(options) => policy` (or a promise of one; a class is built with
 *   `new`), called with the options object (`{}` when none are given) every time a policy is asked
 *   for, or a ready policy object, shared by every run (its reset() starts each episode) and taking
 *   no options.
 * - A tenant policy needs `price(obs, row)`; a device policy needs `respond(obs, devices)`. `name`
 *   defaults to the spec as written and a tenant policy's `aggregation` to "unbiased".
 *
 * Every failure is a PolicyModuleError (or an InputError for options the factory rejected with one)
 * whose message names the spec and says what to fix: the file that does not exist, the first line
 * of an import error, the exports found, the factory that threw.
 */

export type PolicyKind = "tenant" | "device";

/** The module part of a policy spec, as parsePolicySpec returns it. */
export interface ModuleSpec {
  readonly path: string;
  readonly exportName: string | null;
}

export type PolicyModuleErrorCode =
  | "POLICY_MODULE_NOT_FOUND"
  | "POLICY_MODULE_BAD_EXTENSION"
  | "POLICY_MODULE_IMPORT_FAILED"
  | "POLICY_MODULE_NO_EXPORT"
  | "POLICY_MODULE_FACTORY_FAILED"
  | "POLICY_MODULE_NOT_A_POLICY";

/** A policy module that cannot be used; the message names the spec and what is wrong. */
export class PolicyModuleError extends Error {
  readonly code: PolicyModuleErrorCode;
  /** The spec as written (e.g. "./my-pricing.ts#greedy"). */
  readonly spec: string;
  /** The absolute file path it resolved to. */
  readonly file: string;
  constructor(code: PolicyModuleErrorCode, spec: string, file: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "PolicyModuleError";
    this.code = code;
    this.spec = spec;
    this.file = file;
  }
}

export const POLICY_MODULE_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"] as const;

export interface LoadedPolicy<P> {
  readonly kind: PolicyKind;
  readonly policy: P;
  /** Builds another instance with the same options (the same object for an object export). */
  readonly create: () => Promise<P>;
  /** The export used ("default" or its name) and whether it was a factory or a policy object. */
  readonly exportName: string;
  readonly exportKind: "factory" | "object";
  readonly file: string;
}

/** The error of a module that failed to import, with `why` (the first line of what went wrong). */
export function importFailed(spec: string, file: string, why: string, cause?: unknown): PolicyModuleError {
  return new PolicyModuleError(
    "POLICY_MODULE_IMPORT_FAILED",
    spec,
    file,
    `policy module "${spec}" failed to import: ${why}`,
    cause,
  );
}

/** A CommonJS module imported from ESM has its exports object as `default`: use that object. */
export function interop(ns: Record<string, unknown>): Record<string, unknown> {
  const d = ns.default;
  if (
    d !== null &&
    typeof d === "object" &&
    !policyKindOf(d) &&
    Object.hasOwn(d, "default") &&
    Object.keys(ns).every((k) => k === "default" || k === "module.exports" || Object.hasOwn(d, k))
  )
    return { ...(d as Record<string, unknown>) };
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(ns)) if (k !== "module.exports") out[k] = ns[k];
  return out;
}

/** The first informative line of an error (esbuild's "Transform failed with 1 error:" is skipped). */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (lines.length === 0) return err instanceof Error ? err.name : "unknown error";
  const head =
    /^Transform failed with \d+ errors?:?$/.test(lines[0]) && lines.length > 1 ? lines[1] : lines[0];
  const name = err instanceof Error && err.name && err.name !== "Error" ? `${err.name}: ` : "";
  return `${name}${head}`;
}

/** "tenant" if x has price(), "device" if respond(), "both", or null. */
export function policyKindOf(x: unknown): PolicyKind | "both" | null {
  if (x === null || (typeof x !== "object" && typeof x !== "function")) return null;
  const o = x as { price?: unknown; respond?: unknown };
  const t = typeof o.price === "function";
  const d = typeof o.respond === "function";
  return t && d ? "both" : t ? "tenant" : d ? "device" : null;
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "function")
    return /^class\b/.test(Function.prototype.toString.call(x)) ? "class" : "function";
  if (Array.isArray(x)) return "array";
  if (typeof x === "object") {
    const k = policyKindOf(x);
    if (k === "tenant") return "tenant policy object";
    if (k === "device") return "device policy object";
    if (k === "both") return "object with price() and respond()";
    return "object";
  }
  return typeof x;
}

function listExports(exports: Record<string, unknown>): string {
  const names = Object.keys(exports).sort();
  if (names.length === 0) return "it has no exports";
  return `exports found: ${names.map((n) => `${n} (${describeValue(exports[n])})`).join(", ")}`;
}

/** Picks the export to use: #name, else default, else the only candidate. */
export function pickExport(
  spec: string,
  file: string,
  exports: Record<string, unknown>,
  exportName: string | null,
  kind: PolicyKind | "auto",
): string {
  const usable = (x: unknown) => typeof x === "function" || policyKindOf(x) !== null;
  if (exportName !== null) {
    if (!Object.hasOwn(exports, exportName))
      throw new PolicyModuleError(
        "POLICY_MODULE_NO_EXPORT",
        spec,
        file,
        `policy module "${spec}" has no export "${exportName}"; ${listExports(exports)}`,
      );
    if (!usable(exports[exportName]))
      throw new PolicyModuleError(
        "POLICY_MODULE_NO_EXPORT",
        spec,
        file,
        `policy module "${spec}": export "${exportName}" is a ${describeValue(exports[exportName])}, not a policy factory or policy object; ${listExports(exports)}`,
      );
    return exportName;
  }
  if (Object.hasOwn(exports, "default") && usable(exports.default)) return "default";
  // sorted, as a native ESM namespace is, so messages do not depend on the loader
  const names = Object.keys(exports)
    .filter((n) => n !== "default")
    .sort();
  const objects = names.filter((n) => {
    const k = policyKindOf(exports[n]);
    return typeof exports[n] !== "function" && k !== null && (kind === "auto" || k === kind || k === "both");
  });
  if (objects.length === 1) return objects[0];
  const functions = names.filter((n) => typeof exports[n] === "function");
  if (objects.length === 0 && functions.length === 1) return functions[0];
  const candidates = objects.length > 0 ? objects : functions;
  const what = kind === "auto" ? "policy" : `${kind} policy`;
  if (candidates.length > 1)
    throw new PolicyModuleError(
      "POLICY_MODULE_NO_EXPORT",
      spec,
      file,
      `policy module "${spec}" has no default export and several candidates (${candidates.join(", ")}); pick one with "${spec}#${candidates[0]}"`,
    );
  throw new PolicyModuleError(
    "POLICY_MODULE_NO_EXPORT",
    spec,
    file,
    `policy module "${spec}" exports no ${what}: it needs a default export (or a single named export) that is a factory (options) => policy or a policy object with ${kind === "device" ? "respond(obs, devices)" : kind === "tenant" ? "price(obs, row)" : "price() or respond()"}; ${listExports(exports)}`,
  );
}

/** InputError thrown by a factory, possibly from another copy of the library (tsImport). */
export function asInputError(err: unknown): readonly InputIssue[] | null {
  if (err instanceof InputError) return err.issues;
  const e = err as { code?: unknown; issues?: unknown };
  if (e && e.code === "BAD_INPUT" && Array.isArray(e.issues)) return e.issues as InputIssue[];
  return null;
}

/**
 * Loads the policy of a module spec: imports it, picks the export, builds the policy with
 * `options` and checks it is a policy of `kind` ("auto": whichever it is; an object with both
 * price() and respond() then needs an explicit kind).

/**
 * The policy of a module's `exports`: picks the export, builds the policy with `options` and checks
 * it is a policy of `kind` ("auto": whichever it is; an object with both price() and respond() then
 * needs an explicit kind).
 */
export async function policyFromExports(
  spec: string,
  file: string,
  exports: Record<string, unknown>,
  wanted: string | null,
  kind: PolicyKind | "auto",
  options?: Record<string, unknown>,
): Promise<LoadedPolicy<TenantPolicy> | LoadedPolicy<DevicePolicy>> {
  const exportName = pickExport(spec, file, exports, wanted, kind);
  const value = exports[exportName];
  const label = exportName === "default" ? "default export" : `export "${exportName}"`;
  const given = options ?? {};
  if (typeof value !== "function" && Object.keys(given).length > 0)
    throw new PolicyModuleError(
      "POLICY_MODULE_FACTORY_FAILED",
      spec,
      file,
      `policy module "${spec}": its ${label} is a policy object, which takes no options (got ${JSON.stringify(given)}); export a factory (options) => policy to take options`,
    );
  const build = async (): Promise<unknown> => {
    if (typeof value !== "function") return value;
    try {
      const isClass = /^class\b/.test(Function.prototype.toString.call(value));
      const made = isClass
        ? new (value as new (o: Record<string, unknown>) => unknown)({ ...given })
        : (value as (o: Record<string, unknown>) => unknown)({ ...given });
      return await made;
    } catch (err) {
      const issues = asInputError(err);
      if (issues) throw new InputError(issues, `options of policy module "${spec}"`);
      throw new PolicyModuleError(
        "POLICY_MODULE_FACTORY_FAILED",
        spec,
        file,
        `policy module "${spec}": its factory (${label}) threw on the options ${JSON.stringify(given)}: ${firstLine(err)}`,
        err,
      );
    }
  };
  const first = await build();
  const found = policyKindOf(first);
  const what = typeof value === "function" ? `its factory (${label}) returned` : `its ${label} is`;
  if (found === null)
    throw new PolicyModuleError(
      "POLICY_MODULE_NOT_A_POLICY",
      spec,
      file,
      `policy module "${spec}": ${what} ${describeValue(first)}${first && typeof first === "object" ? ` with keys ${Object.keys(first).join(", ") || "(none)"}` : ""}, not a policy: a tenant policy has price(obs, row), a device policy respond(obs, devices)`,
    );
  let resolved: PolicyKind;
  if (kind === "auto") {
    if (found === "both")
      throw new PolicyModuleError(
        "POLICY_MODULE_NOT_A_POLICY",
        spec,
        file,
        `policy module "${spec}": ${what} an object with both price() and respond(); say which kind to use (--kind tenant or --kind device)`,
      );
    resolved = found;
  } else {
    if (found !== kind && found !== "both") {
      const want =
        kind === "tenant"
          ? "a tenant pricing policy (price(obs, row))"
          : "a device policy (respond(obs, devices))";
      throw new PolicyModuleError(
        "POLICY_MODULE_NOT_A_POLICY",
        spec,
        file,
        `policy module "${spec}": ${what} a ${found} policy, but ${want} is needed here`,
      );
    }
    resolved = kind;
  }
  const finish = (p: unknown) => normalise(spec, file, resolved, p, what);
  const policy = finish(first);
  const create = async () => finish(await build());
  return {
    kind: resolved,
    policy,
    create,
    exportName,
    exportKind: typeof value === "function" ? "factory" : "object",
    file,
  } as LoadedPolicy<TenantPolicy> | LoadedPolicy<DevicePolicy>;
}

/** Checks the fields a policy declares, filling in name (the spec) and aggregation ("unbiased"). */
function normalise(
  spec: string,
  file: string,
  kind: PolicyKind,
  p: unknown,
  what: string,
): TenantPolicy | DevicePolicy {
  const o = p as { name?: unknown; aggregation?: unknown; reset?: unknown };
  const bad = (msg: string) =>
    new PolicyModuleError(
      "POLICY_MODULE_NOT_A_POLICY",
      spec,
      file,
      `policy module "${spec}": ${what} a policy whose ${msg}`,
    );
  if (o.name !== undefined && !(typeof o.name === "string" && o.name !== ""))
    throw bad(
      `name is ${JSON.stringify(o.name)}; it must be a non-empty string (or absent: the spec is used)`,
    );
  if (o.reset !== undefined && typeof o.reset !== "function") throw bad("reset is not a function");
  if (
    kind === "tenant" &&
    o.aggregation !== undefined &&
    o.aggregation !== "unbiased" &&
    o.aggregation !== "fedavg"
  )
    throw bad(`aggregation is ${JSON.stringify(o.aggregation)}; it must be "unbiased" or "fedavg"`);
  const complete = o.name !== undefined && (kind === "device" || o.aggregation !== undefined);
  if (complete) return p as TenantPolicy | DevicePolicy;
  // the missing fields go on a delegating wrapper: the user's object (and `this` in its methods) stays as it is
  const name = (o.name as string | undefined) ?? spec;
  const reset =
    typeof o.reset === "function" ? { reset: (ctx: PolicyContext) => (p as TenantPolicy).reset!(ctx) } : {};
  if (kind === "device") {
    const inner = p as DevicePolicy;
    return { name, ...reset, respond: (obs, devices) => inner.respond(obs, devices) } satisfies DevicePolicy;
  }
  const inner = p as TenantPolicy;
  return {
    name,
    aggregation: (o.aggregation as AggregationRule | undefined) ?? "unbiased",
    ...reset,
    price: (obs, row) => inner.price(obs, row),
    get warnings() {
      return inner.warnings;
    },
  } satisfies TenantPolicy;
}
