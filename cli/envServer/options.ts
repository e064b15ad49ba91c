import type { Compiled } from "../../env/compile.ts";
import type { MarketEnvOptions } from "../../env/parallelEnv.ts";
import type { AggregationRule } from "../../market/aggregation.ts";
import { InputError, type InputIssue } from "../../market/errors.ts";

/**
 * The env-server's environment options (`--options JSON`; the Python client sends its keyword
 * arguments here, snake_case turned into camelCase). Every field is optional.
 */
export interface EnvServerOptions {
  /** The tenants the client controls (default: every tenant that can trade). */
  readonly tenants?: readonly string[];
  /** Policy spec that prices the other tenants inside the server (default "prince"). */
  readonly rivals?: string;
  /** Options of the rivals' policy factory (docs/policies.md). */
  readonly rivalOptions?: Record<string, unknown>;
  /** Devices the client controls, as agents `device/<j>` (default none: all play water-filling). */
  readonly deviceAgents?: readonly number[];
  /** Simulated seconds after which an episode is cut (default: the last start + deadline). */
  readonly maxTime?: number;
  /** K: a market step every K rounds of an active tenant (default: the scenario's). */
  readonly repricingInterval?: number;
  /** Aggregation rule of the client's tenants' learners: one rule, or one per tenant (default unbiased). */
  readonly aggregation?: AggregationRule | Readonly<Record<string, AggregationRule>>;
  /** "market" adds the full market observation (what pricing policies see) to each tenant's info. */
  readonly info?: "basic" | "market";
}

export const DEFAULT_RIVALS = "prince";
const RULES: readonly AggregationRule[] = ["unbiased", "fedavg"];
const KEYS = [
  "tenants",
  "rivals",
  "rivalOptions",
  "deviceAgents",
  "maxTime",
  "repricingInterval",
  "aggregation",
  "info",
] as const;

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** Checks the shape of the options (not yet against a scenario); throws InputError naming each bad field. */
export function parseEnvServerOptions(raw: unknown): EnvServerOptions {
  if (raw === undefined || raw === null) return {};
  const issues: InputIssue[] = [];
  const bad = (path: string, message: string) => issues.push({ path, message });
  if (!isObject(raw)) throw new InputError([{ path: "", message: "must be a JSON object" }], "--options");
  for (const k of Object.keys(raw))
    if (!(KEYS as readonly string[]).includes(k))
      bad(k, `unknown option; known: ${KEYS.join(", ")} (docs/python.md)`);
  const { tenants, rivals, rivalOptions, deviceAgents, maxTime, repricingInterval, aggregation, info } = raw;
  if (tenants !== undefined) {
    if (!Array.isArray(tenants) || tenants.length === 0) bad("tenants", "must be a non-empty list of names");
    else
      tenants.forEach((t, k) => {
        if (typeof t !== "string") bad(`tenants[${k}]`, "must be a tenant name (a string)");
      });
  }
  if (rivals !== undefined && (typeof rivals !== "string" || rivals.trim() === ""))
    bad("rivals", "must be a policy name or module path");
  if (rivalOptions !== undefined && !isObject(rivalOptions)) bad("rivalOptions", "must be an object");
  if (deviceAgents !== undefined) {
    if (!Array.isArray(deviceAgents)) bad("deviceAgents", "must be a list of device indices");
    else
      deviceAgents.forEach((j, k) => {
        if (!(Number.isSafeInteger(j) && (j as number) >= 0))
          bad(`deviceAgents[${k}]`, `must be an integer >= 0, got ${JSON.stringify(j)}`);
      });
  }
  if (maxTime !== undefined && !(typeof maxTime === "number" && Number.isFinite(maxTime) && maxTime >= 0))
    bad("maxTime", "must be a finite number >= 0 (simulated seconds)");
  if (
    repricingInterval !== undefined &&
    !(Number.isSafeInteger(repricingInterval) && (repricingInterval as number) >= 1)
  )
    bad("repricingInterval", "must be an integer >= 1");
  if (aggregation !== undefined) {
    if (isObject(aggregation)) {
      for (const [t, r] of Object.entries(aggregation))
        if (!RULES.includes(r as AggregationRule))
          bad(`aggregation.${t}`, `must be one of ${RULES.join(", ")}`);
    } else if (!RULES.includes(aggregation as AggregationRule))
      bad("aggregation", `must be one of ${RULES.join(", ")}, or an object of them by tenant`);
  }
  if (info !== undefined && info !== "basic" && info !== "market") bad("info", 'must be "basic" or "market"');
  if (issues.length > 0) throw new InputError(issues, "--options");
  return raw as EnvServerOptions;
}

/** Which tenants the client controls and which the rivals' policy prices, checked against the scenario. */
export interface Roles {
  /** Client-controlled tenants, in scenario order. */
  readonly mine: readonly string[];
  /** Tenants the rivals' policy prices, in scenario order. */
  readonly rivals: readonly string[];
}

export function assignRoles(compiled: Compiled, opts: EnvServerOptions): Roles {
  const tradable = compiled.physics.tenants.filter((t) => t.marketRow >= 0).map((t) => t.name);
  const all = compiled.physics.tenants.map((t) => t.name);
  const issues: InputIssue[] = [];
  const wanted = opts.tenants ?? tradable;
  wanted.forEach((name, k) => {
    if (!all.includes(name))
      issues.push({ path: `tenants[${k}]`, message: `no tenant "${name}"; tenants: ${tradable.join(", ")}` });
    else if (!tradable.includes(name))
      issues.push({
        path: `tenants[${k}]`,
        message: `tenant "${name}" cannot trade (no device can serve it within its window)`,
      });
  });
  if (new Set(wanted).size !== wanted.length)
    issues.push({ path: "tenants", message: "lists a tenant twice" });
  const N = compiled.physics.N;
  (opts.deviceAgents ?? []).forEach((j, k) => {
    if (j >= N) issues.push({ path: `deviceAgents[${k}]`, message: `device ${j} does not exist (N = ${N})` });
  });
  if (isObjectRecord(opts.aggregation))
    for (const t of Object.keys(opts.aggregation))
      if (!wanted.includes(t))
        issues.push({ path: `aggregation.${t}`, message: `"${t}" is not one of the client's tenants` });
  if (issues.length > 0) throw new InputError(issues, "--options");
  return {
    mine: tradable.filter((t) => wanted.includes(t)),
    rivals: tradable.filter((t) => !wanted.includes(t)),
  };
}

function isObjectRecord(x: unknown): x is Record<string, AggregationRule> {
  return isObject(x);
}

/** MarketParallelEnv's options: each tenant's aggregation rule by role, the rest passed through. */
export function marketEnvOptions(
  opts: EnvServerOptions,
  roles: Roles,
  rivalAggregation: AggregationRule,
): MarketEnvOptions {
  const aggregation: Record<string, AggregationRule> = {};
  for (const t of roles.mine)
    aggregation[t] =
      typeof opts.aggregation === "string" ? opts.aggregation : (opts.aggregation?.[t] ?? "unbiased");
  for (const t of roles.rivals) aggregation[t] = rivalAggregation;
  return {
    aggregation,
    deviceAgents: opts.deviceAgents,
    maxTime: opts.maxTime,
    repricingInterval: opts.repricingInterval,
  };
}
