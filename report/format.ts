/**
 * Text formatting shared by the renderers. Every number goes through one of these, so the output
 * never contains "NaN", "Infinity" or "undefined", and the same number always prints the same way.
 */

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for XML/HTML element content and attribute values. */
export function escapeXml(text: string): string {
  return String(text).replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]);
}

/** Marker for a value that does not exist (target never met, undefined speedup). */
export const DASH = "—";

/** An SVG coordinate with one decimal; a non-finite value (never expected) becomes 0. */
export function coord(x: number): string {
  if (!Number.isFinite(x)) return "0";
  const s = x.toFixed(1);
  return s === "-0.0" ? "0.0" : s;
}

/** A number shortened to at most 6 significant digits, without trailing zeros. */
function trimmed(x: number): string {
  return String(Number(x.toPrecision(6)));
}

function exponential(x: number): string {
  const [mantissa, exp] = x.toExponential(2).split("e");
  return `${String(Number(mantissa))}e${Number(exp)}`;
}

/** An axis tick label: "0", "0.05", "250", "20k", "1.5M", "1e-5". */
export function tickLabel(v: number): string {
  if (!Number.isFinite(v)) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e9 || a < 1e-3) return exponential(v);
  if (a >= 1e6) return `${trimmed(v / 1e6)}M`;
  if (a >= 1e4) return `${trimmed(v / 1e3)}k`;
  return trimmed(v);
}

/** A value in a table: 4 significant digits without trailing zeros, whole numbers from 1000 up. */
export function value(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 0.01) {
    const s = x.toPrecision(4);
    return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
  }
  return exponential(x);
}

/** A count that may be a median of counts (so end in .5). */
export function count(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  return Number.isInteger(x) ? x.toFixed(0) : x.toFixed(1);
}

/** A ratio such as a speedup: "2.31x". */
export function ratio(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  return `${x.toFixed(2)}x`;
}

/** A correlation coefficient with two decimals, DASH when undefined. */
export function coefficient(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return DASH;
  return x.toFixed(2);
}
