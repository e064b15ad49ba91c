import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { presetInput } from "../env/presets.ts";
import { type ScenarioInput, validateScenario } from "../env/scenario.ts";
import { InputError } from "../market/errors.ts";
import { canonicalJson, sha256 } from "./hash.ts";
import { checkAxes, planRuns, sweepConfig } from "./plan.ts";
import { parseSpecText, type SweepSpec } from "./spec.ts";
import type { PlannedSweep } from "./store.ts";

/**
 * `sweep plan SPEC`: reads the spec and its base scenario (a preset, or a scenario file relative to
 * the spec's directory), checks every axis against the base, and plans the runs. Nothing is written
 * here; every problem is an InputError by path.
 */

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const why =
      errno(e) === "ENOENT"
        ? "no such file"
        : errno(e) === "EISDIR"
          ? "it is a directory"
          : (e as Error).message;
    throw new InputError([{ path: "", message: `cannot read ${what} ${file}: ${why}` }], what);
  }
}

/** The base scenario's raw input (defaults not applied, so the manifest's hashes follow the file). */
export async function baseInput(spec: SweepSpec, specFile: string): Promise<ScenarioInput> {
  if ("preset" in spec.base) return presetInput(spec.base.preset);
  const file = resolve(dirname(specFile), spec.base.scenario);
  let raw: unknown;
  try {
    raw = parseYaml((await readText(file, "scenario file")).replace(/^\uFEFF/, ""));
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      [{ path: "base.scenario", message: `${file} is not valid YAML or JSON: ${(e as Error).message}` }],
      "sweep spec",
    );
  }
  const r = validateScenario(raw);
  if (!r.ok)
    throw new InputError(
      r.issues.map((x) => ({ path: `base.scenario ${file}: ${x.path}`, message: x.message })),
      "sweep spec",
    );
  return raw as ScenarioInput;
}

export interface Provenance {
  readonly version: string;
  readonly gitCommit: string | null;
  readonly node: string;
}

export async function planFromSpecFile(
  specFile: string,
  defaultPolicies: readonly string[],
  provenance: Provenance,
): Promise<PlannedSweep> {
  const spec = parseSpecText(
    await readText(specFile, "sweep spec"),
    `sweep spec ${specFile}`,
    defaultPolicies,
  );
  const base = await baseInput(spec, specFile);
  const issues = checkAxes(base, spec.axes);
  if (issues.length > 0) throw new InputError(issues, `sweep spec ${specFile}`);
  const config = sweepConfig(spec, base);
  const rows = planRuns(spec, config);
  const specHash = sha256(canonicalJson({ spec, base }));
  const meta = {
    package: "sfl-market",
    version: provenance.version,
    gitCommit: provenance.gitCommit,
    node: provenance.node,
    specHash,
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    base: spec.base,
    axes: spec.axes.map((a) => ({ name: a.name, path: a.path, kind: a.values.kind })),
    sampling: spec.sampling,
    policies: spec.policies,
    seeds: spec.seeds,
    runs: rows.length,
  };
  return { config, rows, meta };
}
