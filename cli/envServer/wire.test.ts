import { describe, expect, it } from "vitest";
import { decodeLine, encodeLine, WireSyntaxError } from "./wire.ts";

describe("env-server wire format", () => {
  it("round-trips doubles bit for bit, typed arrays as lists, and the non-finite numbers as tokens", () => {
    const xs = [0.1, 1 / 3, -2.5e-310, 1.7976931348623157e308, 5e-324, 2 ** 53 + 2, -0.5, 0, -0];
    const line = encodeLine({
      a: Float64Array.from(xs),
      b: [Number.NaN, Number.POSITIVE_INFINITY, -Infinity],
    });
    const written = xs.map((x) => (Object.is(x, -0) ? "-0.0" : String(x)));
    expect(line).toBe(`{"a":[${written.join(",")}],"b":[NaN,Infinity,-Infinity]}`);
    const back = decodeLine(line) as { a: number[]; b: number[] };
    expect(back.a).toEqual(xs);
    expect(Object.is(back.a.at(-1), -0)).toBe(true);
    expect(back.b).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it("leaves the tokens alone inside strings, and skips undefined fields as JSON.stringify does", () => {
    const v = { s: 'NaN "Infinity" \\ -Infinity', n: null, u: undefined, t: true, nested: [{ k: "x" }] };
    const line = encodeLine(v);
    expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(v)));
    expect(decodeLine(`{"s":"NaN \\"x\\"","x":NaN}`)).toEqual({ s: 'NaN "x"', x: Number.NaN });
  });

  it("anything else that is not JSON is a WireSyntaxError", () => {
    for (const bad of ["{oops", "NaNa", "[1,]", '{"a": Infinit}', ""])
      expect(() => decodeLine(bad), bad).toThrow(WireSyntaxError);
  });
});
