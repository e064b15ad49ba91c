import { DASH, value } from "./format.ts";
import type { ComparisonData } from "./types.ts";
import type { Interval } from "./uncertainty/bootstrap.ts";
import type { UncertaintySummary } from "./uncertaintySummary.ts";

/** A number for an interval end: Infinity (the data leave it open) as "inf". */
const end = (x: number, fmt: (x: number) => string) => (x === Number.POSITIVE_INFINITY ? "inf" : fmt(x));
const ci = (c: Interval | null, fmt: (x: number) => string) =>
  c === null ? "" : ` [${end(c[0], fmt)}, ${end(c[1], fmt)}]`;
const x2 = (x: number) => `${x.toFixed(2)}x`;
const pv = (p: number | null) => (p === null ? DASH : p < 0.001 ? "<0.001" : p.toFixed(3));

/**
 * The uncertainty block printed under the comparison table (docs/uncertainty.md), 80 columns: per
 * tenant, each policy's median time with its 95% interval and the Kaplan-Meier median over all
 * runs; then PRINCE's speedup over each baseline with its interval, the seeds it rests on, bounds
 * over all seeds (misses censored at the deadline) and the Wilcoxon p-value.
 */
export function renderUncertainty(data: Pick<ComparisonData, "scenario">, u: UncertaintySummary): string {
  const lines = [
    `uncertainty: ${u.method.interval} intervals (${u.method.resamples} resamples); misses`,
    "censored at the deadline; KM = Kaplan-Meier median over all runs; all seeds =",
    "bounds on the median speedup over every seed; p = Wilcoxon signed-rank test",
  ];
  for (const t of data.scenario.tenants) {
    const rows = u.rows.filter((r) => r.tenant === t.name);
    lines.push(
      `tenant ${t.name}`,
      `  ${"policy".padEnd(16)}${"met".padStart(5)}  ${"median time (s) [95%]".padEnd(25)}${"KM (s) [95%]"}`,
    );
    for (const r of rows) {
      const km =
        r.timeToTarget.median === null
          ? r.timeToTarget.notBefore === null
            ? DASH
            : `>${value(r.timeToTarget.notBefore)}`
          : `${value(r.timeToTarget.median)}${ci(r.timeToTarget.ci95, value)}`;
      const med =
        r.medianTime.value === null ? DASH : `${value(r.medianTime.value)}${ci(r.medianTime.ci95, value)}`;
      lines.push(`  ${r.policy.padEnd(16)}${`${r.met}/${r.runs}`.padStart(5)}  ${med.padEnd(25)}${km}`);
    }
    const baselines = rows.filter((r) => r.speedup);
    if (baselines.length === 0) continue;
    lines.push(
      `  ${"PRINCE speedup".padEnd(16)}${"both".padStart(5)}  ${"median [95%]".padEnd(25)}${"all seeds".padEnd(20)}p`,
    );
    for (const r of baselines) {
      const s = r.speedup!;
      const med = s.median === null ? DASH : `${x2(s.median)}${ci(s.ci95, x2)}`;
      const all = s.censored.bounds === null ? DASH : ci(s.censored.bounds, x2).trim();
      lines.push(
        `  ${r.policy.padEnd(16)}${`${s.n}/${s.censored.n}`.padStart(5)}  ${med.padEnd(25)}${all.padEnd(20)}${pv(s.wilcoxon.pValue)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
