import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { PRESET_NAMES } from "../env/presets.ts";
import { formatPath, InputError, type InputIssue } from "../market/errors.ts";
import { tenantPolicyNames } from "../policies/registry.ts";
import { parsePath } from "./fieldPath.ts";

/**
 * The sweep spec (docs/sweeps.md): a base scenario, axes that name scenario fields by path, how to
 * sample them, the policies and the seeds. `parseSpec` checks an untrusted value and reports every
 * wrong field at once by its path; `parseSpecText` reads YAML or JSON first.
 */

/** Short names for the axes a sensitivity study asks for first; any other field path works too. */
export const AXIS_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  K: "repricingInterval",
  "population.count": "devices.count",
  heterogeneity: "tenants[*].learner.heterogeneity",
  budget: "tenants[*].budget",
});

const finite = z
  .number({ error: "must be a finite number" })
  .refine(Number.isFinite, "must be a finite number");
const values = z.array(finite, { error: "must be a list of numbers" }).min(1, "needs at least one value");

const rangeAxis = z.strictObject({
  /** [low, high]: random sampling draws in it (uniformly, or log-uniformly with `log`). */
  range: z
    .tuple([finite, finite], { error: "must be [low, high]" })
    .refine(([a, b]) => a <= b, "must be [low, high] with low <= high"),
  log: z.boolean().optional(),
  integer: z.boolean().optional(),
  /** The drawn number multiplies the base value instead of replacing it. */
  scale: z.literal(true).optional(),
});

const axisSchema = z.union(
  [values, z.strictObject({ values }), z.strictObject({ scale: values }), rangeAxis],
  { error: "must be a list of values, {values: [...]}, {scale: [...]} or {range: [low, high]}" },
);

const policyName = z.string().refine((p) => (tenantPolicyNames() as string[]).includes(p), {
  error: (iss) => `unknown policy ${JSON.stringify(iss.input)}; known: ${tenantPolicyNames().join(", ")}`,
});

const int = (min: number, max = 1e9) =>
  z
    .number({ error: `must be an integer in [${min}, ${max}]` })
    .int(`must be an integer in [${min}, ${max}]`)
    .min(min, `must be an integer in [${min}, ${max}]`)
    .max(max, `must be an integer in [${min}, ${max}]`);

export const specSchema = z.strictObject({
  name: z.string().min(1).optional(),
  base: z
    .strictObject(
      {
        preset: z.enum(PRESET_NAMES, { error: `must be one of ${PRESET_NAMES.join(", ")}` }).optional(),
        scenario: z.string().min(1, "must name a scenario file").optional(),
      },
      { error: "must be {preset: NAME} or {scenario: FILE}" },
    )
    .refine((b) => (b.preset === undefined) !== (b.scenario === undefined), {
      error: "give exactly one of base.preset and base.scenario",
    }),
  policies: z
    .array(policyName, { error: "must be a list of policy names" })
    .min(1)
    .refine((ps) => ps.includes("prince"), "must include prince (every figure is PRINCE against a baseline)")
    .refine((ps) => new Set(ps).size === ps.length, "lists a policy twice")
    .optional(),
  policyOptions: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** N: seeds 1..N, or the seeds themselves. */
  seeds: z.union([int(1, 100_000), z.array(int(0, 2 ** 31 - 1)).min(1)], {
    error: "must be a count N (seeds 1..N) or a list of integer seeds",
  }),
  sampling: z
    .union(
      [
        z.literal("grid"),
        z.strictObject({ random: z.strictObject({ points: int(1, 1_000_000), seed: int(0, 2 ** 31 - 1) }) }),
      ],
      { error: 'must be "grid" or {random: {points: N, seed: S}}' },
    )
    .default("grid"),
  axes: z.record(z.string(), axisSchema).refine((a) => Object.keys(a).length > 0, "needs at least one axis"),
  maxRounds: int(1).optional(),
  maxSteps: int(1).optional(),
});

export type SweepSpecInput = z.input<typeof specSchema>;

export type AxisValues =
  | { readonly kind: "set"; readonly values: readonly number[] }
  | { readonly kind: "scale"; readonly values: readonly number[] }
  | {
      readonly kind: "range";
      readonly low: number;
      readonly high: number;
      readonly log: boolean;
      readonly integer: boolean;
      readonly scale: boolean;
    };

export interface Axis {
  /** The name as the spec writes it (the key of `params` in the manifest). */
  readonly name: string;
  /** The scenario field path it sets (the alias resolved). */
  readonly path: string;
  readonly values: AxisValues;
}

export interface SweepSpec {
  readonly name?: string;
  readonly base: { readonly preset: (typeof PRESET_NAMES)[number] } | { readonly scenario: string };
  readonly policies: readonly string[];
  readonly policyOptions: Readonly<Record<string, Record<string, unknown>>>;
  readonly seeds: readonly number[];
  readonly sampling: "grid" | { readonly random: { readonly points: number; readonly seed: number } };
  readonly axes: readonly Axis[];
  readonly maxRounds?: number;
  readonly maxSteps?: number;
}

/** Checks a parsed spec; every problem is an issue with its path (axes by name: `axes["tau"]`). */
export function parseSpec(raw: unknown, defaultPolicies: readonly string[]): SweepSpec {
  const r = specSchema.safeParse(raw);
  if (!r.success) throw new InputError(r.error.issues.map(issue), "sweep spec");
  const s = r.data;
  const issues: InputIssue[] = [];
  const axes: Axis[] = [];
  for (const [name, v] of Object.entries(s.axes)) {
    const path = AXIS_ALIASES[name] ?? name;
    const at = axisPath(name);
    if (parsePath(path) === null) {
      issues.push({ path: at, message: "is not a field path (e.g. tau, devices.count, tenants[*].budget)" });
      continue;
    }
    const values: AxisValues = Array.isArray(v)
      ? { kind: "set", values: v }
      : "values" in v
        ? { kind: "set", values: v.values }
        : "scale" in v && Array.isArray(v.scale)
          ? { kind: "scale", values: v.scale }
          : rangeValues(v as z.output<typeof rangeAxis>);
    if (values.kind === "range" && s.sampling === "grid")
      issues.push({
        path: `${at}.range`,
        message: "grid sampling needs a list of values; a range needs random sampling",
      });
    if (values.kind === "range" && values.log && values.low <= 0)
      issues.push({ path: `${at}.range`, message: "a log range needs low > 0" });
    axes.push({ name, path, values });
  }
  for (const p of Object.keys(s.policyOptions ?? {}))
    if (!(s.policies ?? defaultPolicies).includes(p))
      issues.push({ path: `policyOptions.${p}`, message: "names a policy that is not in policies" });
  if (issues.length > 0) throw new InputError(issues, "sweep spec");
  return {
    ...(s.name !== undefined ? { name: s.name } : {}),
    base: s.base.preset !== undefined ? { preset: s.base.preset } : { scenario: s.base.scenario! },
    policies: s.policies ?? defaultPolicies,
    policyOptions: s.policyOptions ?? {},
    seeds: typeof s.seeds === "number" ? Array.from({ length: s.seeds }, (_, k) => k + 1) : s.seeds,
    sampling: s.sampling,
    axes,
    ...(s.maxRounds !== undefined ? { maxRounds: s.maxRounds } : {}),
    ...(s.maxSteps !== undefined ? { maxSteps: s.maxSteps } : {}),
  };
}

function rangeValues(v: z.output<typeof rangeAxis>): AxisValues {
  return {
    kind: "range",
    low: v.range[0],
    high: v.range[1],
    log: v.log ?? false,
    integer: v.integer ?? false,
    scale: v.scale ?? false,
  };
}

/** `axes["tenants[*].budget"]`: axis names contain dots and brackets, so they are quoted. */
export function axisPath(name: string, rest: readonly (string | number)[] = []): string {
  const tail = rest.length === 0 ? "" : `${typeof rest[0] === "number" ? "" : "."}${formatPath(rest)}`;
  return `axes[${JSON.stringify(name)}]${tail}`;
}

function issue(is: z.core.$ZodIssue): InputIssue {
  const [first, second, ...rest] = is.path;
  const path =
    first === "axes" && typeof second === "string"
      ? axisPath(second, rest as (string | number)[])
      : formatPath(is.path as (string | number)[]);
  if (is.code === "unrecognized_keys")
    return { path, message: `unknown field${is.keys.length > 1 ? "s" : ""} ${is.keys.join(", ")}` };
  return { path, message: is.message };
}

/** Parses YAML or JSON (YAML is a superset), then checks it; `source` names the file in errors. */
export function parseSpecText(text: string, source: string, defaultPolicies: readonly string[]): SweepSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw new InputError(
      [{ path: "", message: `${source} is not valid YAML or JSON: ${(e as Error).message}` }],
      source,
    );
  }
  return parseSpec(raw, defaultPolicies);
}
