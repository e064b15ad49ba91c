import { runComparison } from "../agents/comparison.ts";
import { compileScenario } from "../env/compile.ts";
import { createRng } from "../env/rng.ts";
import { type ScenarioInput, validateScenario } from "../env/scenario.ts";
import { InputError } from "../market/errors.ts";
import { comparisonData } from "../report/fromRuns.ts";
import type { TenantOutcome } from "../report/types.ts";

/**
 * The one place a sweep calls the comparison pipeline: one scenario, its policies, one seed, plain
 * JSON in and plain JSON out (so it runs the same in a worker thread). When the experiments layer's
 * `runTask` lands, this file is the only one that changes.
 */

export interface RunTask {
  readonly scenario: ScenarioInput;
  readonly policies: readonly string[];
  readonly policyOptions: Readonly<Record<string, Record<string, unknown>>>;
  readonly seed: number;
  readonly maxRounds?: number;
  readonly maxSteps?: number;
}

/** A tenant's outcome under one policy (the compare JSON's `results` rows, without the seed). */
export type RunOutcome = Omit<TenantOutcome, "seed">;

export type RunTaskResult =
  | { readonly ok: true; readonly outcomes: RunOutcome[]; readonly warnings: string[] }
  /** A policy failed (or the run was stopped): which one and why; nothing of the run is kept. */
  | { readonly ok: false; readonly policy: string; readonly message: string; readonly cancelled: boolean };

/** The per-policy timeout of compare's default (a policy that hangs fails its run, by name). */
const POLICY_TIMEOUT_MS = 60_000;

export async function runOne(task: RunTask, signal?: AbortSignal): Promise<RunTaskResult> {
  const valid = validateScenario(task.scenario);
  if (!valid.ok) throw new InputError(valid.issues, "scenario of the run");
  const compiled = compileScenario(valid.scenario, createRng(valid.scenario.seed));
  const outcome = await runComparison({
    compiled,
    seeds: [task.seed],
    policies: task.policies,
    policyOptions: task.policyOptions,
    maxRounds: task.maxRounds,
    maxMarketSteps: task.maxSteps,
    policyTimeoutMs: POLICY_TIMEOUT_MS,
    signal,
  });
  if (outcome.failure) {
    const e = outcome.failure.error;
    return {
      ok: false,
      policy: outcome.failure.run.policy,
      message: e instanceof Error ? e.message : String(e),
      cancelled: signal?.aborted === true,
    };
  }
  const data = comparisonData({
    title: "",
    scenarioName: "",
    compiled,
    seeds: [task.seed],
    policies: [...task.policies],
    runs: outcome.runs,
    meta: {},
  });
  const warnings = outcome.runs.flatMap((r) => r.warnings.map((w) => `${r.policy}: ${w}`));
  return { ok: true, outcomes: data.results.map(({ seed: _seed, ...o }) => o), warnings };
}
