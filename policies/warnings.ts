import type { PolicyWarning } from "./types.ts";

/**
 * The warnings a policy keeps for its caller (TenantPolicy.warnings): appended while an episode runs,
 * cleared by reset. `once` records a code only the first time in an episode, for conditions that
 * hold at every step (a missing observation field) and would otherwise flood the list.
 */
export class WarningLog {
  readonly #items: PolicyWarning[] = [];
  readonly #seen = new Set<string>();

  get items(): readonly PolicyWarning[] {
    return this.#items;
  }

  add(step: number, code: string, message: string): void {
    this.#seen.add(code);
    this.#items.push({ step, code, message });
  }

  once(step: number, code: string, message: string): void {
    if (!this.#seen.has(code)) this.add(step, code, message);
  }

  clear(): void {
    this.#items.length = 0;
    this.#seen.clear();
  }
}
