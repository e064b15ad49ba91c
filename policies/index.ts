/** Tenant pricing and device participation policies (MODEL.md sections 2, 3, 7), and their registry. */
export * from "./bestResponseDevice.ts";
export * from "./budgetScale.ts";
export * from "./greedyTopK.ts";
export * from "./myopicDevice.ts";
export * from "./options.ts";
export * from "./prince.ts";
export * from "./proportional.ts";
export * from "./randomDevice.ts";
export * from "./randomPrices.ts";
export * from "./registry.ts";
export * from "./singleTenant.ts";
export type * from "./types.ts";
export * from "./uniform.ts";
export * from "./warnings.ts";
