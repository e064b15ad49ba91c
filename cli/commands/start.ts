import { fileURLToPath } from "node:url";
import { parseCommandArgs } from "../args.ts";
import { type Command, UsageError } from "../command.ts";
import { solveFile } from "./solve.ts";

/** The built-in example market (docs/cli.md describes it). */
export const EXAMPLE_MARKET = fileURLToPath(new URL("../../examples/market.json", import.meta.url));

export const start: Command = {
  name: "start",
  summary: "solve the built-in example market and print its equilibrium (what `npm start` runs)",
  usage: `Usage: sfl-market start [--json]

Solves examples/market.json (3 tenants x 8 devices, tau = 2) and prints its Stackelberg
equilibrium; the same as \`sfl-market solve examples/market.json\`.

--json   print the solve command's JSON object instead of the summary`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: "boolean" } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    return solveFile(EXAMPLE_MARKET, "examples/market.json", { json: values.json ?? false }, io);
  },
};
