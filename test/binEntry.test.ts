// bin/entry.js: which code the sfl-market bin runs (the build, or the sources through tsx). A
// stale build must never run in a checkout; test files and unbuilt folders do not make it stale.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript without declarations (it runs before any TypeScript loader)
import { cliEntry } from "../bin/entry.js";

type Entry = { kind: "built" | "sources" | "missing"; file: string; reason: string };
const entry = cliEntry as (root: string, env?: Record<string, string>) => Entry;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A package directory with `files` at the given ages (seconds before now; 0 = now). */
function tree(files: Record<string, number>): string {
  const root = mkdtempSync(join(tmpdir(), "sfl-bin-"));
  dirs.push(root);
  const now = Date.now() / 1000;
  for (const [path, age] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "");
    utimesSync(file, now - age, now - age);
  }
  return root;
}

/** A checkout built 100 s ago from sources 200 s old. */
const BUILT_CHECKOUT = {
  "package.json": 200,
  "index.ts": 200,
  "cli/main.ts": 200,
  "cli/main.test.ts": 200,
  "market/waterFill.ts": 200,
  "dist/.build-started": 100,
  "dist/cli/main.js": 90,
  "dist/market/waterFill.js": 90,
  "dist/package.json": 90,
};

describe("cliEntry", () => {
  it("an installed package runs its build; with no build and no sources it says what is missing", () => {
    expect(entry(tree({ "dist/cli/main.js": 0, "dist/package.json": 0 }))).toMatchObject({ kind: "built" });
    expect(entry(tree({ "bin/sfl-market.js": 0 }))).toMatchObject({ kind: "missing" });
  });

  it("a checkout runs a build newer than every source", () => {
    const root = tree(BUILT_CHECKOUT);
    expect(entry(root)).toEqual({
      kind: "built",
      file: join(root, "dist", "cli", "main.js"),
      reason: "dist/ is newer than every source",
    });
  });

  it("a checkout runs the sources when a built source, index.ts or package.json changed after the build", () => {
    for (const changed of [
      "market/waterFill.ts",
      "cli/main.ts",
      "index.ts",
      "package.json",
      "market/new.ts",
    ]) {
      const root = tree({ ...BUILT_CHECKOUT, [changed]: 0 });
      expect(entry(root)).toEqual({
        kind: "sources",
        file: join(root, "cli", "main.ts"),
        reason: `${changed} changed after the build`,
      });
    }
    // changed during the build (after it started, before it ended): the build may have missed it
    expect(entry(tree({ ...BUILT_CHECKOUT, "market/waterFill.ts": 95 })).kind).toBe("sources");
  });

  it("test files and folders the build did not compile do not make the build stale", () => {
    expect(entry(tree({ ...BUILT_CHECKOUT, "cli/main.test.ts": 0, "bench/run.ts": 0 })).kind).toBe("built");
  });

  it("an unfinished or absent build runs the sources", () => {
    const { "dist/package.json": _, ...unfinished } = BUILT_CHECKOUT;
    expect(entry(tree(unfinished))).toMatchObject({ kind: "sources", reason: "no complete build in dist/" });
    const { "dist/.build-started": __, ...noStamp } = BUILT_CHECKOUT;
    expect(entry(tree(noStamp)).kind).toBe("sources");
    expect(entry(tree({ "cli/main.ts": 0 })).kind).toBe("sources");
  });

  it("SFL_MARKET_SOURCES=1 runs a checkout's sources, never an installed package's (it has none)", () => {
    expect(entry(tree(BUILT_CHECKOUT), { SFL_MARKET_SOURCES: "1" })).toMatchObject({ kind: "sources" });
    expect(entry(tree({ "dist/cli/main.js": 0 }), { SFL_MARKET_SOURCES: "1" }).kind).toBe("built");
  });
});
