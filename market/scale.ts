import { InputError, type InputIssue } from "./errors.ts";
import { fromArrays, type MarketInstance } from "./instance.ts";

/**
 * Normalised units. The game is scale-invariant: multiplying every cost and budget by k multiplies
 * equilibrium prices, congestion prices and spend by k; multiplying every value by k' multiplies
 * V_i by k' and leaves participation unchanged. So the solver works on a copy whose typical cost and
 * value are near 1 and scales the answer back, which keeps its iterates (multipliers nu ~ w / (c q^3),
 * payments, V_i) far from overflow and underflow whatever the input's magnitudes.
 *
 * The factors are powers of two, so scaling is exact (no rounding) away from the subnormal range:
 * participation is bit-for-bit the same as if the solver had run in the input's units.
 */
export interface MarketScale {
  /** Costs, budgets and prices are multiplied by this in normalised units. */
  readonly credits: number;
  /** Values w_ij (and V_i) are multiplied by this in normalised units. */
  readonly value: number;
}

/** The power-of-two factors that bring the geometric means of eligible costs and values to ~1. */
export function marketScale(m: MarketInstance): MarketScale {
  let lc = 0;
  let lw = 0;
  let n = 0;
  for (let k = 0; k < m.M * m.N; k++) {
    if (!(m.value[k] > 0)) continue;
    lc += Math.log2(m.cost[k]);
    lw += Math.log2(m.value[k]);
    n++;
  }
  return { credits: 2 ** -Math.round(lc / n), value: 2 ** -Math.round(lw / n) };
}

export const isIdentity = (s: MarketScale) => s.credits === 1 && s.value === 1;

/** The market in normalised units (a new frozen instance; `m` itself when no scaling is needed). */
export function normalise(m: MarketInstance, s: MarketScale): MarketInstance {
  if (isIdentity(s)) return m;
  const cost = Float64Array.from(m.cost, (c) => c * s.credits);
  const value = Float64Array.from(m.value, (w) => w * s.value);
  const budget = Float64Array.from(m.budget, (b) => b * s.credits);
  return fromArrays({ M: m.M, N: m.N, tau: m.tau, cost, value, budget });
}

/** Multiplies `a` in place by `f`; returns it. */
export function scaleInPlace(a: Float64Array, f: number): Float64Array {
  if (f !== 1) for (let k = 0; k < a.length; k++) a[k] *= f;
  return a;
}

/**
 * Throws an InputError naming the output that has no finite double in the input's units (a price
 * above 1.8e308, say), with the remedy: the game is scale-invariant, so scaling the input down works.
 */
export function assertFinite(fields: Record<string, { values: Float64Array; input: string }>): void {
  const issues: InputIssue[] = [];
  for (const [name, { values, input }] of Object.entries(fields)) {
    const k = values.findIndex((x) => !Number.isFinite(x));
    if (k >= 0)
      issues.push({
        path: input,
        message:
          `too large: the equilibrium's ${name}[${k}] is ${values[k]} in these units (beyond the largest ` +
          `double, 1.8e308); the game is scale-invariant, so divide ${input === "value" ? "every value" : "every cost and budget"} by a common factor`,
      });
  }
  if (issues.length) throw new InputError(issues, "market (magnitudes)");
}
