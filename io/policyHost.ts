import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { PolicyError, type PolicyErrorContext } from "../env/errors.ts";
import { InputError } from "../market/errors.ts";
import {
  type LoadedPolicy,
  type ModuleSpec,
  type PolicyKind,
  PolicyModuleError,
  type PolicyModuleErrorCode,
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
import type { Reply, Request, WireError, WorkerStart } from "./policyProtocol.ts";

/**
 * Runs a user's policy module where it cannot take the process down: in a worker thread (or, with
 * `sandbox`, in a child process under Node's permission model), one per module file, with a
 * watchdog on every answer. The policies it hands out are proxies: each call is a message to the
 * worker and its answer a message back, both structured-cloned (so the policy can write into its
 * observation without touching the market, and the environment gets its own copy of the answer).
 *
 * What stops a run, with a PolicyError naming the policy and the market step (docs/plugins.md):
 * an answer later than `timeoutMs` (a synchronous infinite loop included: the worker is stopped), a
 * promise that can never settle (the worker's event loop runs dry while it waits), process.exit
 * anywhere in the module, and an exception thrown outside any answer (a timer, a callback, an
 * unhandled rejection). The worker is started again for the next policy built, so runs after a
 * failure (or `check`'s next check) get a fresh one. Built-in policies never come here.
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

/**
 * How much later than the worker's watchdog an environment's own timeout on the same answer should
 * fire: the watchdog knows what happened (a loop, an exit, a promise nothing can resolve) and
 * stops the worker, so it should speak first.
 */
export const WATCHDOG_MARGIN_MS = 1_000;

/** The least time loading a module (worker start, TypeScript compile, import, factory) may take. */
const LOAD_TIMEOUT_MS = 60_000;

/**
 * A policy whose worker ended (it timed out, exited, threw outside an answer or can never answer):
 * the worker is gone, so asking again costs a restart. `workerEnded` lets a caller that would retry
 * (a property's shrinking) stop instead.
 */
export class PolicyWorkerEnded extends PolicyError {
  readonly workerEnded = true;
}

/** Why a worker ended, as the end of a sentence about the policy ("... : <reason>"). */
type Death = { readonly reason: string; readonly afterStep: number | null };

interface Pending {
  readonly fail: (reason: string) => void;
  readonly ok: (reply: Extract<Reply, { ok: true }>) => void;
  readonly bad: (error: WireError) => void;
  timer?: ReturnType<typeof setTimeout>;
  readonly unlisten?: () => void;
}

interface Transport {
  send(m: Request): void;
  kill(): void;
  hold(on: boolean): void;
}

const here = import.meta.url;
const workerEntry = new URL(`./policyWorker${here.endsWith(".ts") ? ".ts" : ".js"}`, here).href;
// tsx's ESM API (createRequire resolves its CommonJS build, which cannot be imported from the shim)
const tsxPackage = createRequire(here).resolve("tsx/package.json");
const tsxFile = join(
  dirname(tsxPackage),
  (
    JSON.parse(readFileSync(tsxPackage, "utf8")) as {
      exports: Record<string, { import: { default: string } }>;
    }
  ).exports["./esm/api"].import.default,
);
const tsxApi = pathToFileURL(tsxFile).href;
/** Where this package lives: a sandboxed module may read it (the worker's code, the library). */
const packageRoot = fileURLToPath(new URL("..", here));
/** The node_modules that holds tsx and esbuild (hoisted out of this package when it is installed). */
const tsxModules = tsxFile.slice(0, tsxFile.lastIndexOf("/node_modules/") + "/node_modules/".length);

// The worker is started from this JavaScript shim: Node 20 cannot start a .ts worker under tsx,
// so the shim loads the entry through tsx's tsImport (the built package's .js entry loads as is).
const SHIM = `
const start = require("node:worker_threads").workerData ?? JSON.parse(process.env.SFL_POLICY_WORKER);
(start.entry.endsWith(".ts")
  ? import(start.tsx).then((api) => api.tsImport(start.entry, start.entry))
  : import(start.entry)
).catch((e) => {
  process.stderr.write("sfl-market policy worker failed to start: " + (e && e.stack || e) + "\\n");
  process.exit(71);
});
`;

/**
 * The Node flags of a sandboxed module's process (Node 20's permission model): it may read the
 * module's directory and this package (its own code, tsx, the library it imports), nothing else;
 * it may not write files, start processes or load native addons. Worker threads stay allowed
 * because tsx compiles TypeScript in one (they are under the same restrictions). Node 20 does not
 * restrict the network.
 */
export function sandboxArgs(moduleFile: string): string[] {
  const dirs = [...new Set([`${dirname(moduleFile)}/`, packageRoot, tsxModules])];
  return ["--experimental-permission", "--allow-worker", ...dirs.map((d) => `--allow-fs-read=${d}`)];
}

class PolicyHost {
  readonly #file: string;
  readonly #sandbox: boolean;
  #transport: Transport | null = null;
  #generation = 0;
  #nextCall = 1;
  readonly #pending = new Map<number, Pending>();
  /** Why the current generation's worker ended (its instances fail with it). */
  #death: Death | null = null;
  /** A worker that ended between calls: the next policy built fails with it, once. */
  #unreported: Death | null = null;
  #lastStep: number | null = null;
  #lastObs: { obs: MarketObservation; step: number; time: number } | null = null;

  constructor(file: string, sandbox: boolean) {
    this.#file = file;
    this.#sandbox = sandbox;
  }

  get generation(): number {
    return this.#generation;
  }

  /** The generation calls go to now, its worker started if it is not running. */
  current(): number {
    this.transport();
    return this.#generation;
  }

  /** The death of a generation (null while it runs). */
  deathOf(generation: number): Death | null {
    return generation === this.#generation
      ? this.#death
      : { reason: "its worker was stopped", afterStep: null };
  }

  /** A worker that ended between calls and has not failed any call yet; cleared by reading it. */
  takeUnreported(): Death | null {
    const d = this.#unreported;
    this.#unreported = null;
    return d;
  }

  #start(): Transport {
    this.#generation++;
    this.#death = null;
    this.#lastObs = null;
    const start: WorkerStart = { entry: workerEntry, tsx: tsxApi };
    // a stopped worker's last events (its exit, a late message) must not touch its successor
    const gen = this.#generation;
    const onReply = (m: Reply) => {
      if (gen === this.#generation) this.#onReply(m);
    };
    const onExit = (code: number | null) => {
      if (gen === this.#generation) this.#onExit(code);
    };
    let t: Transport;
    if (this.#sandbox) {
      const child: ChildProcess = spawn(process.execPath, [...sandboxArgs(this.#file), "-e", SHIM], {
        // tsx's cache would be a write outside what the sandbox allows
        env: { ...process.env, SFL_POLICY_WORKER: JSON.stringify(start), TSX_DISABLE_CACHE: "1" },
        serialization: "advanced",
        // the module's console.log goes to stderr: stdout may be the command's JSON
        stdio: ["ignore", 2, "inherit", "ipc"],
      });
      child.on("message", (m) => onReply(m as Reply));
      child.on("exit", (code) => onExit(code));
      child.on("error", () => onExit(null));
      t = {
        send: (m) => child.send(m),
        kill: () => child.kill("SIGKILL"),
        hold: (on) => {
          if (on) child.ref();
          else child.unref();
          const ch = child.channel as { ref?: () => void; unref?: () => void } | undefined;
          if (on) ch?.ref?.();
          else ch?.unref?.();
        },
      };
    } else {
      const w = new Worker(SHIM, { eval: true, workerData: start, stdout: true, stderr: true });
      w.stdout.pipe(process.stderr);
      w.stderr.pipe(process.stderr);
      w.on("message", onReply);
      w.on("exit", onExit);
      w.on("error", (e) => {
        if (gen === this.#generation) this.#kill(`its worker failed: ${e.message}`);
      });
      t = {
        send: (m) => w.postMessage(m),
        kill: () => void w.terminate(),
        hold: (on) => (on ? w.ref() : w.unref()),
      };
    }
    t.hold(false);
    return t;
  }

  #onReply(m: Reply): void {
    if (m.type === "ready") return;
    if (m.type === "stalled") {
      this.#kill(
        "its answer can never come: it is waiting on a promise (or thenable) that nothing is left to resolve",
      );
      return;
    }
    if (m.type === "fatal") {
      const what =
        m.origin === "uncaughtException" ? "an uncaught exception" : "an unhandled promise rejection";
      this.#kill(`its code raised ${what} outside any answer (a timer, a callback?): ${m.message}`);
      return;
    }
    const p = this.#pending.get(m.call);
    if (!p) return;
    this.#settle(m.call);
    if (m.ok) p.ok(m);
    else p.bad(m.error);
  }

  #onExit(code: number | null): void {
    if (this.#death === null) {
      const reason =
        code === 71
          ? "its worker could not start (see the message above)"
          : `it ended its ${this.#sandbox ? "process" : "thread"} with process.exit(${code ?? ""})`;
      this.#die(reason);
    }
    this.#transport = null;
  }

  /** Records why this generation ended and fails every call in progress with it. */
  #die(reason: string): void {
    if (this.#death !== null) return;
    this.#death = { reason, afterStep: this.#lastStep };
    if (this.#pending.size === 0) this.#unreported = this.#death;
    for (const [call, p] of [...this.#pending]) {
      this.#settle(call);
      p.fail(reason);
    }
  }

  #kill(reason: string): void {
    this.#die(reason);
    const t = this.#transport;
    this.#transport = null;
    t?.kill();
  }

  #settle(call: number): void {
    const p = this.#pending.get(call);
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    p.unlisten?.();
    this.#pending.delete(call);
    if (this.#pending.size === 0) this.#transport?.hold(false);
  }

  /** The transport of the current generation, started if there is none. */
  transport(): Transport {
    if (!this.#transport) this.#transport = this.#start();
    return this.#transport;
  }

  /**
   * Sends a request of `generation` (the current one unless its worker died) and resolves with the
   * answer; `fail` turns a reason into the error the caller throws.
   */
  call(
    generation: number,
    make: (call: number) => Request,
    opts: { timeoutMs: number; signal?: AbortSignal; step?: number },
    fail: (reason: string) => Error,
  ): Promise<Extract<Reply, { ok: true }>> {
    const dead = this.deathOf(generation);
    if (dead) {
      // this call reports it: the next policy built need not
      if (this.#unreported === dead) this.#unreported = null;
      return Promise.reject(fail(afterStep(dead)));
    }
    if (opts.signal?.aborted) return Promise.reject(fail("stopped: the command was interrupted"));
    const t = this.transport();
    const call = this.#nextCall++;
    if (opts.step !== undefined) this.#lastStep = opts.step;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#kill("stopped: the command was interrupted");
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const pending: Pending = {
        ok: resolve,
        bad: (e) => reject(errorFromWire(e)),
        fail: (reason) => reject(fail(reason)),
        unlisten: () => opts.signal?.removeEventListener("abort", onAbort),
      };
      if (opts.timeoutMs > 0)
        pending.timer = setTimeout(
          () =>
            this.#kill(
              `did not answer within ${opts.timeoutMs} ms (an infinite loop, or a promise that never settles?); its worker was stopped`,
            ),
          opts.timeoutMs,
        );
      this.#pending.set(call, pending);
      t.hold(true);
      t.send(make(call));
    });
  }

  /** The observation to send with a price request: null when the worker has this one already. */
  observation(obs: MarketObservation): MarketObservation | null {
    const last = this.#lastObs;
    if (last && last.obs === obs && last.step === obs.step && last.time === obs.time) return null;
    this.#lastObs = { obs, step: obs.step, time: obs.time };
    return obs;
  }

  /** Stops the worker (e.g. at the end of a command); the next call starts a new one. */
  stop(): void {
    if (this.#transport) this.#kill("its worker was stopped");
    this.#unreported = null;
  }
}

const afterStep = (d: Death) =>
  d.afterStep === null ? d.reason : `after market step ${d.afterStep}, ${d.reason}`;

/** An error raised in the worker, rebuilt: InputError and PolicyModuleError keep their class. */
function errorFromWire(e: WireError): Error {
  if (e.code === "BAD_INPUT" && e.issues) {
    const err = new InputError(e.issues);
    err.message = e.message;
    return err;
  }
  if (typeof e.code === "string" && e.code.startsWith("POLICY_MODULE_") && e.spec !== undefined)
    return new PolicyModuleError(e.code as PolicyModuleErrorCode, e.spec, e.file ?? "", e.message);
  const err = new Error(e.message);
  if (e.name && e.name !== "Error") err.name = e.name;
  return err;
}

/**
 * The workers of one user of this module (a command, a test): one per module file, stopped
 * together. Library calls without a group of their own share the process-wide one.
 */
export class PolicyWorkers {
  readonly #hosts = new Map<string, PolicyHost>();

  host(file: string, sandbox: boolean): PolicyHost {
    const key = `${sandbox ? "sandbox" : "worker"}:${file}`;
    let h = this.#hosts.get(key);
    if (!h) {
      h = new PolicyHost(file, sandbox);
      this.#hosts.set(key, h);
    }
    return h;
  }

  /** Stops these workers; returns the failures no call reported yet (a throw after the last answer). */
  stop(): string[] {
    const unreported: string[] = [];
    for (const [key, h] of this.#hosts) {
      const d = h.takeUnreported();
      if (d) unreported.push(`policy module ${key.slice(key.indexOf(":") + 1)}: ${afterStep(d)}`);
      h.stop();
    }
    return unreported;
  }
}

const shared = new PolicyWorkers();

/** Stops the process-wide policy workers (those of calls without a PolicyWorkers of their own). */
export function stopPolicyWorkers(): string[] {
  return shared.stop();
}

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
  const host = (opts.workers ?? shared).host(file, sandbox);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // starting a worker and compiling the module takes seconds on a busy machine: loading and
  // building get the longer of the answer timeout and a minute (still never unbounded, unless 0)
  const buildMs = timeoutMs === 0 ? 0 : Math.max(timeoutMs, LOAD_TIMEOUT_MS);
  const factory = nextId++;
  // the path as the worker resolves it (it has no other working directory than ours, but a sandbox
  // may not be able to read it: the absolute file is what was allowed)
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
