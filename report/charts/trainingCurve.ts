import type { BackendInfo } from "../../policies/learned/backend.ts";
import type { CurveRow, TrainConfig } from "../../policies/learned/trainer.ts";
import { lineChart, type Point, seriesStyles } from "../svg.ts";

/**
 * The learning curve as CSV and SVG. Both are pure functions of the training state, so they are
 * rewritten whole after every checkpoint and a resumed run's files equal an uninterrupted run's
 * (apart from the `#` provenance lines at the top of the CSV, which name the backend and command).
 */
export const CURVE_COLUMNS = [
  "episode",
  "seed",
  "tenant",
  "return",
  "met",
  "time_to_target",
  "final_gap",
  "rounds",
  "steps",
  "valuation_ratio",
  "mean_log_scale",
  "mean_a",
  "mean_b",
] as const;

export function curveCsv(
  rows: readonly CurveRow[],
  meta: { backend: BackendInfo; config: TrainConfig; command: string },
): string {
  const c = meta.config;
  const head = [
    "# sfl-market train: learning curve, one row per learning tenant per episode",
    `# backend: tfjs ${meta.backend.tfjsVersion} ${meta.backend.name} (${meta.backend.detail})`,
    `# command: ${meta.command}`,
    `# scenario: ${c.scenarioName}; seed ${c.seed}; learners ${c.learners.join(",")}; rivals ${c.rivals}; reward ${c.reward}; batch episodes ${c.batchEpisodes}`,
    "# return: sum of the tenant's rewards; valuation_ratio: mean V_i(q) / V_i alone at optimum; mean_*: the policy's mean action",
    CURVE_COLUMNS.join(","),
  ];
  const num = (x: number | null) => (x === null || !Number.isFinite(x) ? "" : String(x));
  const lines = rows.map((r) =>
    [
      r.episode,
      r.seed,
      r.tenant,
      num(r.return),
      r.met ? 1 : 0,
      num(r.timeToTarget),
      num(r.finalGap),
      r.rounds,
      r.steps,
      num(r.valuationRatio),
      ...r.meanAction.map(num),
    ].join(","),
  );
  return `${[...head, ...lines].join("\n")}\n`;
}

/** Moving average over the last `window` episodes, per tenant: the curve's bold lines. */
export function movingAverage(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let k = 0; k < values.length; k++) {
    sum += values[k];
    if (k >= window) sum -= values[k - window];
    out.push(sum / Math.min(k + 1, window));
  }
  return out;
}

/** Return per episode (moving average of `window`) for each learning tenant. */
export function curveSvg(rows: readonly CurveRow[], title: string, window = 10): string {
  const tenants = [...new Set(rows.map((r) => r.tenant))];
  const styles = seriesStyles(tenants);
  const series = tenants.map((t) => {
    const mine = rows.filter((r) => r.tenant === t);
    const avg = movingAverage(
      mine.map((r) => r.return),
      window,
    );
    const points: Point[] = mine.map((r, k) => [r.episode + 1, avg[k]]);
    return { name: t, style: styles.get(t)!, runs: [points] };
  });
  return lineChart({
    title,
    width: 640,
    height: 340,
    xLabel: "training episode",
    yLabel: `return (moving average of ${window} episodes)`,
    series,
    emptyText: "no episode yet",
  });
}
