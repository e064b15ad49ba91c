import { describe, expect, it } from "vitest";
import { parseCommandArgs } from "./args.ts";
import { UsageError } from "./command.ts";

const options = {
  json: { type: "boolean" },
  tol: { type: "string" },
  "max-sweeps": { type: "string" },
} as const;

function usageError(args: string[]): string {
  try {
    parseCommandArgs(args, options);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${args.join(" ")}`);
}

describe("parseCommandArgs", () => {
  it("parses known flags and positionals", () => {
    const { values, positionals } = parseCommandArgs(["m.json", "--tol", "1e-3", "--json"], options);
    expect(values).toEqual({ tol: "1e-3", json: true });
    expect(positionals).toEqual(["m.json"]);
  });

  it("names an unknown flag, with the known flag it is close to", () => {
    expect(usageError(["--jsno"])).toBe("unknown option '--jsno'; did you mean --json?");
    expect(usageError(["--max-sweep", "3"])).toBe("unknown option '--max-sweep'; did you mean --max-sweeps?");
    expect(usageError(["--tol2=3"])).toBe("unknown option '--tol2'; did you mean --tol?");
    expect(usageError(["--hlep"])).toBe("unknown option '--hlep'; did you mean --help?");
    expect(usageError(["--frobnicate"])).toBe("unknown option '--frobnicate'");
    expect(usageError(["-x"])).toBe("unknown option '-x'");
  });

  it("reports a flag without its value in one line", () => {
    expect(usageError(["--tol"])).not.toContain("\n");
    expect(usageError(["--tol"])).toContain("--tol");
  });
});
