import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The layers point one way (docs/architecture.md): a source file imports only from layers below
 * its own, never up and never sideways between siblings of one rank. Checked over the import
 * graph of every non-test source file (static imports, re-exports and dynamic imports).
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Rank of each layer: an import must go to a strictly lower rank (or stay in its own folder). */
const LAYERS: Readonly<Record<string, number>> = Object.freeze({
  market: 0,
  env: 1,
  policies: 2,
  agents: 3,
  props: 3,
  io: 4,
  report: 5,
  experiments: 6,
  // sweeps across processes and machines: plans, stores, task execution over experiments/
  sweep: 6.5,
  cli: 7,
  // the user-facing example modules, as a user's code: only the benchmarks (and tests) import them
  examples: 7,
  bench: 8,
});

/** Folders that are not layers (built output, docs tooling, Python). */
const SKIP = new Set(["node_modules", "dist", "docs", "python", "test", ".git", ".ci", "coverage"]);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".") || SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(e.name) && !/\.test\.[mc]?[jt]s$/.test(e.name)) out.push(p);
  }
  return out;
}

const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']|(?:^|[^\w.])import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/** Relative import specifiers of a source text (comments stripped first). */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith(".")) out.push(spec);
  }
  return out;
}

/** The layer of a repository-relative path (its first folder), or null for top-level files. */
function layerOf(rel: string): string | null {
  const parts = rel.split(/[\\/]/);
  return parts.length > 1 ? parts[0] : null;
}

interface LayerViolation {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/** Violations among edges (repository-relative paths). */
function violations(edges: readonly { from: string; to: string }[]): LayerViolation[] {
  const out: LayerViolation[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === null || !(a in LAYERS)) continue; // index.ts and non-layer files may import anything
    if (a === b) continue;
    if (b === null || !(b in LAYERS)) {
      out.push({ from, to, why: `${a}/ imports ${to}, which is outside the layers` });
      continue;
    }
    const ra = LAYERS[a];
    const rb = LAYERS[b];
    if (rb > ra) out.push({ from, to, why: `${a}/ (rank ${ra}) imports up into ${b}/ (rank ${rb})` });
    else if (rb === ra) out.push({ from, to, why: `${a}/ imports sideways into its sibling ${b}/` });
  }
  return out;
}

function importGraph(): { from: string; to: string }[] {
  const edges: { from: string; to: string }[] = [];
  for (const file of sourceFiles(ROOT)) {
    const from = relative(ROOT, file);
    for (const spec of importsOf(readFileSync(file, "utf8")))
      edges.push({ from, to: normalize(relative(ROOT, join(dirname(file), spec))) });
  }
  return edges;
}

describe("layers (docs/architecture.md)", () => {
  it("every import of a source file points down", () => {
    const edges = importGraph();
    expect(edges.length).toBeGreaterThan(300);
    expect(violations(edges).map((v) => `${v.from} -> ${v.to}: ${v.why}`)).toEqual([]);
  });

  it("the check sees imports up, sideways and out, in every form", () => {
    expect(
      importsOf(`import { a } from "../env/x.ts";
export * from "./y.ts";
import type {
  B,
} from "../policies/types.ts";
const m = await import("../io/z.ts");
// import { no } from "../cli/commented.ts";
/* import { no2 } from "../cli/block.ts"; */
import "./side-effect.ts";
import { lib } from "node:fs";`),
    ).toEqual(["../env/x.ts", "./y.ts", "../policies/types.ts", "../io/z.ts", "./side-effect.ts"]);
    const found = violations([
      { from: "env/simulation.ts", to: "policies/types.ts" },
      { from: "agents/comparison.ts", to: "props/policyChecks.ts" },
      { from: "policies/registry.ts", to: "io/policyLoaders.ts" },
      { from: "report/svg.ts", to: "examples/my-pricing.ts" },
      { from: "market/x.ts", to: "index.ts" },
      { from: "cli/main.ts", to: "env/presets.ts" },
      { from: "env/a.ts", to: "env/b.ts" },
      { from: "index.ts", to: "cli/main.ts" },
    ]);
    expect(found.map((v) => v.from)).toEqual([
      "env/simulation.ts",
      "agents/comparison.ts",
      "policies/registry.ts",
      "report/svg.ts",
      "market/x.ts",
    ]);
  });
});
