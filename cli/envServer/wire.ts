/**
 * The env-server's wire format: JSON, one value per line, plus the three tokens `NaN`, `Infinity` and
 * `-Infinity` for the non-finite numbers (Python's json module writes and reads them by default; a
 * space's unbounded side is Infinity, and a malformed action may hold NaN: it must reach the
 * environment's own check, not be lost as `null` the way JSON.stringify would write it).
 *
 * Finite numbers are written with JavaScript's shortest round-trip form, which Python's float()
 * reads back to the same double (and -0 as -0.0); so observations and rewards cross the bridge bit
 * for bit.
 */

/** One line (no newline) for `value`: plain objects, arrays, typed arrays, numbers, strings, booleans, null. */
export function encodeLine(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join("");
}

function write(v: unknown, out: string[]): void {
  if (typeof v === "number") {
    // -0 as "-0.0": String(-0) is "0", and both JSON.parse and Python's json read "-0.0" as -0
    if (Object.is(v, -0)) out.push("-0.0");
    else if (Number.isFinite(v)) out.push(String(v));
    else out.push(Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
  } else if (typeof v === "string") {
    out.push(JSON.stringify(v));
  } else if (typeof v === "boolean") {
    out.push(v ? "true" : "false");
  } else if (v === null || v === undefined) {
    out.push("null");
  } else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = v as ArrayLike<unknown>;
    out.push("[");
    for (let k = 0; k < a.length; k++) {
      if (k > 0) out.push(",");
      write(a[k], out);
    }
    out.push("]");
  } else if (typeof v === "object") {
    out.push("{");
    let first = true;
    for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined || typeof x === "function") continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(key), ":");
      write(x, out);
    }
    out.push("}");
  } else {
    out.push(JSON.stringify(String(v)));
  }
}

/** Thrown by decodeLine: the text is not JSON (with the non-finite tokens). */
export class WireSyntaxError extends Error {
  override readonly name = "WireSyntaxError";
}

const MARK = "\u0000sfl-number:";
const TOKENS = ["-Infinity", "Infinity", "NaN"] as const;

/** Parses one line; the plain JSON.parse path is taken unless the line uses a non-finite token. */
export function decodeLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    if (!/NaN|Infinity/.test(line)) throw new WireSyntaxError((err as Error).message);
  }
  const marked = markTokens(line);
  try {
    return JSON.parse(marked, (_key, x) =>
      typeof x === "string" && x.startsWith(MARK) ? Number(x.slice(MARK.length)) : x,
    );
  } catch (err) {
    throw new WireSyntaxError((err as Error).message);
  }
}

/** Replaces the non-finite tokens outside string literals by marked strings that the reviver turns back. */
function markTokens(s: string): string {
  let out = "";
  let k = 0;
  let inString = false;
  while (k < s.length) {
    const c = s[k];
    if (inString) {
      out += c;
      if (c === "\\") {
        out += s[k + 1] ?? "";
        k += 2;
        continue;
      }
      if (c === '"') inString = false;
      k++;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      k++;
      continue;
    }
    const token = TOKENS.find((t) => s.startsWith(t, k));
    if (token) {
      out += JSON.stringify(MARK + token);
      k += token.length;
      continue;
    }
    out += c;
    k++;
  }
  return out;
}
