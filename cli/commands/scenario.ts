import { extname } from "node:path";
import { stringify as toYaml } from "yaml";
import { type Compiled, compileScenario } from "../../env/compile.ts";
import { PRESET_NAMES, type PresetName, presetInput } from "../../env/presets.ts";
import { createRng } from "../../env/rng.ts";
import type { Scenario } from "../../env/scenario.ts";
import { oneOf, parseCommandArgs } from "../args.ts";
import { type Command, EXIT_OK, EXIT_USAGE, type Io, UsageError } from "../command.ts";
import { writeChecked } from "../output.ts";
import { readScenarioFile } from "../scenarioInput.ts";

const usage = `Usage: sfl-market scenario --preset paper|tiny|stress|paper-neural [--out FILE] [--force]
       sfl-market scenario --validate FILE [--json]

Writes a built-in scenario as a file to edit, or checks a scenario file and summarises what it
compiles to. docs/scenarios.md describes the format field by field and the presets.

--preset NAME    print the preset's scenario file (JSON) on stdout, or write it to --out
--out FILE       write it to FILE instead: YAML when FILE ends in .yaml or .yml, JSON otherwise;
                 an existing FILE is left alone
--force          with --out: overwrite FILE if it exists
--validate FILE  check FILE (JSON; YAML for .yaml/.yml) and print the tenants, devices, tau,
                 seed and K, the devices eligible per tenant and any infeasible tenant
--json           with --validate: print the summary as one JSON object (docs/scenarios.md)

Exit codes: 0 ok, 2 bad usage, an invalid scenario (every wrong field is listed on stderr
by its path) or an output file that already exists.`;

export const scenario: Command = {
  name: "scenario",
  summary: "write a preset scenario file to edit, or validate and summarise a scenario file",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      preset: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean" },
      validate: { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const preset = oneOf("preset", values.preset, PRESET_NAMES);
    if (preset !== undefined && values.validate !== undefined)
      throw new UsageError("give either --preset or --validate, not both");
    if (preset !== undefined) {
      if (values.json) throw new UsageError("--json goes with --validate");
      if (values.force && values.out === undefined) throw new UsageError("--force goes with --out");
      return writePreset(preset, values.out, values.force ?? false, io);
    }
    if (values.validate !== undefined) {
      if (values.out !== undefined || values.force)
        throw new UsageError("--out and --force go with --preset");
      if (values.validate === "") throw new UsageError("--validate needs a file name");
      return validateFile(values.validate, values.json ?? false, io);
    }
    throw new UsageError("give --preset NAME or --validate FILE");
  },
};

// ---- --preset ----

const isYamlName = (file: string) => [".yaml", ".yml"].includes(extname(file).toLowerCase());

/** The preset's raw input form (what a user edits), as YAML or pretty-printed JSON. */
export function presetText(name: PresetName, format: "json" | "yaml"): string {
  const input = presetInput(name);
  return format === "yaml" ? toYaml(input) : `${JSON.stringify(input, null, 2)}\n`;
}

async function writePreset(name: PresetName, out: string | undefined, force: boolean, io: Io) {
  if (out === undefined) {
    io.out(presetText(name, "json"));
    return EXIT_OK;
  }
  const format = isYamlName(out) ? "yaml" : "json";
  const problem = await writeChecked(
    out,
    { flag: "--out", overwrite: force, allowStdout: true },
    presetText(name, format),
    io.out,
  );
  if (problem !== undefined) {
    io.err(`sfl-market scenario: ${problem}\n`);
    return EXIT_USAGE;
  }
  if (out === "-") return EXIT_OK;
  io.err(`wrote the ${name} preset to ${out} (${format.toUpperCase()}); check your edits with\n`);
  io.err(`  sfl-market scenario --validate ${out}\n`);
  return EXIT_OK;
}

// ---- --validate ----

/** What `--validate --json` prints (docs/scenarios.md). */
export interface ScenarioSummary {
  file: string;
  seed: number | string;
  tau: number;
  repricingInterval: number;
  devices: { count: number; source: "generated" | "list" };
  tenants: {
    name: string;
    type: string;
    modality: string;
    target: number;
    deadline: number;
    budget: number;
    start: number;
    window: number;
    windowDefaulted: boolean;
    /** Devices holding the tenant's modality. */
    holders: number;
    /** |E_i|: holders that finish a round within the window. */
    eligible: number;
    feasible: boolean;
  }[];
  infeasible: { tenant: string; index: number; code: string; reason: string }[];
}

async function validateFile(file: string, json: boolean, io: Io): Promise<number> {
  const scenario = await readScenarioFile(file);
  const compiled = compileScenario(scenario, createRng(scenario.seed));
  const summary = summarize(file, scenario, compiled);
  io.out(json ? `${JSON.stringify(summary)}\n` : summaryText(summary));
  return EXIT_OK;
}

export function summarize(file: string, s: Scenario, { physics }: Compiled): ScenarioSummary {
  const feasible = new Set(physics.marketTenants);
  return {
    file,
    seed: s.seed,
    tau: s.tau,
    repricingInterval: s.repricingInterval,
    devices: { count: physics.N, source: s.devices.kind === "generate" ? "generated" : "list" },
    tenants: physics.tenants.map((t) => ({
      name: t.name,
      type: t.profile.type,
      modality: t.modality,
      target: t.target,
      deadline: t.deadline,
      budget: t.budget,
      start: t.start,
      window: t.window,
      windowDefaulted: t.windowDefaulted,
      holders: t.holders,
      eligible: t.eligibleCount,
      feasible: feasible.has(t.index),
    })),
    infeasible: physics.infeasible.map((x) => ({
      tenant: x.name,
      index: x.tenant,
      code: x.code,
      reason: x.reason,
    })),
  };
}

export function summaryText(s: ScenarioSummary): string {
  const N = s.devices.count;
  const M = s.tenants.length;
  const seed = typeof s.seed === "string" ? JSON.stringify(s.seed) : String(s.seed);
  const lines = [
    `scenario ${s.file}: valid, ${M} tenant${M === 1 ? "" : "s"} on ${N} device${N === 1 ? "" : "s"} (${s.devices.source === "generated" ? "generated from the seed" : "listed"})`,
    `seed ${seed}, tau = ${s.tau}, K = ${s.repricingInterval} (adaptive policies re-price every ${s.repricingInterval} rounds)`,
    "",
  ];
  const rows = [
    ["tenant", "type", "target", "deadline", "budget", "start", "window", "hold data", "eligible"],
  ];
  for (const t of s.tenants)
    rows.push([
      t.name,
      t.type,
      num(t.target),
      duration(t.deadline),
      num(t.budget),
      duration(t.start),
      t.holders === 0 && t.windowDefaulted
        ? "-"
        : `${duration(t.window)}${t.windowDefaulted ? " (p90)" : ""}`,
      `${t.holders} of ${N}`,
      `${t.eligible} of ${N}`,
    ]);
  lines.push(...table(rows), "");
  lines.push(
    "target: loss gap eps_i (initial gap = 1); budget: credits per round; window W_i, (p90) = default:",
    "90th percentile of the round times of the devices holding the data; eligible: hold data and",
    "finish a round within the window",
    "",
  );
  if (s.infeasible.length === 0)
    lines.push(`feasible: ${M === 1 ? "the tenant has" : `all ${M} tenants have`} eligible devices`);
  else {
    lines.push(`infeasible: ${s.infeasible.length} of ${M} tenants (reported, left out of the market)`);
    for (const x of s.infeasible) lines.push(`  ${x.tenant}: ${x.reason}`);
  }
  return `${lines.join("\n")}\n`;
}

function num(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

/** Seconds, with hours alongside from one hour up. */
function duration(seconds: number): string {
  return seconds >= 3600 ? `${num(seconds)} s (${num(seconds / 3600)} h)` : `${num(seconds)} s`;
}

/** Left-aligned text columns (name, type), right-aligned numbers. */
function table(rows: string[][]): string[] {
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c < 2 ? cell.padEnd(width[c]) : cell.padStart(width[c])))
      .join("  ")
      .trimEnd(),
  );
}
