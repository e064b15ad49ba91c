import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { runComparison } from "../../agents/comparison.ts";
import { compileScenario } from "../../env/compile.ts";
import { PolicyError } from "../../env/errors.ts";
import { PRESET_NAMES, presetScenario } from "../../env/presets.ts";
import { createRng } from "../../env/rng.ts";
import type { Scenario } from "../../env/scenario.ts";
import { InputError } from "../../market/errors.ts";
import { resolveTenantPolicy } from "../../policies/registry.ts";
import { comparisonData } from "../../report/fromRuns.ts";
import { renderReport } from "../../report/html.ts";
import { renderTable } from "../../report/table.ts";
import type { ComparisonData } from "../../report/types.ts";
import { nonNegativeInteger, oneOf, parseCommandArgs } from "../args.ts";
import { type Command, EXIT_FAILURE, EXIT_OK, type Io, UsageError } from "../command.ts";
import { progressReporter } from "../progress.ts";
import { readScenarioFile } from "../scenarioInput.ts";
import { version } from "../version.ts";
import { writeFileAtomic } from "../writeAtomic.ts";

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
                          [--policy-options JSON] [--policy-timeout MS] [--quiet]

Runs every pricing policy on the same seeds of one scenario (one shared device population; the
seed drives participation sampling and the learners' noise) and prints, per tenant, the median
fine-tuning time, targets met, rounds, spend and PRINCE's speedup (baseline time / PRINCE time).

--preset NAME      a built-in scenario (default paper); see \`sfl-market scenario\`
--scenario FILE    a scenario file (JSON or YAML) instead of a preset
--seeds N          seeds 1..N (default 5)
--policies LIST    comma-separated policy names (default ${DEFAULT_POLICIES.join(",")})
--json OUT.json    write the results (docs/cli.md: the compare JSON contract)
--report DIR       write DIR/index.html, a self-contained report with plots
--policy-options JSON  options per policy, e.g. '{"uniform":{"aggregation":"unbiased"}}'
                   (docs/policies.md lists each policy's options)
--policy-timeout MS  stop when a policy takes longer than MS ms to answer (default 60000)
--quiet            no progress display

Exit codes: 0 every run completed, 1 a run failed (completed runs are still reported and
written), 2 bad input or usage.`;

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
    const policyOptions = parsePolicyOptions(values["policy-options"], policies);
    // build every policy up front so a typo or a bad option fails before any run (exit 2)
    for (const p of policies) {
      try {
        await resolveTenantPolicy(p, policyOptions[p]);
      } catch (err) {
        if (err instanceof InputError) throw new InputError(err.issues, `options of policy ${p}`);
        throw new UsageError((err as Error).message);
      }
    }
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
    return compareScenario(io, {
      scenario,
      scenarioName,
      seeds,
      policies,
      json: values.json,
      report: values.report,
      timeout,
      policyOptions,
      quiet: values.quiet ?? false,
      command: ["sfl-market", "compare", ...args].join(" "),
    });
  },
};

export interface CompareRequest {
  readonly scenario: Scenario;
  readonly scenarioName: string;
  readonly seeds: number[];
  readonly policies: string[];
  readonly json?: string;
  readonly report?: string;
  readonly timeout?: number;
  readonly policyOptions?: Readonly<Record<string, Record<string, unknown>>>;
  readonly quiet: boolean;
  readonly command: string;
}

/** Runs the comparison, prints the table, writes the JSON and the report; returns the exit code. */
export async function compareScenario(io: Io, req: CompareRequest): Promise<number> {
  const compiled = compileScenario(req.scenario, createRng(req.scenario.seed));
  const progress = progressReporter(io.err, io.errIsTTY === true);
  const outcome = await runComparison({
    compiled,
    seeds: req.seeds,
    policies: req.policies,
    policyTimeoutMs: req.timeout,
    policyOptions: req.policyOptions,
    onEvent: req.quiet ? undefined : progress.onEvent,
  });
  if (!req.quiet) progress.done();
  const data = comparisonData({
    title: `PRINCE vs baselines: ${req.scenarioName}`,
    scenarioName: req.scenarioName,
    compiled,
    seeds: req.seeds,
    policies: req.policies,
    runs: outcome.runs,
    meta: {
      version: version(),
      command: req.command,
      seeds: req.seeds.join(", "),
      ...(req.policyOptions && Object.keys(req.policyOptions).length > 0
        ? { "policy options": JSON.stringify(req.policyOptions) }
        : {}),
    },
  });
  io.out(renderTable(data));
  io.out(boundLine(data));
  for (const n of data.notes) io.out(`note: ${n}\n`);
  let failureText: string | null = null;
  if (outcome.failure) {
    const { run, error } = outcome.failure;
    failureText =
      error instanceof PolicyError || error instanceof InputError
        ? error.message
        : `${(error as Error)?.message ?? String(error)}`;
    io.err(
      `error: run ${run.index + 1}/${run.total} (policy ${run.policy}, seed ${run.seed}) failed: ${failureText}\n` +
        `${outcome.runs.length} completed runs are reported above${req.json || req.report ? " and written" : ""}.\n`,
    );
  }
  const writes: [string, string][] = [];
  if (req.json)
    writes.push([req.json, `${JSON.stringify(compareJson(data, outcome.failure, failureText))}\n`]);
  if (req.report) {
    await mkdir(req.report, { recursive: true });
    writes.push([join(req.report, "index.html"), renderReport(data)]);
  }
  for (const [file, text] of writes) {
    const problem = await writeFileAtomic(file, text, { overwrite: true });
    if (problem) {
      io.err(`error: ${problem}\n`);
      return EXIT_FAILURE;
    }
    io.err(`wrote ${file}\n`);
  }
  return outcome.failure ? EXIT_FAILURE : EXIT_OK;
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
  failure: { run: { policy: string; seed: number } } | null,
  failureText: string | null,
) {
  return {
    version: data.meta.version,
    scenario: data.scenario.name,
    seeds: data.seeds,
    policies: data.policies,
    complete: failure === null,
    failure: failure ? { policy: failure.run.policy, seed: failure.run.seed, message: failureText } : null,
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
  };
}
