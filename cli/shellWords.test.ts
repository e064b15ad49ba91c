import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellLine, shellWord } from "./shellWords.ts";

describe("shellWord", () => {
  it("leaves plain words alone and quotes the rest", () => {
    expect(shellWord("learned:runs/a-1.x")).toBe("learned:runs/a-1.x");
    expect(shellWord("my runs")).toBe("'my runs'");
    expect(shellWord("")).toBe("''");
  });

  it("reads back through a real shell as the same words", () => {
    const words = ["sfl-market", "--out", "a b", "it's", "$HOME", "x;y", "*", '"q"', "back\\slash", ""];
    // printf prints each argument between brackets; sh parses the line as a user's shell would
    const out = execFileSync("sh", ["-c", `printf '[%s]' ${shellLine(words)}`], { encoding: "utf8" });
    expect(out).toBe(words.map((w) => `[${w}]`).join(""));
  });
});
