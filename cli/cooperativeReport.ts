import {
  type CooperativeResult,
  type PriceOfAnarchy,
  priceOfAnarchy,
  solveCooperative,
} from "../market/cooperative.ts";
import type { MarketInstance } from "../market/instance.ts";
import type { SolveResult } from "../market/stackelberg.ts";

/**
 * `sfl-market solve --cooperative`: the cooperative optimum (the tenants jointly minimising
 * sum_i V_i under the same budgets, market/cooperative.ts) and the price of anarchy of the SE,
 * as the JSON fields `cooperative` and `priceOfAnarchy` (docs/cli.md) and as summary lines.
 */
export interface CooperativeJson {
  cooperative: {
    objective: number[];
    total: number;
    lowerBound: number;
    dualityGap: number;
    spend: number[];
    prices: number[][];
    participation: number[][];
  };
  priceOfAnarchy: { total: number | null; perTenant: (number | null)[] };
}

export interface CooperativeReport {
  readonly optimum: CooperativeResult;
  readonly poa: PriceOfAnarchy;
}

export function cooperativeReport(m: MarketInstance, se: SolveResult): CooperativeReport {
  const optimum = solveCooperative(m);
  return { optimum, poa: priceOfAnarchy(se, optimum) };
}

const orNull = (x: number) => (Number.isFinite(x) ? x : null);

export function cooperativeJson(m: MarketInstance, r: CooperativeReport): CooperativeJson {
  const rows = (a: Float64Array) =>
    Array.from({ length: m.M }, (_, i) => Array.from(a.subarray(i * m.N, (i + 1) * m.N)));
  const o = r.optimum;
  return {
    cooperative: {
      objective: Array.from(o.objective),
      total: o.total,
      lowerBound: o.lowerBound,
      dualityGap: o.dualityGap,
      spend: Array.from(o.spend),
      prices: rows(o.prices),
      participation: rows(o.participation),
    },
    // an SE tenant with V_i infinite (an eligible device left at q = 0) has no finite ratio
    priceOfAnarchy: { total: orNull(r.poa.total), perTenant: Array.from(r.poa.perTenant, orNull) },
  };
}

export function cooperativeText(r: CooperativeReport): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : String(x));
  const lines = [
    `cooperative optimum (sum of V_i under the same budgets): ${f(r.optimum.total)}` +
      ` (duality gap ${r.optimum.dualityGap.toExponential(1)})`,
    `price of anarchy: total ${f(r.poa.total)}; per tenant ${Array.from(r.poa.perTenant, f).join(", ")}`,
  ];
  return `${lines.join("\n")}\n`;
}
