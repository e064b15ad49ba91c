import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { type ScenarioResult, validateScenario } from "./scenario.ts";

/**
 * Reading scenario files: the only I/O in env/. JSON for `.json`, YAML for `.yaml`/`.yml`; any other
 * extension is tried as JSON, then YAML (YAML is a superset of JSON, so JSON errors are clearer
 * first). Problems with the file itself (missing, unreadable, not JSON/YAML) are reported as an issue
 * at the root path, with the file name and, for syntax errors, the line and column.
 */

export type ScenarioFormat = "json" | "yaml";

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos).split("\n");
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

const JSON_NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * Offset of the first JSON syntax error, or -1. Node 20's JSON.parse messages only sometimes give a
 * position, so on failure we rescan with this small recursive-descent checker to report a line.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const word = (w: string) => {
    if (!text.startsWith(w, i)) fail();
    i += w.length;
  };
  const str = () => {
    for (i++; text[i] !== '"'; i++) {
      if (i >= text.length || text.charCodeAt(i) < 0x20) fail();
      if (text[i] === "\\") i++;
    }
    i++;
  };
  const list = (close: string, item: () => void) => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      ws();
      if (text[i] === close) break;
      if (text[i] !== ",") fail();
      i++;
    }
    i++;
  };
  const member = () => {
    ws();
    if (text[i] !== '"') fail();
    str();
    ws();
    if (text[i] !== ":") fail();
    i++;
    value();
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") list("}", member);
    else if (c === "[") list("]", value);
    else if (c === '"') str();
    else if (c === "t") word("true");
    else if (c === "f") word("false");
    else if (c === "n") word("null");
    else {
      JSON_NUMBER.lastIndex = i;
      const m = JSON_NUMBER.exec(text);
      if (!m) fail();
      i += m![0].length;
    }
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (at) {
    return at as number;
  }
}

function parseJson(raw: string): unknown {
  // a UTF-8 byte-order mark (Windows editors write one) is accepted, as the YAML parser does
  const text = raw.replace(/^\uFEFF/, "");
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = jsonErrorOffset(text);
    const msg = (e as Error).message.replace(/\s+/g, " ");
    throw new Error(at >= 0 ? `at ${lineCol(text, at)}: ${msg}` : msg);
  }
}

/** Parses scenario text and validates it; pure (the caller supplies the text). */
export function parseScenarioText(
  text: string,
  format: ScenarioFormat | "auto",
  source = "scenario",
): ScenarioResult {
  let raw: unknown;
  try {
    if (format === "json") raw = parseJson(text);
    else if (format === "yaml") raw = parseYaml(text);
    else {
      try {
        raw = parseJson(text);
      } catch {
        raw = parseYaml(text);
      }
    }
  } catch (e) {
    const kind = format === "auto" ? "JSON or YAML" : format.toUpperCase();
    return {
      ok: false,
      issues: [{ path: "", message: `${source} is not valid ${kind}: ${(e as Error).message}` }],
    };
  }
  return validateScenario(raw);
}

/** Reads, parses and validates a scenario file; never throws. */
export async function loadScenarioFile(path: string): Promise<ScenarioResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory; give the scenario file"
          : code === "EACCES" || code === "EPERM"
            ? "permission denied; check the file's permissions"
            : code === "ENOTDIR"
              ? "a part of the path before the file name is a file, not a directory"
              : (e as Error).message;
    return { ok: false, issues: [{ path: "", message: `cannot read scenario file ${path}: ${why}` }] };
  }
  const ext = extname(path).toLowerCase();
  const format = ext === ".json" ? "json" : ext === ".yaml" || ext === ".yml" ? "yaml" : "auto";
  return parseScenarioText(text, format, `scenario file ${path}`);
}
