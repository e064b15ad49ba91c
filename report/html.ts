import { coefficient, DASH, escapeXml, value } from "./format.ts";
import { maxOf, minOf, quantile } from "./stats.ts";
import {
  type BarGroup,
  barChart,
  boxPlot,
  type LegendItem,
  legendSvg,
  lineChart,
  type Point,
  type SeriesStyle,
  scatterLogLog,
  seriesStyles,
} from "./svg.ts";
import { policyOrder, rowCells, TABLE_NOTES, type TenantBlock, tableBlocks, tenantOrder } from "./table.ts";
import type { ComparisonData } from "./types.ts";
import { renderUncertainty } from "./uncertaintyText.ts";

/**
 * The comparison report as one self-contained HTML page: inline CSS and SVG, no scripts, no
 * external resources, so it opens from disk and can be mailed as one file. Deterministic: the
 * same data gives the same bytes (no dates, no random ids). docs/report.md explains each figure.
 */
export function renderReport(data: ComparisonData): string {
  const policies = policyOrder(data);
  const tenants = tenantOrder(data);
  const styles = seriesStyles(policies);
  const blocks = tableBlocks(data);
  const h = escapeXml;
  const body: string[] = [];

  body.push(`<h1>${h(data.title || "Comparison")}</h1>`);
  body.push(`<p class="sub">${h(overview(data, policies, tenants))}</p>`);

  body.push(`<h2>Scenario</h2>`, scenarioTable(data));
  body.push(`<h2>Per-tenant summary</h2>`, summaryTable(blocks, styles));
  body.push(`<p class="note">${TABLE_NOTES.map(h).join(" ")} ${h(SPEEDUP_COLOURS)}</p>`);
  if (data.uncertainty)
    body.push(
      `<h2>Uncertainty</h2>`,
      `<pre class="uncertainty">${h(renderUncertainty(data, data.uncertainty))}</pre>`,
    );

  body.push(`<h2>Figures</h2>`);
  body.push(lossGapFigure(data, policies, tenants, styles));
  body.push(timeFigure(data, blocks, policies, styles));
  body.push(distributionFigure(data, policies, tenants, styles, "prices"));
  body.push(distributionFigure(data, policies, tenants, styles, "participation"));
  body.push(boundFigure(data, tenants, styles));

  body.push(`<h2>Notes</h2>`);
  body.push(
    data.notes.length > 0
      ? `<ul class="notes">${data.notes.map((n) => `<li>${h(n)}</li>`).join("")}</ul>`
      : `<p class="empty">No notes.</p>`,
  );
  body.push(`<h2>Run</h2>`, metaTable(data));

  return [
    "<!DOCTYPE html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${h(data.title || "Comparison")}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    `<main>`,
    ...body,
    `</main>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

const CSS = [
  "body{margin:0;background:#fafafa;color:#222;font:14px/1.45 Helvetica,Arial,sans-serif}",
  "main{max-width:1100px;margin:0 auto;padding:24px 28px 48px;background:#fff}",
  "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}",
  ".sub{color:#555;margin:0 0 8px}.note,.empty,figcaption{color:#555;font-size:13px}",
  "table{border-collapse:collapse;font-size:13px;margin:6px 0}",
  "th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #eee;vertical-align:top}",
  "th{background:#f3f3f3;font-weight:600}th.l,td.l{text-align:left}",
  "tr.tenant td{background:#f7f7f7;text-align:left;font-weight:600;border-top:1px solid #ccc}",
  "tr.tenant span{font-weight:400;color:#555}",
  ".swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px;vertical-align:baseline}",
  ".best{font-weight:700}.good{color:#0a6b3b}.bad{color:#b3400a}.miss{color:#777;font-size:12px}",
  "figure{margin:18px 0 26px}figcaption{margin-top:6px;max-width:900px}",
  ".panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:8px 12px}",
  "svg{max-width:100%;height:auto;display:block}",
  "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:13px}",
  "dt{color:#555}dd{margin:0;font-family:Menlo,Consolas,monospace;word-break:break-all}",
  "ul.notes li{margin:4px 0}",
].join("\n");

const SPEEDUP_COLOURS =
  "A speedup above 1 (green) means PRINCE reached the target faster than that policy; below 1 (orange), slower.";

function overview(data: ComparisonData, policies: string[], tenants: string[]): string {
  const s = data.scenario;
  const seeds = data.seeds.length;
  return (
    `Scenario ${s.name || DASH}: ${s.devices} devices, ${tenants.length} tenant${tenants.length === 1 ? "" : "s"}; ` +
    `${policies.length} polic${policies.length === 1 ? "y" : "ies"} (${policies.join(", ") || DASH}); ` +
    `${seeds} seed${seeds === 1 ? "" : "s"}.`
  );
}

function scenarioTable(data: ComparisonData): string {
  const h = escapeXml;
  if (data.scenario.tenants.length === 0) return `<p class="empty">The scenario lists no tenants.</p>`;
  const rows = data.scenario.tenants.map(
    (t) =>
      `<tr><td class="l">${h(t.name)}</td><td class="l">${h(t.type)}</td>` +
      `<td>${h(value(t.target))}</td><td>${h(value(t.deadline))}</td></tr>`,
  );
  return (
    `<table><thead><tr><th class="l">tenant</th><th class="l">type</th><th>target loss gap</th>` +
    `<th>deadline (s)</th></tr></thead><tbody>${rows.join("")}</tbody></table>`
  );
}

function swatch(style: SeriesStyle | undefined): string {
  return `<span class="swatch" style="background:${style?.color ?? "#777777"}"></span>`;
}

function summaryTable(blocks: TenantBlock[], styles: Map<string, SeriesStyle>): string {
  const h = escapeXml;
  if (blocks.length === 0) return `<p class="empty">No tenants, so nothing to summarise.</p>`;
  const head =
    `<thead><tr><th class="l">policy</th><th>targets met</th><th>median time (s)</th>` +
    `<th>median rounds</th><th>median spend</th><th>PRINCE speedup</th><th class="l">missed because</th></tr></thead>`;
  const rows: string[] = [];
  for (const b of blocks) {
    const caption = [
      b.type,
      b.target !== null ? `target ${value(b.target)}` : "",
      b.deadline !== null ? `deadline ${value(b.deadline)} s` : "",
    ]
      .filter(Boolean)
      .join(", ");
    rows.push(`<tr class="tenant"><td colspan="7">${h(b.tenant)} <span>${h(caption)}</span></td></tr>`);
    const times = b.rows
      .map((r) => r.medianTime)
      .filter((t): t is number => t !== null && Number.isFinite(t));
    const best = times.length > 0 ? minOf(times) : null;
    if (b.rows.length === 0) rows.push(`<tr><td class="l" colspan="7">no policies</td></tr>`);
    for (const r of b.rows) {
      const c = rowCells(r);
      const s = r.speedupOfPrince;
      const cls = s === null || s === 1 ? "" : s > 1 ? ` class="good"` : ` class="bad"`;
      const timeCls = best !== null && r.medianTime === best ? ` class="best"` : "";
      const misses =
        r.misses.map(([why, n]) => `${why} ×${n}`).join(", ") +
        (r.missedGap !== null ? `; median final loss gap ${value(r.missedGap)}` : "");
      rows.push(
        `<tr><td class="l">${swatch(styles.get(r.policy))}${h(r.policy)}</td><td>${h(c.met)}</td>` +
          `<td${timeCls}>${h(c.time)}</td><td>${h(c.rounds)}</td><td>${h(c.spend)}</td>` +
          `<td${cls}>${h(c.speedup)}</td><td class="l miss">${h(misses)}</td></tr>`,
      );
    }
  }
  return `<table>${head}<tbody>${rows.join("")}</tbody></table>`;
}

/** A figure: its SVG markup and a plain-text caption (escaped here). */
function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function policyLegend(
  policies: string[],
  styles: Map<string, SeriesStyle>,
  symbol: "line" | "box",
): LegendItem[] {
  return policies.map((p) => ({ label: p, style: styles.get(p)!, symbol }));
}

function lossGapFigure(
  data: ComparisonData,
  policies: string[],
  tenants: string[],
  styles: Map<string, SeriesStyle>,
): string {
  const title = `<h3>Loss gap over simulated time</h3>`;
  if (data.trajectories.length === 0) {
    return `${title}<p class="empty">No loss-gap trajectories were recorded.</p>`;
  }
  const grey: SeriesStyle = { color: "#555555", dash: null };
  const legend = legendSvg(
    [
      ...policyLegend(policies, styles, "line"),
      { label: "one seed", style: grey, symbol: "line", weight: 1, opacity: 0.5 },
      { label: "median over seeds", style: grey, symbol: "line", weight: 2.5 },
      { label: "target", style: { color: "#555555", dash: "5 4" }, symbol: "line", weight: 1 },
      { label: "deadline", style: { color: "#555555", dash: "2 3" }, symbol: "line", weight: 1 },
    ],
    1040,
  );
  const panels = tenants.map((tenant) => {
    const spec = data.scenario.tenants.find((t) => t.name === tenant);
    const series = policies.map((policy) => ({
      name: policy,
      style: styles.get(policy)!,
      runs: data.trajectories
        .filter((t) => t.policy === policy && t.tenant === tenant)
        .sort((a, b) => a.seed - b.seed)
        .map((t) => t.points as readonly Point[]),
    }));
    return lineChart({
      title: spec?.type ? `${tenant} (${spec.type})` : tenant,
      width: 520,
      height: 300,
      xLabel: "simulated time (s)",
      yLabel: "loss gap (log)",
      logY: true,
      series,
      legend: false,
      hLine: spec ? { y: spec.target, label: "target" } : undefined,
      vLine: spec ? { x: spec.deadline, label: "deadline" } : undefined,
      emptyText: "no trajectories for this tenant",
    });
  });
  return (
    title +
    figure(
      `${legend}<div class="panels">${panels.join("")}</div>`,
      "One panel per tenant. Thin lines are single seeds; the bold line is the median over seeds of the " +
        "loss gap at each time (a seed that has finished holds its last value). A line that crosses the " +
        "dashed target line has met the target; the further left it crosses, the shorter the fine-tuning " +
        "time. The y axis is logarithmic; zero gaps are not drawn.",
    )
  );
}

function timeFigure(
  data: ComparisonData,
  blocks: TenantBlock[],
  policies: string[],
  styles: Map<string, SeriesStyle>,
): string {
  const title = `<h3>Fine-tuning time per tenant and policy</h3>`;
  if (blocks.length === 0) return `${title}<p class="empty">No tenants.</p>`;
  const groups: BarGroup[] = blocks.map((b) => ({
    label: b.tenant,
    bars: b.rows.map((r) => {
      const c = rowCells(r);
      const times = data.results
        .filter((o) => o.policy === r.policy && o.tenant === b.tenant && o.met && o.timeToTarget !== null)
        .map((o) => o.timeToTarget as number);
      const q25 = quantile(times, 0.25);
      const q75 = quantile(times, 0.75);
      return {
        name: r.policy,
        style: styles.get(r.policy)!,
        value: r.medianTime,
        interval:
          r.medianTime !== null && times.length >= 2 && q25 !== null && q75 !== null
            ? ([q25, q75] as const)
            : null,
        tooltip: `${r.policy} · ${b.tenant}: median ${c.time} s, targets met ${c.met}`,
        ...(r.runs === 0 ? { missingLabel: "no runs" } : {}),
      };
    }),
  }));
  const times = blocks
    .flatMap((b) => b.rows.map((r) => r.medianTime))
    .filter((t): t is number => t !== null && t > 0);
  const logY = times.length > 1 && maxOf(times) / minOf(times) > 50;
  const svg = barChart({
    id: "fig-time",
    width: 1040,
    height: 340,
    yLabel: logY ? "median fine-tuning time (s, log)" : "median fine-tuning time (s)",
    logY,
    groups,
    legend: policyLegend(policies, styles, "box"),
  });
  return (
    title +
    figure(
      svg,
      "Median simulated time from a tenant's start to the round where it met its target, over the seeds " +
        "where it did (the table's targets-met column says how many); the whisker spans the quartiles over " +
        "those seeds. Lower is better. A hatched stub " +
        "marked “not met” means the policy never reached that tenant's target on any seed (“no runs”: it was not run)." +
        (logY ? " The y axis is logarithmic because times differ by more than 50x." : ""),
    )
  );
}

function distributionFigure(
  data: ComparisonData,
  policies: string[],
  tenants: string[],
  styles: Map<string, SeriesStyle>,
  which: "prices" | "participation",
): string {
  const title = `<h3>${which === "prices" ? "Posted prices" : "Participation"} on eligible devices</h3>`;
  const samples = data.distributions.flatMap((d) => d[which]).filter((x) => Number.isFinite(x));
  if (samples.length === 0) {
    return `${title}<p class="empty">No ${which === "prices" ? "price" : "participation"} samples were recorded.</p>`;
  }
  const positive = samples.filter((x) => x > 0);
  const zeros = samples.length - positive.length;
  const spread = positive.length > 0 ? maxOf(positive) / minOf(positive) : 1;
  const logY = which === "prices" && spread > 100;
  const groups = tenants.map((tenant) => ({
    label: tenant,
    boxes: policies.map((policy) => ({
      name: policy,
      style: styles.get(policy)!,
      values: data.distributions
        .filter((d) => d.policy === policy && d.tenant === tenant)
        .flatMap((d) => d[which]),
    })),
  }));
  const svg = boxPlot({
    width: 1040,
    height: 320,
    yLabel:
      which === "prices" ? `posted price per round${logY ? " (log)" : ""}` : "participation probability q",
    logY,
    groups,
    legend: policyLegend(policies, styles, "box"),
  });
  const how =
    "Each box spans the middle half of the samples (quartiles), the bar inside is the median and the " +
    "whiskers reach the 5th and 95th percentiles; samples pool all seeds and market steps.";
  const caption =
    which === "prices"
      ? "Prices each policy posted to the devices eligible for a tenant (after the budget guard). " +
        `${how} A policy with one price for all devices (uniform) gives a flat box; one that prices devices individually (PRINCE, proportional) spreads.` +
        (logY && zeros > 0
          ? ` The y axis is logarithmic; ${zeros === 1 ? "1 zero price is" : `${zeros} zero prices are`} not drawn.`
          : "") +
        (logY && zeros === 0 ? " The y axis is logarithmic." : "")
      : "Participation probability q_ij the devices eligible for a tenant chose in response to the posted prices. " +
        `${how} Mass near zero means devices that rarely take part: their data is missing from most rounds, which biases ` +
        "FedAvg-style aggregation and, under unbiased aggregation, inflates V_i = sum of w_ij / q_ij and so the rounds needed.";
  return title + figure(svg, caption);
}

function boundFigure(data: ComparisonData, tenants: string[], styles: Map<string, SeriesStyle>): string {
  const title = `<h3>Convergence bound: predicted vs measured rounds to target</h3>`;
  const { spearman, n, points } = data.bound;
  if (points.length === 0) return `${title}<p class="empty">No bound predictions were recorded.</p>`;
  const rho = `Spearman rank correlation ρ = ${coefficient(spearman)} over n = ${n} runs`;
  const svg = scatterLogLog({
    width: 620,
    height: 540,
    xLabel: "predicted rounds (bound)",
    yLabel: "measured rounds",
    points: points.map((p) => ({
      x: p.predicted,
      y: p.measured,
      series: p.policy,
      group: p.tenant,
      tooltip: `${p.policy} · ${p.tenant} · seed ${p.seed}: predicted ${value(p.predicted)}, measured ${value(p.measured)}`,
    })),
    styles,
    groups: [...tenants, ...new Set(points.map((p) => p.tenant))].filter((t, k, a) => a.indexOf(t) === k),
    subtitle: rho + (spearman === null ? " (not defined: fewer than 3 runs or no variation)" : ""),
  });
  const drawn = points.filter(
    (p) => p.predicted > 0 && p.measured > 0 && Number.isFinite(p.predicted + p.measured),
  );
  const hidden = points.length - drawn.length;
  return (
    title +
    figure(
      svg,
      "Each point is one run that met its target: the rounds the convergence bound predicts against the rounds it took. " +
        "Both axes are logarithmic; the dashed line is y = x. The bound caps the expected loss gap, so with " +
        "conservative constants points lie on or below the line (measured ≤ predicted). What PRINCE relies on is " +
        "the ordering, which the rank correlation ρ measures (1 = the bound ranks runs exactly as measured)." +
        (hidden > 0
          ? ` ${hidden === 1 ? "1 point has" : `${hidden} points have`} a non-positive value and ${hidden === 1 ? "is" : "are"} not drawn.`
          : ""),
    )
  );
}

function metaTable(data: ComparisonData): string {
  const h = escapeXml;
  const entries: [string, string][] = [
    ["seeds", data.seeds.join(", ") || DASH],
    ["policies", data.policies.join(", ") || DASH],
    ...Object.entries(data.meta),
  ];
  return `<dl>${entries.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join("")}</dl>`;
}
