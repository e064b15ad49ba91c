import { coord, escapeXml, tickLabel } from "./format.ts";
import { maxOf, minOf, quantile } from "./stats.ts";

/**
 * Small chart primitives that return SVG strings: a line chart (optionally log y), a grouped bar
 * chart, a box plot and a log-log scatter with a y = x reference. No DOM, no randomness, no clock:
 * coordinates are printed with one decimal, so the same input always gives the same bytes.
 * Non-finite values (and non-positive ones on a log axis) are left out of a chart, never drawn.
 */

export type Point = readonly [number, number];

export interface SeriesStyle {
  color: string;
  /** stroke-dasharray for lines, or null for solid; used once the palette has been gone through. */
  dash: string | null;
}

/**
 * Okabe and Ito's colour-blind-safe palette without its yellow (too faint on white); the first
 * policy (PRINCE, normally) gets blue. Past seven policies the colours repeat with a dash pattern.
 */
export const PALETTE: readonly string[] = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
];
const DASHES: readonly (string | null)[] = [null, "6 3", "2 2", "8 3 2 3"];

export function styleAt(index: number): SeriesStyle {
  const k = Math.max(0, Math.floor(index));
  return { color: PALETTE[k % PALETTE.length], dash: DASHES[Math.floor(k / PALETTE.length) % DASHES.length] };
}

/** A style per name, assigned by position, so a policy keeps its colour in every chart. */
export function seriesStyles(names: readonly string[]): Map<string, SeriesStyle> {
  return new Map(names.map((n, k) => [n, styleAt(k)]));
}

// ---------------------------------------------------------------------------------------------
// Scales

export interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
}

const clean = (x: number) => Number(x.toPrecision(12));

function niceStep(rough: number): number {
  const exp = Math.floor(Math.log10(rough));
  const f = rough / 10 ** exp;
  const nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  return nf * 10 ** exp;
}

/** A linear axis covering [min, max] with about `count` ticks at 1, 2 or 5 times a power of ten. */
export function linearAxis(min: number, max: number, count = 5): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { lo: 0, hi: 1, log: false, ticks: [0, 0.5, 1] };
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.5;
    min -= min === 0 ? 0 : pad;
    max += pad;
  }
  const step = niceStep((max - min) / count);
  const lo = clean(Math.floor(min / step) * step);
  const hi = clean(Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let k = 0; lo + k * step <= hi + step * 1e-9; k++) ticks.push(clean(lo + k * step));
  return { lo, hi, log: false, ticks };
}

const STEPS_125 = [1, 2, 5];

/** The largest 1-2-5 number (1, 2, 5 times a power of ten) <= v, or the smallest >= v if `up`. */
function snap125(v: number, up: boolean): number {
  const e = Math.floor(Math.log10(v));
  const candidates = [-1, 0, 1].flatMap((d) => STEPS_125.map((m) => clean(m * 10 ** (e + d))));
  const ok = candidates.filter((c) => (up ? c >= v * (1 - 1e-9) : c <= v * (1 + 1e-9)));
  return up ? minOf(ok) : maxOf(ok);
}

/**
 * A log axis for min, max > 0. Up to two decades wide it runs between 1-2-5 numbers with 1-2-5
 * ticks; wider, it runs between powers of ten with a tick every decade (every few beyond six).
 */
export function logAxis(min: number, max: number): Axis {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) {
    return { lo: 1, hi: 10, log: true, ticks: [1, 2, 5, 10] };
  }
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    min /= 2;
    max *= 2;
  }
  let lo = snap125(min, false);
  let hi = snap125(max, true);
  if (hi / lo <= 100 * (1 + 1e-9)) {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of STEPS_125) {
        const t = clean(m * 10 ** e);
        if (t >= lo && t <= hi) ticks.push(t);
      }
    }
    return { lo, hi, log: true, ticks };
  }
  const a = Math.floor(Math.log10(min) + 1e-9);
  const b = Math.ceil(Math.log10(max) - 1e-9);
  lo = clean(10 ** a);
  hi = clean(10 ** b);
  const every = b - a <= 6 ? 1 : Math.ceil((b - a) / 6);
  const ticks: number[] = [];
  for (let e = a; e <= b; e += every) ticks.push(clean(10 ** e));
  return { lo, hi, log: true, ticks };
}

/** Axis position in [0, 1] of v. */
function fraction(axis: Axis, v: number): number {
  if (axis.log) return (Math.log10(v) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo));
  return (v - axis.lo) / (axis.hi - axis.lo);
}

interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

const px = (f: Frame, axis: Axis, v: number) => f.x0 + fraction(axis, v) * f.w;
const py = (f: Frame, axis: Axis, v: number) => f.y0 + f.h - fraction(axis, v) * f.h;

/** Values usable on an axis: finite, and positive on a log axis. */
const usable = (log: boolean) => (v: number) => Number.isFinite(v) && (!log || v > 0);

// ---------------------------------------------------------------------------------------------
// Shared pieces

const FONT = "Helvetica, Arial, sans-serif";
const GRID = "#e3e3e3";
const INK = "#333333";

function openSvg(width: number, height: number, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${coord(width)}" height="${coord(height)}" ` +
    `viewBox="0 0 ${coord(width)} ${coord(height)}" font-family="${FONT}" font-size="11" ` +
    `role="img" aria-label="${escapeXml(label)}">`
  );
}

function text(
  x: number,
  y: number,
  content: string,
  attrs: {
    anchor?: "start" | "middle" | "end";
    size?: number;
    weight?: string;
    fill?: string;
    rotate?: number;
  } = {},
): string {
  const a = [`x="${coord(x)}"`, `y="${coord(y)}"`];
  if (attrs.anchor && attrs.anchor !== "start") a.push(`text-anchor="${attrs.anchor}"`);
  if (attrs.size) a.push(`font-size="${attrs.size}"`);
  if (attrs.weight) a.push(`font-weight="${attrs.weight}"`);
  a.push(`fill="${attrs.fill ?? INK}"`);
  if (attrs.rotate) a.push(`transform="rotate(${attrs.rotate} ${coord(x)} ${coord(y)})"`);
  return `<text ${a.join(" ")}>${escapeXml(content)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, extra = ""): string {
  return `<line x1="${coord(x1)}" y1="${coord(y1)}" x2="${coord(x2)}" y2="${coord(y2)}" stroke="${stroke}"${extra}/>`;
}

/** Shortens a label to about `maxWidth` pixels at 11 px (6.2 px a character, a rough average). */
function ellipsize(label: string, maxWidth: number): string {
  const max = Math.max(3, Math.floor(maxWidth / 6.2));
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/** Gridlines, tick labels and the y axis title for a vertical value axis. */
function yAxisMarks(f: Frame, axis: Axis, label: string): string {
  const out: string[] = [];
  for (const t of axis.ticks) {
    const y = py(f, axis, t);
    out.push(line(f.x0, y, f.x0 + f.w, y, GRID));
    out.push(text(f.x0 - 5, y + 3.5, tickLabel(t), { anchor: "end", size: 10 }));
  }
  const cy = f.y0 + f.h / 2;
  out.push(text(14, cy, label, { anchor: "middle", rotate: -90 }));
  return out.join("");
}

function xAxisMarks(f: Frame, axis: Axis, label: string): string {
  const out: string[] = [];
  for (const t of axis.ticks) {
    const x = px(f, axis, t);
    out.push(line(x, f.y0, x, f.y0 + f.h, GRID));
    out.push(text(x, f.y0 + f.h + 14, tickLabel(t), { anchor: "middle", size: 10 }));
  }
  out.push(text(f.x0 + f.w / 2, f.y0 + f.h + 32, label, { anchor: "middle" }));
  return out.join("");
}

function frameBox(f: Frame): string {
  return `<rect x="${coord(f.x0)}" y="${coord(f.y0)}" width="${coord(f.w)}" height="${coord(f.h)}" fill="none" stroke="#999999"/>`;
}

function noData(f: Frame, message: string): string {
  return text(f.x0 + f.w / 2, f.y0 + f.h / 2, message, { anchor: "middle", fill: "#888888" });
}

// ---------------------------------------------------------------------------------------------
// Legend

export type LegendSymbol = "line" | "box" | Shape;

export interface LegendItem {
  label: string;
  style: SeriesStyle;
  symbol: LegendSymbol;
  /** Stroke width of a "line" symbol (default 2.5). */
  weight?: number;
  opacity?: number;
}

function legendSymbol(x: number, y: number, item: LegendItem): string {
  const { color, dash } = item.style;
  const op = item.opacity !== undefined ? ` stroke-opacity="${item.opacity}"` : "";
  if (item.symbol === "line") {
    const d = dash ? ` stroke-dasharray="${dash}"` : "";
    return line(x, y, x + 22, y, color, ` stroke-width="${item.weight ?? 2.5}"${d}${op}`);
  }
  if (item.symbol === "box") {
    return `<rect x="${coord(x + 4)}" y="${coord(y - 5)}" width="14" height="10" fill="${color}" fill-opacity="0.35" stroke="${color}" stroke-width="1.5"/>`;
  }
  return marker(item.symbol, x + 11, y, 4.5, color);
}

/** Legend items laid out in rows that wrap at `width`; returns the markup and the height it takes. */
export function legendBlock(
  items: readonly LegendItem[],
  x: number,
  y: number,
  width: number,
): {
  svg: string;
  height: number;
} {
  if (items.length === 0) return { svg: "", height: 0 };
  const rowH = 16;
  let cx = x;
  let cy = y + rowH / 2;
  const out: string[] = [];
  for (const item of items) {
    const label = ellipsize(item.label, 180);
    const w = 28 + label.length * 5.9 + 16;
    if (cx > x && cx + w > x + width) {
      cx = x;
      cy += rowH;
    }
    out.push(legendSymbol(cx, cy, item));
    out.push(text(cx + 27, cy + 4, label));
    cx += w;
  }
  return { svg: out.join(""), height: cy - y + rowH / 2 };
}

/** A legend on its own, as a complete SVG (for a legend shared by small multiples). */
export function legendSvg(items: readonly LegendItem[], width: number): string {
  const { svg, height } = legendBlock(items, 8, 4, width - 16);
  return `${openSvg(width, height + 8, "legend")}${svg}</svg>`;
}

// ---------------------------------------------------------------------------------------------
// Line chart

export interface LineSeries {
  name: string;
  style: SeriesStyle;
  /** One path per run (seed), each a list of [x, y] points in increasing x. */
  runs: readonly (readonly Point[])[];
}

export interface LineChartOptions {
  title?: string;
  width?: number;
  height?: number;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  series: readonly LineSeries[];
  /** A horizontal reference line, e.g. the tenant's target loss gap (always inside the y range). */
  hLine?: { y: number; label: string };
  /** A vertical reference line, e.g. the deadline (drawn only if inside the data's x range). */
  vLine?: { x: number; label: string };
  /** Draw the legend inside the chart (default true); small multiples share one legend instead. */
  legend?: boolean;
  emptyText?: string;
}

/**
 * The pooled path drawn bold over the runs: at every x where some run has a point, the median over
 * runs of each run's value there. Inside its x span a run is interpolated linearly (as it is drawn);
 * after its last point it holds its last value (a tenant that met its target stays there); before
 * its first point it does not count.
 */
export function pooledMedianPath(runs: readonly (readonly Point[])[]): Point[] {
  const live = runs.filter((r) => r.length > 0);
  if (live.length === 0) return [];
  if (live.length === 1) return [...live[0]];
  const xs = [...new Set(live.flatMap((r) => r.map((p) => p[0])))].sort((a, b) => a - b);
  const cursor = live.map(() => 0);
  const out: Point[] = [];
  for (const x of xs) {
    const values: number[] = [];
    live.forEach((run, k) => {
      if (x < run[0][0]) return;
      let c = cursor[k];
      while (c + 1 < run.length && run[c + 1][0] <= x) c++;
      cursor[k] = c;
      const [x0, y0] = run[c];
      if (c + 1 >= run.length || x === x0) {
        values.push(y0);
        return;
      }
      const [x1, y1] = run[c + 1];
      values.push(x1 === x0 ? y0 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0));
    });
    values.sort((a, b) => a - b);
    const m = values.length >> 1;
    out.push([x, values.length % 2 ? values[m] : (values[m - 1] + values[m]) / 2]);
  }
  return out;
}

/** Path data in pixels, dropping points closer than half a pixel to the last one kept. */
function pathData(points: readonly Point[], f: Frame, xa: Axis, ya: Axis): string {
  const parts: string[] = [];
  let lastX = Number.NaN;
  let lastY = Number.NaN;
  points.forEach(([vx, vy], k) => {
    const x = px(f, xa, vx);
    const y = py(f, ya, vy);
    const isLast = k === points.length - 1;
    if (parts.length > 0 && !isLast && Math.abs(x - lastX) < 0.5 && Math.abs(y - lastY) < 0.5) return;
    parts.push(`${parts.length === 0 ? "M" : "L"}${coord(x)},${coord(y)}`);
    lastX = x;
    lastY = y;
  });
  return parts.join("");
}

function polyline(d: string, style: SeriesStyle, width: number, opacity: number): string {
  if (!d.includes("L")) return "";
  const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : "";
  const op = opacity < 1 ? ` stroke-opacity="${opacity}"` : "";
  return `<path d="${d}" fill="none" stroke="${style.color}" stroke-width="${width}"${op}${dash} stroke-linejoin="round"/>`;
}

/**
 * One series per policy: each run (seed) as a thin light line, and the pooled median over runs
 * (pooledMedianPath) as a bold line on top. A series with one run draws only the bold line.
 */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 520;
  const height = o.height ?? 300;
  const log = o.logY ?? false;
  const ok = usable(log);
  const series = o.series.map((s) => ({
    ...s,
    runs: s.runs.map((r) => r.filter((p) => Number.isFinite(p[0]) && ok(p[1]))).filter((r) => r.length > 0),
  }));
  const all = series.flatMap((s) => s.runs.flat());
  const legendItems: LegendItem[] =
    o.legend === false ? [] : series.map((s) => ({ label: s.name, style: s.style, symbol: "line" as const }));
  const top = o.title ? 24 : 8;
  const legend = legendBlock(legendItems, 56, top, width - 64);
  const f: Frame = { x0: 56, y0: top + legend.height + (legend.height ? 6 : 0), w: width - 72, h: 0 };
  f.h = height - f.y0 - 42;
  const out: string[] = [openSvg(width, height, o.title ?? o.yLabel)];
  if (o.title) out.push(text(f.x0, 15, o.title, { size: 13, weight: "bold" }));
  out.push(legend.svg);
  if (all.length === 0) {
    out.push(frameBox(f), noData(f, o.emptyText ?? "no data"), "</svg>");
    return out.join("");
  }
  const xsAll = all.map((p) => p[0]);
  const ysAll = all.map((p) => p[1]);
  const hLine = o.hLine && ok(o.hLine.y) ? o.hLine : undefined;
  if (hLine) ysAll.push(hLine.y);
  const xmin = Math.min(0, minOf(xsAll));
  const xmax = maxOf(xsAll);
  const xa = linearAxis(xmin, xmax);
  const ymin = minOf(ysAll);
  const ymax = maxOf(ysAll);
  // Pad the log range a little so a line ending on the target is not drawn on the frame.
  const ya = log ? logAxis(ymin / 1.3, ymax * 1.1) : linearAxis(Math.min(0, ymin), ymax);
  out.push(yAxisMarks(f, ya, o.yLabel), xAxisMarks(f, xa, o.xLabel), frameBox(f));
  if (hLine) {
    const y = py(f, ya, hLine.y);
    out.push(line(f.x0, y, f.x0 + f.w, y, "#555555", ` stroke-dasharray="5 4"`));
    out.push(text(f.x0 + 4, y - 4, hLine.label, { size: 10, fill: "#555555" }));
  }
  if (o.vLine && Number.isFinite(o.vLine.x) && o.vLine.x >= xa.lo && o.vLine.x <= xa.hi) {
    const x = px(f, xa, o.vLine.x);
    out.push(line(x, f.y0, x, f.y0 + f.h, "#555555", ` stroke-dasharray="2 3"`));
    out.push(text(x - 4, f.y0 + 12, o.vLine.label, { anchor: "end", size: 10, fill: "#555555" }));
  }
  for (const s of series) {
    if (s.runs.length < 2) continue;
    for (const r of s.runs) out.push(polyline(pathData(r, f, xa, ya), s.style, 1, 0.35));
  }
  for (const s of series) {
    const pooled = pooledMedianPath(s.runs);
    const d = pathData(pooled, f, xa, ya);
    if (d.includes("L")) out.push(polyline(d, s.style, 2.5, 1));
    else if (pooled.length === 1) {
      out.push(marker("circle", px(f, xa, pooled[0][0]), py(f, ya, pooled[0][1]), 3, s.style.color));
    }
  }
  out.push("</svg>");
  return out.join("");
}

// ---------------------------------------------------------------------------------------------
// Grouped bar chart

export interface Bar {
  name: string;
  style: SeriesStyle;
  /** null: nothing to show (e.g. the target was never met); drawn as a hatched "not met" marker. */
  value: number | null;
  /** An optional whisker, e.g. the quartiles over seeds. */
  interval?: readonly [number, number] | null;
  /** Hover text. */
  tooltip?: string;
  /** Label of this bar when it is null, instead of the chart's missingLabel. */
  missingLabel?: string;
}

export interface BarGroup {
  label: string;
  bars: readonly Bar[];
}

export interface BarChartOptions {
  title?: string;
  width?: number;
  height?: number;
  yLabel: string;
  logY?: boolean;
  groups: readonly BarGroup[];
  /** Legend entries (normally one per policy); none if omitted. */
  legend?: readonly LegendItem[];
  /** Label of a null bar. */
  missingLabel?: string;
  /** Prefix of the ids inside this SVG (the hatch pattern), unique within an HTML page. */
  id?: string;
}

const safeId = (id: string) => id.replace(/[^A-Za-z0-9_-]/g, "_");

/** Groups (tenants) along x, one bar per policy in each; a null bar is a hatched stub with a label. */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 1000;
  const height = o.height ?? 340;
  const log = o.logY ?? false;
  const ok = usable(log);
  const id = safeId(o.id ?? "bars");
  const top = o.title ? 24 : 8;
  const legend = legendBlock(o.legend ?? [], 64, top, width - 72);
  const f: Frame = { x0: 64, y0: top + legend.height + (legend.height ? 8 : 0), w: width - 80, h: 0 };
  f.h = height - f.y0 - 30;
  const out: string[] = [openSvg(width, height, o.title ?? o.yLabel)];
  out.push(
    `<defs><pattern id="${id}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">` +
      `<line x1="0" y1="0" x2="0" y2="6" stroke="#888888" stroke-width="1.5"/></pattern></defs>`,
  );
  if (o.title) out.push(text(f.x0, 15, o.title, { size: 13, weight: "bold" }));
  out.push(legend.svg);
  const values = o.groups.flatMap((g) =>
    g.bars.flatMap((b) => [b.value ?? Number.NaN, ...(b.interval ?? [])]).filter(ok),
  );
  if (o.groups.length === 0 || o.groups.every((g) => g.bars.length === 0)) {
    out.push(frameBox(f), noData(f, "no data"), "</svg>");
    return out.join("");
  }
  const ya =
    values.length === 0
      ? { ...linearAxis(0, 1), ticks: [] }
      : log
        ? logAxis(minOf(values) / 3, maxOf(values))
        : linearAxis(0, maxOf(values));
  out.push(yAxisMarks(f, ya, o.yLabel), frameBox(f));
  const groupW = f.w / o.groups.length;
  const baseY = f.y0 + f.h;
  o.groups.forEach((g, gi) => {
    const gx = f.x0 + gi * groupW;
    out.push(text(gx + groupW / 2, baseY + 16, ellipsize(g.label, groupW - 4), { anchor: "middle" }));
    if (gi > 0) out.push(line(gx, f.y0, gx, baseY, "#cccccc"));
    const slot = Math.min(64, (groupW * 0.84) / Math.max(1, g.bars.length));
    const barW = Math.max(1, slot * 0.82);
    const start = gx + (groupW - slot * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const x = start + bi * slot + (slot - barW) / 2;
      const tip = `<title>${escapeXml(b.tooltip ?? `${b.name} · ${g.label}`)}</title>`;
      if (b.value === null || !ok(b.value)) {
        const stubH = Math.min(24, f.h * 0.15);
        out.push(
          `<g><rect x="${coord(x)}" y="${coord(baseY - stubH)}" width="${coord(barW)}" height="${coord(stubH)}" ` +
            `fill="url(#${id}-hatch)" stroke="${b.style.color}" stroke-width="1.5" stroke-dasharray="3 2"/>${tip}</g>`,
        );
        out.push(
          text(x + barW / 2 + 3.5, baseY - stubH - 4, b.missingLabel ?? o.missingLabel ?? "not met", {
            rotate: -90,
            size: 10,
            fill: "#555555",
          }),
        );
        return;
      }
      const y = py(f, ya, Math.max(b.value, ya.lo));
      out.push(
        `<g><rect x="${coord(x)}" y="${coord(y)}" width="${coord(barW)}" height="${coord(baseY - y)}" fill="${b.style.color}"/>${tip}</g>`,
      );
      if (b.interval && ok(b.interval[0]) && ok(b.interval[1])) {
        const cx = x + barW / 2;
        const y1 = py(f, ya, Math.max(b.interval[0], ya.lo));
        const y2 = py(f, ya, b.interval[1]);
        const cap = Math.min(6, barW / 2);
        out.push(line(cx, y1, cx, y2, INK, ` stroke-width="1.2"`));
        out.push(line(cx - cap / 2, y1, cx + cap / 2, y1, INK, ` stroke-width="1.2"`));
        out.push(line(cx - cap / 2, y2, cx + cap / 2, y2, INK, ` stroke-width="1.2"`));
      }
    });
  });
  out.push("</svg>");
  return out.join("");
}

// ---------------------------------------------------------------------------------------------
// Box plot

export interface BoxStats {
  n: number;
  q05: number;
  q25: number;
  q50: number;
  q75: number;
  q95: number;
}

/** Quartiles and the 5 and 95 % quantiles of the finite values; null if there are none. */
export function boxStats(values: readonly number[]): BoxStats | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return null;
  const q = (p: number) => quantile(v, p)!;
  return { n: v.length, q05: q(0.05), q25: q(0.25), q50: q(0.5), q75: q(0.75), q95: q(0.95) };
}

export interface BoxGroup {
  label: string;
  boxes: readonly { name: string; style: SeriesStyle; values: readonly number[] }[];
}

export interface BoxPlotOptions {
  title?: string;
  width?: number;
  height?: number;
  yLabel: string;
  logY?: boolean;
  groups: readonly BoxGroup[];
  legend?: readonly LegendItem[];
}

/** Groups (tenants) along x, one box per policy: box = quartiles, bar = median, whiskers = 5-95 %. */
export function boxPlot(o: BoxPlotOptions): string {
  const width = o.width ?? 1000;
  const height = o.height ?? 320;
  const log = o.logY ?? false;
  const ok = usable(log);
  const top = o.title ? 24 : 8;
  const legend = legendBlock(o.legend ?? [], 64, top, width - 72);
  const f: Frame = { x0: 64, y0: top + legend.height + (legend.height ? 8 : 0), w: width - 80, h: 0 };
  f.h = height - f.y0 - 30;
  const out: string[] = [openSvg(width, height, o.title ?? o.yLabel)];
  if (o.title) out.push(text(f.x0, 15, o.title, { size: 13, weight: "bold" }));
  out.push(legend.svg);
  const groups = o.groups.map((g) => ({
    label: g.label,
    boxes: g.boxes.map((b) => ({ ...b, stats: boxStats(b.values.filter(ok)) })),
  }));
  const ends = groups.flatMap((g) => g.boxes.flatMap((b) => (b.stats ? [b.stats.q05, b.stats.q95] : [])));
  if (ends.length === 0) {
    out.push(frameBox(f), noData(f, "no samples"), "</svg>");
    return out.join("");
  }
  const ya = log ? logAxis(minOf(ends), maxOf(ends)) : linearAxis(Math.min(0, minOf(ends)), maxOf(ends));
  out.push(yAxisMarks(f, ya, o.yLabel), frameBox(f));
  const groupW = f.w / groups.length;
  const baseY = f.y0 + f.h;
  groups.forEach((g, gi) => {
    const gx = f.x0 + gi * groupW;
    out.push(text(gx + groupW / 2, baseY + 16, ellipsize(g.label, groupW - 4), { anchor: "middle" }));
    if (gi > 0) out.push(line(gx, f.y0, gx, baseY, "#cccccc"));
    const slot = Math.min(64, (groupW * 0.84) / Math.max(1, g.boxes.length));
    const boxW = Math.max(2, slot * 0.6);
    const start = gx + (groupW - slot * g.boxes.length) / 2;
    g.boxes.forEach((b, bi) => {
      const cx = start + bi * slot + slot / 2;
      const s = b.stats;
      if (!s) {
        out.push(text(cx + 3.5, baseY - 4, "no samples", { rotate: -90, size: 10, fill: "#888888" }));
        return;
      }
      const c = b.style.color;
      const [y05, y25, y50, y75, y95] = [s.q05, s.q25, s.q50, s.q75, s.q95].map((v) => py(f, ya, v));
      const cap = boxW / 2;
      const tip =
        `${b.name} · ${g.label}: n=${s.n}, median ${tickLabel(s.q50)}, ` +
        `quartiles ${tickLabel(s.q25)}–${tickLabel(s.q75)}, 5–95% ${tickLabel(s.q05)}–${tickLabel(s.q95)}`;
      out.push(
        `<g>${line(cx, y95, cx, y75, c, ` stroke-width="1.2"`)}${line(cx, y25, cx, y05, c, ` stroke-width="1.2"`)}` +
          line(cx - cap / 2, y95, cx + cap / 2, y95, c, ` stroke-width="1.2"`) +
          line(cx - cap / 2, y05, cx + cap / 2, y05, c, ` stroke-width="1.2"`) +
          `<rect x="${coord(cx - boxW / 2)}" y="${coord(y75)}" width="${coord(boxW)}" height="${coord(Math.max(0.5, y25 - y75))}" ` +
          `fill="${c}" fill-opacity="0.25" stroke="${c}" stroke-width="1.5"/>` +
          line(cx - boxW / 2, y50, cx + boxW / 2, y50, c, ` stroke-width="2.5"`) +
          `<title>${escapeXml(tip)}</title></g>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("");
}

// ---------------------------------------------------------------------------------------------
// Scatter, log-log, with y = x

export type Shape = "circle" | "square" | "triangle" | "diamond" | "triangle-down" | "cross";
export const SHAPES: readonly Shape[] = ["circle", "square", "triangle", "diamond", "triangle-down", "cross"];

function marker(shape: Shape, x: number, y: number, r: number, color: string): string {
  const fill = `fill="${color}" fill-opacity="0.8" stroke="${color}" stroke-width="1"`;
  const pts = (p: [number, number][]) => p.map(([a, b]) => `${coord(x + a)},${coord(y + b)}`).join(" ");
  switch (shape) {
    case "circle":
      return `<circle cx="${coord(x)}" cy="${coord(y)}" r="${coord(r)}" ${fill}/>`;
    case "square":
      return `<rect x="${coord(x - r * 0.85)}" y="${coord(y - r * 0.85)}" width="${coord(r * 1.7)}" height="${coord(r * 1.7)}" ${fill}/>`;
    case "triangle":
      return `<polygon points="${pts([
        [0, -r * 1.15],
        [r, r * 0.75],
        [-r, r * 0.75],
      ])}" ${fill}/>`;
    case "triangle-down":
      return `<polygon points="${pts([
        [0, r * 1.15],
        [r, -r * 0.75],
        [-r, -r * 0.75],
      ])}" ${fill}/>`;
    case "diamond":
      return `<polygon points="${pts([
        [0, -r * 1.2],
        [r, 0],
        [0, r * 1.2],
        [-r, 0],
      ])}" ${fill}/>`;
    case "cross":
      return `<path d="M${coord(x - r)},${coord(y - r)}L${coord(x + r)},${coord(y + r)}M${coord(x - r)},${coord(y + r)}L${coord(x + r)},${coord(y - r)}" stroke="${color}" stroke-width="2"/>`;
  }
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** Colour key (the policy). */
  series: string;
  /** Shape key (the tenant). */
  group: string;
  tooltip?: string;
}

export interface ScatterOptions {
  title?: string;
  width?: number;
  height?: number;
  xLabel: string;
  yLabel: string;
  points: readonly ScatterPoint[];
  /** Colour per series name; unknown names are grey. */
  styles: ReadonlyMap<string, SeriesStyle>;
  /** Shape order of the groups (shapes repeat past six groups). */
  groups: readonly string[];
  /** Extra line under the title, e.g. the rank correlation. */
  subtitle?: string;
}

/** Points on log-log axes sharing one range, with the y = x line: on it, prediction = measurement. */
export function scatterLogLog(o: ScatterOptions): string {
  const width = o.width ?? 560;
  const height = o.height ?? 480;
  const pts = o.points.filter((p) => usable(true)(p.x) && usable(true)(p.y));
  const shapeOf = (g: string) => SHAPES[Math.max(0, o.groups.indexOf(g)) % SHAPES.length];
  const grey: SeriesStyle = { color: "#777777", dash: null };
  const seriesNames = [...o.styles.keys()].filter((n) => pts.some((p) => p.series === n));
  const groupNames = o.groups.filter((g) => pts.some((p) => p.group === g));
  const colourItems: LegendItem[] = seriesNames.map((n) => ({
    label: n,
    style: o.styles.get(n)!,
    symbol: "box",
  }));
  const shapeItems: LegendItem[] = groupNames.map((g) => ({ label: g, style: grey, symbol: shapeOf(g) }));
  let top = o.title ? 24 : 8;
  const out: string[] = [openSvg(width, height, o.title ?? o.yLabel)];
  if (o.title) out.push(text(64, 15, o.title, { size: 13, weight: "bold" }));
  if (o.subtitle) {
    out.push(text(64, top + 8, o.subtitle, { size: 11, fill: "#555555" }));
    top += 16;
  }
  const colours = legendBlock(colourItems, 64, top, width - 72);
  const shapes = legendBlock(shapeItems, 64, top + colours.height + 2, width - 72);
  out.push(colours.svg, shapes.svg);
  const legendH = colours.height + shapes.height + 2;
  const y0 = top + legendH + 8;
  const side = Math.min(width - 80, height - y0 - 42);
  const f: Frame = { x0: 64, y0, w: side, h: side };
  if (pts.length === 0) {
    out.push(frameBox(f), noData(f, "no points"), "</svg>");
    return out.join("");
  }
  const vals = pts.flatMap((p) => [p.x, p.y]);
  const axis = logAxis(minOf(vals), maxOf(vals));
  out.push(yAxisMarks(f, axis, o.yLabel), xAxisMarks(f, axis, o.xLabel), frameBox(f));
  out.push(line(f.x0, f.y0 + f.h, f.x0 + f.w, f.y0, "#555555", ` stroke-dasharray="5 4"`));
  out.push(text(f.x0 + 0.85 * f.w + 8, f.y0 + 0.15 * f.h + 6, "y = x", { size: 10, fill: "#555555" }));
  for (const p of pts) {
    const color = (o.styles.get(p.series) ?? grey).color;
    const m = marker(shapeOf(p.group), px(f, axis, p.x), py(f, axis, p.y), 4, color);
    const tip = p.tooltip ?? `${p.series} · ${p.group}: ${tickLabel(p.x)}, ${tickLabel(p.y)}`;
    out.push(`<g>${m}<title>${escapeXml(tip)}</title></g>`);
  }
  out.push("</svg>");
  return out.join("");
}
