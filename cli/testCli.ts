// Shared by the end-to-end tests: runs the real `sfl-market` binary in a child process.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BIN = join(ROOT, "bin", "sfl-market.js");
/** tsx compiles the CLI on first run in each child process. */
export const TIMEOUT = 60_000;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sfl-market ARGS` (from the project root unless `cwd`); SFL_DEBUG is unset unless `env` sets it. */
export function cli(args: readonly string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Run> {
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
