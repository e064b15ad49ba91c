// docs/cli.md documents every command and every option as the commands are now: the options in a
// command's --help (its synopsis and its option list) are exactly the options in the table of its
// section, `## \`sfl-market NAME ...\``, and the command table at the top lists exactly the
// registered commands.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { commands } from "./commands/index.ts";

const DOC = readFileSync(new URL("../docs/cli.md", import.meta.url), "utf8");

/** Every `--flag` of a usage text: in its synopsis (up to the first blank line) and its option lines. */
function usageOptions(usage: string): string[] {
  const synopsis = usage.split(/\n\s*\n/)[0];
  const listed = [...usage.matchAll(/^--([a-z][\w-]*)/gm)].map((m) => m[1]);
  const inSynopsis = [...synopsis.matchAll(/--([a-z][\w-]*)/g)].map((m) => m[1]);
  return [...new Set([...inSynopsis, ...listed])].sort();
}

/** The section of docs/cli.md about one command, from its heading to the next command's heading. */
function docSection(doc: string, name: string): string | undefined {
  const start = doc.search(new RegExp(`^## \`sfl-market ${name}( |\`)`, "m"));
  if (start < 0) return undefined;
  const rest = doc.slice(start + 1);
  const next = rest.search(/^## `sfl-market /m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** The options of a section's option tables: rows whose first cell starts with `--flag`. */
function tableOptions(section: string): string[] {
  return [...new Set([...section.matchAll(/^\|\s*`--([a-z][\w-]*)/gm)].map((m) => m[1]))].sort();
}

describe("docs/cli.md", () => {
  it("lists exactly the registered commands in its command table", () => {
    const table = DOC.slice(0, DOC.indexOf("\n## "));
    const listed = [...table.matchAll(/^\|\s*`([a-z][\w-]*)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(commands.map((c) => c.name).sort());
  });

  for (const entry of commands)
    it(`documents every option of \`${entry.name} --help\` and no other`, async () => {
      const section = docSection(DOC, entry.name);
      expect(section, `docs/cli.md has no section "## \`sfl-market ${entry.name} ...\`"`).toBeDefined();
      const usage = usageOptions((await entry.load()).usage);
      expect(usage.length).toBeGreaterThan(0);
      expect(tableOptions(section!), `options of ${entry.name}: docs/cli.md vs --help`).toEqual(usage);
    });

  it("reads options from usage texts and tables as intended", () => {
    const usage =
      "Usage: x [--a N] [--b-c]\n\nAbout --d in prose.\n\n--a N   one\n--e     two\n   --f indented prose";
    expect(usageOptions(usage)).toEqual(["a", "b-c", "e"]);
    const doc =
      "# t\n## `sfl-market x [--a]`\n| `--a N` | one |\n| `--b` | two |\n\n## `sfl-market y`\n| `--c` | |\n";
    expect(tableOptions(docSection(doc, "x")!)).toEqual(["a", "b"]);
    expect(tableOptions(docSection(doc, "y")!)).toEqual(["c"]);
    expect(docSection(doc, "z")).toBeUndefined();
  });
});
