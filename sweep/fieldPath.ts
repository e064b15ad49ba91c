/**
 * Scenario fields by path, as a sweep's axes name them: `tau`, `devices.count`,
 * `tenants[0].budget`, `tenants[*].learner.heterogeneity` (`[*]`: every element of the list).
 * Pure functions on plain JSON values; `setAt` writes into a copy it is given, never into shared data.
 */

export type Segment = { readonly key: string } | { readonly index: number } | { readonly all: true };

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:\d+|\*)\])*)$/;

/** Parses `a.b[2].c[*]`; returns null for a malformed path. */
export function parsePath(path: string): Segment[] | null {
  if (path === "") return null;
  const out: Segment[] = [];
  for (const part of path.split(".")) {
    const m = SEGMENT.exec(part);
    if (!m) return null;
    out.push({ key: m[1] });
    for (const b of m[2].matchAll(/\[(\d+|\*)\]/g))
      out.push(b[1] === "*" ? { all: true } : { index: Number(b[1]) });
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** One concrete location a path reaches: the container and the key or index in it, and its path. */
export interface Location {
  readonly parent: Record<string, unknown> | unknown[];
  readonly at: string | number;
  readonly path: string;
}

/**
 * Every location `segments` reaches in `root` (several with `[*]`); the last segment may name a field
 * that is absent (it is then set), every earlier one must exist, or with `create` is made an empty
 * object (a field the input leaves to its defaults, e.g. a tenant's `learner`). Returns an error
 * sentence otherwise.
 */
export function locate(root: unknown, segments: readonly Segment[], create = false): Location[] | string {
  let frontier: { value: unknown; path: string }[] = [{ value: root, path: "" }];
  const out: Location[] = [];
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s];
    const last = s === segments.length - 1;
    const next: { value: unknown; path: string }[] = [];
    for (const { value, path } of frontier) {
      if ("key" in seg) {
        const p = path === "" ? seg.key : `${path}.${seg.key}`;
        if (!isObj(value)) return `${path || "(root)"} is not an object`;
        if (last) out.push({ parent: value, at: seg.key, path: p });
        else if (value[seg.key] === undefined && !create) return `${p} is not in the base scenario`;
        else {
          if (value[seg.key] === undefined) value[seg.key] = {};
          next.push({ value: value[seg.key], path: p });
        }
        continue;
      }
      if (!Array.isArray(value)) return `${path} is not a list`;
      const indices = "all" in seg ? value.map((_, i) => i) : [seg.index];
      for (const i of indices) {
        const p = `${path}[${i}]`;
        if (i >= value.length) return `${p} is not in the base scenario (the list has ${value.length})`;
        if (last) out.push({ parent: value, at: i, path: p });
        else next.push({ value: value[i], path: p });
      }
    }
    frontier = next;
  }
  return out;
}

/** The value at a location (undefined when the field is absent). */
export function valueAt(loc: Location): unknown {
  return Array.isArray(loc.parent) ? loc.parent[loc.at as number] : loc.parent[loc.at as string];
}

export function setAt(loc: Location, value: unknown): void {
  if (Array.isArray(loc.parent)) loc.parent[loc.at as number] = value;
  else loc.parent[loc.at as string] = value;
}
