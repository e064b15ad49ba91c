import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as lib from "../index.ts";
import { docImports, namesInMarkdown } from "./docNames.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("the names the docs show (what test/pack.test.ts imports from the tarball)", () => {
  it("reads braces imports of code blocks, with type, as and comments; skips examples and prose", () => {
    const md = [
      'Prose with `inProse` and `import { notCode } from "sfl-market"` inline.',
      "```ts",
      "import { a, type B, c as d, // a comment, with a comma",
      '  e } from "sfl-market";',
      'import type { F } from "./env/parallelEnv.ts";',
      'import { mine } from "./examples/my-pricing.ts";',
      'import { other } from "left-pad";',
      'import def from "sfl-market";',
      "```",
      "```sh",
      'import { shell } from "sfl-market"',
      "```",
    ].join("\n");
    expect(namesInMarkdown(md, "x.md").map((n) => `${n.name}${n.typeOnly ? ":type" : ""}`)).toEqual([
      "a",
      "B:type",
      "c",
      "e",
      "F:type",
    ]);
  });

  it("the real docs show the library API of issue 14, and the package index exports every value they show", () => {
    const names = docImports(ROOT);
    const values = names.filter((n) => !n.typeOnly).map((n) => n.name);
    for (const promised of [
      "checkTenantPolicy",
      "checkDevicePolicy",
      "formatPolicyChecks",
      "tenantPolicyProperties",
      "loadPolicyModule",
      "trainDevicePolicy",
    ])
      expect(values).toContain(promised);
    const missing = names.filter((n) => !n.typeOnly && !(n.name in lib)).map((n) => `${n.name} (${n.file})`);
    expect(missing).toEqual([]);
  });
});
