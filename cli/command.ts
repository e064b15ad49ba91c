/**
 * What every subcommand of `sfl-market` implements, and the terminal it writes to. Commands get
 * their output streams and environment from `io` instead of `process`, so the dispatcher can be
 * tested in-process and a command never decides how the program exits.
 */
export interface Io {
  /** Writes to standard output (data: tables, JSON). */
  readonly out: (text: string) => void;
  /** Writes to standard error (diagnostics). */
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** True when standard error is a terminal (progress bars redraw in place only then). */
  readonly errIsTTY?: boolean;
}

export interface Command {
  /** The word after `sfl-market`. */
  readonly name: string;
  /** One line for the command list of `sfl-market help`. */
  readonly summary: string;
  /** Full usage text, printed by `sfl-market <name> --help` and after a usage error. */
  readonly usage: string;
  /** Runs the command on the arguments after its name; resolves to the exit code. */
  run(args: readonly string[], io: Io): Promise<number>;
}

/** A mistake in the command line itself (unknown flag, missing argument): exit 2 with the usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Exit codes of the CLI (docs/cli.md). */
export const EXIT_OK = 0;
/** The run finished but its result is not acceptable (e.g. not converged), or an unexpected failure. */
export const EXIT_FAILURE = 1;
/** Bad input or usage: nothing was computed. */
export const EXIT_USAGE = 2;

/** The real terminal. */
export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
  errIsTTY: process.stderr.isTTY === true,
};
