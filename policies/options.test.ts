import { describe, expect, it } from "vitest";
import { InputError } from "../market/errors.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "./options.ts";

const docs: readonly OptionDoc[] = [
  aggregationOption("fedavg"),
  { name: "k", type: "integer", default: null, min: 1, description: "count" },
  {
    name: "fraction",
    type: "number",
    default: 0.2,
    min: 0,
    exclusiveMin: true,
    max: 1,
    description: "share",
  },
  { name: "redraw", type: "boolean", default: true, description: "flag" },
];

describe("parseOptions", () => {
  it("fills defaults and leaves options without a default absent", () => {
    expect(parseOptions("p", docs, undefined)).toEqual({
      aggregation: "fedavg",
      fraction: 0.2,
      redraw: true,
    });
    expect(parseOptions("p", docs, { k: 3, aggregation: "unbiased" })).toEqual({
      aggregation: "unbiased",
      k: 3,
      fraction: 0.2,
      redraw: true,
    });
  });

  it("reports every bad or unknown option by path, with what is allowed", () => {
    let err: unknown;
    try {
      parseOptions("p", docs, { k: 1.5, fraction: 0, redraw: "yes", aggregation: "mean", kk: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const issues = (err as InputError).issues;
    expect(issues.map((x) => x.path).sort()).toEqual(
      ["options.aggregation", "options.fraction", "options.k", "options.kk", "options.redraw"].sort(),
    );
    const byPath = Object.fromEntries(issues.map((x) => [x.path, x.message]));
    expect(byPath["options.kk"]).toContain("aggregation, k, fraction, redraw");
    expect(byPath["options.fraction"]).toContain("> 0 and <= 1");
    expect(byPath["options.aggregation"]).toContain('"unbiased", "fedavg"');
    expect(byPath["options.k"]).toContain("an integer >= 1");
  });

  it("rejects any option for a policy that takes none", () => {
    expect(() => parseOptions("myopic", [], { x: 1 })).toThrow(/takes: none/);
    expect(parseOptions("myopic", [], {})).toEqual({});
  });
});
