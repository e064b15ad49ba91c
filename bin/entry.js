// Which code the sfl-market bin runs: the build (dist/cli/main.js, plain JavaScript, fast to start)
// or the TypeScript sources through tsx (seconds of compiling and module hooks at every start).
//
// - An installed package ships only dist/: it runs the build.
// - A checkout (cli/main.ts is there) runs the build only while it is fresh: the build finished
//   (dist/.build-started and dist/package.json exist, the latter written by its last step) and no
//   source file in the folders the build compiled (dist/'s top-level folders, index.ts,
//   package.json) changed since it started. Otherwise it runs the sources, so an edit is never met
//   by old code; `npm run build` (run by `npm install` through `prepare`) makes starts fast again.
// A new source folder or file counts only once something that was built imports it, and that
// importer is then newer than the build: the check sees it there.
// Plain JavaScript on purpose: this runs before any TypeScript loader exists.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Test files never reach dist/; their edits do not make the build stale. */
const NOT_BUILT = /\.test\.[cm]?ts$|\.d\.ts$/;
const SOURCE = /\.([cm]?ts|json)$/;

/**
 * @param {string} root the package's directory (where bin/, dist/ and, in a checkout, cli/ are)
 * @param {Record<string, string | undefined>} env SFL_MARKET_SOURCES=1 runs a checkout's sources
 * @returns {{ kind: "built" | "sources" | "missing", file: string, reason: string }}
 */
export function cliEntry(root, env = {}) {
  const sources = join(root, "cli", "main.ts");
  const built = join(root, "dist", "cli", "main.js");
  if (!existsSync(sources))
    return existsSync(built)
      ? { kind: "built", file: built, reason: "installed package" }
      : { kind: "missing", file: built, reason: "neither cli/main.ts nor dist/cli/main.js is there" };
  if (env.SFL_MARKET_SOURCES === "1")
    return { kind: "sources", file: sources, reason: "SFL_MARKET_SOURCES=1" };
  const started = mtime(join(root, "dist", ".build-started"));
  if (started === undefined || mtime(join(root, "dist", "package.json")) === undefined || !existsSync(built))
    return { kind: "sources", file: sources, reason: "no complete build in dist/" };
  const newer = newerSource(root, started);
  return newer === undefined
    ? { kind: "built", file: built, reason: "dist/ is newer than every source" }
    : { kind: "sources", file: sources, reason: `${newer} changed after the build` };
}

/** The first source file (relative to root) modified at or after `since` (ms), if any. */
function newerSource(root, since) {
  const tops = ["index.ts", "package.json"];
  for (const d of readdirSync(join(root, "dist"), { withFileTypes: true }))
    if (d.isDirectory()) tops.push(d.name);
  const stack = tops.map((t) => join(root, t));
  while (stack.length > 0) {
    const path = stack.pop();
    let info;
    try {
      info = statSync(path);
    } catch {
      continue; // a built folder whose sources were removed: its importers changed, and count
    }
    if (info.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== "node_modules") stack.push(join(path, name));
    } else if (SOURCE.test(path) && !NOT_BUILT.test(path) && info.mtimeMs >= since) {
      return path.slice(root.length + 1);
    }
  }
  return undefined;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}
