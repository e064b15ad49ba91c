import { z } from "zod";
import { formatPath, type InputIssue } from "../market/errors.ts";
import { tauSchema } from "../market/tau.ts";
import { type NeuralSettings, neuralLearnerSchema } from "./neural/settings.ts";
import {
  DEFAULT_HETEROGENEITY,
  DEFAULT_HETEROGENEITY_FLOOR,
  DEFAULT_POPULATION,
  type DeviceSpec,
  type LogNormalSpec,
  listIssues,
  type PopulationParams,
} from "./population.ts";
import { FM_TYPES, type FmType, MODALITIES, type Modality, PROFILES } from "./profiles.ts";

/**
 * The scenario file: tenants, the device population, and market settings (MODEL.md sections 1, 4, 6).
 * `validateScenario` checks an untrusted JSON value and reports every wrong field at once, by path,
 * with the allowed range; unknown fields are errors (a typo must not silently become a default).
 */

// ---- field helpers: one message per field that states the allowed range ----

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));

interface Range {
  min?: number;
  /** min is exclusive */
  above?: boolean;
  max?: number;
  int?: boolean;
}

function rangeText(r: Range): string {
  const what = r.int ? "an integer" : "a number";
  if (r.min !== undefined && r.max !== undefined)
    return `${what} in ${r.above ? "(" : "["}${r.min}, ${r.max}]`;
  if (r.min !== undefined) return `${what} ${r.above ? ">" : ">="} ${r.min}`;
  return what;
}

function num(r: Range) {
  const text = rangeText(r);
  const bad = (iss: { input?: unknown }) =>
    iss.input === undefined ? `is required: ${text}` : `must be ${text}, got ${show(iss.input)}`;
  return z
    .number({ error: bad })
    .refine(
      (v) =>
        (!r.int || Number.isInteger(v)) &&
        (r.min === undefined || (r.above ? v > r.min : v >= r.min)) &&
        (r.max === undefined || v <= r.max),
      { error: bad },
    );
}

const positive = () => num({ min: 0, above: true });
const logNormalSpec = z.strictObject({
  median: positive().optional(),
  sigma: num({ min: 0, max: 5 }).optional(),
});

// ---- schema ----

const surrogateSchema = z.strictObject({
  /** D_i, dimension of the surrogate learner's parameter. */
  dimension: num({ min: 1, max: 1e5, int: true }).default(32),
  /** E_i, local SGD steps per round. */
  localSteps: num({ min: 1, max: 1e4, int: true }).default(5),
  // The learner's ranges are what the run can take (issue 11): beyond them its numbers overflow.
  // A step size below 1e-6 makes the server schedule's theta = 2 / p_min infinite (NaN bound); noise
  // above 1e6 overflows the bound's alpha; h or g0 above 1e6 overflow w_ij = a^2 G^2 downstream.
  /** eta_i, local step size. */
  stepSize: num({ min: 1e-6, max: 10 }).default(0.1),
  /** sigma_i, stochastic-gradient noise. */
  noise: num({ min: 0, max: 1e6 }).default(0.1),
  /** h_i in G_ij = h_i (g0_i + skew_ij); default by modality (population.ts). */
  heterogeneity: num({ min: 0, above: true, max: 1e6 }).optional(),
  /** g0_i > 0, the floor of G_ij / h_i. */
  heterogeneityFloor: num({ min: 0, above: true, max: 1e6 }).default(DEFAULT_HETEROGENEITY_FLOOR),
  /** How the tenant knows G_ij: exactly ("oracle", the default) or with noise ("estimated"). */
  knowledge: z.enum(["oracle", "estimated"], { error: 'must be "oracle" or "estimated"' }).optional(),
  /** sigma of the multiplicative log-normal error exp(sigma Z) on G_ij when estimated (default 0.3). */
  knowledgeNoise: num({ min: 0, max: 5 }).optional(),
  /** "surrogate" (the default) or "neural" (env/neural/settings.ts: a different set of fields). */
  kind: z.literal("surrogate").optional(),
});

const learnerSchema = z.discriminatedUnion("kind", [surrogateSchema, neuralLearnerSchema(num)], {
  error: 'kind must be "surrogate" or "neural"',
});

const tenantSchema = z.strictObject({
  name: z.string({ error: "must be a non-empty string" }).min(1, { error: "must be a non-empty string" }),
  type: z.enum(FM_TYPES as [FmType, ...FmType[]], { error: `must be one of ${FM_TYPES.join(", ")}` }),
  /** eps_i: the loss gap to reach. */
  target: positive(),
  /** T_i: simulated seconds from the tenant's start. */
  deadline: positive(),
  /** B_i: expected payment per round, credits. */
  budget: positive(),
  /** W_i in seconds; default: 90th percentile of t_ij over devices holding the tenant's data. */
  window: positive().optional(),
  /** n_i: samples per participating device per round (batch x local steps). */
  samplesPerRound: num({ min: 1, max: 1e6, int: true }),
  /** k_i: blocks on the device side; range depends on the type, checked below. */
  cutLayer: num({ min: 1, int: true }),
  /** f_i^E: edge-server FLOP/s for this tenant's server side. */
  serverFlops: positive().default(1e14),
  /** Simulated second at which the tenant arrives. */
  start: num({ min: 0 }).default(0),
  learner: learnerSchema.default(surrogateSchema.parse({})),
});

const modalitySpecSchema = z.strictObject({
  probability: num({ min: 0, max: 1 }).optional(),
  samplesMedian: positive().optional(),
  samplesSigma: num({ min: 0, max: 5 }).optional(),
  classes: num({ min: 2, max: 1000, int: true }).optional(),
});

const dataEntrySchema = z.strictObject({
  /** d_jm; 0 means no data. */
  samples: num({ min: 0, int: true }),
  labels: z
    .array(num({ min: 0 }), { error: "must be a list of numbers >= 0" })
    .min(2)
    .optional(),
});

const deviceSpecSchema = z.strictObject({
  compute: positive(),
  uplink: positive(),
  downlink: positive(),
  energyPerFlop: positive(),
  energyPerByte: positive(),
  energyPrice: positive(),
  data: z.strictObject(Object.fromEntries(MODALITIES.map((m) => [m, dataEntrySchema.optional()]))).optional(),
});

const MAX_DEVICES = 200_000;

const devicesSchema = z.strictObject(
  {
    /** Generate this many devices from the distributions below (exclusive with `list`). */
    count: num({ min: 1, max: MAX_DEVICES, int: true }).optional(),
    /** Every device's numbers (exclusive with `count`). */
    list: z.array(deviceSpecSchema, { error: "must be a list of devices" }).max(MAX_DEVICES).optional(),
    compute: logNormalSpec.optional(),
    uplink: logNormalSpec.optional(),
    downlink: logNormalSpec.optional(),
    energyPerFlop: logNormalSpec.optional(),
    energyPerByte: logNormalSpec.optional(),
    energyPrice: logNormalSpec.optional(),
    modalities: z
      .strictObject(Object.fromEntries(MODALITIES.map((m) => [m, modalitySpecSchema.optional()])))
      .optional(),
    labelAlpha: num({ min: 0, above: true, max: 1000 }).optional(),
  },
  { error: "is required: an object with devices.count or devices.list" },
);

export const scenarioSchema = z.strictObject({
  seed: z
    .union([z.int(), z.string().min(1)], { error: "must be an integer or a non-empty string" })
    .default(1),
  /** Cost exponent of the device utility. */
  tau: tauSchema,
  /** K: adaptive policies re-price every K rounds. */
  repricingInterval: num({ min: 1, max: 1e6, int: true }).default(10),
  tenants: z
    .array(tenantSchema, { error: "must be a list of tenants" })
    .min(1, { error: "needs at least one tenant" })
    .max(100, { error: "at most 100 tenants" }),
  devices: devicesSchema,
});

/** What a scenario file may contain (defaults not yet applied). */
export type ScenarioInput = z.input<typeof scenarioSchema>;

// ---- resolved scenario ----

export interface LearnerSettings {
  readonly dimension: number;
  readonly localSteps: number;
  readonly stepSize: number;
  readonly noise: number;
  /** h_i, resolved from the tenant's modality when not given. */
  readonly heterogeneity: number;
  readonly heterogeneityFloor: number;
  /** How the tenant knows G_ij (env/learner.ts); undefined = "oracle". */
  readonly knowledge?: "oracle" | "estimated";
  /** sigma of the error on G_ij when estimated; undefined = the learner's default. */
  readonly knowledgeNoise?: number;
  /**
   * Present iff the tenant's learner is neural (`"kind": "neural"`); the fields above then keep
   * their surrogate defaults, which compile still uses for its label-skew G_ij.
   */
  readonly neural?: NeuralSettings;
}

export interface TenantSpec {
  readonly name: string;
  readonly type: FmType;
  readonly target: number;
  readonly deadline: number;
  readonly budget: number;
  /** undefined = the default 90th-percentile window, computed at compile time. */
  readonly window: number | undefined;
  readonly samplesPerRound: number;
  readonly cutLayer: number;
  readonly serverFlops: number;
  readonly start: number;
  readonly learner: LearnerSettings;
}

export type DevicesSpec =
  | { readonly kind: "generate"; readonly params: PopulationParams }
  | {
      readonly kind: "list";
      readonly devices: readonly DeviceSpec[];
      /** Label count per modality for devices that list no labels. */
      readonly classes: Readonly<Record<Modality, number>>;
    };

/** A validated scenario with every default applied. */
export interface Scenario {
  readonly seed: number | string;
  readonly tau: number;
  readonly repricingInterval: number;
  readonly tenants: readonly TenantSpec[];
  readonly devices: DevicesSpec;
}

export type ScenarioResult =
  | { readonly ok: true; readonly scenario: Scenario }
  | { readonly ok: false; readonly issues: InputIssue[] };

/** Keys a strict object at `path` allows, for "unknown field" messages (`raw`: the input, which picks a union's option). */
function allowedKeys(path: readonly PropertyKey[], raw: unknown): string[] {
  let s: z.ZodType = scenarioSchema;
  let v: unknown = raw;
  const unwrap = (t: z.ZodType): z.ZodType => {
    if (t instanceof z.ZodOptional || t instanceof z.ZodDefault) return unwrap(t.unwrap() as z.ZodType);
    if (t instanceof z.ZodDiscriminatedUnion) {
      // the learner: its kind says which option's fields apply (none given: the first, surrogate)
      const options = t.options as z.ZodObject[];
      const kind = isObj(v) ? v.kind : undefined;
      return options.find((o) => (o.shape.kind as z.ZodType).safeParse(kind).success) ?? options[0];
    }
    return t;
  };
  for (const key of path) {
    s = unwrap(s);
    if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject) s = s.shape[key as string] as z.ZodType;
    if (!s) return [];
    v = isObj(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function zodIssues(error: z.ZodError, raw: unknown): InputIssue[] {
  const out: InputIssue[] = [];
  for (const is of error.issues) {
    if (is.code === "unrecognized_keys") {
      const allowed = allowedKeys(is.path, raw).join(", ");
      for (const k of is.keys)
        out.push({ path: formatPath([...is.path, k]), message: `unknown field; allowed: ${allowed}` });
    } else out.push({ path: formatPath(is.path), message: is.message });
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks across fields, run on the raw value so they are reported alongside the per-field ones. */
function crossIssues(raw: unknown): InputIssue[] {
  const issues: InputIssue[] = [];
  if (!isObj(raw)) return issues;
  if (Array.isArray(raw.tenants)) {
    const seen = new Map<string, number>();
    raw.tenants.forEach((t, i) => {
      if (!isObj(t)) return;
      if (typeof t.type === "string" && t.type in PROFILES && Number.isInteger(t.cutLayer)) {
        const max = PROFILES[t.type as FmType].blocks - 1;
        const k = t.cutLayer as number;
        if (k > max)
          issues.push({
            path: `tenants[${i}].cutLayer`,
            message: `must be an integer in [1, ${max}] for ${t.type}, got ${k}`,
          });
      }
      if (typeof t.name === "string" && t.name) {
        const first = seen.get(t.name);
        if (first !== undefined)
          issues.push({
            path: `tenants[${i}].name`,
            message: `duplicates tenants[${first}].name "${t.name}"; names must be unique`,
          });
        else seen.set(t.name, i);
      }
    });
  }
  const d = raw.devices;
  if (isObj(d)) {
    const hasCount = d.count !== undefined;
    const hasList = d.list !== undefined;
    if (hasCount === hasList)
      issues.push({
        path: hasCount ? "devices.list" : "devices.count",
        message: hasCount
          ? "give either devices.count (generated population) or devices.list (explicit), not both"
          : "is required: an integer in [1, 200000] (or give devices.list)",
      });
    if (hasList) {
      for (const k of [
        "compute",
        "uplink",
        "downlink",
        "energyPerFlop",
        "energyPerByte",
        "energyPrice",
        "labelAlpha",
      ])
        if (d[k] !== undefined)
          issues.push({ path: `devices.${k}`, message: "is only used with devices.count; remove it" });
      if (Array.isArray(d.list) && d.list.every(isObj))
        for (const is of listIssues(d.list as unknown as DeviceSpec[]))
          issues.push({ path: `devices.list${is.path}`, message: is.message });
    }
  }
  return issues;
}

const lnMerge = (base: LogNormalSpec, o?: { median?: number; sigma?: number }): LogNormalSpec => ({
  median: o?.median ?? base.median,
  sigma: o?.sigma ?? base.sigma,
});

function resolve(p: z.output<typeof scenarioSchema>): Scenario {
  const D = DEFAULT_POPULATION;
  const mods = (p.devices.modalities ?? {}) as Partial<Record<Modality, z.output<typeof modalitySpecSchema>>>;
  const modalities = Object.fromEntries(
    MODALITIES.map((m) => [m, { ...D.modalities[m], ...stripUndefined(mods[m]) }]),
  ) as Record<Modality, PopulationParams["modalities"][Modality]>;
  const devices: DevicesSpec =
    p.devices.list !== undefined
      ? {
          kind: "list",
          devices: p.devices.list as DeviceSpec[],
          classes: Object.fromEntries(MODALITIES.map((m) => [m, modalities[m].classes])) as Record<
            Modality,
            number
          >,
        }
      : {
          kind: "generate",
          params: {
            count: p.devices.count as number,
            compute: lnMerge(D.compute, p.devices.compute),
            uplink: lnMerge(D.uplink, p.devices.uplink),
            downlink: lnMerge(D.downlink, p.devices.downlink),
            energyPerFlop: lnMerge(D.energyPerFlop, p.devices.energyPerFlop),
            energyPerByte: lnMerge(D.energyPerByte, p.devices.energyPerByte),
            energyPrice: lnMerge(D.energyPrice, p.devices.energyPrice),
            modalities,
            labelAlpha: p.devices.labelAlpha ?? D.labelAlpha,
          },
        };
  return {
    seed: p.seed,
    tau: p.tau,
    repricingInterval: p.repricingInterval,
    devices,
    tenants: p.tenants.map((t) => {
      const surrogate = t.learner.kind === "neural" ? surrogateSchema.parse({}) : t.learner;
      const neural = t.learner.kind === "neural" ? { neural: t.learner } : {};
      return {
        ...t,
        window: t.window,
        learner: {
          ...surrogate,
          heterogeneity: surrogate.heterogeneity ?? DEFAULT_HETEROGENEITY[PROFILES[t.type].modality],
          ...neural,
        },
      };
    }),
  };
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Validates an untrusted value (parsed JSON or YAML) as a scenario. On failure, lists every
 * offending field by path (`tenants[1].budget`, `devices.count`) with what is allowed.
 */
export function validateScenario(raw: unknown): ScenarioResult {
  const parsed = scenarioSchema.safeParse(raw);
  const issues = [...(parsed.success ? [] : zodIssues(parsed.error, raw)), ...crossIssues(raw)];
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  return { ok: true, scenario: resolve(parsed.data) };
}
