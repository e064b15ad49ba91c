import { z } from "zod";
import { formatPath, InputError, type InputIssue } from "./errors.ts";
import { tauProblem, tauSchema } from "./tau.ts";

/**
 * One market: M tenants x N devices (MODEL.md sections 1-3).
 * Matrices are tenant-major Float64Arrays: entry (i, j) is at i * N + j.
 * value[i*N+j] = w_ij = 0 means device j cannot serve tenant i (j not in E_i).
 * Instances are frozen: the arrays must not be written after construction.
 */
export interface MarketInstance {
  readonly M: number;
  readonly N: number;
  /** Cost exponent tau of the device utility, in [TAU_MIN, TAU_MAX] (market/tau.ts; default 2). */
  readonly tau: number;
  /** c_ij > 0, credits per round at full participation scale. */
  readonly cost: Float64Array;
  /** w_ij >= 0, the value weight a_ij^2 G_ij^2 (0 = ineligible). */
  readonly value: Float64Array;
  /** B_i > 0, expected payment per round tenant i may spend. */
  readonly budget: Float64Array;
}

/** The JSON form of a market, as read by `sfl-market solve`. */
export interface MarketInput {
  tau?: number;
  budget: number[];
  cost: number[][];
  value: number[][];
}

const finite = z.number().refine(Number.isFinite, "must be a finite number");

/** zod schema of the JSON form; shape checks across fields are done in validateMarketInput. */
export const marketInputSchema = z.object({
  tau: tauSchema,
  budget: z.array(finite.refine((b) => b > 0, "must be > 0")).min(1, "needs at least one tenant"),
  cost: z.array(z.array(finite.refine((c) => c > 0, "must be > 0"))),
  value: z.array(z.array(finite.refine((w) => w >= 0, "must be >= 0"))),
});

/**
 * Validates an untrusted JSON value and returns every issue found (empty when valid).
 * Checks types, ranges, that cost and value are M x N with M = budget.length, and that
 * every tenant has at least one eligible device (some w_ij > 0).
 */
export function validateMarketInput(raw: unknown): InputIssue[] {
  const parsed = marketInputSchema.safeParse(raw);
  if (!parsed.success) {
    return parsed.error.issues.map((is) => ({ path: formatPath(is.path), message: is.message }));
  }
  const { budget, cost, value } = parsed.data;
  const issues: InputIssue[] = [];
  const M = budget.length;
  const N = cost[0]?.length ?? 0;
  if (cost.length !== M)
    issues.push({ path: "cost", message: `has ${cost.length} rows, budget has ${M} tenants` });
  if (value.length !== M)
    issues.push({ path: "value", message: `has ${value.length} rows, budget has ${M} tenants` });
  if (N === 0) issues.push({ path: "cost[0]", message: "needs at least one device" });
  cost.forEach((row, i) => {
    if (row.length !== N)
      issues.push({ path: `cost[${i}]`, message: `has ${row.length} devices, cost[0] has ${N}` });
  });
  value.forEach((row, i) => {
    if (row.length !== N)
      issues.push({ path: `value[${i}]`, message: `has ${row.length} devices, cost[0] has ${N}` });
  });
  if (issues.length === 0) {
    value.forEach((row, i) => {
      if (!row.some((w) => w > 0))
        issues.push({
          path: `value[${i}]`,
          message: `tenant ${i} has no eligible device (every value is 0)`,
        });
    });
  }
  return issues;
}

/** Builds a frozen MarketInstance from its JSON form; throws InputError listing every issue. */
export function createMarket(raw: MarketInput | unknown): MarketInstance {
  const issues = validateMarketInput(raw);
  if (issues.length > 0) throw new InputError(issues, "market");
  const { tau, budget, cost, value } = marketInputSchema.parse(raw);
  const M = budget.length;
  const N = cost[0].length;
  const c = new Float64Array(M * N);
  const w = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    c.set(cost[i], i * N);
    w.set(value[i], i * N);
  }
  return fromArrays({ M, N, tau, cost: c, value: w, budget: Float64Array.from(budget) });
}

/**
 * Builds an instance from tenant-major arrays (no copy), checking shapes and ranges.
 * The fast path for generated markets; throws InputError on the first kind of problem found.
 */
export function fromArrays(m: MarketInstance): MarketInstance {
  const { M, N, tau, cost, value, budget } = m;
  const issues: InputIssue[] = [];
  if (!(Number.isInteger(M) && M > 0)) issues.push({ path: "M", message: "must be a positive integer" });
  if (!(Number.isInteger(N) && N > 0)) issues.push({ path: "N", message: "must be a positive integer" });
  const tauIssue = tauProblem(tau);
  if (tauIssue) issues.push({ path: "tau", message: tauIssue });
  if (cost.length !== M * N)
    issues.push({ path: "cost", message: `length ${cost.length} != M*N = ${M * N}` });
  if (value.length !== M * N)
    issues.push({ path: "value", message: `length ${value.length} != M*N = ${M * N}` });
  if (budget.length !== M) issues.push({ path: "budget", message: `length ${budget.length} != M = ${M}` });
  if (issues.length) throw new InputError(issues, "market");
  for (let i = 0; i < M; i++) {
    if (!(budget[i] > 0 && Number.isFinite(budget[i])))
      issues.push({ path: `budget[${i}]`, message: "must be a finite number > 0" });
    let eligible = false;
    for (let j = 0; j < N; j++) {
      const k = i * N + j;
      if (!(cost[k] > 0 && Number.isFinite(cost[k])) && issues.length < 20)
        issues.push({ path: `cost[${i}][${j}]`, message: "must be a finite number > 0" });
      if (!(value[k] >= 0 && Number.isFinite(value[k])) && issues.length < 20)
        issues.push({ path: `value[${i}][${j}]`, message: "must be a finite number >= 0" });
      if (value[k] > 0) eligible = true;
    }
    if (!eligible) issues.push({ path: `value[${i}]`, message: `tenant ${i} has no eligible device` });
  }
  if (issues.length) throw new InputError(issues, "market");
  return Object.freeze({ M, N, tau, cost, value, budget });
}

/** The JSON form of an instance (for writing example markets and counterexamples). */
export function toMarketInput(m: MarketInstance): Required<MarketInput> {
  const rows = (a: Float64Array) =>
    Array.from({ length: m.M }, (_, i) => Array.from(a.subarray(i * m.N, (i + 1) * m.N)));
  return { tau: m.tau, budget: Array.from(m.budget), cost: rows(m.cost), value: rows(m.value) };
}
