import { readFileSync } from "node:fs";

/** The package's version (package.json). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}
