import { InputError } from "../../market/errors.ts";
import { planFromSpecFile } from "../../sweep/planFile.ts";
import { gitCommit } from "../../sweep/provenance.ts";
import { NotASweepError, PlanExistsError, writePlan } from "../../sweep/store.ts";
import { parseCommandArgs } from "../args.ts";
import { BadPathError, type Command, EXIT_OK, type Io, UsageError } from "../command.ts";
import { version } from "../version.ts";
import { DEFAULT_POLICIES } from "./compare.ts";

const usage = `Usage: sfl-market sweep plan SPEC --out DIR [--force]

Sensitivity studies: one run is one comparison of the policies on one scenario (the base scenario
with the run's axis values applied) and one seed (docs/sweeps.md).

sweep plan SPEC --out DIR   read SPEC (YAML or JSON), check it, write DIR/manifest.jsonl (one run a
                            line: runId, configHash, seed, params), DIR/sweep.json and DIR/meta.json.
                            A DIR with a different plan is refused unless --force.

Exit codes: 0 ok, 1 a run failed or a file could not be written, 2 bad input or usage.`;

type Sub = (args: readonly string[], io: Io) => Promise<number>;

const subcommands: Record<string, Sub> = { plan };

export const sweep: Command = {
  name: "sweep",
  summary: "sensitivity sweeps: plan, run (locally, Slurm arrays, Kubernetes), collect",
  usage,
  async run(args, io) {
    const [name, ...rest] = args;
    if (name === undefined) throw new UsageError("give a subcommand: plan");
    const sub = subcommands[name];
    if (!sub)
      throw new UsageError(`unknown subcommand '${name}'; known: ${Object.keys(subcommands).join(", ")}`);
    try {
      return await sub(rest, io);
    } catch (e) {
      if (e instanceof NotASweepError || e instanceof PlanExistsError) throw new BadPathError(e.message);
      throw e;
    }
  },
};

function onePositional(positionals: readonly string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`give the ${what}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  return positionals[0];
}

async function plan(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    out: { type: "string" },
    force: { type: "boolean" },
  });
  const specFile = onePositional(positionals, "spec file (sweep plan SPEC --out DIR)");
  if (values.out === undefined || values.out === "") throw new UsageError("--out DIR is required");
  const planned = await planFromSpecFile(specFile, DEFAULT_POLICIES, {
    version: version(),
    gitCommit: gitCommit(),
    node: process.version,
  });
  let status: "new" | "same";
  try {
    status = await writePlan(values.out, planned, values.force ?? false);
  } catch (e) {
    if (e instanceof PlanExistsError || e instanceof InputError) throw e;
    throw new BadPathError(`cannot write the plan into ${values.out}: ${(e as Error).message}`);
  }
  const points = new Set(planned.rows.map((r) => r.configHash)).size;
  io.err(
    `${status === "same" ? "unchanged" : "planned"}: ${planned.rows.length} runs (${points} points x ${(planned.meta.seeds as number[]).length} seeds) in ${values.out}\n`,
  );
  return EXIT_OK;
}
