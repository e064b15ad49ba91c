import { createRng } from "../env/rng.ts";
import { median } from "./stats.ts";
import { princeOf } from "./table.ts";
import type { ComparisonData, TenantOutcome } from "./types.ts";
import { type Interval, medianInterval, pairedSpeedupInterval } from "./uncertainty/bootstrap.ts";
import {
  type CensoredTime,
  censoredSpeedup,
  kaplanMeierMedian,
  kaplanMeierMedianInterval,
} from "./uncertainty/censored.ts";
import { wilcoxonSignedRank } from "./uncertainty/wilcoxon.ts";

/**
 * The uncertainty of a comparison's numbers (docs/uncertainty.md), per tenant and policy, computed
 * from the comparison's outcomes alone (a pure function of ComparisonData: a saved JSON gives the
 * same figures). Every interval is a percentile bootstrap 95% interval `ci95: [low, high]`, seeded
 * by `seed` and labelled per quantity; Infinity (JSON null) at an end means the data leave it open.
 * A miss counts as "not met before the tenant's deadline" (right-censored there), never as absent.
 */
export interface UncertaintyRow {
  readonly tenant: string;
  readonly policy: string;
  readonly runs: number;
  readonly met: number;
  /** The table's median time (over the seeds that met) with its interval; n = seeds that met. */
  readonly medianTime: { readonly value: number | null; readonly ci95: Interval | null; readonly n: number };
  /** Kaplan-Meier median time to target over all runs, misses censored at the deadline. */
  readonly timeToTarget: {
    readonly median: number | null;
    /** Set when the median is not reached (half or more missed): it is later than this. */
    readonly notBefore: number | null;
    readonly ci95: Interval | null;
  };
  /** PRINCE's speedup over this policy (absent for PRINCE's own row and without PRINCE). */
  readonly speedup?: {
    /** Median per-seed ratio over the seeds both met, its interval, and that seed count. */
    readonly median: number | null;
    readonly ci95: Interval | null;
    readonly n: number;
    /** All seeds: how they split by who met, and bounds on the median speedup over all of them. */
    readonly censored: {
      readonly n: number;
      readonly bothMet: number;
      readonly princeOnly: number;
      readonly baselineOnly: number;
      readonly neitherMet: number;
      readonly bounds: Interval | null;
    };
    /** Wilcoxon signed-rank test on log(policy time / PRINCE time) per seed, misses at the deadline. */
    readonly wilcoxon: {
      readonly pValue: number | null;
      readonly n: number;
      readonly zeros: number;
      readonly method: "exact" | "normal";
    };
  };
}

export interface UncertaintyOptions {
  /** Root seed of the bootstrap streams (default "uncertainty"). */
  readonly seed?: number | string;
  /** Bootstrap resamples per interval (default 2000). */
  readonly resamples?: number;
}

export interface UncertaintySummary {
  readonly method: {
    readonly interval: "percentile bootstrap, 95%";
    readonly resamples: number;
    readonly seed: number | string;
    readonly test: "Wilcoxon signed-rank, two-sided, on log time ratios";
    readonly misses: "censored at the tenant's deadline";
  };
  readonly rows: readonly UncertaintyRow[];
}

/** A run's time to target, censored at the deadline when it missed (or has no usable time). */
function censoredTime(r: TenantOutcome, deadline: number): CensoredTime {
  const ok = r.met && r.timeToTarget !== null && Number.isFinite(r.timeToTarget);
  return ok ? { time: r.timeToTarget!, met: true } : { time: deadline, met: false };
}

export function uncertaintySummary(
  data: Pick<ComparisonData, "results" | "policies" | "scenario">,
  options: UncertaintyOptions = {},
): UncertaintySummary {
  const seed = options.seed ?? "uncertainty";
  const resamples = options.resamples ?? 2000;
  const root = createRng(seed);
  const prince = princeOf(data.policies);
  const rows: UncertaintyRow[] = [];
  for (const tenant of data.scenario.tenants) {
    const bySeed = (policy: string) => {
      const m = new Map<number, CensoredTime>();
      for (const r of data.results)
        if (r.policy === policy && r.tenant === tenant.name) m.set(r.seed, censoredTime(r, tenant.deadline));
      return m;
    };
    const metTimes = (m: Map<number, CensoredTime>) =>
      new Map([...m].filter(([, c]) => c.met).map(([s, c]) => [s, c.time] as [number, number]));
    const princeRuns = prince === null ? new Map<number, CensoredTime>() : bySeed(prince);
    for (const policy of data.policies) {
      const label = `${tenant.name}/${policy}`;
      const runs = bySeed(policy);
      const obs = [...runs.values()];
      const times = [...metTimes(runs).values()];
      const km = kaplanMeierMedian(obs);
      const row: UncertaintyRow = {
        tenant: tenant.name,
        policy,
        runs: obs.length,
        met: times.length,
        medianTime: {
          value: median(times),
          ci95: medianInterval(times, root.child(`median/${label}`), { resamples }),
          n: times.length,
        },
        timeToTarget: {
          median: km.median,
          notBefore: km.notBefore,
          ci95: kaplanMeierMedianInterval(obs, root.child(`km/${label}`), { resamples }),
        },
      };
      if (prince === null || policy === prince) {
        rows.push(row);
        continue;
      }
      const paired = pairedSpeedupInterval(
        metTimes(runs),
        metTimes(princeRuns),
        root.child(`speedup/${label}`),
        {
          resamples,
        },
      );
      const pairs = [...runs]
        .filter(([s]) => princeRuns.has(s))
        .map(([s, baseline]) => ({ baseline, prince: princeRuns.get(s)! }));
      const cs = censoredSpeedup(pairs);
      const w = wilcoxonSignedRank(pairs.map((p) => Math.log(p.baseline.time / p.prince.time)));
      rows.push({
        ...row,
        speedup: {
          median: paired.median,
          ci95: paired.ci95,
          n: paired.n,
          censored: {
            n: cs.n,
            bothMet: cs.bothMet,
            princeOnly: cs.princeOnly,
            baselineOnly: cs.baselineOnly,
            neitherMet: cs.neitherMet,
            bounds: cs.bounds,
          },
          wilcoxon: { pValue: w.pValue, n: w.n, zeros: w.zeros, method: w.method },
        },
      });
    }
  }
  return {
    method: {
      interval: "percentile bootstrap, 95%",
      resamples,
      seed,
      test: "Wilcoxon signed-rank, two-sided, on log time ratios",
      misses: "censored at the tenant's deadline",
    },
    rows,
  };
}
