import { presetInput } from "../../env/presets.ts";
import { type Scenario, validateScenario } from "../../env/scenario.ts";

/**
 * Small scenarios for the learned-policy tests: the tiny preset (20 devices), optionally with only
 * some of its tenants, re-pricing every `repricingInterval` rounds.
 */
export function tinyScenarioInput(tenants?: readonly string[], repricingInterval = 2) {
  const input = presetInput("tiny");
  const all = input.tenants ?? [];
  return {
    ...input,
    repricingInterval,
    tenants: tenants ? all.filter((t) => tenants.includes(t.name ?? "")) : all,
  };
}

export function tinyScenario(tenants?: readonly string[], repricingInterval = 2): Scenario {
  const r = validateScenario(tinyScenarioInput(tenants, repricingInterval));
  if (!r.ok) throw new Error(`test scenario: ${JSON.stringify(r.issues)}`);
  return r.scenario;
}
