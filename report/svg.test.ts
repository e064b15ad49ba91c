import { describe, expect, it } from "vitest";
import {
  barChart,
  boxPlot,
  boxStats,
  legendSvg,
  linearAxis,
  lineChart,
  logAxis,
  PALETTE,
  pooledMedianPath,
  scatterLogLog,
  seriesStyles,
  styleAt,
} from "./svg.ts";
import { wellFormedProblems } from "./testXml.ts";

const BAD = /NaN|undefined|Infinity/;
const style = styleAt(0);

describe("axes", () => {
  it("puts linear ticks at 1, 2 or 5 times a power of ten, covering the data", () => {
    expect(linearAxis(0, 2800)).toEqual({
      lo: 0,
      hi: 3000,
      log: false,
      ticks: [0, 500, 1000, 1500, 2000, 2500, 3000],
    });
    expect(linearAxis(0, 0.3).ticks).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(linearAxis(5, 5).lo).toBeLessThan(5);
    expect(linearAxis(Number.NaN, 1)).toMatchObject({ lo: 0, hi: 1 });
  });

  it("uses 1-2-5 bounds and ticks within two decades, whole decades beyond", () => {
    expect(logAxis(38, 260)).toEqual({ lo: 20, hi: 500, log: true, ticks: [20, 50, 100, 200, 500] });
    expect(logAxis(0.01, 4)).toEqual({ lo: 0.01, hi: 10, log: true, ticks: [0.01, 0.1, 1, 10] });
    expect(logAxis(1e-9, 1e3).ticks).toEqual([1e-9, 1e-7, 1e-5, 1e-3, 0.1, 10, 1e3]);
    const same = logAxis(7, 7);
    expect(same.lo).toBeLessThan(7);
    expect(same.hi).toBeGreaterThan(7);
    expect(logAxis(0, 10)).toMatchObject({ lo: 1, hi: 10 });
  });
});

describe("styles", () => {
  it("assigns palette colours by position, then repeats them dashed", () => {
    const s = seriesStyles(["prince", "uniform"]);
    expect(s.get("prince")).toEqual({ color: PALETTE[0], dash: null });
    expect(s.get("uniform")).toEqual({ color: PALETTE[1], dash: null });
    expect(styleAt(PALETTE.length)).toEqual({ color: PALETTE[0], dash: "6 3" });
  });
});

describe("pooledMedianPath", () => {
  it("takes the median over runs at every x, interpolating inside a run and holding its last value", () => {
    const a = [
      [0, 4],
      [2, 2],
    ] as const;
    const b = [
      [0, 6],
      [1, 1],
    ] as const;
    const c = [
      [1, 8],
      [3, 0],
    ] as const;
    // x=0: {4, 6} -> 5 (c has not started); x=1: {3, 1, 8} -> 3; x=2: {2, 1, 4} -> 2; x=3: {2, 1, 0} -> 1.
    expect(pooledMedianPath([a, b, c])).toEqual([
      [0, 5],
      [1, 3],
      [2, 2],
      [3, 1],
    ]);
    expect(pooledMedianPath([a])).toEqual(a);
    expect(pooledMedianPath([[], []])).toEqual([]);
  });
});

describe("boxStats", () => {
  it("gives quartiles and 5-95 % whiskers of the finite values", () => {
    const v = Array.from({ length: 101 }, (_, k) => k);
    expect(boxStats([...v, Number.NaN])).toEqual({ n: 101, q05: 5, q25: 25, q50: 50, q75: 75, q95: 95 });
    expect(boxStats([])).toBeNull();
  });
});

describe("charts", () => {
  it("draw a line chart with thin seed lines, a bold median and reference lines", () => {
    const svg = lineChart({
      title: "A <&> B",
      xLabel: "time",
      yLabel: "gap",
      logY: true,
      series: [
        {
          name: "a<b&c",
          style,
          runs: [
            [
              [0, 1],
              [10, 0.1],
            ],
            [
              [0, 2],
              [5, 0.05],
              [6, 0],
              [7, Number.NaN],
            ],
          ],
        },
      ],
      hLine: { y: 0.02, label: "target" },
      vLine: { x: 8, label: "deadline" },
    });
    expect(wellFormedProblems(svg)).toEqual([]);
    expect(svg).toContain("A &lt;&amp;&gt; B");
    expect(svg).toContain("a&lt;b&amp;c");
    expect(svg.match(/<path /g)?.length).toBe(3);
    expect(svg).toContain('stroke-width="2.5"');
    expect(svg).toContain("deadline");
    expect(svg).not.toMatch(BAD);
  });

  it("say 'no data' instead of drawing an empty line chart", () => {
    const svg = lineChart({
      xLabel: "x",
      yLabel: "y",
      series: [{ name: "p", style, runs: [[[1, -1]], []] }],
      logY: true,
    });
    expect(svg).toContain("no data");
    expect(wellFormedProblems(svg)).toEqual([]);
    expect(svg).not.toMatch(BAD);
  });

  it("draw a null bar as a hatched 'not met' stub", () => {
    const svg = barChart({
      id: "t",
      yLabel: "time",
      logY: true,
      groups: [
        {
          label: "A",
          bars: [
            { name: "p", style, value: 100, interval: [80, 130] },
            { name: "q", style: styleAt(1), value: null },
          ],
        },
        { label: "B", bars: [{ name: "p", style, value: null }] },
      ],
      legend: [{ label: "p", style, symbol: "box" }],
    });
    expect(wellFormedProblems(svg)).toEqual([]);
    expect(svg.match(/not met/g)?.length).toBe(2);
    expect(svg).toContain('fill="url(#t-hatch)"');
    expect(svg).not.toMatch(BAD);
  });

  it("draw bar and box charts where every value is missing", () => {
    const bars = barChart({
      yLabel: "t",
      groups: [{ label: "A", bars: [{ name: "p", style, value: null }] }],
    });
    const boxes = boxPlot({
      yLabel: "q",
      groups: [{ label: "A", boxes: [{ name: "p", style, values: [] }] }],
    });
    const none = boxPlot({ yLabel: "q", groups: [] });
    for (const svg of [bars, boxes, none, barChart({ yLabel: "t", groups: [] })]) {
      expect(wellFormedProblems(svg)).toEqual([]);
      expect(svg).not.toMatch(BAD);
    }
    expect(boxes).toContain("no samples");
  });

  it("draw boxes with whiskers and a scatter with y = x", () => {
    const box = boxPlot({
      yLabel: "price",
      logY: true,
      groups: [{ label: "A", boxes: [{ name: "p", style, values: [0, 1, 2, 3, 4, 100] }] }],
    });
    expect(wellFormedProblems(box)).toEqual([]);
    expect(box).toContain("n=5");
    const scatter = scatterLogLog({
      xLabel: "predicted",
      yLabel: "measured",
      points: [
        { x: 10, y: 8, series: "p", group: "A" },
        { x: 100, y: 90, series: "q", group: "B" },
        { x: 0, y: 5, series: "p", group: "A" },
      ],
      styles: seriesStyles(["p", "q"]),
      groups: ["A", "B"],
      subtitle: "rho = 1",
    });
    expect(wellFormedProblems(scatter)).toEqual([]);
    expect(scatter).toContain("y = x");
    expect(scatter.match(/<title>/g)?.length).toBe(2);
    expect(scatter).not.toMatch(BAD);
    expect(legendSvg([{ label: "x", style, symbol: "line" }], 300)).toMatch(/^<svg[^>]*>.*<\/svg>$/);
  });
});
