import { parentPort } from "node:worker_threads";
import { rngFromState } from "../env/rng.ts";
import {
  firstLine,
  importFailed,
  interop,
  type PolicyModuleError,
  policyFromExports,
} from "../policies/moduleExports.ts";
import type { DevicePolicy, MarketObservation, TenantPolicy } from "../policies/types.ts";
import { importPolicyModule } from "./loadModule.ts";
import type { LoadInfo, Reply, Request, WireError } from "./policyProtocol.ts";

/**
 * The worker side of a policy host: runs a user's policy module in a worker thread (or in a child
 * process under Node's permission model, `--sandbox`) and answers the host's requests one at a
 * time, in order (io/policyProtocol.ts). Whatever the module does here (loops forever, calls
 * process.exit, throws from a timer, leaves a promise pending forever) ends this thread at worst,
 * and the host reports it by policy name and market step.
 */

interface Port {
  post(m: Reply): void;
  listen(f: (m: Request) => void): void;
  /** Keep the thread alive while idle (waiting for requests), or not (busy with a call). */
  hold(on: boolean): void;
}

const port: Port = parentPort
  ? {
      post: (m) => parentPort!.postMessage(m),
      listen: (f) => parentPort!.on("message", f),
      hold: (on) => (on ? parentPort!.ref() : parentPort!.unref()),
    }
  : {
      post: (m) => process.send!(m),
      listen: (f) => process.on("message", f as (m: unknown) => void),
      hold: (on) => (on ? process.channel?.ref() : process.channel?.unref()),
    };

type AnyPolicy = TenantPolicy | DevicePolicy;
const factories = new Map<number, () => Promise<AnyPolicy>>();
const instances = new Map<number, AnyPolicy>();
/** The last observation received (a price request may say "the same as before"). */
let lastObs: MarketObservation | null = null;
let busy = false;

// While a call is in progress the channel to the host does not keep this thread alive: if nothing
// else does either (no timer, no I/O), the policy's answer can never come, and the loop runs dry.
process.on("beforeExit", () => {
  if (busy) port.post({ type: "stalled" });
});
for (const origin of ["uncaughtException", "unhandledRejection"] as const)
  process.on(origin, (err: unknown) => {
    port.post({ type: "fatal", origin, message: firstLine(err) });
    // let the message leave before the thread ends
    setImmediate(() => process.exit(70));
  });

function wireError(err: unknown): WireError {
  const e = err as Partial<PolicyModuleError> & { issues?: unknown; code?: unknown };
  return {
    name: err instanceof Error ? err.name : "Error",
    message: err instanceof Error ? err.message : String(err),
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
    ...(Array.isArray(e?.issues) ? { issues: e.issues as WireError["issues"] } : {}),
    ...(typeof e?.spec === "string" ? { spec: e.spec } : {}),
    ...(typeof e?.file === "string" ? { file: e.file } : {}),
  };
}

function instance(id: number): AnyPolicy {
  const p = instances.get(id);
  if (!p) throw new Error(`no policy instance ${id} in this worker`);
  return p;
}

const warningsOf = (p: AnyPolicy) => {
  const w = (p as TenantPolicy).warnings;
  return Array.isArray(w) ? { warnings: w.map((x) => ({ ...x })) } : {};
};

async function handle(m: Request): Promise<Reply> {
  switch (m.op) {
    case "load": {
      const { file, exports } =
        m.code === undefined
          ? await importPolicyModule(m.spec, { path: m.path, exportName: m.exportName })
          : { file: m.path, exports: await importBundle(m.spec, m.path, m.code) };
      const loaded = await policyFromExports(m.spec, file, exports, m.exportName, m.kind, m.options);
      factories.set(m.factory, loaded.create as () => Promise<AnyPolicy>);
      instances.set(m.instance, loaded.policy);
      const p = loaded.policy as TenantPolicy;
      const info: LoadInfo = {
        kind: loaded.kind,
        name: p.name,
        ...(loaded.kind === "tenant" ? { aggregation: p.aggregation } : {}),
        hasReset: typeof p.reset === "function",
        exportName: loaded.exportName,
        exportKind: loaded.exportKind,
        file,
      };
      return { type: "answer", call: m.call, ok: true, info };
    }
    case "create": {
      const make = factories.get(m.factory);
      if (!make) throw new Error(`no policy factory ${m.factory} in this worker`);
      instances.set(m.instance, await make());
      return { type: "answer", call: m.call, ok: true };
    }
    case "reset": {
      const p = instance(m.instance);
      await p.reset?.({ rng: rngFromState(m.rng), seed: m.seed });
      return { type: "answer", call: m.call, ok: true, ...warningsOf(p) };
    }
    case "price": {
      const p = instance(m.instance) as TenantPolicy;
      if (m.obs) lastObs = m.obs;
      if (!lastObs) throw new Error("price request without an observation");
      // each call its own copy: two instances (or two rows) never share what one of them wrote
      const value = await p.price(structuredClone(lastObs), m.row);
      return { type: "answer", call: m.call, ok: true, value, ...warningsOf(p) };
    }
    case "respond": {
      const p = instance(m.instance) as DevicePolicy;
      const value = await p.respond(m.obs, m.devices);
      return { type: "answer", call: m.call, ok: true, value };
    }
    case "drop":
      instances.delete(m.instance);
      return { type: "answer", call: m.call, ok: true };
  }
}

/** A module bundled by the host (the sandbox reads no files), imported from a data: URL. */
async function importBundle(spec: string, file: string, code: string): Promise<Record<string, unknown>> {
  try {
    return interop(await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`));
  } catch (err) {
    throw importFailed(spec, file, firstLine(err), err);
  }
}

let queue: Promise<void> = Promise.resolve();
port.listen((m) => {
  queue = queue.then(async () => {
    busy = true;
    port.hold(false);
    let reply: Reply;
    try {
      reply = await handle(m);
    } catch (err) {
      reply = { type: "answer", call: m.call, ok: false, error: wireError(err) };
    }
    busy = false;
    port.hold(true);
    try {
      port.post(reply);
    } catch (err) {
      // an answer that cannot be cloned (a function, a class instance with private fields...)
      port.post({
        type: "answer",
        call: m.call,
        ok: false,
        error: { name: "DataCloneError", message: `its answer cannot be sent: ${firstLine(err)}` },
      });
    }
  });
});
port.post({ type: "ready" });
