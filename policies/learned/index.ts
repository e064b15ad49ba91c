/**
 * Learned pricing and device policies on TensorFlow.js (docs/learned.md). Importing this loads
 * tfjs; the registry and the CLI load it lazily, only for `learned:DIR` and `train`.
 */
export * from "./backend.ts";
export * from "./checkpoint.ts";
export * from "./device.ts";
export * from "./features.ts";
export * from "./normalizer.ts";
export * from "./policy.ts";
export * from "./ppo.ts";
export * from "./pricing.ts";
export * from "./trainer.ts";
