import {
  type ComparisonOutcome,
  type ComparisonPolicy,
  type RunId,
  runComparison,
} from "../agents/comparison.ts";
import type { MarketEvent } from "../agents/runtime.ts";
import type { Compiled } from "../env/compile.ts";
import type { LearnerFactory } from "../env/roundLearner.ts";
import type { TenantPolicyResolver } from "../policies/registry.ts";
import { comparisonData } from "../report/fromRuns.ts";
import type { ComparisonData } from "../report/types.ts";

/**
 * The comparison pipeline (issue 9): a compiled scenario, seeds and policies in, the comparison's
 * data out (runs, outcomes, summary, bound, notes: report/types.ts). `compare` (cli/), the
 * benchmarks (bench/) and `runTask` (the sweeps' JSON task) all call this; none of them assembles
 * the pipeline itself. No files, no clock, no terminal: progress and logs subscribe through
 * `onEvent` (the rxjs event stream of every run).
 */
export interface CompareOptions {
  readonly compiled: Compiled;
  /** Shown in the data's title and scenario name (a preset's or a file's name). */
  readonly scenarioName: string;
  readonly seeds: readonly number[];
  /** The policies' labels, in table order (specs as written). */
  readonly policies: readonly string[];
  /** What runs for each label (default: the labels themselves, resolved with `resolve`). */
  readonly entries?: readonly ComparisonPolicy[];
  readonly policyOptions?: Readonly<Record<string, Record<string, unknown>>>;
  /** Resolver of string specs (default: built-in names only; io/policyLoaders.ts adds paths). */
  readonly resolve?: TenantPolicyResolver;
  readonly policyTimeoutMs?: number;
  readonly maxRounds?: number;
  readonly maxMarketSteps?: number;
  /** The learners of the episodes (default: the surrogate; env/neural/factory.ts for neural). */
  readonly learnerFactory?: LearnerFactory;
  readonly onEvent?: (run: RunId, e: MarketEvent) => void;
  readonly signal?: AbortSignal;
  /** Provenance lines of the data (version, command, ...). */
  readonly meta?: Record<string, string>;
}

export interface CompareResult {
  readonly data: ComparisonData;
  /** The runs and the failure that stopped the comparison, if any (completed runs are kept). */
  readonly outcome: ComparisonOutcome;
}

export async function comparePolicies(o: CompareOptions): Promise<CompareResult> {
  const outcome = await runComparison({
    compiled: o.compiled,
    seeds: o.seeds,
    policies: o.entries ?? o.policies,
    policyTimeoutMs: o.policyTimeoutMs,
    policyOptions: o.policyOptions,
    resolve: o.resolve,
    maxRounds: o.maxRounds,
    maxMarketSteps: o.maxMarketSteps,
    learnerFactory: o.learnerFactory,
    onEvent: o.onEvent,
    signal: o.signal,
  });
  const data = comparisonData({
    title: `PRINCE vs baselines: ${o.scenarioName}`,
    scenarioName: o.scenarioName,
    compiled: o.compiled,
    seeds: [...o.seeds],
    policies: [...o.policies],
    runs: outcome.runs,
    meta: o.meta ?? {},
  });
  return { data, outcome };
}
