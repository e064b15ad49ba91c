// Shared by the end-to-end tests. `cli` runs `sfl-market ARGS` in this process through
// `main(argv, io)`, which is what the binary does after tsx has compiled it: a test costs the
// command's own work and nothing else. `spawnCli` runs the real binary in a child process; each
// command keeps one such test (the binary, its exit code and its streams), no more, so that the
// suite stays fast on a busy 2-core machine.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { Io } from "./command.ts";
import { main } from "./main.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BIN = join(ROOT, "bin", "sfl-market.js");
/** Per test; the spawned binary compiles the CLI with tsx on its first run (seconds on a busy machine). */
export const TIMEOUT = 60_000;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working directory of the run (default: the project root). */
  readonly cwd?: string;
  /** Called with a function that interrupts the run as Ctrl-C would, once the command listens. */
  readonly onInterruptible?: (interrupt: () => void) => void;
  /** Sees every write to stderr as it happens (e.g. to interrupt after a progress line). */
  readonly onErr?: (text: string) => void;
}

// One in-process run at a time: a run changes the process's working directory and environment,
// which are global. Tests in other files run in other processes (vitest's forks), so the machine's
// cores are still used.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `sfl-market ARGS` in-process (from the project root unless `cwd`), with `env` added to the
 * process environment for the run; SFL_DEBUG is unset unless `env` sets it.
 */
export function cli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwdOrOptions: string | CliOptions = {},
): Promise<Run> {
  const opts = typeof cwdOrOptions === "string" ? { cwd: cwdOrOptions } : cwdOrOptions;
  const run = queue.then(() => runInProcess(args, env, opts));
  queue = run.catch(() => undefined);
  return run;
}

async function runInProcess(args: readonly string[], env: Record<string, string>, opts: CliOptions) {
  const saved = { cwd: process.cwd(), env: { ...process.env } };
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  if (!("SFL_DEBUG" in env)) delete process.env.SFL_DEBUG;
  process.chdir(opts.cwd ?? ROOT);
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
      opts.onErr?.(t);
    },
    env: { ...process.env },
    errIsTTY: false,
    onInterrupt: (handler) => {
      let live = true;
      opts.onInterruptible?.(() => {
        if (live) handler();
      });
      return () => {
        live = false;
      };
    },
  };
  try {
    const code = await main(args, io);
    return { code, stdout, stderr };
  } finally {
    process.chdir(saved.cwd);
    for (const k of Object.keys(process.env)) if (!(k in saved.env)) delete process.env[k];
    Object.assign(process.env, saved.env);
  }
}

/** Runs the real `sfl-market` binary in a child process (one test per command; see above). */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = ROOT,
): Promise<Run> {
  const childEnv = { ...process.env, ...env };
  if (!("SFL_DEBUG" in env)) delete childEnv.SFL_DEBUG;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: childEnv, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** No stack trace: V8 frames are indented `    at fn (file:line:col)`. */
export function expectNoStack(r: Run) {
  expect(r.stderr).not.toContain("    at ");
  expect(r.stdout).not.toContain("    at ");
}
