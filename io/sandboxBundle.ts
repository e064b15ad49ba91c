import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Code for the sandbox (io/policyTransport.ts): a process under Node's permission model with no
 * file-system access at all cannot read a module file, nor compile TypeScript (tsx's esbuild runs
 * as a child process, which the sandbox forbids). So this process bundles, with esbuild (the one
 * tsx brings), the worker's own code and the user's module with everything it imports into single
 * ESM texts, which the sandbox imports from data: URLs.
 */

interface Esbuild {
  buildSync(o: Record<string, unknown>): { outputFiles: { text: string }[] };
}

const here = import.meta.url;
const tsxPackage = createRequire(here).resolve("tsx/package.json");

/** tsx's ESM API file (createRequire would resolve its CommonJS build). */
export const tsxApiFile = join(
  dirname(tsxPackage),
  (
    JSON.parse(readFileSync(tsxPackage, "utf8")) as {
      exports: Record<string, { import: { default: string } }>;
    }
  ).exports["./esm/api"].import.default,
);

let esbuild: Esbuild | undefined;
const loadEsbuild = (): Esbuild => {
  esbuild ??= createRequire(tsxPackage)("esbuild") as Esbuild;
  return esbuild;
};

/** One ESM text of `file` and all it imports (Node's built-in modules stay imports). */
export function bundleModule(file: string): string {
  const out = loadEsbuild().buildSync({
    entryPoints: [file],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "silent",
    // the TypeScript loader is for files; bundles need none
    external: ["tsx", "tsx/*", "esbuild"],
    // a bundle imported from a data: URL has no file: give it the one it came from
    define: { "import.meta.url": JSON.stringify(`file://${file}`) },
  });
  return out.outputFiles[0].text;
}

let worker: string | undefined;
/** The worker's own code (io/policyWorker.ts), bundled once per process. */
export function workerBundle(): string {
  worker ??= bundleModule(
    fileURLToPath(new URL(`./policyWorker${here.endsWith(".ts") ? ".ts" : ".js"}`, here)),
  );
  return worker;
}

/** The first line of an esbuild failure: "file:line:col: ERROR: text". */
export function bundleError(err: unknown): string {
  const e = err as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] };
  const first = e?.errors?.[0];
  if (!first) return (err as Error)?.message?.split("\n")[0] ?? String(err);
  const at = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : "";
  return `${at}ERROR: ${first.text}`;
}
