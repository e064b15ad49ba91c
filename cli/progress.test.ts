import { describe, expect, it } from "vitest";
import type { RunId } from "../agents/comparison.ts";
import type { MarketEvent } from "../agents/runtime.ts";
import { progressReporter } from "./progress.ts";

const run = {
  index: 0,
  total: 30,
  policy: "./a/very/long/path/to/my-own-pricing-policy.ts",
  seed: 12,
} as RunId;
const ended = {
  type: "episodeEnded",
  result: { outcomes: [{ met: true }, { met: false }] },
} as unknown as MarketEvent;

describe("progressReporter", () => {
  it("on a terminal, redraws one line that never exceeds the width (so it never wraps and scrolls)", () => {
    let text = "";
    const p = progressReporter((s) => (text += s), true, 40);
    for (let k = 0; k < 600; k++)
      p.onEvent(run, { type: "roundCompleted", time: k * 10 } as unknown as MarketEvent);
    p.onEvent(run, ended);
    const draws = text.split("\r\x1b[2K").slice(1);
    expect(draws.length).toBeGreaterThan(1);
    for (const d of draws) expect(d.length).toBeLessThanOrEqual(39);
    expect(text).not.toContain("\n");
  });

  it("elsewhere, prints one whole line per finished run", () => {
    let text = "";
    const p = progressReporter((s) => (text += s), false, 40);
    p.onEvent(run, ended);
    expect(text).toBe(`run 1/30: ${run.policy}, seed 12: 1/2 targets met\n`);
  });
});
