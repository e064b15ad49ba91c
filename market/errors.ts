/**
 * Errors as values: every problem found in an input names the field by its path,
 * so a user can fix all of them in one pass.
 */
export interface InputIssue {
  /** Path of the offending field, e.g. `cost[1][3]` or `tenants[0].budget`. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

/** Thrown (or returned) when an input fails validation; carries every issue found. */
export class InputError extends Error {
  readonly code = "BAD_INPUT" as const;
  readonly issues: readonly InputIssue[];
  constructor(issues: readonly InputIssue[], what = "input") {
    super(`invalid ${what}:\n${issues.map((x) => `  ${x.path || "(root)"}: ${x.message}`).join("\n")}`);
    this.name = "InputError";
    this.issues = issues;
  }
}

/** Formats a path made of keys and indices as `a.b[2][3]`. */
export function formatPath(parts: readonly (string | number | symbol)[]): string {
  let out = "";
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}
