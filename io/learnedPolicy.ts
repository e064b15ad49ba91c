import { initBackend } from "../policies/learned/backend.ts";
import {
  type LearnedTenantPolicy,
  learnedDevicePolicy,
  learnedTenantPolicy,
} from "../policies/learned/policy.ts";
import type { DevicePolicy } from "../policies/types.ts";
import { loadCheckpoint } from "./checkpoint.ts";

/**
 * `learned:DIR`: the policy trained by `sfl-market train --out DIR`, read from its latest
 * checkpoint (verified: io/checkpoint.ts) and built by policies/learned/policy.ts. It runs in this
 * thread: it is this package's own code, and its files were checked.
 */
export async function loadLearnedTenantPolicy(
  dir: string,
  options?: Record<string, unknown>,
): Promise<LearnedTenantPolicy> {
  const backend = await initBackend();
  return learnedTenantPolicy(await loadCheckpoint(dir), dir, backend, options);
}

/** `learned:DIR` as a device policy: the run's device learner, deterministic. */
export async function loadLearnedDevicePolicy(dir: string): Promise<DevicePolicy> {
  await initBackend();
  return learnedDevicePolicy(await loadCheckpoint(dir), dir);
}
