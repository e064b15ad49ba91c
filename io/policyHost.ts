import { PolicyError } from "../env/errors.ts";
import { InputError } from "../market/errors.ts";
import { PolicyModuleError, type PolicyModuleErrorCode } from "../policies/moduleExports.ts";
import type { MarketObservation } from "../policies/types.ts";
import type { Reply, Request, WireError } from "./policyProtocol.ts";
import { startTransport, type Transport } from "./policyTransport.ts";

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

/**
 * How much later than the worker's watchdog an environment's own timeout on the same answer should
 * fire: the watchdog knows what happened (a loop, an exit, a promise nothing can resolve) and
 * stops the worker, so it should speak first.
 */
export const WATCHDOG_MARGIN_MS = 1_000;

/**
 * A policy whose worker ended (it timed out, exited, threw outside an answer or can never answer):
 * the worker is gone, so asking again costs a restart. `workerEnded` lets a caller that would retry
 * (a property's shrinking) stop instead.
 */
export class PolicyWorkerEnded extends PolicyError {
  readonly workerEnded = true;
}

/** Why a worker ended, as the end of a sentence about the policy ("... : <reason>"). */
export type Death = { readonly reason: string; readonly afterStep: number | null };

interface Pending {
  readonly fail: (reason: string) => void;
  readonly ok: (reply: Extract<Reply, { ok: true }>) => void;
  readonly bad: (error: WireError) => void;
  timer?: ReturnType<typeof setTimeout>;
  readonly unlisten?: () => void;
}

/** The worker of one module file, started again after it ends; calls go to its current generation. */
export class PolicyHost {
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
    // a stopped worker's last events (its exit, a late message) must not touch its successor
    const gen = this.#generation;
    const current = () => gen === this.#generation;
    return startTransport(this.#file, this.#sandbox, {
      reply: (m) => {
        if (current()) this.#onReply(m);
      },
      exit: (code) => {
        if (current()) this.#onExit(code);
      },
      error: (message) => {
        if (current()) this.#kill(`its worker failed: ${message}`);
      },
    });
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

export const afterStep = (d: Death) =>
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

/** The group of library calls that bring none of their own. */
export const sharedPolicyWorkers = new PolicyWorkers();

/** Stops the process-wide policy workers (those of calls without a PolicyWorkers of their own). */
export function stopPolicyWorkers(): string[] {
  return sharedPolicyWorkers.stop();
}
