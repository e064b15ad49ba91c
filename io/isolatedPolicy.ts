import type { PolicyErrorContext } from "../env/errors.ts";
import {
  importFailed,
  type LoadedPolicy,
  type ModuleSpec,
  type PolicyKind,
  PolicyModuleError,
} from "../policies/moduleExports.ts";
import type {
  DeviceObservation,
  DevicePolicy,
  MarketObservation,
  PolicyContext,
  PolicyWarning,
  TenantPolicy,
} from "../policies/types.ts";
import { checkPolicyModuleFile } from "./loadModule.ts";
import { PolicyWorkerEnded, type PolicyWorkers, sharedPolicyWorkers } from "./policyHost.ts";
import type { Reply, Request } from "./policyProtocol.ts";
import { bundleError, bundleModule } from "./sandboxBundle.ts";

/**
 * A user's policy module loaded in a worker (io/policyHost.ts): the policies handed out are proxies
 * whose calls are messages to the worker. Where it runs and what stops it is policyHost.ts.
 */

export interface IsolationOptions {
  /** Milliseconds an answer may take before the worker is stopped (default 60,000; 0: no limit). */
  readonly timeoutMs?: number;
  /** Run the module in a child process under Node's permission model (see sandboxArgs). */
  readonly sandbox?: boolean;
  /** Directory relative module paths are resolved against (default: process.cwd()). */
  readonly cwd?: string;
  /** Aborting stops the worker and fails the call in progress (an interrupted command). */
  readonly signal?: AbortSignal;
  /** The group of workers to run in (default: the process-wide one). */
  readonly workers?: PolicyWorkers;
}

/** A policy module loaded in a worker: LoadedPolicy, plus `instance()`, which builds one at once. */
export interface IsolatedPolicy<P> extends LoadedPolicy<P> {
  /** Another instance (the same object, for an object export); its first call waits for it. */
  instance(): P;
  /** "worker" or "sandbox": where the module runs. */
  readonly isolation: "worker" | "sandbox";
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** The least time loading a module (worker start, TypeScript compile, import, factory) may take. */
const LOAD_TIMEOUT_MS = 60_000;

let nextId = 1;
/** The build (create, or a reload in a new worker) each proxy's first call waits for. */
const readiness = new WeakMap<object, Promise<unknown>>();
const dropped = new FinalizationRegistry<() => void>((drop) => drop());

/**
 * Loads a policy module in a worker (or sandbox): imports it there, picks the export, builds the
 * policy with `options` up front (so a bad module fails here, with the PolicyModuleError or
 * InputError loadPolicyModule would raise), and returns proxies of it.
 */
export async function loadIsolatedPolicy(
  spec: string,
  mod: ModuleSpec,
  kind: PolicyKind | "auto",
  options: Record<string, unknown> = {},
  opts: IsolationOptions = {},
): Promise<IsolatedPolicy<TenantPolicy> | IsolatedPolicy<DevicePolicy>> {
  // a missing file or a bad extension fails here, before any worker starts
  const file = await checkPolicyModuleFile(spec, mod, opts);
  const sandbox = opts.sandbox ?? false;
  const host = (opts.workers ?? sharedPolicyWorkers).host(file, sandbox);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // starting a worker and compiling the module takes seconds on a busy machine: loading and
  // building get the longer of the answer timeout and a minute (still never unbounded, unless 0)
  const buildMs = timeoutMs === 0 ? 0 : Math.max(timeoutMs, LOAD_TIMEOUT_MS);
  const factory = nextId++;
  // a sandbox reads no files: it gets the module bundled by this process
  let code: string | undefined;
  if (sandbox)
    try {
      code = bundleModule(file);
    } catch (err) {
      throw importFailed(spec, file, bundleError(err), err);
    }
  const load =
    (instance: number) =>
    (call: number): Request => ({
      op: "load",
      call,
      factory,
      instance,
      spec,
      path: file,
      exportName: mod.exportName,
      kind,
      options,
      ...(code === undefined ? {} : { code }),
    });
  const loadFailed = (reason: string) =>
    new PolicyModuleError(
      "POLICY_MODULE_IMPORT_FAILED",
      spec,
      file,
      `policy module "${spec}" could not be loaded: ${reason}`,
    );
  const first = nextId++;
  /** The generation in which this factory was loaded (a restarted worker must load it again). */
  let loadedIn = host.current();
  const reply = await host.call(
    loadedIn,
    load(first),
    { timeoutMs: buildMs, signal: opts.signal },
    loadFailed,
  );
  const info = reply.info!;

  const proxy = (instance: number, ready: Promise<unknown> | null, generation: number) => {
    const fail = (ctx: PolicyErrorContext) => (reason: string) => new PolicyWorkerEnded(ctx, reason);
    let warnings: readonly PolicyWarning[] = [];
    const keep = (r: Extract<Reply, { ok: true }>) => {
      if (r.warnings) warnings = r.warnings;
      return r;
    };
    const ask = async (make: (call: number) => Request, ctx: PolicyErrorContext) => {
      if (ready) await ready;
      return keep(
        await host.call(generation, make, { timeoutMs, signal: opts.signal, step: ctx.step }, fail(ctx)),
      );
    };
    const reset = info.hasReset
      ? {
          reset: async (ctx: PolicyContext) => {
            await ask((call) => ({ op: "reset", call, instance, rng: ctx.rng.state(), seed: ctx.seed }), {
              policy: info.name,
              step: 0,
            });
          },
        }
      : {};
    const policy =
      info.kind === "tenant"
        ? ({
            name: info.name,
            aggregation: info.aggregation ?? "unbiased",
            ...reset,
            price: async (obs: MarketObservation, row: number) => {
              const ctx = { policy: info.name, step: obs.step, tenant: obs.tenants[row]?.name };
              const r = await ask(
                (call) => ({ op: "price", call, instance, obs: host.observation(obs), row }),
                ctx,
              );
              return r.value as Float64Array;
            },
            get warnings() {
              return warnings;
            },
          } satisfies TenantPolicy)
        : ({
            name: info.name,
            ...reset,
            respond: async (obs: DeviceObservation, devices: Int32Array) => {
              const r = await ask((call) => ({ op: "respond", call, instance, obs, devices }), {
                policy: info.name,
                step: obs.step,
              });
              return r.value as Float64Array;
            },
          } satisfies DevicePolicy);
    dropped.register(policy, () => {
      if (host.generation === generation && !host.deathOf(generation))
        host
          .call(
            generation,
            (call) => ({ op: "drop", call, instance }),
            { timeoutMs: 0 },
            (r) => new Error(r),
          )
          .catch(() => undefined);
    });
    if (ready) readiness.set(policy, ready);
    return policy;
  };

  const instance = () => {
    const id = nextId++;
    // a worker that ended between calls fails the next policy built, once, so nothing is missed
    const unreported = host.takeUnreported();
    if (unreported) {
      const ended = new PolicyWorkerEnded(
        { policy: info.name, step: unreported.afterStep ?? 0 },
        unreported.reason,
      );
      const ready = Promise.reject(ended);
      ready.catch(() => undefined);
      return proxy(id, ready, host.generation);
    }
    const gen = host.current();
    let ready: Promise<unknown>;
    if (loadedIn !== gen) {
      // a new worker: load the module in it again (this builds the instance too)
      loadedIn = gen;
      ready = host.call(gen, load(id), { timeoutMs: buildMs, signal: opts.signal }, loadFailed);
    } else {
      const failed = (reason: string) =>
        new PolicyWorkerEnded({ policy: info.name, step: 0 }, `building another instance failed: ${reason}`);
      ready = host.call(
        gen,
        (call) => ({ op: "create", call, factory, instance: id }),
        { timeoutMs: buildMs, signal: opts.signal },
        failed,
      );
    }
    ready.catch(() => undefined);
    return proxy(id, ready, gen);
  };

  const firstPolicy = proxy(first, null, host.generation);
  return {
    kind: info.kind,
    policy: firstPolicy,
    // built and ready: a caller that can wait (check) does not spend its answer timeout on it
    create: async () => {
      const p = instance();
      await readiness.get(p);
      return p;
    },
    instance,
    exportName: info.exportName,
    exportKind: info.exportKind,
    file: info.file,
    isolation: sandbox ? "sandbox" : "worker",
  } as IsolatedPolicy<TenantPolicy> | IsolatedPolicy<DevicePolicy>;
}
