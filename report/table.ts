import { count, DASH, ratio, value } from "./format.ts";
import { median } from "./stats.ts";
import type { ComparisonData, SummaryRow, TenantOutcome } from "./types.ts";

export { spearman } from "./stats.ts";

/** The policy name the speedups are measured for. */
export const PRINCE = "prince";

const key = (policy: string, tenant: string) => `${policy}\u0000${tenant}`;

/** A run's time to target, if it met the target with a usable time. */
function metTime(r: TenantOutcome): number | null {
  return r.met && r.timeToTarget !== null && Number.isFinite(r.timeToTarget) ? r.timeToTarget : null;
}

/** Which of `policies` is PRINCE: an exact match of `prince` first, else a case-insensitive one. */
export function princeOf(policies: readonly string[], prince = PRINCE): string | null {
  if (policies.includes(prince)) return prince;
  return policies.find((p) => p.toLowerCase() === prince.toLowerCase()) ?? null;
}

/**
 * One row per tenant and policy (tenant-major, in the given orders), including pairs with no runs.
 * - metRate: runs that met the target / runs (0 when there are no runs).
 * - medianTime: median time to target over the seeds where the target was met; null if none met.
 * - speedupOfPrince: on each seed where both this policy and PRINCE met the target, this policy's
 *   time / PRINCE's time; the median of those. Null where there is no such seed (or no PRINCE among
 *   `policies`). For PRINCE's own row: 1 if it met the target on some seed, else null.
 */
export function summarise(
  results: readonly TenantOutcome[],
  policies: readonly string[],
  tenants: readonly string[],
  prince = PRINCE,
): SummaryRow[] {
  const runs = new Map<string, TenantOutcome[]>();
  for (const r of results) {
    const k = key(r.policy, r.tenant);
    const list = runs.get(k);
    if (list) list.push(r);
    else runs.set(k, [r]);
  }
  const timesBySeed = (policy: string, tenant: string) => {
    const bySeed = new Map<number, number>();
    for (const r of runs.get(key(policy, tenant)) ?? []) {
      const t = metTime(r);
      if (t !== null) bySeed.set(r.seed, t);
    }
    return bySeed;
  };
  const princeName = princeOf(policies, prince);
  const rows: SummaryRow[] = [];
  for (const tenant of tenants) {
    const princeTimes = princeName === null ? new Map<number, number>() : timesBySeed(princeName, tenant);
    for (const policy of policies) {
      const list = runs.get(key(policy, tenant)) ?? [];
      const times = timesBySeed(policy, tenant);
      const metRuns = list.filter((r) => metTime(r) !== null).length;
      let speedupOfPrince: number | null = null;
      if (policy === princeName) {
        speedupOfPrince = times.size > 0 ? 1 : null;
      } else {
        const ratios: number[] = [];
        for (const [seed, t] of times) {
          const p = princeTimes.get(seed);
          if (p !== undefined && p > 0) ratios.push(t / p);
        }
        speedupOfPrince = median(ratios);
      }
      rows.push({
        policy,
        tenant,
        metRate: list.length > 0 ? metRuns / list.length : 0,
        medianTime: median([...times.values()]),
        speedupOfPrince,
      });
    }
  }
  return rows;
}

/** One line of the per-tenant table, as numbers; the renderers format it. */
export interface TableRow {
  policy: string;
  tenant: string;
  /** Runs that met the target, and runs. */
  met: number;
  runs: number;
  /** Medians over the runs that met the target (null if none did). */
  medianTime: number | null;
  medianRounds: number | null;
  medianSpend: number | null;
  speedupOfPrince: number | null;
  /**
   * Why runs missed the target: the kind of reason (its leading clause, e.g. "deadline passed"; the
   * full text, with the run's numbers, is in the results) and how many runs, most frequent first.
   */
  misses: [string, number][];
  /** Median final loss gap over the runs that missed (null if none, or none has a gap). */
  missedGap: number | null;
}

export interface TenantBlock {
  tenant: string;
  type: string;
  target: number | null;
  deadline: number | null;
  rows: TableRow[];
}

function appendNew(list: string[], names: Iterable<string>): string[] {
  const seen = new Set(list);
  for (const n of names) {
    if (!seen.has(n)) {
      seen.add(n);
      list.push(n);
    }
  }
  return list;
}

/** The policies in the data's order, then any that only appear in results, in order of appearance. */
export function policyOrder(data: ComparisonData): string[] {
  return appendNew(
    [...data.policies],
    [
      ...data.results.map((r) => r.policy),
      ...data.trajectories.map((t) => t.policy),
      ...data.distributions.map((d) => d.policy),
    ],
  );
}

/** The scenario's tenants in order, then any that only appear in results, in order of appearance. */
export function tenantOrder(data: ComparisonData): string[] {
  return appendNew(
    data.scenario.tenants.map((t) => t.name),
    [...data.results.map((r) => r.tenant), ...data.trajectories.map((t) => t.tenant)],
  );
}

/**
 * The table the terminal and the HTML page show: counts, rounds and spend from the results; median
 * time and speedup from data.summary when it has the row, computed by summarise otherwise.
 */
export function tableBlocks(data: ComparisonData): TenantBlock[] {
  const policies = policyOrder(data);
  const tenants = tenantOrder(data);
  const given = new Map(data.summary.map((s) => [key(s.policy, s.tenant), s]));
  const computed = new Map(
    summarise(data.results, policies, tenants).map((s) => [key(s.policy, s.tenant), s]),
  );
  return tenants.map((tenant) => {
    const spec = data.scenario.tenants.find((t) => t.name === tenant);
    const rows = policies.map((policy): TableRow => {
      const runs = data.results.filter((r) => r.policy === policy && r.tenant === tenant);
      const met = runs.filter((r) => metTime(r) !== null);
      const s = given.get(key(policy, tenant)) ?? computed.get(key(policy, tenant))!;
      const misses = new Map<string, number>();
      const missedGaps: number[] = [];
      for (const r of runs) {
        if (metTime(r) === null) {
          const why = missKind(r.reason ?? (r.met ? "no time recorded" : "not met"));
          misses.set(why, (misses.get(why) ?? 0) + 1);
          if (r.finalGap !== null && Number.isFinite(r.finalGap)) missedGaps.push(r.finalGap);
        }
      }
      return {
        policy,
        tenant,
        met: met.length,
        runs: runs.length,
        medianTime: s.medianTime,
        medianRounds: median(met.map((r) => r.rounds)),
        medianSpend: median(met.map((r) => r.spend)),
        speedupOfPrince: s.speedupOfPrince,
        misses: [...misses].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
        missedGap: median(missedGaps),
      };
    });
    return {
      tenant,
      type: spec?.type ?? runs0Type(data, tenant),
      target: spec?.target ?? null,
      deadline: spec?.deadline ?? null,
      rows,
    };
  });
}

function runs0Type(data: ComparisonData, tenant: string): string {
  return data.results.find((r) => r.tenant === tenant)?.type ?? "";
}

/** Cells of a table row, formatted; shared by the terminal table and the HTML page. */
export function rowCells(row: TableRow): {
  met: string;
  time: string;
  rounds: string;
  spend: string;
  speedup: string;
} {
  return {
    met: `${row.met}/${row.runs}`,
    time: value(row.medianTime),
    rounds: count(row.medianRounds),
    spend: value(row.medianSpend),
    speedup: ratio(row.speedupOfPrince),
  };
}

/** "vit, target 0.01, deadline 3600 s" */
export function tenantCaption(b: TenantBlock): string {
  const parts = b.type ? [b.type] : [];
  if (b.target !== null) parts.push(`target ${value(b.target)}`);
  if (b.deadline !== null) parts.push(`deadline ${value(b.deadline)} s`);
  return parts.join(", ");
}

/** How to read the table's medians and speedups; printed under the table. */
export const TABLE_NOTES: readonly string[] = [
  `Median time, rounds and spend are over the seeds where the target was met (${DASH} if none).`,
  "PRINCE speedup = the policy's time / PRINCE's time on the same seed, median over seeds where both met.",
];

/**
 * The plain-text per-tenant table for the terminal: one block per tenant, policies as rows, columns
 * aligned across all blocks.
 */
export function renderTable(data: ComparisonData): string {
  const blocks = tableBlocks(data);
  const header = ["policy", "met", "median time (s)", "median rounds", "median spend", "PRINCE speedup"];
  const body = blocks.map((b) =>
    b.rows.map((r) => {
      const c = rowCells(r);
      return [r.policy, c.met, c.time, c.rounds, c.spend, c.speedup];
    }),
  );
  const widths = header.map((h, k) => Math.max(h.length, ...body.flat().map((cells) => cells[k].length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join("  ")}`.trimEnd();
  const out: string[] = [];
  if (data.title) out.push(data.title, "");
  if (blocks.length === 0) out.push("(no tenants)");
  blocks.forEach((b, k) => {
    const caption = tenantCaption(b);
    out.push(caption ? `tenant ${b.tenant} (${caption})` : `tenant ${b.tenant}`);
    out.push(line(header));
    for (const cells of body[k]) out.push(line(cells));
    if (body[k].length === 0) out.push(`  (no policies)`);
    out.push("");
  });
  out.push(...TABLE_NOTES);
  return `${out.join("\n")}\n`;
}

/** The leading clause of a miss reason: the words before its first parenthesis, "with" or colon. */
export function missKind(reason: string): string {
  return reason.split(/ \(| with |: /)[0].trim() || reason;
}
