import { describe, expect, it } from "vitest";
import { WarningLog } from "./warnings.ts";

describe("WarningLog", () => {
  it("appends, records a `once` code a single time, and clears on reset", () => {
    const log = new WarningLog();
    const view = log.items;
    log.once(0, "A", "first");
    log.once(1, "A", "again");
    log.add(2, "B", "each time");
    log.add(3, "B", "each time");
    expect(view.map((w) => [w.step, w.code])).toEqual([
      [0, "A"],
      [2, "B"],
      [3, "B"],
    ]);
    log.clear();
    expect(log.items).toHaveLength(0);
    log.once(4, "A", "new episode");
    expect(log.items).toEqual([{ step: 4, code: "A", message: "new episode" }]);
  });
});
