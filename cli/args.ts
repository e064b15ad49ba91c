import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./command.ts";
import { didYouMean } from "./suggest.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * node:util parseArgs in strict mode, with its errors (unknown flag, missing value) as one-line
 * UsageErrors; an unknown flag close to a known one gets a "did you mean".
 */
export function parseCommandArgs<O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (e) {
    const code = String((e as { code?: unknown }).code);
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      // node's message goes on about `--`; a typo is the likely cause
      const quoted = /'([^']*)'/.exec((e as Error).message);
      if (!quoted) throw new UsageError("unknown option");
      const flag = quoted[1].replace(/=.*$/, "");
      const near = flag.startsWith("--")
        ? didYouMean(flag.slice(2), [...Object.keys(options), "help"], (o) => `--${o}`)
        : "";
      throw new UsageError(`unknown option '${flag}'${near}`);
    }
    if (code.startsWith("ERR_PARSE_ARGS"))
      throw new UsageError((e as Error).message.replace(/\s*\n\s*/g, " "));
    throw e;
  }
}

// Flag values: undefined (flag absent) passes through, anything invalid is a UsageError.

/** A finite number > 0, e.g. `--tol 1e-6`. */
export function positiveNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const x = text.trim() === "" ? Number.NaN : Number(text);
  if (!(Number.isFinite(x) && x > 0))
    throw new UsageError(`--${flag} must be a finite number > 0, got '${text}'`);
  return x;
}

/** An integer >= 1, e.g. `--max-rounds 50000`. */
export function positiveInteger(flag: string, text: string | undefined): number | undefined {
  const x = nonNegativeInteger(flag, text);
  if (x !== undefined && x < 1) throw new UsageError(`--${flag} must be an integer >= 1, got '${text}'`);
  return x;
}

/** An integer >= 0, e.g. `--max-sweeps 100`. */
export function nonNegativeInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const x = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(x)) throw new UsageError(`--${flag} must be an integer >= 0, got '${text}'`);
  return x;
}

/** One of a fixed set of words, e.g. `--method sweeps`. */
export function oneOf<const T extends string>(
  flag: string,
  text: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text))
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}, got '${text}'`);
  return text as T;
}
