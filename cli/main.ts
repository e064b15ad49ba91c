import { InputError } from "../market/errors.ts";
import {
  BadPathError,
  type Command,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type Io,
  processIo,
  UsageError,
} from "./command.ts";
import { commands, loadCommand, type Registered } from "./commands/index.ts";
import { didYouMean } from "./suggest.ts";
import { version } from "./version.ts";

/**
 * `sfl-market COMMAND [args]`: finds the command in the registry, runs it and turns what it
 * throws into an exit code, so commands only compute and print:
 *   UsageError -> 2, one line and the command's usage; InputError -> 2, one `path: message` line
 *   per issue; BadPathError -> 2, its sentence; anything else -> 1, the message (the stack too when
 *   SFL_DEBUG=1).
 * Nothing is written to stdout on an error. Only the named command's module is imported (lazily:
 * cli/commands/index.ts). `io` and `registry` are parameters for tests.
 */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  registry: readonly Registered[] = commands,
): Promise<number> {
  const [name, ...args] = argv;
  const overview = () => usageOverview(registry);
  if (name === undefined) {
    io.err(overview());
    return EXIT_USAGE;
  }
  if (name === "--help" || name === "-h") {
    io.out(overview());
    return EXIT_OK;
  }
  if (name === "--version" || name === "-v") {
    io.out(`${version()}\n`);
    return EXIT_OK;
  }
  if (name === "help") return help(args, io, registry);
  const entry = registry.find((c) => c.name === name);
  if (!entry) {
    io.err(`sfl-market: ${unknownCommand(name, registry)}\n\n${overview()}`);
    return EXIT_USAGE;
  }
  let command: Command;
  try {
    command = await loadCommand(entry);
  } catch (e) {
    return report(entry.name, undefined, e, io);
  }
  if (wantsHelp(args)) {
    io.out(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(args, io);
  } catch (e) {
    return report(command.name, command.usage, e, io);
  }
}

async function help(args: readonly string[], io: Io, registry: readonly Registered[]): Promise<number> {
  if (args.length === 0) {
    io.out(usageOverview(registry));
    return EXIT_OK;
  }
  const entry = registry.find((c) => c.name === args[0]);
  if (!entry) {
    io.err(`sfl-market help: ${unknownCommand(args[0], registry)}\n\n${usageOverview(registry)}`);
    return EXIT_USAGE;
  }
  let command: Command;
  try {
    command = await loadCommand(entry);
  } catch (e) {
    return report(entry.name, undefined, e, io);
  }
  io.out(`${command.usage}\n`);
  return EXIT_OK;
}

function unknownCommand(name: string, registry: readonly Registered[]): string {
  const names = [...registry.map((c) => c.name), "help"];
  return `unknown command '${name}'${didYouMean(name, names, (c) => `'${c}'`)}`;
}

/** `usage` is absent when the command's module failed to load. */
function report(name: string, usage: string | undefined, e: unknown, io: Io): number {
  const prefix = `sfl-market ${name}`;
  if (e instanceof UsageError) {
    io.err(`${prefix}: ${e.message}\n${usage === undefined ? "" : `\n${usage}\n`}`);
    return EXIT_USAGE;
  }
  if (e instanceof BadPathError) {
    io.err(`${prefix}: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof InputError) {
    // InputError's message is a header line, then one indented `path: message` line per issue
    io.err(`${prefix}: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const debug = io.env.SFL_DEBUG === "1";
  const message = e instanceof Error ? e.message : String(e);
  io.err(`${prefix}: ${debug && e instanceof Error && e.stack ? e.stack : message}\n`);
  if (!debug) io.err("(set SFL_DEBUG=1 to see the stack trace)\n");
  return EXIT_FAILURE;
}

/** `--help` or `-h` among the command's flags (not after `--`, where it would be an argument). */
function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

function usageOverview(registry: readonly Registered[]): string {
  const width = Math.max(...registry.map((c) => c.name.length));
  const list = registry.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `Usage: sfl-market COMMAND [options]

A testbed for incentive mechanisms in multi-tenant split federated learning.

Commands:
${list}

sfl-market help COMMAND (or COMMAND --help) shows a command's options; --version prints the version.
Exit codes: 0 ok, 1 not converged or runtime failure, 2 bad input or usage.
`;
}
