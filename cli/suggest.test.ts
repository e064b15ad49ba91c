import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance } from "./suggest.ts";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and swaps of neighbours as one edit each", () => {
    expect(editDistance("solve", "solve")).toBe(0);
    expect(editDistance("solv", "solve")).toBe(1);
    expect(editDistance("solvee", "solve")).toBe(1);
    expect(editDistance("salve", "solve")).toBe(1);
    expect(editDistance("comapre", "compare")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("closest / didYouMean", () => {
  const words = ["solve", "scenario", "start", "compare", "check", "train"];
  it("suggests the nearest candidates, none when nothing is near", () => {
    expect(closest("strat", words)).toEqual(["start"]);
    expect(closest("sce", words)).toEqual(["scenario"]);
    expect(closest("xyzzy", words)).toEqual([]);
    // a one-letter word is one edit from every one-letter candidate, never from longer ones
    expect(closest("q", words)).toEqual([]);
  });
  it("words the suggestion as a clause for an error line", () => {
    expect(
      didYouMean(
        "tol",
        ["--tol", "--json"].map((o) => o.slice(2)),
        (c) => `--${c}`,
      ),
    ).toBe("; did you mean --tol?");
    expect(didYouMean("max-sweep", ["max-sweeps", "max-steps"], (c) => `--${c}`)).toBe(
      "; did you mean --max-sweeps?",
    );
    expect(didYouMean("sta", ["start", "stats"])).toBe("; did you mean start or stats?");
    expect(didYouMean("zzz", words)).toBe("");
  });
});
