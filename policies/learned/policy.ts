import type { AggregationRule } from "../../market/aggregation.ts";
import { aggregationOption, type OptionDoc, parseOptions } from "../options.ts";
import type { DevicePolicy, MarketObservation, PolicyWarning, TenantPolicy } from "../types.ts";
import type { BackendInfo } from "./backend.ts";
import type { LoadedCheckpoint } from "./checkpoint.ts";
import { deviceAgentPolicy } from "./device.ts";
import { type TenantMemory, tenantFeatures } from "./features.ts";
import type { PpoAgent } from "./ppo.ts";
import { actionPrices } from "./pricing.ts";

/**
 * `learned:DIR`: a trained policy read from the latest checkpoint of a training run (`sfl-market
 * train --out DIR`). The tenant policy posts, for each tenant, the prices of its own learner's
 * deterministic action (the Gaussian's mean; no exploration), computed from the same observation
 * features as in training with the normaliser frozen. A tenant without a learner of its name is
 * priced by the only learner when the run had one (a policy trained on one tenant), else it is an
 * error naming the learners.
 *
 * Every episode it records one BACKEND note (as a policy warning, which `compare` prints among its
 * notes): the tfjs backend that evaluated it and the one it was trained on.
 */
export const learnedOptions: readonly OptionDoc[] = [aggregationOption("unbiased")];

export interface LearnedTenantPolicy extends TenantPolicy {
  readonly warnings: readonly PolicyWarning[];
  readonly backend: BackendInfo;
  /** The checkpoint's completed training episodes. */
  readonly episodes: number;
}

/**
 * The tenant policy of a checkpoint (read by io/learnedPolicy.ts from `dir`, which messages name),
 * evaluated on `backend`.
 */
export function learnedTenantPolicy(
  saved: LoadedCheckpoint<unknown>,
  dir: string,
  backend: BackendInfo,
  options?: Record<string, unknown>,
): LearnedTenantPolicy {
  const o = parseOptions("learned", learnedOptions, options);
  const { file, agents } = saved;
  const tenants = new Map<string, PpoAgent>();
  for (const [name, a] of agents) if (a.kind === "tenant") tenants.set(name, a.agent);
  if (tenants.size === 0) throw new Error(`${dir} holds no learned tenant (only a device policy)`);
  const memory: TenantMemory = new Map();
  const note: PolicyWarning = {
    step: 0,
    code: "BACKEND",
    message: `learned policy from ${dir} (episode ${file.episode}, trained on tfjs ${file.backend.name}) evaluated on tfjs ${backend.name}`,
  };
  let warnings: PolicyWarning[] = [];
  const agentFor = (name: string): PpoAgent => {
    const a = tenants.get(name) ?? (tenants.size === 1 ? [...tenants.values()][0] : undefined);
    if (!a)
      throw new Error(
        `no learner for tenant "${name}" in ${dir}; its learners: ${[...tenants.keys()].join(", ")}`,
      );
    return a;
  };
  return {
    name: "learned",
    aggregation: o.aggregation as AggregationRule,
    backend,
    episodes: file.episode,
    get warnings() {
      return warnings;
    },
    reset() {
      memory.clear();
      warnings = [note];
    },
    price(obs: MarketObservation, row: number) {
      const agent = agentFor(obs.tenants[row].name);
      const x = agent.observe(tenantFeatures(obs, row, memory), false);
      return actionPrices(obs.market, row, agent.evaluate(x).mean);
    },
  };
}

/** `learned:DIR` as a device policy: the checkpoint's device learner, deterministic. */
export function learnedDevicePolicy(saved: LoadedCheckpoint<unknown>, dir: string): DevicePolicy {
  const { agents } = saved;
  const entry = [...agents.values()].find((a) => a.kind === "device");
  if (!entry) throw new Error(`${dir} holds no learned device policy`);
  return deviceAgentPolicy(entry.agent, { explore: null });
}
