import type { Compiled } from "../../env/compile.ts";
import type { DeviceTrainOptions as TrainerOptions } from "./device.ts";

/**
 * The learned policies' library entry points. They load TensorFlow.js when called, not when
 * "sfl-market" is imported (about a second, which most users of the package never need), and their
 * declarations name no TensorFlow.js type: the ones in policies/learned/ would pull tfjs's own
 * declarations into every consumer's type check (they clash with TypeScript's DOM library).
 */

/** What trainDevicePolicy takes (policies/learned/device.ts's DeviceTrainOptions). */
export interface DeviceTrainOptions {
  readonly compiled: Compiled;
  /** Registry spec of the tenants' pricing policy (default "prince"). */
  readonly tenants?: string;
  /** Devices the learned policy controls (the others play water-filling). */
  readonly devices: readonly number[];
  readonly episodes: number;
  readonly seed: number;
  /** Hidden units of the shared network (default 8). */
  readonly hidden?: number;
  /** PPO settings (policies/learned/ppo.ts's PpoConfig: learningRate, clip, epochs, minibatch, ...). */
  readonly ppo?: Readonly<Record<string, number>>;
  /** Called after each episode with its mean relative utility (0 = as good as the best response). */
  readonly onEpisode?: (episode: number, meanReward: number) => void;
}

/** The trained agent (policies/learned/ppo.ts's PpoAgent); dispose() frees its tensors. */
export interface TrainedDeviceAgent {
  dispose(): void;
}

/** Trains a shared learned device policy (docs/learned.md); TensorFlow.js is loaded on the first call. */
export async function trainDevicePolicy(options: DeviceTrainOptions): Promise<TrainedDeviceAgent> {
  const { trainDevicePolicy: train } = await import("./device.ts");
  // every field but ppo is checked against the trainer's options here; ppo's keys are the trainer's to check
  return train({ ...options, ppo: options.ppo as TrainerOptions["ppo"] });
}
