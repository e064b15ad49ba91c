import { describe, expect, it } from "vitest";
import { InputError } from "./errors.ts";
import { createMarket, fromArrays, toMarketInput, validateMarketInput } from "./instance.ts";

describe("validateMarketInput", () => {
  it("accepts a valid market and defaults tau to 2", () => {
    const m = createMarket({
      budget: [1, 2],
      cost: [
        [1, 2],
        [3, 4],
      ],
      value: [
        [1, 0],
        [0, 1],
      ],
    });
    expect(m.M).toBe(2);
    expect(m.N).toBe(2);
    expect(m.tau).toBe(2);
    expect(Array.from(m.cost)).toEqual([1, 2, 3, 4]);
    expect(toMarketInput(m)).toEqual({
      tau: 2,
      budget: [1, 2],
      cost: [
        [1, 2],
        [3, 4],
      ],
      value: [
        [1, 0],
        [0, 1],
      ],
    });
  });

  it("names every offending field by its path", () => {
    const issues = validateMarketInput({
      tau: 1,
      budget: [1, -2],
      cost: [
        [1, -1],
        [1, 1],
      ],
      value: [
        [1, 1],
        [1, "x"],
      ],
    });
    const paths = issues.map((i) => i.path).sort();
    expect(paths).toEqual(["budget[1]", "cost[0][1]", "tau", "value[1][1]"]);
  });

  it("reports ragged rows, wrong row counts and tenants with no eligible device", () => {
    expect(
      validateMarketInput({ budget: [1, 1], cost: [[1, 1]], value: [[1, 1], [1]] }).map((i) => i.path),
    ).toEqual(["cost", "value[1]"]);
    expect(validateMarketInput({ budget: [1, 1], cost: [[1], [1]], value: [[1], [0]] })).toEqual([
      { path: "value[1]", message: "tenant 1 has no eligible device (every value is 0)" },
    ]);
  });

  it("throws an InputError listing the issues", () => {
    expect(() => createMarket({ budget: [], cost: [], value: [] })).toThrow(InputError);
    expect(() => createMarket(null)).toThrow(/invalid market/);
  });

  it("fromArrays checks lengths and ranges", () => {
    const bad = {
      M: 1,
      N: 2,
      tau: 2,
      cost: Float64Array.from([1, Number.NaN]),
      value: Float64Array.from([0, 0]),
      budget: Float64Array.from([1]),
    };
    try {
      fromArrays(bad);
      expect.unreachable();
    } catch (e) {
      expect((e as InputError).issues.map((i) => i.path)).toEqual(["cost[0][1]", "value[0]"]);
    }
  });
});
