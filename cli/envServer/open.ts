import { compileScenario } from "../../env/compile.ts";
import { createRng } from "../../env/rng.ts";
import type { Scenario } from "../../env/scenario.ts";
import { resolveTenantPolicy } from "../../io/policyLoaders.ts";
import { InputError } from "../../market/errors.ts";
import type { TenantPolicy } from "../../policies/types.ts";
import { UsageError } from "../command.ts";
import { assignRoles, DEFAULT_RIVALS, type EnvServerOptions } from "./options.ts";
import { EnvSession } from "./session.ts";

export interface OpenRequest {
  readonly scenario: Scenario;
  readonly scenarioName: string;
  readonly options: EnvServerOptions;
  readonly version: string;
}

/**
 * Compiles the scenario (its own seed draws the device population, as every command does), checks
 * the options against it and builds the rivals' policy: everything that can be wrong with the
 * command line fails here, before the first request is read (exit 2).
 */
export async function openSession(req: OpenRequest): Promise<EnvSession> {
  const compiled = compileScenario(req.scenario, createRng(req.scenario.seed));
  const roles = assignRoles(compiled, req.options);
  const rivalSpec = req.options.rivals ?? DEFAULT_RIVALS;
  let rival: TenantPolicy | null = null;
  if (roles.rivals.length > 0) {
    try {
      rival = await resolveTenantPolicy(rivalSpec, req.options.rivalOptions);
    } catch (err) {
      if (err instanceof InputError)
        throw new InputError(err.issues, `options of the rivals' policy ${rivalSpec}`);
      throw new UsageError(`rivals: ${(err as Error).message}`);
    }
  }
  return new EnvSession({
    compiled,
    scenarioName: req.scenarioName,
    options: req.options,
    roles,
    rival,
    rivalSpec,
    version: req.version,
  });
}
