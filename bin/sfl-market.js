#!/usr/bin/env node
// Entry point of the sfl-market command. In a source checkout (cli/main.ts is there) it runs the
// TypeScript sources, so the command always matches the code being edited and never a stale
// dist/. From an installed package, which ships only the build (dist/), it runs dist/cli/main.js.
// The TypeScript loader is registered either way: policy modules a user passes by path may be
// TypeScript.
import { existsSync } from "node:fs";
import { register } from "tsx/esm/api";

register();
const sources = new URL("../cli/main.ts", import.meta.url);
const built = new URL("../dist/cli/main.js", import.meta.url);
const entry = existsSync(sources) ? sources : built;
if (entry === built && !existsSync(built)) {
  process.stderr.write(
    "sfl-market: neither cli/main.ts nor dist/cli/main.js is there; run `npm run build`\n",
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
