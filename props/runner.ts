import fc from "fast-check";
import { toPlain } from "./arbitraries.ts";

/**
 * Runs a suite of named fast-check properties and reports, without throwing, which passed.
 * A failure carries its shrunk counterexample in JSON-friendly form (markets in their
 * `sfl-market solve` input form), the error message, and the seed and path that replay it:
 * `fc.check(properties[name], { seed, path })`, or `replayProperty(properties, result)`.
 */

/** A synchronous fast-check property over any arguments, as the suites return them. */
export type SuiteProperty = fc.IProperty<unknown[]>;

/** Named properties, e.g. what deviceResponseProperties() returns. */
export type PropertySuite = Readonly<Record<string, SuiteProperty>>;

export interface RunSuiteOptions {
  /** fast-check seed used for every property (default: fast-check picks one; reported either way). */
  readonly seed?: number;
  /** Runs per property (default 100). */
  readonly numRuns?: number;
  /** Per-property run counts overriding numRuns, by property name. */
  readonly numRunsFor?: Readonly<Record<string, number>>;
  /** Only run the properties whose name contains one of these strings. */
  readonly only?: readonly string[];
}

export interface PropertyResult {
  readonly name: string;
  readonly passed: boolean;
  /** Runs performed (up to and including the first failure). */
  readonly numRuns: number;
  /** Seed used; with `path` it replays the failure. */
  readonly seed: number;
  /** fast-check path of the shrunk counterexample (failures only). */
  readonly path?: string;
  /** The shrunk counterexample, JSON-friendly; a single argument is unwrapped (failures only). */
  readonly counterexample?: unknown;
  /** The failure's message (failures only). */
  readonly error?: string;
  /** Shrink steps taken (failures only). */
  readonly numShrinks?: number;
  /** Wall time of the run, milliseconds. */
  readonly ms: number;
}

/** Checks one property; never throws for a property failure. */
export function runProperty(
  name: string,
  property: SuiteProperty,
  params: { seed?: number; numRuns?: number; path?: string } = {},
): PropertyResult {
  const t0 = performance.now();
  const details = fc.check(property, {
    seed: params.seed,
    numRuns: params.numRuns ?? 100,
    path: params.path,
  });
  return propertyResult(name, details, performance.now() - t0);
}

/** A PropertyResult from fast-check's run details: replayable by seed and path when it failed. */
export function propertyResult<Ts extends unknown[]>(
  name: string,
  details: fc.RunDetails<Ts>,
  ms: number,
): PropertyResult {
  if (!details.failed) return { name, passed: true, numRuns: details.numRuns, seed: details.seed, ms };
  const ce = details.counterexample;
  const e = details.errorInstance;
  return {
    name,
    passed: false,
    numRuns: details.numRuns,
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
    counterexample: ce === null ? undefined : toPlain(ce.length === 1 ? ce[0] : ce),
    error: e instanceof Error ? e.message : e === null || e === undefined ? "property failed" : String(e),
    numShrinks: details.numShrinks,
    ms,
  };
}

/** Runs every property of the suite (in its order) with the same seed. */
export function runSuite(properties: PropertySuite, opts: RunSuiteOptions = {}): PropertyResult[] {
  const names = Object.keys(properties).filter((n) => !opts.only || opts.only.some((s) => n.includes(s)));
  return names.map((name) =>
    runProperty(name, properties[name], {
      seed: opts.seed,
      numRuns: opts.numRunsFor?.[name] ?? opts.numRuns ?? 100,
    }),
  );
}

/** Re-runs a reported failure from its seed and path (the shrunk case comes first). */
export function replayProperty(properties: PropertySuite, result: PropertyResult): PropertyResult {
  const property = properties[result.name];
  if (!property) throw new RangeError(`no property named ${result.name} in this suite`);
  return runProperty(result.name, property, {
    seed: result.seed,
    path: result.path,
    numRuns: result.numRuns,
  });
}

/** True when every result passed. */
export function allPassed(results: readonly PropertyResult[]): boolean {
  return results.every((r) => r.passed);
}

export interface FormatOptions {
  /** Include the counterexample JSON of failures (default true). */
  readonly counterexamples?: boolean;
  /** Truncate counterexample JSON to this many characters (default 2000). */
  readonly maxChars?: number;
}

/** One line per property ("PASS name (n runs, t ms)"), plus details under each failure. */
export function formatResults(results: readonly PropertyResult[], opts: FormatOptions = {}): string {
  const showCe = opts.counterexamples ?? true;
  const maxChars = opts.maxChars ?? 2000;
  const lines: string[] = [];
  for (const r of results) {
    const runs = `${r.numRuns} run${r.numRuns === 1 ? "" : "s"}, ${Math.round(r.ms)} ms`;
    if (r.passed) {
      lines.push(`PASS ${r.name} (${runs})`);
      continue;
    }
    lines.push(`FAIL ${r.name} (${runs}, ${r.numShrinks ?? 0} shrinks)`);
    lines.push(`  error: ${r.error ?? "property failed"}`);
    lines.push(`  replay: seed ${r.seed}, path "${r.path ?? ""}"`);
    if (showCe && r.counterexample !== undefined) {
      let json = JSON.stringify(r.counterexample);
      if (json.length > maxChars) json = `${json.slice(0, maxChars)}...`;
      lines.push(`  counterexample: ${json}`);
    }
  }
  const failed = results.filter((r) => !r.passed).length;
  lines.push(failed === 0 ? `${results.length} passed` : `${failed} of ${results.length} failed`);
  return lines.join("\n");
}
