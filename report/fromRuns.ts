import type { ComparisonRun } from "../agents/comparison.ts";
import type { Compiled } from "../env/compile.ts";
import { median, pushAll, spearman } from "./stats.ts";
import { summarise } from "./table.ts";
import type { BoundPoint, ComparisonData, Distribution, TenantOutcome, Trajectory } from "./types.ts";

/** Most samples kept per policy x tenant for the distribution plots (taken at an even stride). */
const MAX_SAMPLES = 3000;

/**
 * Turns the runs of a comparison into the report's data (report/types.ts): outcomes, the summary
 * (median fine-tuning time, targets met, PRINCE's speedup), loss-gap trajectories, price and
 * participation samples, the bound's predicted vs measured rounds with their rank correlation, and
 * notes on every place a baseline beats PRINCE or PRINCE misses a target.
 */
export function comparisonData(args: {
  readonly title: string;
  readonly scenarioName: string;
  readonly compiled: Compiled;
  readonly seeds: readonly number[];
  readonly policies: readonly string[];
  readonly runs: readonly ComparisonRun[];
  readonly meta: Record<string, string>;
}): ComparisonData {
  const { physics } = args.compiled;
  const results: TenantOutcome[] = [];
  const trajectories: Trajectory[] = [];
  const points: BoundPoint[] = [];
  const pooled = new Map<string, { prices: number[]; participation: number[] }>();
  for (const run of args.runs) {
    for (const o of run.result.outcomes) {
      const row: TenantOutcome = {
        policy: run.policy,
        seed: run.seed,
        tenant: o.tenant,
        type: o.type,
        met: o.met,
        timeToTarget: o.timeToTarget,
        rounds: o.rounds,
        spend: o.spend,
        finalGap: o.finalGap,
      };
      results.push(o.reason && !o.met ? { ...row, reason: o.reason } : row);
    }
    for (const t of run.result.trajectories)
      trajectories.push({
        policy: run.policy,
        seed: run.seed,
        tenant: t.tenant,
        points: t.time.map((x, k) => [x, t.gap[k]] as [number, number]),
      });
    for (const b of run.result.bound)
      if (b.boundRounds !== null && b.measuredRounds !== null)
        points.push({
          policy: run.policy,
          seed: run.seed,
          tenant: b.tenant,
          predicted: b.boundRounds,
          measured: b.measuredRounds,
        });
    for (const [tenant, s] of run.samples) {
      const key = `${run.policy}\u0000${tenant}`;
      const acc = pooled.get(key) ?? { prices: [], participation: [] };
      pushAll(acc.prices, s.prices);
      pushAll(acc.participation, s.participation);
      pooled.set(key, acc);
    }
  }
  const distributions: Distribution[] = [];
  for (const [key, s] of pooled) {
    const [policy, tenant] = key.split("\u0000");
    distributions.push({ policy, tenant, prices: stride(s.prices), participation: stride(s.participation) });
  }
  const tenants = physics.tenants.map((t) => ({
    name: t.name,
    type: t.profile.type,
    target: t.target,
    deadline: t.deadline,
  }));
  const summary = summarise(
    results,
    [...args.policies],
    tenants.map((t) => t.name),
  );
  return {
    title: args.title,
    scenario: { name: args.scenarioName, devices: physics.N, tenants },
    seeds: [...args.seeds],
    policies: [...args.policies],
    results,
    summary,
    trajectories,
    distributions,
    bound: boundSummary(
      points,
      tenants.map((t) => t.name),
    ),
    notes: notesFor(
      results,
      [...args.policies],
      tenants.map((t) => t.name),
      args.runs,
    ),
    meta: args.meta,
  };
}

function stride(xs: number[]): number[] {
  if (xs.length <= MAX_SAMPLES) return xs;
  const step = xs.length / MAX_SAMPLES;
  return Array.from({ length: MAX_SAMPLES }, (_, k) => xs[Math.floor(k * step)]);
}

/** Facts worth a reader's attention, stated plainly; the README explains why they happen. */
function notesFor(
  results: TenantOutcome[],
  policies: string[],
  tenants: string[],
  runs: readonly ComparisonRun[],
): string[] {
  const notes: string[] = [];
  const times = (policy: string, tenant: string) =>
    results.filter((r) => r.policy === policy && r.tenant === tenant && r.met).map((r) => r.timeToTarget!);
  const runsOf = (policy: string, tenant: string) =>
    results.filter((r) => r.policy === policy && r.tenant === tenant).length;
  const prince = policies.find((p) => p === "prince");
  for (const tenant of tenants) {
    if (prince) {
      const n = runsOf(prince, tenant);
      const met = times(prince, tenant).length;
      if (met < n) notes.push(`PRINCE met ${tenant}'s target on ${met} of ${n} seeds.`);
    }
    for (const policy of policies) {
      if (policy === prince || !prince) continue;
      const a = times(policy, tenant);
      const b = times(prince, tenant);
      if (a.length === 0 || b.length === 0) continue;
      const ma = median(a) ?? 0;
      const mb = median(b) ?? 0;
      if (ma < mb)
        notes.push(
          `${policy} beats PRINCE on ${tenant}: median fine-tuning time ${ma.toFixed(0)} s vs ${mb.toFixed(0)} s (met on ${a.length} vs ${b.length} seeds).`,
        );
    }
  }
  for (const run of runs) for (const w of run.warnings) notes.push(`${run.policy}, seed ${run.seed}: ${w}`);
  return notes;
}

/** The bound's rank correlation with measured rounds: pooled, and within each tenant. */
export function boundSummary(points: BoundPoint[], tenants: readonly string[]): ComparisonData["bound"] {
  const rho = (ps: BoundPoint[]) =>
    spearman(
      ps.map((p) => p.predicted),
      ps.map((p) => p.measured),
    );
  return {
    spearman: rho(points),
    n: points.length,
    points,
    perTenant: tenants.map((tenant) => {
      const mine = points.filter((p) => p.tenant === tenant);
      return { tenant, spearman: rho(mine), n: mine.length };
    }),
  };
}
