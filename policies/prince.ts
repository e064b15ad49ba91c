import type { AggregationRule } from "../market/aggregation.ts";
import { enforceBudgets } from "../market/budgetGuard.ts";
import type { MarketInstance } from "../market/instance.ts";
import { type SolveResult, solveStackelberg } from "../market/stackelberg.ts";
import { tenantBestResponse } from "../market/tenantBestResponse.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "./options.ts";
import type { MarketObservation, PolicyWarning, TenantPolicy } from "./types.ts";
import { WarningLog } from "./warnings.ts";

/**
 * PRINCE (MODEL.md section 3): every tenant posts its prices at the Stackelberg equilibrium of the
 * observed market, re-solved at each market step, with unbiased aggregation.
 *
 * The equilibrium is joint, so one instance solves once per market and answers every tenant's
 * `price` call from that solve. The cache is keyed by the market's content, not only by the step
 * number: a new step whose market is unchanged reuses the solve (the solver is deterministic, so
 * this is the same as re-solving), and a different market under the same step number (a test, a
 * props suite, a reused instance) is never answered from a stale solve.
 *
 * No warm start: solveStackelberg's warm start (initialPrices) switches it to best-response sweeps,
 * and measured on random markets (M = 2..8, N = 50..1000, values perturbed by 5-30% between steps)
 * that is slower than the default multiplier-Newton solve from the single-tenant point, which
 * converges in 3-4 Newton steps (e.g. M = 4, N = 1000: 10 ms cold vs 2-14 s warm; the warm start
 * only wins, 11 -> 5 ms, when the market did not change, which the cache already covers).
 *
 * When the solve does not converge the policy still posts its best point (within budget) and
 * records a NOT_CONVERGED warning with the largest NashConv; if the solver throws, it falls back to
 * the single-tenant prices under the budget guard and records SOLVE_FAILED.
 */
export const princeOptions: readonly OptionDoc[] = [
  aggregationOption("unbiased"),
  {
    name: "tol",
    type: "number",
    default: 1e-6,
    min: 0,
    exclusiveMin: true,
    description: "acceptance threshold on the largest per-tenant NashConv",
  },
  {
    name: "maxSweeps",
    type: "integer",
    default: 2000,
    min: 1,
    description: "maximum Gauss-Seidel best-response sweeps when the multiplier solve does not finish",
  },
  {
    name: "method",
    type: "enum",
    default: "auto",
    values: ["auto", "sweeps"],
    description: "auto: multiplier Newton (tau = 2) then sweeps if needed; sweeps: best-response sweeps only",
  },
];

export interface PrinceSolve {
  /** Market step at which these prices were last posted. */
  readonly step: number;
  readonly market: MarketInstance;
  /** The posted prices, tenant-major M x N over the market's rows. */
  readonly prices: Float64Array;
  /** The solver's result (prices, participation, NashConv...); null if it threw (fallback posted). */
  readonly result: SolveResult | null;
}

export interface PrincePolicy extends TenantPolicy {
  readonly warnings: readonly PolicyWarning[];
  /** The equilibrium behind the latest prices, or null before the first call of the episode. */
  readonly lastSolve: PrinceSolve | null;
  /** Equilibrium solves this episode (one per market step whose market changed). */
  readonly solves: number;
}

export function princePolicy(options?: Record<string, unknown>): PrincePolicy {
  const o = parseOptions("prince", princeOptions, options);
  const solveOptions = {
    tol: o.tol as number,
    maxSweeps: o.maxSweeps as number,
    method: o.method as "auto" | "sweeps",
  };
  const log = new WarningLog();
  let cache: PrinceSolve | null = null;
  let solves = 0;

  const solve = (obs: MarketObservation): PrinceSolve => {
    solves++;
    const at = { step: obs.step, market: obs.market };
    try {
      const r = solveStackelberg(obs.market, solveOptions);
      if (!r.converged) {
        const worst = Math.max(...r.nashConv);
        log.add(
          obs.step,
          "NOT_CONVERGED",
          `equilibrium solve did not converge after ${r.iterations} iterations (largest NashConv ${worst.toExponential(2)} > tol ${r.tol}); posting its best point`,
        );
      }
      return { ...at, prices: r.prices, result: r };
    } catch (err) {
      log.add(
        obs.step,
        "SOLVE_FAILED",
        `equilibrium solve failed (${(err as Error).message}); posting single-tenant prices under the budget guard`,
      );
      return { ...at, prices: singleTenantFallback(obs.market), result: null };
    }
  };

  return {
    name: "prince",
    aggregation: o.aggregation as AggregationRule,
    get warnings() {
      return log.items;
    },
    get lastSolve() {
      return cache;
    },
    get solves() {
      return solves;
    },
    reset() {
      cache = null;
      solves = 0;
      log.clear();
    },
    price(obs, row) {
      const { M, N } = obs.market;
      if (!(Number.isInteger(row) && row >= 0 && row < M))
        throw new RangeError(`row ${row} out of range 0..${M - 1}`);
      if (!cache || !sameMarket(cache.market, obs.market)) {
        cache = solve(obs);
      } else if (cache.step !== obs.step) {
        cache = { ...cache, step: obs.step };
      }
      return cache.prices.slice(row * N, (row + 1) * N);
    },
  };
}

/** True when the two markets are the same game (same object, or equal shapes and entries). */
export function sameMarket(a: MarketInstance, b: MarketInstance): boolean {
  if (a === b) return true;
  if (a.M !== b.M || a.N !== b.N || a.tau !== b.tau) return false;
  return equal(a.budget, b.budget) && equal(a.cost, b.cost) && equal(a.value, b.value);
}

function equal(x: Float64Array, y: Float64Array): boolean {
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  return true;
}

/** Single-tenant prices for every tenant, scaled down by the budget guard. */
function singleTenantFallback(m: MarketInstance): Float64Array {
  const { M, N } = m;
  const zero = new Float64Array(M * N);
  const prices = new Float64Array(M * N);
  for (let i = 0; i < M; i++) prices.set(tenantBestResponse(m, zero, i).prices, i * N);
  return enforceBudgets(m, prices).prices;
}
