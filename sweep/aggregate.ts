import { createRng } from "../env/rng.ts";
import { bootstrapInterval, type Interval } from "../report/uncertainty/index.ts";
import type { RunRecord } from "./collect.ts";

/**
 * The sweep report's numbers, per axis and axis value (pooled over the other axes):
 * - PRINCE's speedup over each baseline: the geometric mean of baseline time / PRINCE time over the
 *   tenants that both met their target, per seed; the figure is the geometric mean over seeds, with
 *   a 95% percentile bootstrap interval over seeds (seeded: the same results, the same interval);
 * - the share of targets met under each policy, per seed, its mean over seeds and the same interval.
 * A bootstrap over seeds needs two seeds or more; with one the interval is null.
 */

export interface AxisCell {
  readonly value: number;
  /** baseline -> speedup of PRINCE over it (null: no tenant met its target under both). */
  readonly speedup: Readonly<
    Record<string, { estimate: number | null; ci95: Interval | null; pairs: number }>
  >;
  /** policy -> share of targets met. */
  readonly met: Readonly<Record<string, { estimate: number; ci95: Interval | null }>>;
}

export interface AxisSummary {
  readonly axis: string;
  readonly cells: readonly AxisCell[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const meanSorted = (s: Float64Array) => {
  let t = 0;
  for (let k = 0; k < s.length; k++) t += s[k];
  return t / s.length;
};

export function summariseAxes(records: readonly RunRecord[], axes: readonly string[]): AxisSummary[] {
  const policies = records[0]?.policies ?? [];
  const baselines = policies.filter((p) => p !== "prince");
  return axes.map((axis) => {
    const values = [...new Set(records.map((r) => r.params[axis]))].sort((a, b) => a - b);
    const cells = values.map((value) => {
      const runs = records.filter((r) => r.params[axis] === value);
      const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
      const rng = createRng(`sweep-report/${axis}/${value}`);
      const speedup: AxisCell["speedup"] = Object.fromEntries(
        baselines.map((b) => {
          let pairs = 0;
          const perSeed: number[] = [];
          for (const seed of seeds) {
            const logs: number[] = [];
            for (const r of runs) {
              if (r.seed !== seed) continue;
              for (const p of r.outcomes) {
                if (p.policy !== "prince" || p.timeToTarget === null || p.timeToTarget <= 0) continue;
                const o = r.outcomes.find((x) => x.policy === b && x.tenant === p.tenant);
                if (o?.timeToTarget == null || o.timeToTarget <= 0) continue;
                logs.push(Math.log(o.timeToTarget / p.timeToTarget));
              }
            }
            pairs += logs.length;
            if (logs.length > 0) perSeed.push(mean(logs));
          }
          const ci = bootstrapInterval(perSeed, meanSorted, rng.child(`speedup/${b}`));
          return [
            b,
            {
              estimate: perSeed.length > 0 ? Math.exp(mean(perSeed)) : null,
              ci95: ci ? ([Math.exp(ci[0]), Math.exp(ci[1])] as const) : null,
              pairs,
            },
          ];
        }),
      );
      const met: AxisCell["met"] = Object.fromEntries(
        policies.map((p) => {
          const perSeed = seeds.map((seed) => {
            const os = runs
              .filter((r) => r.seed === seed)
              .flatMap((r) => r.outcomes.filter((o) => o.policy === p));
            return os.filter((o) => o.met).length / Math.max(1, os.length);
          });
          return [
            p,
            { estimate: mean(perSeed), ci95: bootstrapInterval(perSeed, meanSorted, rng.child(`met/${p}`)) },
          ];
        }),
      );
      return { value, speedup, met };
    });
    return { axis, cells };
  });
}
