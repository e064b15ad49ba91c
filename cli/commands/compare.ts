import { join } from "node:path";
import type { ComparisonOutcome, ComparisonPolicy } from "../../agents/comparison.ts";
import { compileScenario } from "../../env/compile.ts";
import { PolicyError } from "../../env/errors.ts";
import { PRESET_NAMES, presetScenario } from "../../env/presets.ts";
import { createRng } from "../../env/rng.ts";
import type { Scenario } from "../../env/scenario.ts";
import { EpisodeCancelled } from "../../env/simulation.ts";
import { comparePolicies } from "../../experiments/compare.ts";
import type { IsolatedPolicy, IsolationOptions } from "../../io/isolatedPolicy.ts";
import {
  isModuleSpec,
  loadModulePolicy,
  PolicyWorkers,
  resolveTenantPolicy,
  WATCHDOG_MARGIN_MS,
} from "../../io/policyLoaders.ts";
import { InputError } from "../../market/errors.ts";
import type { TenantPolicy } from "../../policies/types.ts";
import { renderReport } from "../../report/html.ts";
import { renderTable } from "../../report/table.ts";
import type { ComparisonData } from "../../report/types.ts";
import { uncertaintySummary } from "../../report/uncertaintySummary.ts";
import { renderUncertainty } from "../../report/uncertaintyText.ts";
import { nonNegativeInteger, oneOf, parseCommandArgs, positiveInteger } from "../args.ts";
import {
  BadPathError,
  type Command,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  type Io,
  UsageError,
} from "../command.ts";
import { checkOutput, type OutputTarget, writeOutput } from "../output.ts";
import { progressReporter } from "../progress.ts";
import { readScenarioFile } from "../scenarioInput.ts";
import { version } from "../version.ts";

/** --policy-timeout's default (the episode driver's too). */
const DEFAULT_POLICY_TIMEOUT_MS = 60_000;

export const DEFAULT_POLICIES = [
  "prince",
  "uniform",
  "proportional",
  "random",
  "greedy-topk",
  "single-tenant",
];

const usage = `Usage: sfl-market compare [--preset paper|tiny|stress | --scenario FILE] [--seeds N]
                          [--policies a,b,...] [--json OUT.json] [--report DIR]
                          [--policy-options JSON] [--policy-timeout MS] [--max-rounds N]
                          [--max-steps N] [--sandbox] [--uncertainty] [--quiet]

Runs every pricing policy on the same seeds of one scenario (one shared device population; the
seed drives participation sampling and the learners' noise) and prints, per tenant, the median
fine-tuning time, targets met, rounds, spend and PRINCE's speedup (baseline time / PRINCE time).

--preset NAME      a built-in scenario (default paper); see \`sfl-market scenario\`
--scenario FILE    a scenario file (JSON or YAML) instead of a preset
--seeds N          seeds 1..N (default 5)
--policies LIST    comma-separated policy names (default ${DEFAULT_POLICIES.join(",")})
--json OUT.json    write the results (docs/cli.md: the compare JSON contract); - for stdout
                   (the table then goes to stderr)
--report DIR       write DIR/index.html, a self-contained report with plots
--policy-options JSON  options per policy, e.g. '{"uniform":{"aggregation":"unbiased"}}'
                   (docs/policies.md lists each policy's options)
--policy-timeout MS  stop when a policy takes longer than MS ms to answer (default 60000; 0: no
                   limit). A policy module given by path runs in a worker thread, so a loop that
                   never ends is stopped too.
--max-rounds N     a tenant still short of its target after N rounds stops, unfinished ("cap
                   reached"; default 20000, ten times the most any preset run needs)
--max-steps N      an episode stops after N market steps, its running tenants unfinished (default:
                   as many as the round cap can trigger, from the scenario's tenants and K)
--sandbox          run policy modules given by path in a child process under Node's permission
                   model: they may read their own directory and this package, and nothing else;
                   no writes, no processes (docs/plugins.md, "What a module can still do")
--uncertainty      add 95% bootstrap intervals, Wilcoxon p-values and censored (Kaplan-Meier)
                   statistics to the table, the JSON ("uncertainty") and the report
                   (docs/uncertainty.md)
--quiet            no progress display

Output paths are checked before the first run. Ctrl-C stops the run in progress; the completed
runs are reported and written ("complete": false), and a second Ctrl-C quits at once.

Exit codes: 0 every run completed, 1 a run failed or an output could not be written (completed
runs are still reported and written), 2 bad input or usage, 130 interrupted.`;

export const compare: Command = {
  name: "compare",
  summary: "compare PRINCE with the baselines on a scenario: table, JSON and an HTML report",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      preset: { type: "string" },
      scenario: { type: "string" },
      seeds: { type: "string" },
      policies: { type: "string" },
      json: { type: "string" },
      report: { type: "string" },
      "policy-timeout": { type: "string" },
      "policy-options": { type: "string" },
      quiet: { type: "boolean" },
      uncertainty: { type: "boolean" },
      sandbox: { type: "boolean" },
      "max-rounds": { type: "string" },
      "max-steps": { type: "string" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.preset !== undefined && values.scenario !== undefined)
      throw new UsageError("give either --preset or --scenario, not both");
    const preset = oneOf("preset", values.preset, PRESET_NAMES) ?? (values.scenario ? undefined : "paper");
    const nSeeds = nonNegativeInteger("seeds", values.seeds) ?? 5;
    if (nSeeds < 1) throw new UsageError("--seeds must be at least 1");
    const policies = (values.policies ?? DEFAULT_POLICIES.join(","))
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (policies.length === 0) throw new UsageError("--policies needs at least one policy");
    if (new Set(policies).size !== policies.length) throw new UsageError("--policies lists a policy twice");
    const timeout = nonNegativeInteger("policy-timeout", values["policy-timeout"]);
    const maxRounds = positiveInteger("max-rounds", values["max-rounds"]);
    const maxMarketSteps = positiveInteger("max-steps", values["max-steps"]);
    const policyOptions = parsePolicyOptions(values["policy-options"], policies);
    const interrupt = new AbortController();
    const workers = new PolicyWorkers();
    // build every policy up front so a typo or a bad option fails before any run (exit 2); modules
    // by path are loaded in their worker threads (or sandboxes) here
    const entries: ComparisonPolicy[] = [];
    for (const p of policies) {
      try {
        entries.push(
          ...(await comparisonPolicies([p], policyOptions, {
            timeoutMs: timeout ?? DEFAULT_POLICY_TIMEOUT_MS,
            sandbox: values.sandbox ?? false,
            signal: interrupt.signal,
            workers,
          })),
        );
      } catch (err) {
        workers.stop();
        if (err instanceof InputError) throw new InputError(err.issues, `options of policy ${p}`);
        throw new UsageError((err as Error).message);
      }
    }
    try {
      let scenario: Scenario;
      let scenarioName: string;
      if (values.scenario !== undefined) {
        scenario = await readScenarioFile(values.scenario);
        scenarioName = values.scenario;
      } else {
        scenario = presetScenario(preset!);
        scenarioName = `preset ${preset}`;
      }
      const seeds = Array.from({ length: nSeeds }, (_, k) => k + 1);
      return await compareScenario(io, {
        scenario,
        scenarioName,
        seeds,
        policies,
        entries,
        interrupt,
        workers,
        maxRounds,
        maxMarketSteps,
        json: values.json,
        report: values.report,
        timeout,
        policyOptions,
        quiet: values.quiet ?? false,
        uncertainty: values.uncertainty ?? false,
        command: ["sfl-market", "compare", ...args].join(" "),
      });
    } finally {
      workers.stop();
    }
  },
};

export interface CompareRequest {
  readonly scenario: Scenario;
  readonly scenarioName: string;
  readonly seeds: number[];
  /** The policies' labels (specs as written), in table order. */
  readonly policies: string[];
  /** What runs for each label (default: the labels, resolved by the registry). */
  readonly entries?: readonly ComparisonPolicy[];
  /** Aborted on Ctrl-C (default: a controller of its own). */
  readonly interrupt?: AbortController;
  /** The workers the entries' user modules run in, stopped when the runs are done. */
  readonly workers?: PolicyWorkers;
  /** Caps per episode (--max-rounds, --max-steps; defaults from the scenario: env's episodeCaps). */
  readonly maxRounds?: number;
  readonly maxMarketSteps?: number;
  readonly json?: string;
  readonly report?: string;
  readonly timeout?: number;
  readonly policyOptions?: Readonly<Record<string, Record<string, unknown>>>;
  readonly quiet: boolean;
  /** Add the uncertainty summary (--uncertainty). */
  readonly uncertainty?: boolean;
  readonly command: string;
  /** Create the JSON's directory if missing (start: it is the report's directory). */
  readonly createJsonDir?: boolean;
}

/**
 * Runs the comparison, prints the table, writes the JSON and the report; returns the exit code.
 * Output paths are checked before the first run (a bad one is exit 2 with nothing run); the JSON is
 * written before the report, so a report that cannot be built or written never costs the results;
 * an interrupt (Ctrl-C) stops the run in progress and keeps the completed ones (`complete: false`).
 */
export async function compareScenario(io: Io, req: CompareRequest): Promise<number> {
  const jsonTarget =
    req.json === undefined
      ? undefined
      : await checkOutput(req.json, {
          flag: "--json",
          overwrite: true,
          allowStdout: true,
          createDirs: req.createJsonDir ?? false,
        });
  const reportTarget =
    req.report === undefined
      ? undefined
      : await checkOutput(reportDir(req.report), {
          flag: "--report",
          overwrite: true,
          createDirs: true,
        });
  // with --json -, standard output is the JSON's alone: the table goes to stderr
  const print = jsonTarget?.kind === "stdout" ? io.err : io.out;
  // neural tenants: the tfjs backend is initialised (and named in every output) before the runs
  // (tfjs is loaded only then: surrogate-only comparisons start as fast as before)
  const neural = req.scenario.tenants.some((t) => t.learner.neural)
    ? await (await import("../../env/neural/prepare.ts")).prepareNeuralScenario(req.scenario)
    : { scenario: req.scenario, label: null, learnerFactory: undefined };
  const compiled = compileScenario(neural.scenario, createRng(req.scenario.seed));
  const progress = progressReporter(io.err, io.errIsTTY === true);
  const interrupt = req.interrupt ?? new AbortController();
  const stopListening = io.onInterrupt?.(() => {
    if (!req.quiet) progress.done();
    io.err("\ninterrupted: stopping the current run; the completed runs will be reported and written\n");
    interrupt.abort();
  });
  let outcome: ComparisonOutcome;
  let base: ComparisonData;
  try {
    ({ outcome, data: base } = await comparePolicies({
      compiled,
      scenarioName: req.scenarioName,
      seeds: req.seeds,
      policies: req.policies,
      entries: req.entries,
      // user modules have their worker's watchdog at req.timeout; this backstop comes later
      policyTimeoutMs:
        req.timeout === 0
          ? 0
          : (req.timeout ?? DEFAULT_POLICY_TIMEOUT_MS) + (req.entries ? WATCHDOG_MARGIN_MS : 0),
      policyOptions: req.policyOptions,
      resolve: resolveTenantPolicy,
      maxRounds: req.maxRounds,
      maxMarketSteps: req.maxMarketSteps,
      learnerFactory: neural.learnerFactory,
      onEvent: req.quiet ? undefined : progress.onEvent,
      signal: interrupt.signal,
      meta: {
        version: version(),
        command: req.command,
        seeds: req.seeds.join(", "),
        ...(neural.label ? { learner: neural.label } : {}),
        ...(req.policyOptions && Object.keys(req.policyOptions).length > 0
          ? { "policy options": JSON.stringify(req.policyOptions) }
          : {}),
      },
    }));
  } finally {
    stopListening?.();
  }
  if (!req.quiet) progress.done();
  // a user module's worker that failed after its last answer (no run saw it) is still reported
  for (const late of req.workers?.stop() ?? []) io.err(`warning: ${late}\n`);
  const interrupted = interrupt.signal.aborted;
  const data = req.uncertainty ? { ...base, uncertainty: uncertaintySummary(base) } : base;
  if (neural.label) print(`learner: ${neural.label}\n`);
  print(renderTable(data));
  if (data.uncertainty) print(renderUncertainty(data, data.uncertainty));
  print(boundLine(data));
  for (const n of data.notes) print(`note: ${n}\n`);
  let failureText: string | null = null;
  if (outcome.failure) {
    const { run, error } = outcome.failure;
    failureText = interrupted
      ? "interrupted (SIGINT or SIGTERM) during this run"
      : error instanceof PolicyError || error instanceof InputError
        ? error.message
        : `${(error as Error)?.message ?? String(error)}`;
    io.err(
      `${interrupted ? "stopped" : "error"}: run ${run.index + 1}/${run.total} (policy ${run.policy}, seed ${run.seed}) ${interrupted ? "was interrupted" : `failed: ${failureText}`}\n` +
        `${outcome.runs.length} completed runs are reported above${jsonTarget || reportTarget ? " and written" : ""}.\n`,
    );
  }
  let writeFailed = false;
  const write = async (target: OutputTarget, text: () => string) => {
    let problem: string | undefined;
    try {
      problem = await writeOutput(target, text(), io.out);
    } catch (e) {
      problem = `cannot build ${target.name}: ${(e as Error)?.message ?? String(e)}`;
    }
    if (problem) {
      io.err(`error: ${problem}\n`);
      writeFailed = true;
    } else if (target.kind !== "stdout") io.err(`wrote ${target.name}\n`);
  };
  if (jsonTarget)
    await write(jsonTarget, () => `${JSON.stringify(compareJson(data, outcome.failure, failureText))}\n`);
  if (reportTarget) await write(reportTarget, () => renderReport(data));
  if (interrupted) return EXIT_INTERRUPTED;
  return outcome.failure || writeFailed ? EXIT_FAILURE : EXIT_OK;
}

/**
 * The policies of a comparison: each spec built once up front (so a typo, a bad module or bad
 * options fail before any run); module paths become entries whose instances live in their worker.
 */
async function comparisonPolicies(
  specs: readonly string[],
  policyOptions: Readonly<Record<string, Record<string, unknown>>>,
  opts: IsolationOptions,
): Promise<ComparisonPolicy[]> {
  const out: ComparisonPolicy[] = [];
  for (const spec of specs) {
    if (isModuleSpec(spec)) {
      const loaded = (await loadModulePolicy(
        spec,
        "tenant",
        policyOptions[spec],
        opts,
      )) as IsolatedPolicy<TenantPolicy>;
      out.push({ name: spec, create: () => loaded.instance() });
    } else {
      await resolveTenantPolicy(spec, policyOptions[spec]);
      out.push(spec);
    }
  }
  return out;
}

/** The report's index.html in DIR (`--report ""` is refused, not taken as the working directory). */
function reportDir(dir: string): string {
  if (dir === "") throw new BadPathError("--report needs a directory name");
  return join(dir, "index.html");
}

/** `--policy-options`: a JSON object whose keys are policies of --policies and values objects. */
function parsePolicyOptions(
  text: string | undefined,
  policies: string[],
): Record<string, Record<string, unknown>> {
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--policy-options is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new UsageError("--policy-options must be a JSON object keyed by policy name");
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!policies.includes(k))
      throw new UsageError(`--policy-options names '${k}', which is not in --policies`);
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new UsageError(`--policy-options.${k} must be a JSON object of options`);
    out[k] = v as Record<string, unknown>;
  }
  return out;
}

function boundLine(data: ComparisonData): string {
  const rho = (s: number | null, n: number) =>
    s === null ? `n/a (${n} runs)` : `${s.toFixed(2)} (${n} runs)`;
  const within = (data.bound.perTenant ?? []).map((t) => `${t.tenant} ${rho(t.spearman, t.n)}`).join(", ");
  return (
    `convergence bound vs measured rounds-to-target, Spearman rank correlation over runs that met their target: ` +
    `pooled ${rho(data.bound.spearman, data.bound.n)}; within tenant: ${within}\n`
  );
}

/** The --json contract (docs/cli.md): results per policy x seed x tenant, summary per policy x tenant. */
export function compareJson(
  data: ComparisonData,
  failure: { run: { policy: string; seed: number }; error?: unknown } | null,
  failureText: string | null,
) {
  return {
    version: data.meta.version,
    scenario: data.scenario.name,
    ...(data.meta.learner ? { learner: data.meta.learner } : {}),
    seeds: data.seeds,
    policies: data.policies,
    complete: failure === null,
    failure: failure
      ? {
          policy: failure.run.policy,
          seed: failure.run.seed,
          message: failureText,
          ...(failure.error instanceof EpisodeCancelled ? { interrupted: true } : {}),
        }
      : null,
    results: data.results.map((r) => ({
      policy: r.policy,
      seed: r.seed,
      tenant: r.tenant,
      type: r.type,
      met: r.met,
      timeToTarget: r.timeToTarget,
      rounds: r.rounds,
      spend: r.spend,
      finalGap: r.finalGap,
      ...(r.reason ? { reason: r.reason } : {}),
    })),
    summary: data.summary.map((s) => ({
      policy: s.policy,
      tenant: s.tenant,
      metRate: s.metRate,
      medianTime: s.medianTime,
      speedupOfPrince: s.speedupOfPrince,
    })),
    bound: { spearman: data.bound.spearman, n: data.bound.n, perTenant: data.bound.perTenant ?? [] },
    notes: data.notes,
    ...(data.uncertainty ? { uncertainty: data.uncertainty } : {}),
  };
}
