/** The game of MODEL.md sections 1-3 as pure functions: no I/O, no randomness, no clock. */
export * from "./aggregation.ts";
export * from "./bound.ts";
export * from "./budgetGuard.ts";
export * from "./budgetScale.ts";
export * from "./cooperative.ts";
export * from "./errors.ts";
export * from "./instance.ts";
export * from "./localEquilibrium.ts";
export * from "./multipliers.ts";
export * from "./stackelberg.ts";
export * from "./supply.ts";
export * from "./tenantBestResponse.ts";
export * from "./waterFill.ts";
