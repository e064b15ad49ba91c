/**
 * The data contract of the comparison report: the `compare` command fills a ComparisonData and the
 * renderers in this folder turn it into text (table.ts), SVG (svg.ts) and HTML (html.ts). Plain
 * JSON-compatible data, so a saved comparison can be re-rendered later by `sfl-market report`.
 */

import type { UncertaintySummary } from "./uncertaintySummary.ts";

/** One tenant's outcome in one run (one policy, one seed). */
export interface TenantOutcome {
  policy: string;
  seed: number;
  tenant: string;
  type: string;
  met: boolean;
  /** Simulated seconds from the tenant's start to the round where it met its target; null if not met. */
  timeToTarget: number | null;
  rounds: number;
  spend: number;
  /** null for a tenant that never ran (infeasible). */
  finalGap: number | null;
  /** Why the target was not met (deadline, infeasible, ...); absent when met. */
  reason?: string;
}

export interface SummaryRow {
  policy: string;
  tenant: string;
  metRate: number;
  medianTime: number | null;
  speedupOfPrince: number | null;
}

export interface Trajectory {
  policy: string;
  seed: number;
  tenant: string;
  /** [simulated seconds, loss gap] */
  points: [number, number][];
}

/** Samples of posted prices / participation on eligible devices. */
export interface Distribution {
  policy: string;
  tenant: string;
  prices: number[];
  participation: number[];
}

/** Rounds-to-target predicted by the convergence bound and measured in the run. */
export interface BoundPoint {
  policy: string;
  seed: number;
  tenant: string;
  predicted: number;
  measured: number;
}

export interface ComparisonData {
  title: string;
  scenario: {
    name: string;
    devices: number;
    tenants: { name: string; type: string; target: number; deadline: number }[];
  };
  seeds: number[];
  policies: string[];
  results: TenantOutcome[];
  summary: SummaryRow[];
  trajectories: Trajectory[];
  distributions: Distribution[];
  /**
   * The bound's predicted vs measured rounds-to-target over the runs that met their targets:
   * pooled over tenants, and within each tenant (where only V_i(q) varies the prediction).
   */
  bound: {
    spearman: number | null;
    n: number;
    points: BoundPoint[];
    perTenant?: { tenant: string; spearman: number | null; n: number }[];
  };
  notes: string[];
  meta: Record<string, string>;
  /** Intervals, paired tests and censored statistics (compare --uncertainty; docs/uncertainty.md). */
  uncertainty?: UncertaintySummary;
}
