import { join } from "node:path";
import { presetScenario } from "../../env/presets.ts";
import { nonNegativeInteger, parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";
import { compareScenario, DEFAULT_POLICIES } from "./compare.ts";

/** Where `npm start` writes its report and JSON. */
export const START_OUT = "out/paper";

export const start: Command = {
  name: "start",
  summary: "the main job (what `npm start` runs): PRINCE vs every baseline on the paper preset",
  usage: `Usage: sfl-market start [--seeds N] [--out DIR] [--quiet]

Runs the comparison of PRINCE with every baseline (${DEFAULT_POLICIES.join(", ")}) on the
paper preset (ViT, BERT, Whisper and LLaMA tenants on one population of 200 devices), prints the
per-tenant table and writes DIR/index.html (the report) and DIR/results.json. The same as
\`sfl-market compare --preset paper --seeds N --report DIR --json DIR/results.json\`.

--seeds N   seeds 1..N (default 5)
--out DIR   where to write (default ${START_OUT})
--quiet     no progress display`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      seeds: { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const n = nonNegativeInteger("seeds", values.seeds) ?? 5;
    if (n < 1) throw new UsageError("--seeds must be at least 1");
    const out = values.out ?? START_OUT;
    return compareScenario(io, {
      scenario: presetScenario("paper"),
      scenarioName: "preset paper",
      seeds: Array.from({ length: n }, (_, k) => k + 1),
      policies: DEFAULT_POLICIES,
      json: join(out, "results.json"),
      report: out,
      createJsonDir: true,
      quiet: values.quiet ?? false,
      command: ["sfl-market", "start", ...args].join(" "),
    });
  },
};
