import { barChart, escapeXml, seriesStyles } from "../report/index.ts";
import type { AxisSummary } from "./aggregate.ts";

/**
 * DIR/report/index.html of a sweep: per axis, PRINCE's speedup over each baseline and the share of
 * targets met per policy, each with its 95% bootstrap interval over seeds, as a bar chart and a
 * table. Self-contained (inline SVG, no scripts) and deterministic (no dates).
 */

const f = (x: number | null | undefined, digits = 2) => (x == null ? "—" : x.toFixed(digits));
const ci = (c: readonly [number, number] | null, digits = 2) =>
  c ? ` [${f(c[0], digits)}, ${f(c[1], digits)}]` : "";

export function speedupChart(s: AxisSummary, baselines: readonly string[]): string {
  const styles = seriesStyles([...baselines]);
  return barChart({
    title: `PRINCE's speedup over each baseline, by ${s.axis} (95% bootstrap CI over seeds)`,
    yLabel: "speedup (baseline time / PRINCE time)",
    logY: true,
    id: `speedup-${s.axis}`,
    groups: s.cells.map((c) => ({
      label: `${s.axis} = ${c.value}`,
      bars: baselines.map((b) => ({
        name: b,
        style: styles.get(b)!,
        value: c.speedup[b]?.estimate ?? null,
        interval: c.speedup[b]?.ci95 ?? null,
        tooltip: `${b}: ${f(c.speedup[b]?.estimate)}${ci(c.speedup[b]?.ci95 ?? null)}`,
      })),
    })),
    legend: baselines.map((b) => ({ label: b, style: styles.get(b)!, symbol: "box" as const })),
    missingLabel: "no pair met",
  });
}

export function metChart(s: AxisSummary, policies: readonly string[]): string {
  const styles = seriesStyles([...policies]);
  return barChart({
    title: `Share of targets met, by ${s.axis} (95% bootstrap CI over seeds)`,
    yLabel: "share of targets met",
    id: `met-${s.axis}`,
    groups: s.cells.map((c) => ({
      label: `${s.axis} = ${c.value}`,
      bars: policies.map((p) => ({
        name: p,
        style: styles.get(p)!,
        value: c.met[p]?.estimate ?? null,
        interval: c.met[p]?.ci95 ?? null,
      })),
    })),
    legend: policies.map((p) => ({ label: p, style: styles.get(p)!, symbol: "box" as const })),
  });
}

export function sweepReportHtml(
  title: string,
  summaries: readonly AxisSummary[],
  policies: readonly string[],
  runs: number,
): string {
  const h = escapeXml;
  const baselines = policies.filter((p) => p !== "prince");
  const body: string[] = [
    `<h1>${h(title)}</h1>`,
    `<p>${runs} runs. Speedup: geometric mean over the tenants that met their target under both policies, per seed, then over seeds; intervals are 95% percentile bootstrap intervals over seeds (seeded).</p>`,
  ];
  for (const s of summaries) {
    body.push(`<h2>${h(s.axis)}</h2>`, speedupChart(s, baselines), metChart(s, policies));
    body.push(
      `<table><tr><th>${h(s.axis)}</th>${baselines.map((b) => `<th>speedup vs ${h(b)}</th>`).join("")}${policies.map((p) => `<th>met: ${h(p)}</th>`).join("")}</tr>`,
    );
    for (const c of s.cells)
      body.push(
        `<tr><td>${c.value}</td>${baselines.map((b) => `<td>${f(c.speedup[b]?.estimate)}${ci(c.speedup[b]?.ci95 ?? null)}</td>`).join("")}${policies.map((p) => `<td>${f(c.met[p]?.estimate)}${ci(c.met[p]?.ci95 ?? null)}</td>`).join("")}</tr>`,
      );
    body.push("</table>");
  }
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${h(title)}</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}</style></head><body>${body.join("\n")}</body></html>\n`;
}
