import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderReport } from "./html.ts";
import { syntheticComparison } from "./testData.ts";
import { wellFormedProblems } from "./testXml.ts";
import type { ComparisonData } from "./types.ts";

const BAD = /NaN|undefined|Infinity/;

function sparse(): ComparisonData {
  return {
    title: "",
    scenario: {
      name: "empty",
      devices: 0,
      tenants: [{ name: "solo", type: "vit", target: 0.1, deadline: 10 }],
    },
    seeds: [],
    policies: ["prince", "a<b&c"],
    results: [
      {
        policy: "prince",
        seed: 1,
        tenant: "solo",
        type: "vit",
        met: false,
        timeToTarget: null,
        rounds: 0,
        spend: Number.NaN,
        finalGap: Number.POSITIVE_INFINITY,
        reason: "no eligible device",
      },
      // A tenant the scenario does not list, with a time recorded but not met.
      {
        policy: "a<b&c",
        seed: 1,
        tenant: "ghost",
        type: "",
        met: false,
        timeToTarget: 3,
        rounds: 1,
        spend: 0,
        finalGap: 1,
      },
    ],
    summary: [],
    trajectories: [],
    distributions: [],
    bound: { spearman: null, n: 0, points: [] },
    notes: [],
    meta: {},
  };
}

describe("renderReport", () => {
  const data = syntheticComparison();
  const html = renderReport(data);

  it("is deterministic: the same data gives the same string, also after a JSON round trip", () => {
    expect(renderReport(syntheticComparison())).toBe(html);
    expect(renderReport(JSON.parse(JSON.stringify(data)) as ComparisonData)).toBe(html);
  });

  it("is well formed, with every svg closed", () => {
    expect(wellFormedProblems(html)).toEqual([]);
    const opened = html.match(/<svg\b/g)?.length ?? 0;
    expect(opened).toBeGreaterThan(5);
    expect(html.match(/<\/svg>/g)?.length).toBe(opened);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
  });

  it("is self-contained: no scripts, no external resources", () => {
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\((?!#)/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it("names every tenant and policy and carries notes and meta", () => {
    for (const t of data.scenario.tenants) expect(html).toContain(t.name);
    for (const p of data.policies) expect(html).toContain(`>${p}<`);
    for (const n of data.notes) expect(html).toContain(n.replace(/'/g, "&#39;"));
    expect(html).toContain("sfl-market compare four-tenants --seeds 1..5");
    expect(html).toContain(`ρ = ${data.bound.spearman!.toFixed(2)}`);
    expect(html).not.toMatch(BAD);
  });

  it("escapes names such as a<b&c everywhere", () => {
    const d = syntheticComparison(["prince", "a<b&c"]);
    d.notes = ["<script>alert(1)</script>"];
    d.meta = { "k&": "<v>" };
    const out = renderReport(d);
    expect(out).toContain("a&lt;b&amp;c");
    expect(out).not.toContain("a<b&c");
    expect(out).not.toContain("<script>");
    expect(wellFormedProblems(out)).toEqual([]);
  });

  it("renders empty trajectories, null values and unknown tenants without NaN or undefined", () => {
    const out = renderReport(sparse());
    expect(wellFormedProblems(out)).toEqual([]);
    expect(out).not.toMatch(BAD);
    expect(out).toContain("No loss-gap trajectories were recorded.");
    expect(out).toContain("No bound predictions were recorded.");
    expect(out).toContain("no eligible device ×1");
    expect(out).toContain("ghost");
    expect(out).toContain("a&lt;b&amp;c");
    expect(out).toContain("not met");
    expect(out).toContain("no runs");
  });

  it("renders a comparison with no tenants and no policies at all", () => {
    const d: ComparisonData = {
      ...sparse(),
      policies: [],
      results: [],
      scenario: { name: "", devices: 0, tenants: [] },
    };
    const out = renderReport(d);
    expect(wellFormedProblems(out)).toEqual([]);
    expect(out).not.toMatch(BAD);
  });

  it("draws trajectories that are partly unusable (NaN, zero, negative gaps)", () => {
    const d = sparse();
    d.trajectories = [
      {
        policy: "prince",
        seed: 1,
        tenant: "solo",
        points: [
          [0, 1],
          [1, Number.NaN],
          [2, 0],
          [3, -1],
          [4, 0.05],
        ],
      },
      { policy: "prince", seed: 2, tenant: "solo", points: [] },
    ];
    d.distributions = [
      { policy: "prince", tenant: "solo", prices: [Number.NaN, 0, 1, 2], participation: [] },
    ];
    d.bound = {
      spearman: null,
      n: 2,
      points: [
        { policy: "prince", seed: 1, tenant: "solo", predicted: 10, measured: 5 },
        { policy: "prince", seed: 2, tenant: "solo", predicted: 0, measured: 5 },
      ],
    };
    const out = renderReport(d);
    expect(wellFormedProblems(out)).toEqual([]);
    expect(out).not.toMatch(BAD);
    expect(out).toContain("1 point has a non-positive value and is not drawn");
  });

  it("writes a page that reads back byte for byte", () => {
    const dir = mkdtempSync(join(tmpdir(), "sfl-report-"));
    try {
      const file = join(dir, "report.html");
      writeFileSync(file, html);
      expect(readFileSync(file, "utf8")).toBe(html);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
