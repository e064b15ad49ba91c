import { type ChildProcess, spawn } from "node:child_process";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Reply, Request, WorkerStart } from "./policyProtocol.ts";
import { tsxApiFile, workerBundle } from "./sandboxBundle.ts";

/**
 * Where a user's policy module runs: a worker thread, or a child process under Node's permission
 * model (`sandbox`). Both carry the same messages (io/policyProtocol.ts), structured-cloned; the
 * host (io/policyHost.ts) sees one interface.
 */
export interface Transport {
  send(m: Request): void;
  kill(): void;
  /** Keep this process alive for the worker (a call is in progress) or not (idle). */
  hold(on: boolean): void;
}

export interface TransportEvents {
  readonly reply: (m: Reply) => void;
  /** The worker ended; its exit code (null when killed by a signal or never started). */
  readonly exit: (code: number | null) => void;
  readonly error: (message: string) => void;
}

const here = import.meta.url;
const workerEntry = new URL(`./policyWorker${here.endsWith(".ts") ? ".ts" : ".js"}`, here).href;
const tsxApi = pathToFileURL(tsxApiFile).href;

// The worker is started from this JavaScript shim: Node 20 cannot start a .ts worker under tsx,
// so the shim loads the entry through tsx's tsImport (the built package's .js entry loads as is).
const SHIM = `
const start = require("node:worker_threads").workerData;
(start.entry.endsWith(".ts")
  ? import(start.tsx).then((api) => api.tsImport(start.entry, start.entry))
  : import(start.entry)
).catch((e) => {
  process.stderr.write("sfl-market policy worker failed to start: " + (e && e.stack || e) + "\\n");
  process.exit(71);
});
`;

// The sandbox's shim: its first message is the worker's code, bundled (io/sandboxBundle.ts).
const SANDBOX_SHIM = `
process.once("message", (m) => {
  import("data:text/javascript;base64," + Buffer.from(m.code).toString("base64")).catch((e) => {
    process.stderr.write("sfl-market policy sandbox failed to start: " + (e && e.stack || e) + "\\n");
    process.exit(71);
  });
});
`;

/**
 * The Node flags of a sandboxed module's process: Node 20's permission model with nothing allowed.
 * The module cannot read or write files, start processes or worker threads, or load native addons;
 * it gets its code as a bundle (io/sandboxBundle.ts). Node 20 does not restrict the network.
 */
export const SANDBOX_ARGS = ["--experimental-permission", "--disable-warning=ExperimentalWarning"] as const;

/** Starts the worker (or sandboxed process) of a module file; it says `ready` once it listens. */
export function startTransport(file: string, sandbox: boolean, on: TransportEvents): Transport {
  const start: WorkerStart = { entry: workerEntry, tsx: tsxApi };
  let t: Transport;
  if (sandbox) {
    const child: ChildProcess = spawn(process.execPath, [...SANDBOX_ARGS, "-e", SANDBOX_SHIM], {
      cwd: dirname(file),
      serialization: "advanced",
      // the module's console.log goes to stderr: stdout may be the command's JSON
      stdio: ["ignore", 2, "inherit", "ipc"],
    });
    // requests wait for the worker's "ready": the child drops messages nobody listens to yet
    let queued: Request[] | null = [];
    child.on("message", (m) => {
      if ((m as Reply).type === "ready" && queued) {
        for (const q of queued) child.send(q);
        queued = null;
      }
      on.reply(m as Reply);
    });
    child.on("exit", (code) => on.exit(code));
    child.on("error", (e) => on.error(e.message));
    child.send({ code: workerBundle() });
    t = {
      send: (m) => (queued ? queued.push(m) : child.send(m)),
      kill: () => child.kill("SIGKILL"),
      hold: (hold) => {
        const ch = child.channel as { ref?: () => void; unref?: () => void } | undefined;
        if (hold) {
          child.ref();
          ch?.ref?.();
        } else {
          child.unref();
          ch?.unref?.();
        }
      },
    };
  } else {
    const w = new Worker(SHIM, { eval: true, workerData: start, stdout: true, stderr: true });
    // the module's console output goes to stderr: stdout may be the command's JSON
    w.stdout.pipe(process.stderr);
    w.stderr.pipe(process.stderr);
    w.on("message", on.reply);
    w.on("exit", on.exit);
    w.on("error", (e) => on.error(e.message));
    t = {
      send: (m) => w.postMessage(m),
      kill: () => void w.terminate(),
      hold: (hold) => (hold ? w.ref() : w.unref()),
    };
  }
  t.hold(false);
  return t;
}
