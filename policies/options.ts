import type { AggregationRule } from "../market/aggregation.ts";
import { InputError, type InputIssue } from "../market/errors.ts";

/**
 * Policy options: each policy declares its options once, as a list of OptionDoc. The same list
 * validates what a user passes (every wrong or unknown key is reported, by path, with what is
 * allowed) and documents the policy in the registry and in docs/policies.md.
 */
export interface OptionDoc {
  readonly name: string;
  readonly type: "number" | "integer" | "boolean" | "enum";
  /** The default, or null when there is none (the option is then off unless given). */
  readonly default: number | boolean | string | null;
  readonly description: string;
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  /** When true, `min` itself is not allowed (the value must be > min). */
  readonly exclusiveMin?: boolean;
  /** Allowed values of an enum option. */
  readonly values?: readonly string[];
}

export type OptionValue = number | boolean | string;

/** The `aggregation` option every tenant policy accepts; `fallback` is the policy's default rule. */
export function aggregationOption(fallback: AggregationRule): OptionDoc {
  return {
    name: "aggregation",
    type: "enum",
    default: fallback,
    values: ["unbiased", "fedavg"],
    description:
      "aggregation rule of the tenants' learners: unbiased (inverse-probability weights a/q) or fedavg (over participants)",
  };
}

/**
 * Checks `options` against `docs` and returns the options with defaults filled in (options whose
 * default is null and that were not given are absent). Throws InputError naming every problem.
 */
export function parseOptions(
  policy: string,
  docs: readonly OptionDoc[],
  options: Record<string, unknown> | undefined,
): Readonly<Record<string, OptionValue>> {
  const out: Record<string, OptionValue> = {};
  const issues: InputIssue[] = [];
  const given = options ?? {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new InputError(
      [{ path: "options", message: "must be an object" }],
      `options of policy "${policy}"`,
    );
  }
  const known = new Set(docs.map((d) => d.name));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      const list = docs.length ? docs.map((d) => d.name).join(", ") : "none";
      issues.push({ path: `options.${key}`, message: `unknown option; "${policy}" takes: ${list}` });
    }
  }
  for (const d of docs) {
    const v = Object.hasOwn(given, d.name) ? given[d.name] : undefined;
    if (v === undefined) {
      if (d.default !== null) out[d.name] = d.default;
      continue;
    }
    const problem = checkValue(d, v);
    if (problem) issues.push({ path: `options.${d.name}`, message: problem });
    else out[d.name] = v as OptionValue;
  }
  if (issues.length) throw new InputError(issues, `options of policy "${policy}"`);
  return out;
}

function checkValue(d: OptionDoc, v: unknown): string | null {
  switch (d.type) {
    case "boolean":
      return typeof v === "boolean" ? null : `must be true or false (got ${JSON.stringify(v)})`;
    case "enum":
      return typeof v === "string" && d.values?.includes(v)
        ? null
        : `must be one of ${(d.values ?? []).map((x) => `"${x}"`).join(", ")} (got ${JSON.stringify(v)})`;
    case "number":
    case "integer": {
      const kind = d.type === "integer" ? "an integer" : "a finite number";
      const ok = typeof v === "number" && (d.type === "integer" ? Number.isInteger(v) : Number.isFinite(v));
      const range = rangeText(d);
      if (!ok) return `must be ${kind}${range} (got ${JSON.stringify(v)})`;
      const x = v as number;
      const low = d.min === undefined || (d.exclusiveMin ? x > d.min : x >= d.min);
      const high = d.max === undefined || x <= d.max;
      return low && high ? null : `must be ${kind}${range} (got ${x})`;
    }
  }
}

function rangeText(d: OptionDoc): string {
  const parts: string[] = [];
  if (d.min !== undefined) parts.push(`${d.exclusiveMin ? ">" : ">="} ${d.min}`);
  if (d.max !== undefined) parts.push(`<= ${d.max}`);
  return parts.length ? ` ${parts.join(" and ")}` : "";
}
