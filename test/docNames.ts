import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The library names the documentation shows: every name imported with braces, in a TypeScript or
 * JavaScript code block of README.md or docs/*.md, from "sfl-market" or from one of the project's
 * own modules by relative path ("./props/policyChecks.ts": the same API from a checkout). Imports of
 * a user's example module (examples/, cli/fixtures/) are not library API and are left out.
 */

export interface DocName {
  readonly name: string;
  /** Imported with `type` (`import type { X }` or `import { type X }`): checked by the compiler only. */
  readonly typeOnly: boolean;
  /** Where the docs show it first: "docs/plugins.md". */
  readonly file: string;
}

const FENCE = /^```(?:ts|typescript|js|mjs|javascript)\s*\n([\s\S]*?)^```/gm;
const IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g;

export function isLibrarySource(spec: string): boolean {
  if (spec === "sfl-market") return true;
  return /^\.\.?\//.test(spec) && !/(^|\/)(examples|fixtures)\//.test(spec);
}

/** The names imported in the code blocks of one Markdown text. */
export function namesInMarkdown(markdown: string, file: string): DocName[] {
  const out: DocName[] = [];
  for (const block of markdown.matchAll(FENCE)) {
    for (const m of block[1].matchAll(IMPORT)) {
      if (!isLibrarySource(m[3])) continue;
      const list = m[2].replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
      for (const raw of list.split(",")) {
        const spec = raw.trim();
        if (spec === "") continue;
        const typeOnly = m[1] !== undefined || spec.startsWith("type ");
        const name = spec
          .replace(/^type\s+/, "")
          .split(/\s+as\s+/)[0]
          .trim();
        out.push({ name, typeOnly, file });
      }
    }
  }
  return out;
}

/** Every name the README and docs/*.md show, once each (a value import wins over a type import). */
export function docImports(root: string): DocName[] {
  const files = [
    "README.md",
    ...readdirSync(join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  const byName = new Map<string, DocName>();
  for (const file of files)
    for (const n of namesInMarkdown(readFileSync(join(root, file), "utf8"), file)) {
      const seen = byName.get(n.name);
      if (!seen || (seen.typeOnly && !n.typeOnly)) byName.set(n.name, n);
    }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
