import type { AggregationRule } from "../market/aggregation.ts";
import { bestResponseDevicePolicy } from "./bestResponseDevice.ts";
import { greedyTopKOptions, greedyTopKPolicy } from "./greedyTopK.ts";
import { myopicDevicePolicy } from "./myopicDevice.ts";
import type { OptionDoc } from "./options.ts";
import { princeOptions, princePolicy } from "./prince.ts";
import { proportionalOptions, proportionalPolicy } from "./proportional.ts";
import { randomDeviceOptions, randomDevicePolicy } from "./randomDevice.ts";
import { randomPricesOptions, randomPricesPolicy } from "./randomPrices.ts";
import { singleTenantOptions, singleTenantPolicy } from "./singleTenant.ts";
import type { DevicePolicy, DevicePolicyFactory, TenantPolicy, TenantPolicyFactory } from "./types.ts";
import { uniformOptions, uniformPolicy } from "./uniform.ts";

/**
 * The one place that maps policy names to factories (DESIGN.md: policies/). The CLI, the scenario
 * files and the library all go through it, so a name means the same policy everywhere.
 *
 * Besides the names below, resolveTenantPolicy / resolveDevicePolicy accept two more kinds of spec:
 * - `learned:DIR`, a policy trained by `sfl-market train --out DIR` (policies/learned/, loaded
 *   lazily because it brings in TensorFlow.js);
 * - a path to a user module, run in a worker thread (io/policyHost.ts; docs/plugins.md).
 */
export interface TenantPolicyEntry {
  readonly name: string;
  readonly factory: TenantPolicyFactory;
  /** One line: what the policy does. */
  readonly summary: string;
  /** The aggregation rule its tenants use unless the `aggregation` option says otherwise. */
  readonly aggregation: AggregationRule;
  readonly options: readonly OptionDoc[];
  /** Where the policy comes from (model section, paper). */
  readonly source: string;
}

export interface DevicePolicyEntry {
  readonly name: string;
  readonly factory: DevicePolicyFactory;
  readonly summary: string;
  readonly options: readonly OptionDoc[];
  readonly source: string;
}

export const tenantPolicies = Object.freeze({
  prince: {
    name: "prince",
    factory: princePolicy,
    summary:
      "Stackelberg-equilibrium prices of the observed market (solveStackelberg), re-solved at every market step",
    aggregation: "unbiased",
    options: princeOptions,
    source: "PRINCE, Li et al. arXiv 2503.04971; MODEL.md section 3",
  },
  uniform: {
    name: "uniform",
    factory: uniformPolicy,
    summary: "one price for all eligible devices, the largest the budget allows",
    aggregation: "fedavg",
    options: uniformOptions,
    source: "MODEL.md section 7 (flat-rate baseline)",
  },
  proportional: {
    name: "proportional",
    factory: proportionalPolicy,
    summary: "price proportional to the data weight a_ij, scaled to the budget",
    aggregation: "fedavg",
    options: proportionalOptions,
    source: "MODEL.md section 7 (data-size-proportional baseline)",
  },
  random: {
    name: "random",
    factory: randomPricesPolicy,
    summary: "log-uniform random prices on the eligible devices, scaled to the budget",
    aggregation: "fedavg",
    options: randomPricesOptions,
    source: "MODEL.md section 7",
  },
  "greedy-topk": {
    name: "greedy-topk",
    factory: greedyTopKPolicy,
    summary: "pays only the K devices with the best w_ij / c_ij, one price scaled to the budget",
    aggregation: "fedavg",
    options: greedyTopKOptions,
    source: "MODEL.md section 7 (greedy client selection)",
  },
  "single-tenant": {
    name: "single-tenant",
    factory: singleTenantPolicy,
    summary: "each tenant's optimal prices as if it were alone on the market (best response to zero prices)",
    aggregation: "unbiased",
    options: singleTenantOptions,
    source: "Luo et al. 2023, unbiased-FL incentive; MODEL.md section 7",
  },
} satisfies Record<string, TenantPolicyEntry>);

export const devicePolicies = Object.freeze({
  "best-response": {
    name: "best-response",
    factory: bestResponseDevicePolicy,
    summary: "exact best response: water-filling with a congestion price (the default)",
    options: [],
    source: "MODEL.md section 2",
  },
  myopic: {
    name: "myopic",
    factory: myopicDevicePolicy,
    summary: "all its effort for the tenant with the best P_ij / c_ij, at that tenant's optimal level",
    options: [],
    source: "MODEL.md section 7 (stress test)",
  },
  random: {
    name: "random",
    factory: randomDevicePolicy,
    summary: "a random feasible split: Dirichlet weights times a random total in [0, 1)",
    options: randomDeviceOptions,
    source: "MODEL.md section 7 (stress test)",
  },
} satisfies Record<string, DevicePolicyEntry>);

export type TenantPolicyName = keyof typeof tenantPolicies;
export type DevicePolicyName = keyof typeof devicePolicies;

/** Names that are not registry entries but mean something, with where to look (error messages only). */
const planned: Readonly<Record<"tenant" | "device", Readonly<Record<string, string>>>> = {
  tenant: {
    learned: "a learned policy is named by its training run: learned:DIR, after sfl-market train --out DIR",
  },
  device: { learned: "a learned device policy is named by its training run: learned:DIR" },
};

/** A policy name the registry does not know; the message lists the known ones. */
export class UnknownPolicyError extends Error {
  readonly code = "UNKNOWN_POLICY" as const;
  readonly kind: "tenant" | "device";
  readonly policy: string;
  readonly known: readonly string[];
  constructor(kind: "tenant" | "device", policy: string, known: readonly string[]) {
    const what = kind === "tenant" ? "tenant pricing policy" : "device policy";
    const note = Object.hasOwn(planned[kind], policy) ? ` (${planned[kind][policy]})` : "";
    const guess = note ? null : closest(policy, known);
    super(
      `unknown ${what} "${policy}"${note}${guess ? `; did you mean "${guess}"?` : ""}; known: ${known.join(", ")}`,
    );
    this.name = "UnknownPolicyError";
    this.kind = kind;
    this.policy = policy;
    this.known = known;
  }
}

export function tenantPolicyNames(): TenantPolicyName[] {
  return Object.keys(tenantPolicies) as TenantPolicyName[];
}

export function devicePolicyNames(): DevicePolicyName[] {
  return Object.keys(devicePolicies) as DevicePolicyName[];
}

/** The built-in tenant policy `name`, built with `options`; throws UnknownPolicyError or InputError. */
export function createTenantPolicy(name: string, options?: Record<string, unknown>): TenantPolicy {
  if (!Object.hasOwn(tenantPolicies, name)) throw new UnknownPolicyError("tenant", name, tenantPolicyNames());
  return tenantPolicies[name as TenantPolicyName].factory(options);
}

/** The built-in device policy `name`, built with `options`; throws UnknownPolicyError or InputError. */
export function createDevicePolicy(name: string, options?: Record<string, unknown>): DevicePolicy {
  if (!Object.hasOwn(devicePolicies, name)) throw new UnknownPolicyError("device", name, devicePolicyNames());
  return devicePolicies[name as DevicePolicyName].factory(options);
}

/**
 * What a policy spec string denotes: a built-in name, or a module path with an optional export
 * name after "#" ("./my-policy.ts#tenant"). A spec is a path when it contains a slash or backslash,
 * starts with "." or "file:", or ends with a script extension.
 */
export type PolicySpec =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "module"; readonly path: string; readonly exportName: string | null };

export function parsePolicySpec(spec: string): PolicySpec {
  const s = spec.trim();
  const isPath = /[\\/]/.test(s) || s.startsWith(".") || s.startsWith("file:") || /\.[cm]?[jt]s(#|$)/.test(s);
  if (!isPath) return { kind: "name", name: s };
  const hash = s.lastIndexOf("#");
  return hash > 0
    ? { kind: "module", path: s.slice(0, hash), exportName: s.slice(hash + 1) || null }
    : { kind: "module", path: s, exportName: null };
}

/**
 * How the registry reaches the specs that are not built-in names. The registry itself does no I/O:
 * io/policyLoaders.ts implements these (a module in a worker thread, a trained policy from its
 * verified checkpoint) and passes them in; its own resolveTenantPolicy / resolveDevicePolicy (the
 * ones index.ts exports) are these functions with the loaders bound.
 */
export interface PolicyLoaders {
  /** A user module by path, of `kind`. */
  loadModule(
    spec: string,
    mod: { readonly path: string; readonly exportName: string | null },
    kind: "tenant" | "device",
    options?: Record<string, unknown>,
  ): Promise<TenantPolicy | DevicePolicy>;
  /** A trained policy `learned:DIR`, of `kind`. */
  loadLearned(
    dir: string,
    kind: "tenant" | "device",
    options?: Record<string, unknown>,
  ): Promise<TenantPolicy | DevicePolicy>;
}

/** A resolver of tenant policy specs (resolveTenantPolicy with or without loaders bound). */
export type TenantPolicyResolver = (spec: string, options?: Record<string, unknown>) => Promise<TenantPolicy>;

/**
 * A tenant policy from a spec: a built-in name, or (with `loaders`) `learned:DIR` or a module
 * path. Without loaders those two are refused with a message that says where they are loaded.
 */
export async function resolveTenantPolicy(
  spec: string,
  options?: Record<string, unknown>,
  loaders?: PolicyLoaders,
): Promise<TenantPolicy> {
  return (await resolveSpec(spec, "tenant", options, loaders)) as TenantPolicy;
}

/** A device policy from a spec; see resolveTenantPolicy. */
export async function resolveDevicePolicy(
  spec: string,
  options?: Record<string, unknown>,
  loaders?: PolicyLoaders,
): Promise<DevicePolicy> {
  return (await resolveSpec(spec, "device", options, loaders)) as DevicePolicy;
}

async function resolveSpec(
  spec: string,
  kind: "tenant" | "device",
  options: Record<string, unknown> | undefined,
  loaders: PolicyLoaders | undefined,
): Promise<TenantPolicy | DevicePolicy> {
  const s = spec.trim();
  const p = parsePolicySpec(s);
  const learned = s.startsWith(LEARNED_PREFIX);
  if (learned || p.kind === "module") {
    if (!loaders)
      throw new Error(
        `"${s}" names ${learned ? "a trained policy" : "a policy module"}; loading it needs the policy loaders (resolveTenantPolicy / resolveDevicePolicy of io/policyLoaders.ts, which index.ts exports)`,
      );
    if (learned) return loaders.loadLearned(learnedDir(s), kind, kind === "tenant" ? options : undefined);
    return loaders.loadModule(s, p as Extract<PolicySpec, { kind: "module" }>, kind, options);
  }
  return kind === "tenant" ? createTenantPolicy(p.name, options) : createDevicePolicy(p.name, options);
}

/** `learned:DIR` names the training run in DIR (sfl-market train --out DIR). */
const LEARNED_PREFIX = "learned:";

function learnedDir(spec: string): string {
  const dir = spec.trim().slice(LEARNED_PREFIX.length);
  if (dir === "")
    throw new Error('"learned:" needs a directory: learned:DIR (the --out of sfl-market train)');
  return dir;
}

/** The known name nearest to `name` (edit distance <= 2, case-insensitive), if any. */
function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
