/**
 * Property suites for the game, exported for users to run against their own variants (DESIGN.md,
 * "Stress-test game properties"). Each suite function takes the implementation under test and
 * returns named fast-check properties; runSuite checks them and reports replayable failures:
 *
 *   const results = runSuite(equilibriumProperties(mySolver), { seed: 1, numRuns: 100 });
 *   console.log(formatResults(results));
 */
export * from "./aggregation.ts";
export * from "./arbitraries.ts";
export * from "./budgetGuard.ts";
export * from "./device.ts";
export * from "./equilibrium.ts";
export * from "./invariance.ts";
export * from "./runner.ts";
export * from "./tenant.ts";
