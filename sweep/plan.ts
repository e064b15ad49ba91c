import { createRng } from "../env/rng.ts";
import { type Scenario, type ScenarioInput, validateScenario } from "../env/scenario.ts";
import { InputError, type InputIssue } from "../market/errors.ts";
import { type Location, locate, parsePath, setAt, valueAt } from "./fieldPath.ts";
import { canonicalJson, sha256 } from "./hash.ts";
import { type Axis, axisPath, type SweepSpec } from "./spec.ts";

/**
 * Planning a sweep: the axes' points (a grid, or seeded random draws), each crossed with every seed,
 * as manifest rows. A row names its run by hashes of what the run computes, so a row planned again
 * from the same spec has the same runId, and a changed spec never reuses an old result.
 */

/** One run of a sweep: one comparison of the policies on one scenario (base + params) and one seed. */
export interface ManifestRow {
  /** `<configHash, 16 hex digits>-<seed>`: names DIR/runs/<runId>.json. */
  readonly runId: string;
  /** Hash of the run's scenario, policies and caps (the same for every seed of a point). */
  readonly configHash: string;
  readonly seed: number;
  /** Axis name -> value (a factor for a scale axis). */
  readonly params: Readonly<Record<string, number>>;
}

/** What a run needs besides its row: the sweep's base scenario input and settings (DIR/sweep.json). */
export interface SweepConfig {
  readonly base: ScenarioInput;
  readonly axes: readonly Axis[];
  readonly policies: readonly string[];
  readonly policyOptions: Readonly<Record<string, Record<string, unknown>>>;
  readonly maxRounds?: number;
  readonly maxSteps?: number;
}

export function sweepConfig(spec: SweepSpec, base: ScenarioInput): SweepConfig {
  return {
    base,
    axes: spec.axes,
    policies: spec.policies,
    policyOptions: spec.policyOptions,
    ...(spec.maxRounds !== undefined ? { maxRounds: spec.maxRounds } : {}),
    ...(spec.maxSteps !== undefined ? { maxSteps: spec.maxSteps } : {}),
  };
}

/**
 * Builds a point's scenario input from the base: set axes replace the field at every location of
 * their path, scale axes multiply the base value there (read from the resolved base scenario when
 * the input leaves the field to its default, e.g. a tenant's heterogeneity). Pure: returns a copy.
 */
export function applyParams(
  base: ScenarioInput,
  axes: readonly Axis[],
  params: Readonly<Record<string, number>>,
  resolved: Scenario = resolveBase(base),
): ScenarioInput {
  const input = structuredClone(base) as unknown;
  for (const axis of axes) {
    const value = params[axis.name];
    if (value === undefined) continue;
    const locs = axisLocations(input, axis);
    const scaled = axis.values.kind === "scale" || (axis.values.kind === "range" && axis.values.scale);
    for (const loc of locs) setAt(loc, scaled ? value * baseNumber(loc, resolved) : value);
  }
  return input as ScenarioInput;
}

function resolveBase(base: ScenarioInput): Scenario {
  const r = validateScenario(base);
  if (!r.ok) throw new InputError(r.issues, "base scenario");
  return r.scenario;
}

function axisLocations(input: unknown, axis: Axis): Location[] {
  const locs = locate(input, parsePath(axis.path)!, true);
  if (typeof locs === "string")
    throw new InputError([{ path: axisPath(axis.name), message: locs }], "sweep axis");
  return locs;
}

/** The number a scale axis multiplies at a location: the input's, else the resolved scenario's. */
function baseNumber(loc: Location, resolved: Scenario): number {
  const own = valueAt(loc);
  if (typeof own === "number") return own;
  const there = locate(resolved, parsePath(loc.path)!);
  const v = typeof there === "string" || there.length !== 1 ? undefined : valueAt(there[0]);
  if (typeof v !== "number") throw new Error(`${loc.path} has no number in the base scenario to scale`);
  return v;
}

/** The axis' candidate values (grid sampling; random sampling draws from them or from the range). */
function listed(axis: Axis): readonly number[] {
  return axis.values.kind === "range" ? [axis.values.low, axis.values.high] : axis.values.values;
}

/**
 * Checks every axis against the base scenario: its path reaches a field, a scale axis has a number
 * to multiply, and each listed value (each end of a range) gives a valid scenario when applied alone.
 * Every problem is an issue by path, e.g. `axes["devices.count"].values[1]: devices.count: must be ...`.
 */
export function checkAxes(base: ScenarioInput, axes: readonly Axis[]): InputIssue[] {
  const resolved = resolveBase(base);
  const issues: InputIssue[] = [];
  for (const axis of axes) {
    const field = axis.values.kind === "range" ? "range" : axis.values.kind === "scale" ? "scale" : "values";
    const locs = locate(structuredClone(base), parsePath(axis.path)!, true);
    if (typeof locs === "string") {
      issues.push({ path: axisPath(axis.name), message: locs });
      continue;
    }
    if (locs.length === 0) {
      issues.push({ path: axisPath(axis.name), message: `${axis.path} reaches no field (an empty list)` });
      continue;
    }
    listed(axis).forEach((v, k) => {
      let input: ScenarioInput;
      try {
        input = applyParams(base, [axis], { [axis.name]: v }, resolved);
      } catch (e) {
        issues.push({ path: axisPath(axis.name), message: (e as Error).message });
        return;
      }
      const r = validateScenario(input);
      if (!r.ok)
        for (const is of r.issues)
          issues.push({ path: axisPath(axis.name, [field, k]), message: `${is.path}: ${is.message}` });
    });
  }
  // one message per axis and problem is enough (an unknown path fails for every value alike)
  return issues.filter((x, i) => issues.findIndex((y) => y.path === x.path && y.message === x.message) === i);
}

/** The axes' points, in manifest order: a grid (first axis slowest) or seeded random draws. */
export function axisPoints(spec: Pick<SweepSpec, "axes" | "sampling">): Record<string, number>[] {
  if (spec.sampling === "grid") {
    let points: Record<string, number>[] = [{}];
    for (const axis of spec.axes)
      points = points.flatMap((p) => listed(axis).map((v) => ({ ...p, [axis.name]: v })));
    return points;
  }
  const rng = createRng(spec.sampling.random.seed).child("sweep/points");
  const out: Record<string, number>[] = [];
  for (let p = 0; p < spec.sampling.random.points; p++) {
    const point: Record<string, number> = {};
    for (const axis of spec.axes) {
      const a = axis.values;
      if (a.kind !== "range") {
        point[axis.name] = a.values[rng.int(a.values.length)];
        continue;
      }
      const u = rng.next();
      let x = a.log
        ? Math.exp(Math.log(a.low) + u * (Math.log(a.high) - Math.log(a.low)))
        : a.low + u * (a.high - a.low);
      if (a.integer) x = Math.min(Math.floor(a.high), Math.max(Math.ceil(a.low), Math.round(x)));
      point[axis.name] = x;
    }
    out.push(point);
  }
  return out;
}

/** The manifest: every point crossed with every seed (seeds inner), each with its hashes. */
export function planRuns(spec: SweepSpec, config: SweepConfig): ManifestRow[] {
  const resolved = resolveBase(config.base);
  const settings = {
    policies: config.policies,
    policyOptions: config.policyOptions,
    maxRounds: config.maxRounds ?? null,
    maxSteps: config.maxSteps ?? null,
  };
  const rows: ManifestRow[] = [];
  for (const params of axisPoints(spec)) {
    const scenario = applyParams(config.base, config.axes, params, resolved);
    const configHash = sha256(canonicalJson({ scenario, ...settings }));
    for (const seed of spec.seeds)
      rows.push({ runId: `${configHash.slice(0, 16)}-${seed}`, configHash, seed, params });
  }
  return rows;
}
