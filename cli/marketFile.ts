import { readFile } from "node:fs/promises";
import { InputError } from "../market/errors.ts";
import { createMarket, type MarketInstance } from "../market/instance.ts";

/**
 * Reads a market in the `solve` JSON format (MODEL.md sections 1-3). Every problem is an
 * InputError whose issues name the file (unreadable, not JSON: with line, column and offset) or
 * each offending field by its path, so the user can fix them all in one pass.
 */
export async function readMarketFile(file: string): Promise<MarketInstance> {
  const raw = parseJson(file, await readText(file));
  try {
    return createMarket(raw);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.issues, `market in ${file}`);
    throw e;
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory, expected a JSON file"
          : code === "EACCES"
            ? "permission denied"
            : `cannot be read (${code ?? (e as Error).message})`;
    throw new InputError([{ path: file, message: why }], "market file");
  }
}

/** JSON.parse, with the error located as `file:line:column` and its character offset. */
export function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const pos = errorPosition(text, e.message);
    const { line, column } = lineColumn(text, pos);
    // V8 appends either the position (which we give as line:column) or a quote of the input
    const what = e.message
      .replace(/( in JSON)? at position \d+.*$/s, "")
      .replace(/, (\.\.\.)?".*" is not valid JSON$/s, "");
    throw new InputError(
      [{ path: `${file}:${line}:${column}`, message: `not valid JSON: ${what} (at offset ${pos})` }],
      "market file",
    );
  }
}

/**
 * Offset of the first character JSON.parse rejects. V8 gives it for most errors; for
 * "Unexpected token" it quotes the input instead, so find it as the shortest prefix that fails at
 * one of its own characters (every shorter prefix is the start of some valid document).
 */
function errorPosition(text: string, message: string): number {
  const at = reportedPosition(text, message);
  if (at !== undefined) return at;
  let lo = 0; // a prefix this long parses or fails only by ending early
  let hi = text.length; // a prefix this long fails at one of its characters
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (failsInside(text.slice(0, mid))) hi = mid;
    else lo = mid;
  }
  return hi - 1;
}

function reportedPosition(text: string, message: string): number | undefined {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (/end of JSON input/.test(message)) return text.length;
  return undefined;
}

function failsInside(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (e) {
    const at = reportedPosition(prefix, (e as Error).message);
    return at === undefined || at < prefix.length;
  }
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < pos && k < text.length; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      start = k + 1;
    }
  }
  return { line, column: pos - start + 1 };
}
