import { compileScenario } from "../env/compile.ts";
import { createRng } from "../env/rng.ts";
import { type ScenarioInput, validateScenario } from "../env/scenario.ts";
import { InputError } from "../market/errors.ts";
import type { TenantOutcome } from "../report/types.ts";
import { comparePolicies } from "./compare.ts";

/**
 * One comparison task as plain JSON in and plain JSON out, so it runs the same in this thread, in
 * a worker thread or on another machine (the sweeps call it: sweep/execute.ts). The task
 * names policies by registry name (built-in names: a task carries no code); the result is the
 * compare JSON's `results` rows of its one seed, without the seed. Bad input (a scenario that does
 * not validate) throws InputError naming every wrong field; a policy that fails is a result
 * (`ok: false`, naming it), never a throw.
 */
export interface RunTask {
  /** A scenario in its file form (validated here; errors name the field path). */
  readonly scenario: ScenarioInput;
  readonly policies: readonly string[];
  readonly policyOptions: Readonly<Record<string, Record<string, unknown>>>;
  readonly seed: number;
  /** Episode caps (compare --max-rounds, --max-steps). */
  readonly maxRounds?: number;
  readonly maxSteps?: number;
  /** Per-answer policy timeout in ms (default 60,000, as compare's). */
  readonly policyTimeoutMs?: number;
}

/** A tenant's outcome under one policy (a compare JSON `results` row, without the seed). */
export type RunOutcome = Omit<TenantOutcome, "seed">;

export type RunTaskResult =
  | { readonly ok: true; readonly outcomes: RunOutcome[]; readonly warnings: string[] }
  /** A policy failed (or the run was stopped): which one and why; nothing of the run is kept. */
  | { readonly ok: false; readonly policy: string; readonly message: string; readonly cancelled: boolean };

const POLICY_TIMEOUT_MS = 60_000;

export async function runTask(task: RunTask, signal?: AbortSignal): Promise<RunTaskResult> {
  const valid = validateScenario(task.scenario);
  if (!valid.ok) throw new InputError(valid.issues, "scenario of the task");
  const compiled = compileScenario(valid.scenario, createRng(valid.scenario.seed));
  const { data, outcome } = await comparePolicies({
    compiled,
    scenarioName: "",
    seeds: [task.seed],
    policies: task.policies,
    policyOptions: task.policyOptions,
    maxRounds: task.maxRounds,
    maxMarketSteps: task.maxSteps,
    policyTimeoutMs: task.policyTimeoutMs ?? POLICY_TIMEOUT_MS,
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
  const warnings = outcome.runs.flatMap((r) => r.warnings.map((w) => `${r.policy}: ${w}`));
  // plain JSON: drop undefined fields, so the result is what JSON.stringify/structuredClone carry
  return JSON.parse(
    JSON.stringify({ ok: true, outcomes: data.results.map(({ seed: _seed, ...o }) => o), warnings }),
  ) as RunTaskResult;
}
