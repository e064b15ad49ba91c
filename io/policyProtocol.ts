import type { RngState } from "../env/rng.ts";
import type { InputIssue } from "../market/errors.ts";
import type { PolicyKind, PolicyModuleErrorCode } from "../policies/moduleExports.ts";
import type { DeviceObservation, MarketObservation, PolicyWarning } from "../policies/types.ts";

/**
 * The messages between a policy host (io/policyHost.ts, in the main thread) and the worker thread or
 * sandboxed child process that runs a user's policy module (io/policyWorker.ts). Every value is
 * structured-cloned across, so the worker's policy gets its own copy of each observation and the
 * host gets a copy of each answer: neither can change the other's arrays.
 *
 * Requests carry a call number; the worker answers them one at a time, in order, each with an
 * `answer` of the same call number. Besides answers the worker says `ready` once started, `stalled`
 * when its event loop ran dry in the middle of a call (the answer can never come), and `fatal` just
 * before it ends on an uncaught exception or unhandled rejection.
 */

/** A module to load, as a factory handle: `instance` is the id of the policy built up front. */
export interface LoadRequest {
  readonly op: "load";
  readonly call: number;
  readonly factory: number;
  readonly instance: number;
  readonly spec: string;
  readonly path: string;
  readonly exportName: string | null;
  readonly kind: PolicyKind | "auto";
  readonly options: Record<string, unknown>;
  /** The module bundled (a sandbox cannot read `path`): imported from a data: URL. */
  readonly code?: string;
}

export type Request =
  | LoadRequest
  | { readonly op: "create"; readonly call: number; readonly factory: number; readonly instance: number }
  | {
      readonly op: "reset";
      readonly call: number;
      readonly instance: number;
      readonly rng: RngState;
      readonly seed: number | string;
    }
  | {
      readonly op: "price";
      readonly call: number;
      readonly instance: number;
      /** The observation; null: the same as in the previous price request (one copy per market step). */
      readonly obs: MarketObservation | null;
      readonly row: number;
    }
  | {
      readonly op: "respond";
      readonly call: number;
      readonly instance: number;
      readonly obs: DeviceObservation;
      readonly devices: Int32Array;
    }
  | { readonly op: "drop"; readonly call: number; readonly instance: number };

/** What a load answers: the policy's declared fields and how it was found. */
export interface LoadInfo {
  readonly kind: PolicyKind;
  readonly name: string;
  readonly aggregation?: "unbiased" | "fedavg";
  readonly hasReset: boolean;
  readonly exportName: string;
  readonly exportKind: "factory" | "object";
  readonly file: string;
}

/** An error thrown in the worker, as data (classes do not cross threads). */
export interface WireError {
  readonly name: string;
  readonly message: string;
  /** A PolicyModuleError's code, or "BAD_INPUT" for an InputError. */
  readonly code?: PolicyModuleErrorCode | "BAD_INPUT" | string;
  readonly issues?: readonly InputIssue[];
  readonly spec?: string;
  readonly file?: string;
}

export type Reply =
  | { readonly type: "ready" }
  | {
      readonly type: "answer";
      readonly call: number;
      readonly ok: true;
      readonly value?: unknown;
      readonly info?: LoadInfo;
      /** The instance's warnings after the call (tenant policies that keep them). */
      readonly warnings?: readonly PolicyWarning[];
    }
  | { readonly type: "answer"; readonly call: number; readonly ok: false; readonly error: WireError }
  | { readonly type: "stalled" }
  | {
      readonly type: "fatal";
      readonly origin: "uncaughtException" | "unhandledRejection";
      readonly message: string;
    };

/** How the host starts the worker (workerData, or an environment variable for a child process). */
export interface WorkerStart {
  /** URL of io/policyWorker.ts (or .js in the built package). */
  readonly entry: string;
  /** URL of tsx's API, to load a .ts entry. */
  readonly tsx: string;
}
