import { solveStackelberg } from "../../market/stackelberg.ts";
import { nonNegativeInteger, oneOf, parseCommandArgs, positiveNumber } from "../args.ts";
import { type Command, EXIT_FAILURE, EXIT_OK, type Io, UsageError } from "../command.ts";
import { cooperativeJson, cooperativeReport, cooperativeText } from "../cooperativeReport.ts";
import { readMarketFile } from "../marketFile.ts";
import { convergenceLine, solveJson, solveText } from "../solveReport.ts";

const usage = `Usage: sfl-market solve MARKET.json [--json] [--tol X] [--max-seconds S] [--max-sweeps N]
                        [--method auto|sweeps]

Computes the Stackelberg equilibrium of a market: the tenants' prices, the devices'
participation, congestion prices, spend, V_i and each tenant's NashConv.

MARKET.json   { "tau": 2, "budget": [M numbers], "cost": [M rows of N], "value": [M rows of N] }
--json        print one JSON object on stdout (docs/cli.md) instead of the summary
--tol X       accept the point when every tenant's NashConv is <= X (default 1e-6)
--max-seconds S  stop after S seconds of solving (default 60) and print the best point so far
              with its NashConv (exit 1)
--max-sweeps N  at most N Gauss-Seidel sweeps of best responses (default 2000); the
              multiplier solve of --method auto is not counted
--method M    auto (default): multiplier Newton solve when tau = 2, sweeps if needed;
              sweeps: best-response sweeps only
--cooperative also compute the cooperative optimum (sum of V_i, same budgets) and the
              price of anarchy SE / optimum, total and per tenant (docs/model.md)

Exit codes: 0 converged, 1 not converged (the best point is still printed), 2 bad input or usage.`;

export interface SolveFlags {
  readonly json: boolean;
  readonly tol?: number;
  readonly maxSweeps?: number;
  readonly method?: "auto" | "sweeps";
  /** Wall-clock limit on the solve, seconds (default 60). */
  readonly maxSeconds?: number;
  /** Also the cooperative optimum and the price of anarchy (cli/cooperativeReport.ts). */
  readonly cooperative?: boolean;
}

export const DEFAULT_MAX_SECONDS = 60;

export const solve: Command = {
  name: "solve",
  summary: "compute the Stackelberg equilibrium of a market given as JSON",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      json: { type: "boolean" },
      tol: { type: "string" },
      "max-sweeps": { type: "string" },
      "max-seconds": { type: "string" },
      method: { type: "string" },
      cooperative: { type: "boolean" },
    });
    const flags: SolveFlags = {
      json: values.json ?? false,
      tol: positiveNumber("tol", values.tol),
      maxSweeps: nonNegativeInteger("max-sweeps", values["max-sweeps"]),
      method: oneOf("method", values.method, ["auto", "sweeps"]),
      maxSeconds: positiveNumber("max-seconds", values["max-seconds"]),
      cooperative: values.cooperative ?? false,
    };
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0
          ? "missing MARKET.json"
          : `expected one market file, got ${positionals.length}`,
      );
    return solveFile(positionals[0], positionals[0], flags, io);
  },
};

/**
 * Reads, solves and prints one market; shared with `start`. Flags are checked before the file is
 * read, and nothing reaches stdout unless the market is valid.
 */
export async function solveFile(file: string, label: string, flags: SolveFlags, io: Io): Promise<number> {
  const market = await readMarketFile(file);
  const deadline = performance.now() + 1000 * (flags.maxSeconds ?? DEFAULT_MAX_SECONDS);
  const result = solveStackelberg(market, { ...flags, shouldStop: () => performance.now() > deadline });
  const coop = flags.cooperative ? cooperativeReport(market, result) : null;
  if (flags.json) {
    const out = solveJson(market, result);
    io.out(`${JSON.stringify(coop ? { ...out, ...cooperativeJson(market, coop) } : out)}\n`);
    for (const w of out.warnings) io.err(`warning: ${w}\n`);
  } else {
    io.out(solveText(label, market, result) + (coop ? cooperativeText(coop) : ""));
  }
  if (result.converged) return EXIT_OK;
  io.err(`${convergenceLine(result)}\n`);
  return EXIT_FAILURE;
}
