import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { PRESET_NAMES, presetScenario } from "../../env/presets.ts";
import type { Scenario } from "../../env/scenario.ts";
import { parsePolicySpec } from "../../policies/registry.ts";
import { oneOf, parseCommandArgs } from "../args.ts";
import { type Command, EXIT_OK, type Io, UsageError } from "../command.ts";
import { DEFAULT_RIVALS, parseEnvServerOptions } from "../envServer/options.ts";
import { readScenarioFile } from "../scenarioInput.ts";
import { version } from "../version.ts";

const usage = `Usage: sfl-market env-server --stdio [--preset tiny|paper|stress | --scenario FILE] [--seed S]
                             [--options JSON]

Serves one MarketParallelEnv (the PettingZoo-style environment) over JSON lines: one request per
line on standard input, one reply per line on standard output (docs/python.md has the protocol;
the Python package sfl_market starts this command itself). A malformed request gets an error reply;
the server stops at {"op":"close"} or at the end of its input.

--stdio           serve on standard input and output (the only transport)
--preset NAME     a built-in scenario (default tiny)
--scenario FILE   a scenario file (JSON or YAML) instead of a preset
--seed S          the scenario's seed (the device population), instead of the scenario's own
--options JSON    environment options, e.g. '{"tenants":["vit"],"rivals":"prince"}': tenants
                  (the client's, default all), rivals (policy of the others, default ${DEFAULT_RIVALS}),
                  rivalOptions, deviceAgents, maxTime, repricingInterval, aggregation, info

Exit codes: 0 closed, 2 bad usage, scenario or options (nothing served).`;

/**
 * The command, reading requests from `input` (standard input unless a test gives a stream). The
 * request handling itself is cli/envServer/session.ts; this file parses flags and runs the loop.
 */
export function envServerCommand(input: () => Readable = () => process.stdin): Command {
  return {
    name: "env-server",
    summary: "serve the PettingZoo-style environment over JSON lines (for the Python package)",
    usage,
    async run(args, io) {
      const { values, positionals } = parseCommandArgs(args, {
        stdio: { type: "boolean" },
        preset: { type: "string" },
        scenario: { type: "string" },
        seed: { type: "string" },
        options: { type: "string" },
      });
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      if (!values.stdio)
        throw new UsageError("give --stdio (standard input and output is the only transport)");
      if (values.preset !== undefined && values.scenario !== undefined)
        throw new UsageError("give either --preset or --scenario, not both");
      const preset = oneOf("preset", values.preset, PRESET_NAMES) ?? "tiny";
      let options: unknown;
      try {
        options = values.options === undefined ? undefined : JSON.parse(values.options);
      } catch (err) {
        throw new UsageError(`--options is not JSON: ${(err as Error).message}`);
      }
      const opts = parseEnvServerOptions(options);
      let scenario: Scenario;
      let scenarioName: string;
      if (values.scenario !== undefined) {
        scenario = await readScenarioFile(values.scenario);
        scenarioName = values.scenario;
      } else {
        scenario = presetScenario(preset);
        scenarioName = `preset ${preset}`;
      }
      if (values.seed !== undefined) scenario = { ...scenario, seed: parseSeed(values.seed) };
      // the session's modules are loaded once the flags are known to be good
      const { openSession } = await import("../envServer/open.ts");
      const session = await openSession({ scenario, scenarioName, options: opts, version: version() });
      try {
        return await serve(session, input(), io);
      } finally {
        // a rivals' policy given by path runs in a worker thread, which would keep the process alive
        if (parsePolicySpec(opts.rivals ?? DEFAULT_RIVALS).kind === "module")
          (await import("../../io/policyLoaders.ts")).stopPolicyWorkers();
      }
    },
  };
}

export const envServer = envServerCommand();

/** An integer seed stays a number (so `--seed 7` is the scenario seed 7), anything else is a string. */
function parseSeed(text: string): number | string {
  if (text.trim() === "") throw new UsageError("--seed must not be empty");
  return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
}

interface LineHandler {
  handle(line: string): Promise<{ line: string; close: boolean }>;
}

/** Answers each line in order; stdout carries replies only, so stray console output goes to stderr. */
export async function serve(session: LineHandler, input: Readable, io: Io): Promise<number> {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  const toErr = (...xs: unknown[]) => io.err(`${xs.map(String).join(" ")}\n`);
  console.log = console.info = console.debug = toErr;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const reply = await session.handle(line);
      io.out(`${reply.line}\n`);
      if (reply.close) break;
    }
  } finally {
    lines.close();
    input.pause();
    Object.assign(console, saved);
  }
  return EXIT_OK;
}
