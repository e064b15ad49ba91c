#!/usr/bin/env node
// Entry point of the sfl-market command. It runs the build (dist/cli/main.js) when that is fresh,
// else the TypeScript sources through tsx (bin/entry.js decides; docs/cli.md, "Start-up"). The
// build registers no TypeScript loader: a policy module given by path that is TypeScript is
// loaded through tsx's API, in the worker that runs it (io/loadModule.ts), and only then.
// SFL_MARKET_SOURCES=1 runs a checkout's sources whatever the build.
import { fileURLToPath, pathToFileURL } from "node:url";
import { cliEntry } from "./entry.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const entry = cliEntry(root, process.env);
if (entry.kind === "missing") {
  process.stderr.write(`sfl-market: ${entry.reason}; run \`npm run build\`\n`);
  process.exit(1);
}
if (entry.kind === "sources") (await import("tsx/esm/api")).register();
const { main } = await import(pathToFileURL(entry.file).href);
process.exitCode = await main(process.argv.slice(2));
