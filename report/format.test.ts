import { describe, expect, it } from "vitest";
import { coord, count, escapeXml, ratio, tickLabel, value } from "./format.ts";

describe("format", () => {
  it("escapes the five XML specials", () => {
    expect(escapeXml(`a<b&c>"d'`)).toBe("a&lt;b&amp;c&gt;&quot;d&#39;");
  });

  it("prints absent or non-finite numbers as a dash, never NaN", () => {
    for (const f of [value, count, ratio]) {
      expect(f(null)).toBe("—");
      expect(f(Number.NaN)).toBe("—");
      expect(f(Number.POSITIVE_INFINITY)).toBe("—");
    }
    expect(coord(Number.NaN)).toBe("0");
    expect(tickLabel(Number.NaN)).toBe("");
  });

  it("formats table values with 4 significant digits and no trailing zeros", () => {
    expect(value(926.345)).toBe("926.3");
    expect(value(749)).toBe("749");
    expect(value(0.02)).toBe("0.02");
    expect(value(999.96)).toBe("1000");
    expect(value(18448.4)).toBe("18448");
    expect(value(0.000123)).toBe("1.23e-4");
    expect(value(0)).toBe("0");
  });

  it("formats ratios, counts, ticks and coordinates stably", () => {
    expect(ratio(2.3149)).toBe("2.31x");
    expect(count(46)).toBe("46");
    expect(count(46.5)).toBe("46.5");
    expect(tickLabel(0.1 + 0.2)).toBe("0.3");
    expect(tickLabel(20000)).toBe("20k");
    expect(tickLabel(1.5e6)).toBe("1.5M");
    expect(tickLabel(1e-5)).toBe("1e-5");
    expect(coord(-0.01)).toBe("0.0");
    expect(coord(12.345)).toBe("12.3");
  });
});
