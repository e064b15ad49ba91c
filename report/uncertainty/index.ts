/**
 * Uncertainty for comparisons (docs/uncertainty.md): seeded percentile bootstrap intervals, the
 * Wilcoxon signed-rank test, and censored (Kaplan-Meier) statistics that keep missed targets.
 * Pure functions; randomness only from a passed-in Rng (env/rng.ts).
 */
export * from "./bootstrap.ts";
export * from "./censored.ts";
export { erfc, normalTail } from "./normal.ts";
export * from "./wilcoxon.ts";
