import { describe, expect, it } from "vitest";
import { InputError } from "../market/errors.ts";
import { parseJson } from "./marketFile.ts";

/** The single issue parseJson reports for `text`. */
function issue(text: string) {
  try {
    parseJson("m.json", text);
  } catch (e) {
    if (e instanceof InputError && e.issues.length === 1) return e.issues[0];
    throw e;
  }
  throw new Error("parsed");
}

describe("parseJson", () => {
  it("returns the value of valid JSON", () => {
    expect(parseJson("m.json", '{"tau": 2}')).toEqual({ tau: 2 });
  });

  it.each([
    ['{"a": 1,}', "m.json:1:9", 8, "Expected double-quoted property name"],
    ["", "m.json:1:1", 0, "Unexpected end of JSON input"],
    ['{\n  "a": [1,\n', "m.json:3:1", 13, "Unexpected end of JSON input"],
    ["nope", "m.json:1:2", 1, "Unexpected token 'o'"],
    ['{"a": [1, 2,]}', "m.json:1:13", 12, "Unexpected token ']'"],
    ['{\n "budget": [1, NaN]\n}', "m.json:2:16", 17, "Unexpected token 'N'"],
    ["[1]\n\n  x", "m.json:3:3", 7, "Unexpected non-whitespace character after JSON"],
  ])("locates the error in %j", (text, path, offset, what) => {
    expect(issue(text)).toEqual({ path, message: `not valid JSON: ${what} (at offset ${offset})` });
  });
});
