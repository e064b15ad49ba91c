import { describe, expect, it } from "vitest";
import { locate, parsePath, setAt, valueAt } from "./fieldPath.ts";

describe("field paths", () => {
  it("parses keys, indices and [*]; refuses malformed paths", () => {
    expect(parsePath("tenants[*].learner.heterogeneity")).toEqual([
      { key: "tenants" },
      { all: true },
      { key: "learner" },
      { key: "heterogeneity" },
    ]);
    expect(parsePath("a[2][0]")).toEqual([{ key: "a" }, { index: 2 }, { index: 0 }]);
    for (const bad of ["", "a..b", "a[x]", "1a", "a[", "a.b c"]) expect(parsePath(bad)).toBeNull();
  });

  it("[*] reaches every element; a set writes each, and leaves other fields alone", () => {
    const root = {
      tenants: [
        { budget: 1, name: "a" },
        { budget: 2, name: "b" },
      ],
      tau: 2,
    };
    const locs = locate(root, parsePath("tenants[*].budget")!);
    expect(typeof locs).not.toBe("string");
    if (typeof locs === "string") return;
    expect(locs.map((l) => l.path)).toEqual(["tenants[0].budget", "tenants[1].budget"]);
    expect(locs.map(valueAt)).toEqual([1, 2]);
    for (const l of locs) setAt(l, 7);
    expect(root).toEqual({
      tenants: [
        { budget: 7, name: "a" },
        { budget: 7, name: "b" },
      ],
      tau: 2,
    });
  });

  it("a missing parent is an error, or an empty object with create", () => {
    expect(locate({ tenants: [{}] }, parsePath("tenants[0].learner.noise")!)).toBe(
      "tenants[0].learner is not in the base scenario",
    );
    expect(locate({ tenants: [{}] }, parsePath("tenants[3].budget")!)).toMatch(
      /tenants\[3\] is not in the base/,
    );
    expect(locate({ tau: 2 }, parsePath("tau[0]")!)).toBe("tau is not a list");
    const root: { tenants: Record<string, unknown>[] } = { tenants: [{}] };
    const locs = locate(root, parsePath("tenants[0].learner.noise")!, true);
    if (typeof locs === "string") throw new Error(locs);
    setAt(locs[0], 0.5);
    expect(root.tenants[0]).toEqual({ learner: { noise: 0.5 } });
  });
});
