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
  /**
   * Listens for an interrupt (Ctrl-C: SIGINT, or SIGTERM) while a long command runs, so it can stop
   * and keep what it completed; returns the function that stops listening. Without a listener, an
   * interrupt ends the process as usual. Absent: the command cannot be interrupted (tests).
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
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

/**
 * A file or directory given on the command line that cannot be used (missing, a directory where a
 * file is needed, not writable): exit 2 with the message, a sentence naming the path and what to do.
 */
export class BadPathError extends Error {
  override readonly name = "BadPathError";
}

/** Exit codes of the CLI (docs/cli.md). */
export const EXIT_OK = 0;
/** The run finished but its result is not acceptable (e.g. not converged), or an unexpected failure. */
export const EXIT_FAILURE = 1;
/** Bad input or usage: nothing was computed. */
export const EXIT_USAGE = 2;

/** Exit code of a process ended by SIGINT, as shells report it (128 + 2). */
export const EXIT_INTERRUPTED = 130;

/** The real terminal. */
export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  env: process.env,
  errIsTTY: process.stderr.isTTY === true,
  onInterrupt: listenForSignals,
};

/**
 * The first SIGINT or SIGTERM calls `handler` (the command stops at its next step and writes what it
 * has); a second one ends the process at once, as an impatient user expects.
 */
function listenForSignals(handler: () => void): () => void {
  let seen = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (seen) {
      process.stderr.write(`\n${signal} again: stopping now, without writing\n`);
      process.exit(EXIT_INTERRUPTED);
    }
    seen = true;
    handler();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}
