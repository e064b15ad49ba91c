import { compileScenario } from "../../env/compile.ts";
import { PRESET_NAMES, presetScenario } from "../../env/presets.ts";
import { createRng } from "../../env/rng.ts";
import type { Scenario } from "../../env/scenario.ts";
import { type BoundCheckResult, boundCheck } from "../../experiments/boundCheck.ts";
import { nonNegativeInteger, oneOf, parseCommandArgs, positiveInteger } from "../args.ts";
import { type Command, EXIT_OK, UsageError } from "../command.ts";
import { readScenarioFile } from "../scenarioInput.ts";

const usage = `Usage: sfl-market bound-check [--preset paper|tiny|stress | --scenario FILE] [--tenant NAME]
                              [--seeds N] [--perturbations N] [--max-rounds N] [--json]

Puts the convergence bound to a designed test (docs/learner.md): fixes one tenant, gives it
participation profiles of equal spend (the Stackelberg one, flat, proportional to data, random
perturbations of the Stackelberg one), measures the mean rounds to target over N seeds each with
the surrogate learner, and reports Spearman's rank correlation of V_i with the measured rounds and
the R^2 of the fit rounds * eps ~ alpha V + beta.

--preset P         built-in scenario (default paper)
--scenario FILE    a scenario file instead
--tenant NAME      the tenant (default the first feasible one)
--seeds N          seeds per profile (default 30)
--perturbations N  perturbed profiles (default 8)
--max-rounds N     round cap per run (default 20000); a run that reaches it is a miss
--json             print one JSON object instead of the table`;

export const boundCheckCommand: Command = {
  name: "bound-check",
  summary: "test whether V_i orders the measured rounds to target (the bound's predictive power)",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      preset: { type: "string" },
      scenario: { type: "string" },
      tenant: { type: "string" },
      seeds: { type: "string" },
      perturbations: { type: "string" },
      "max-rounds": { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values.preset !== undefined && values.scenario !== undefined)
      throw new UsageError("give either --preset or --scenario, not both");
    const preset = oneOf("preset", values.preset, PRESET_NAMES) ?? "paper";
    const seeds = positiveInteger("seeds", values.seeds) ?? 30;
    const perturbations = nonNegativeInteger("perturbations", values.perturbations) ?? 8;
    const maxRounds = positiveInteger("max-rounds", values["max-rounds"]);
    const scenario: Scenario =
      values.scenario !== undefined ? await readScenarioFile(values.scenario) : presetScenario(preset);
    const label = values.scenario ?? `preset ${preset}`;
    const compiled = compileScenario(scenario, createRng(scenario.seed));
    const result = boundCheck({ compiled, tenant: values.tenant, seeds, perturbations, maxRounds });
    io.out(
      values.json ? `${JSON.stringify({ scenario: label, ...result })}\n` : boundCheckText(label, result),
    );
    return EXIT_OK;
  },
};

const fmt = (x: number | null, digits = 3) =>
  x === null || !Number.isFinite(x) ? "—" : x.toPrecision(digits);

/** The terminal form: one row per profile, then the correlation and the fit (80 columns). */
export function boundCheckText(label: string, r: BoundCheckResult): string {
  const lines = [
    `bound-check ${r.tenant} (${label}, target ${r.target}, ${r.seeds} seeds per profile, equal spend)`,
    `  ${"profile".padEnd(22)}${"V_i".padStart(10)}${"min q".padStart(10)}${"met".padStart(8)}${"mean rounds".padStart(13)}${"bound".padStart(10)}`,
  ];
  for (const p of r.profiles)
    lines.push(
      `  ${p.name.padEnd(22)}${fmt(p.V).padStart(10)}${fmt(p.minQ).padStart(10)}${`${p.met}/${p.runs}`.padStart(8)}${(p.meanRounds === null ? "—" : p.meanRounds.toFixed(1)).padStart(13)}${String(p.predictedRounds).padStart(10)}`,
    );
  const c = r.concordance2x;
  lines.push(
    "",
    `Spearman(V_i, mean rounds) = ${fmt(r.spearman)} over the profiles every run of which met;`,
    `V_i spans ${r.spreadV.toFixed(1)}x; profile pairs 2x apart in V_i ordered by rounds as by V_i:`,
    `${c.concordant} of ${c.pairs}.`,
    `fit rounds * eps ~ alpha V + beta: ${
      r.fitRuns ? `alpha ${fmt(r.fitRuns.alpha)}, beta ${fmt(r.fitRuns.beta)}` : "—"
    }; R^2 ${r.fitRuns ? r.fitRuns.r2.toFixed(3) : "—"} over runs,`,
    `${r.fitMeans ? r.fitMeans.r2.toFixed(3) : "—"} over profile means. Derived (docs/learner.md, "bound" column):`,
    `alpha ${fmt(r.derived.alpha)}, beta ${fmt(r.derived.beta)}.`,
  );
  return `${lines.join("\n")}\n`;
}
