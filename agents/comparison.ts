import { lastValueFrom, tap } from "rxjs";
import type { Compiled } from "../env/compile.ts";
import type { LearnerFactory } from "../env/roundLearner.ts";
import type { EpisodeResult } from "../env/simulation.ts";
import { resolveTenantPolicy, type TenantPolicyResolver } from "../policies/registry.ts";
import type { TenantPolicy } from "../policies/types.ts";
import { isEpisodeEnded, type MarketEvent, marketEvents } from "./runtime.ts";

/**
 * Runs every policy on the same seeds of one compiled scenario (one shared device population):
 * for each seed, each policy prices every tenant in an episode of its own, with that seed for the
 * participation sampling and the learners' noise. Runs go seed by seed, policies in the given
 * order, so results and events come in a fixed order. A failing run stops the comparison with its
 * error; the runs completed before it are returned with it (`failure`).
 */
export interface ComparisonOptions {
  readonly compiled: Compiled;
  readonly seeds: readonly number[];
  /**
   * The policies, in table order: a registry spec (a name, resolved with resolveTenantPolicy), or
   * an entry that builds the policy itself (a user's own or a stream agent). `create` is called once
   * per run, so each episode gets a fresh instance; `name` is the run's policy label (RunId.policy,
   * the table and the report) and should be unique among the policies.
   */
  readonly policies: readonly ComparisonPolicy[];
  /** Options per registry spec, passed to its factory (not used for `create` entries). */
  readonly policyOptions?: Readonly<Record<string, Record<string, unknown>>>;
  /**
   * Resolves the string specs (default: the registry's built-in names only; io/policyLoaders.ts's
   * resolveTenantPolicy adds `learned:DIR` and module paths).
   */
  readonly resolve?: TenantPolicyResolver;
  readonly maxTime?: number;
  /** Round and market step caps per episode (EpisodeOptions; defaults from env's episodeCaps). */
  readonly maxRounds?: number;
  readonly maxMarketSteps?: number;
  /** The episodes' learners (EpisodeOptions.learnerFactory; default the surrogate). */
  readonly learnerFactory?: LearnerFactory;
  readonly policyTimeoutMs?: number;
  /** Every market event of every run, with the run it belongs to (for progress and logs). */
  readonly onEvent?: (run: RunId, e: MarketEvent) => void;
  /** Stops the comparison (the run in progress fails with EpisodeCancelled; earlier runs are kept). */
  readonly signal?: AbortSignal;
}

/** A policy of a comparison: a registry spec, or a name and a factory called once per run. */
export type ComparisonPolicy = string | { readonly name: string; readonly create: () => TenantPolicy };

export interface RunId {
  readonly policy: string;
  readonly seed: number;
  /** 0-based position of this run among all runs. */
  readonly index: number;
  readonly total: number;
}

export interface ComparisonRun extends RunId {
  readonly result: EpisodeResult;
  /** Posted prices and participation on eligible pairs, per tenant (for distribution plots). */
  readonly samples: ReadonlyMap<string, { prices: number[]; participation: number[] }>;
  /** Warnings the policy recorded (e.g. an equilibrium solve that did not converge). */
  readonly warnings: readonly string[];
}

export interface ComparisonOutcome {
  readonly runs: ComparisonRun[];
  /** The error that stopped the comparison, if any, and which run it stopped. */
  readonly failure: { readonly run: RunId; readonly error: unknown } | null;
}

export async function runComparison(opts: ComparisonOptions): Promise<ComparisonOutcome> {
  const runs: ComparisonRun[] = [];
  const total = opts.seeds.length * opts.policies.length;
  let index = 0;
  for (const seed of opts.seeds) {
    for (const spec of opts.policies) {
      const run: RunId = { policy: policyLabel(spec), seed, index: index++, total };
      try {
        runs.push(await runOne(opts, spec, run));
      } catch (error) {
        return { runs, failure: { run, error } };
      }
    }
  }
  return { runs, failure: null };
}

/** The label a policy's runs carry: the spec itself, or the entry's name. */
export function policyLabel(spec: ComparisonPolicy): string {
  return typeof spec === "string" ? spec : spec.name;
}

async function runOne(opts: ComparisonOptions, spec: ComparisonPolicy, run: RunId): Promise<ComparisonRun> {
  const instance: TenantPolicy =
    typeof spec === "string"
      ? await (opts.resolve ?? resolveTenantPolicy)(spec, opts.policyOptions?.[spec])
      : spec.create();
  const samples = new Map<string, { prices: number[]; participation: number[] }>();
  const lastPrices = new Map<string, Float64Array>();
  let result: EpisodeResult | undefined;
  await lastValueFrom(
    marketEvents(
      opts.compiled,
      { tenant: () => instance },
      {
        seed: run.seed,
        maxTime: opts.maxTime,
        maxRounds: opts.maxRounds,
        maxMarketSteps: opts.maxMarketSteps,
        learnerFactory: opts.learnerFactory,
        policyTimeoutMs: opts.policyTimeoutMs,
        signal: opts.signal,
      },
    ).pipe(
      tap((e) => {
        opts.onEvent?.(run, e);
        if (e.type === "pricesPosted") lastPrices.set(e.tenant, e.prices);
        else if (e.type === "participationChosen") {
          const p = lastPrices.get(e.tenant);
          if (!p) return;
          const s = samples.get(e.tenant) ?? { prices: [], participation: [] };
          samples.set(e.tenant, s);
          for (let j = 0; j < p.length; j++) {
            if (p[j] > 0) {
              s.prices.push(p[j]);
              s.participation.push(e.participation[j]);
            }
          }
        } else if (isEpisodeEnded(e)) result = e.result;
      }),
    ),
  );
  const warnings = (instance.warnings ?? []).map((w) => `step ${w.step}: ${w.code}: ${w.message}`);
  return { ...run, result: result!, samples, warnings };
}
