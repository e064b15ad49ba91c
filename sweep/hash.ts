import { createHash } from "node:crypto";

/** JSON with every object's keys sorted, so equal values give equal text (and equal hashes). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  });
}

/** SHA-256 of a text, as hex. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
