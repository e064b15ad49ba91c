import { compileScenario } from "../../env/compile.ts";
import { PRESET_NAMES, presetScenario } from "../../env/presets.ts";
import { createRng } from "../../env/rng.ts";
import type { Scenario } from "../../env/scenario.ts";
import { type PolicyKind, PolicyModuleError } from "../../io/loadModule.ts";
import {
  isModuleSpec,
  loadModulePolicy,
  PolicyWorkers,
  resolveDevicePolicy,
  resolveTenantPolicy,
  WATCHDOG_MARGIN_MS,
} from "../../io/policyLoaders.ts";
import { InputError } from "../../market/errors.ts";
import {
  devicePolicies,
  parsePolicySpec,
  tenantPolicies,
  UnknownPolicyError,
} from "../../policies/registry.ts";
import type { DevicePolicy, TenantPolicy } from "../../policies/types.ts";
import {
  checkDevicePolicy,
  checkTenantPolicy,
  DEVICE_POLICY_CHECKS,
  formatPolicyChecks,
  type PolicyCheckResult,
  TENANT_POLICY_CHECKS,
} from "../../props/policyChecks.ts";
import { nonNegativeInteger, oneOf, parseCommandArgs } from "../args.ts";
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "../command.ts";
import { readScenarioFile } from "../scenarioInput.ts";

const usage = `Usage: sfl-market check --policy SPEC [--kind tenant|device] [--options JSON]
                        [--preset tiny|paper|stress | --scenario FILE] [--seed S] [--runs N]
                        [--only NAME,...] [--path PATH] [--policy-timeout MS] [--sandbox]

Runs the property checks and the environment conformance checks on a policy, yours or a
built-in one, and prints PASS or FAIL per check; every failure comes with its counterexample
and the command line that replays it (fast-check's seed and path).

Tenant pricing policy: answers are well-formed (length N, finite, >= 0) on random market
observations and leave them untouched; deterministic for the same observation and context seed;
within budget once the budget guard applies (how often the guard scaled is reported, with a
warning if it scaled every answer); an episode of the scenario runs to the end; a second
episode with the same seed gives the same event sequence. Device policy: feasible answers (q in
[0, 1], at most 1 per device, 0 on ineligible pairs) on random prices; deterministic; an
episode (tenants priced by PRINCE) runs to the end, and again identically.

--policy SPEC      a module path (./my-policy.ts, lib/p.js#name; docs/plugins.md), a built-in
                   name, or another spec compare takes (learned:DIR)
--kind KIND        tenant or device (default: what the module builds; a built-in name is a
                   tenant policy unless only the device registry has it)
--options JSON     the policy's options, e.g. '{"exponent": 0.5}'
--preset NAME      the scenario of the episode checks (default tiny)
--scenario FILE    a scenario file (JSON or YAML) instead of a preset
--seed S           fast-check seed of the properties and seed of the episodes (default 1)
--runs N           random cases per property (default 100)
--only NAMES       only the checks whose name contains one of these (comma-separated)
--path PATH        replay fast-check's path of a failure (with its --seed and --only)
--policy-timeout MS  fail an answer (reset, price, respond) that takes longer (default 10000; a
                   module given by path runs in a worker thread, stopped when it overruns)
--sandbox          run a module given by path under Node's permission model (docs/plugins.md)

Exit codes: 0 every check passed, 1 a check failed, 2 bad usage, policy path or options.`;

export const check: Command = {
  name: "check",
  summary: "run the property and conformance checks on a policy (yours, by path, or a built-in)",
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      policy: { type: "string" },
      kind: { type: "string" },
      options: { type: "string" },
      preset: { type: "string" },
      scenario: { type: "string" },
      seed: { type: "string" },
      runs: { type: "string" },
      only: { type: "string" },
      path: { type: "string" },
      "policy-timeout": { type: "string" },
      sandbox: { type: "boolean" },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const spec = values.policy?.trim();
    if (!spec) throw new UsageError("missing --policy SPEC (a module path or a built-in policy name)");
    if (values.preset !== undefined && values.scenario !== undefined)
      throw new UsageError("give either --preset or --scenario, not both");
    const kindFlag = oneOf("kind", values.kind, ["tenant", "device"] as const);
    const preset = oneOf("preset", values.preset, PRESET_NAMES) ?? (values.scenario ? undefined : "tiny");
    const seed = nonNegativeInteger("seed", values.seed) ?? 1;
    const runs = nonNegativeInteger("runs", values.runs) ?? 100;
    if (runs < 1) throw new UsageError("--runs must be at least 1");
    const timeoutMs = nonNegativeInteger("policy-timeout", values["policy-timeout"]) ?? 10_000;
    const options = parseOptionsJson(values.options);
    const only = values.only
      ?.split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (values.path !== undefined && !(only && only.length > 0))
      throw new UsageError(
        "--path replays one property: give it with --only NAME (and the failure's --seed)",
      );

    const workers = new PolicyWorkers();
    try {
      let loaded: Loaded;
      try {
        loaded = await loadPolicy(spec, kindFlag, options, {
          timeoutMs,
          sandbox: values.sandbox ?? false,
          workers,
        });
      } catch (err) {
        if (err instanceof PolicyModuleError) {
          io.err(`sfl-market check: ${err.message}\n`);
          return EXIT_USAGE;
        }
        throw err;
      }
      const names: readonly string[] = loaded.kind === "tenant" ? TENANT_POLICY_CHECKS : DEVICE_POLICY_CHECKS;
      if (only && !names.some((n) => only.some((s) => n.includes(s))))
        throw new UsageError(
          `--only ${only.join(",")} selects none of the ${loaded.kind} checks: ${names.join(", ")}`,
        );

      let scenario: Scenario;
      let scenarioName: string;
      if (values.scenario !== undefined) {
        scenario = await readScenarioFile(values.scenario);
        scenarioName = `scenario ${values.scenario}`;
      } else {
        scenario = presetScenario(preset!);
        scenarioName = `preset ${preset}`;
      }
      const compiled = compileScenario(scenario, createRng(scenario.seed));

      io.out(
        `checking ${loaded.kind} policy "${loaded.name}" (${loaded.source}) with options ${JSON.stringify(options)}\n` +
          `properties: ${runs} random cases each, fast-check seed ${seed}; episodes: ${scenarioName}, seed ${seed}\n\n`,
      );
      // a module's worker has the watchdog (it knows a loop from a slow promise): the checks' own
      // timeout comes later, as a backstop
      const checkTimeout = loaded.isolated && timeoutMs > 0 ? timeoutMs + WATCHDOG_MARGIN_MS : timeoutMs;
      const opts = { seed, numRuns: runs, only, path: values.path, timeoutMs: checkTimeout, compiled };
      const report =
        loaded.kind === "tenant"
          ? await checkTenantPolicy(loaded.create as () => Promise<TenantPolicy>, opts)
          : await checkDevicePolicy(loaded.create as () => Promise<DevicePolicy>, opts);
      const replay = (r: PolicyCheckResult) =>
        replayCommand({
          spec,
          kind: loaded.kind,
          options: values.options !== undefined ? options : null,
          scenario: values.scenario,
          preset: values.preset,
          runs,
          timeout: values["policy-timeout"],
          result: r,
        });
      io.out(`${formatPolicyChecks(report.results, { replay })}\n`);
      // a module whose worker failed after its last answer has not passed, whatever the checks saw
      const late = workers.stop();
      for (const l of late) io.out(`FAIL ${l}\n`);
      return report.passed && late.length === 0 ? EXIT_OK : EXIT_FAILURE;
    } finally {
      workers.stop();
    }
  },
};

interface Loaded {
  readonly kind: PolicyKind;
  readonly name: string;
  /** Where the policy comes from, for the header line. */
  readonly source: string;
  readonly create: () => Promise<TenantPolicy | DevicePolicy>;
  /** Runs in a worker (a module by path). */
  readonly isolated: boolean;
}

/** Builds the policy once (so a bad path or bad options fail before any check) and its factory. */
async function loadPolicy(
  spec: string,
  kindFlag: PolicyKind | undefined,
  options: Record<string, unknown>,
  isolation: { timeoutMs: number; sandbox: boolean; workers: PolicyWorkers },
): Promise<Loaded> {
  const p = parsePolicySpec(spec);
  // a prefixed spec other than file: (e.g. learned:DIR) is the registry's to resolve
  if (isModuleSpec(spec)) {
    // in a worker thread (or a sandbox): a module that loops, exits or throws later fails its checks
    const m = await loadModulePolicy(spec, kindFlag ?? "auto", options, isolation);
    const exp = m.exportName === "default" ? "default export" : `export ${m.exportName}`;
    return {
      kind: m.kind,
      name: m.policy.name,
      source: `${spec}: ${exp}, ${m.exportKind === "factory" ? "a factory" : "a policy object"}`,
      create: m.create as () => Promise<TenantPolicy | DevicePolicy>,
      isolated: true,
    };
  }
  const name = p.kind === "name" ? p.name : spec;
  const inTenant = Object.hasOwn(tenantPolicies, name);
  const inDevice = Object.hasOwn(devicePolicies, name);
  const kind: PolicyKind = kindFlag ?? (inDevice && !inTenant ? "device" : "tenant");
  const make =
    kind === "tenant"
      ? async (): Promise<TenantPolicy | DevicePolicy> => resolveTenantPolicy(spec, options)
      : async (): Promise<TenantPolicy | DevicePolicy> => resolveDevicePolicy(spec, options);
  let first: TenantPolicy | DevicePolicy;
  try {
    first = await make();
  } catch (err) {
    if (err instanceof InputError) throw err;
    const hint =
      err instanceof UnknownPolicyError ? "; --policy also takes a module path such as ./my-policy.ts" : "";
    throw new UsageError(`${(err as Error).message}${hint}`);
  }
  return {
    kind,
    name: first.name,
    source: p.kind === "name" ? "built-in" : spec,
    create: make,
    isolated: false,
  };
}

/** `--options`: a JSON object (the policy's own options, not keyed by policy). */
function parseOptionsJson(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--options is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new UsageError(`--options must be a JSON object of the policy's options, e.g. '{"k": 5}'`);
  return raw as Record<string, unknown>;
}

/** A shell word: as it is when safe, else single-quoted. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./#-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line that reruns just this failure (same policy, options, scenario, seed; its path). */
function replayCommand(c: {
  spec: string;
  kind: PolicyKind;
  options: Record<string, unknown> | null;
  scenario: string | undefined;
  preset: string | undefined;
  runs: number;
  timeout: string | undefined;
  result: PolicyCheckResult;
}): string {
  const r = c.result;
  const words = ["sfl-market", "check", "--policy", c.spec, "--kind", c.kind];
  if (c.options) words.push("--options", JSON.stringify(c.options));
  if (c.scenario !== undefined) words.push("--scenario", c.scenario);
  else if (c.preset !== undefined) words.push("--preset", c.preset);
  words.push("--seed", String(r.seed), "--only", r.name);
  if (r.path !== undefined) words.push("--runs", String(c.runs), "--path", r.path);
  if (c.timeout !== undefined) words.push("--policy-timeout", c.timeout);
  return words.map(shellWord).join(" ");
}
