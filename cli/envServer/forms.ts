import { Box, Capacity, type Space } from "../../env/parallelEnv.ts";
import type { MarketObservation } from "../../policies/types.ts";

/** The env-server's request errors and the wire forms of spaces, market observations and actions. */

export type ErrorCode =
  | "BAD_JSON"
  | "BAD_REQUEST"
  | "UNKNOWN_OP"
  | "HANDSHAKE"
  | "PROTOCOL"
  | "STATE"
  | "UNKNOWN_AGENT"
  | "NOT_LIVE"
  | "BAD_ACTION"
  | "RIVAL_POLICY"
  | "INTERNAL";

/** A request the session refuses; becomes an error reply. */
export class RequestError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  constructor(code: ErrorCode, message: string, path?: string) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

export function spaceJson(space: Space<Float64Array>) {
  if (space instanceof Box) return { kind: "box", shape: [...space.shape], low: space.low, high: space.high };
  if (space instanceof Capacity) return { kind: "capacity", shape: [space.n] };
  throw new Error(`no wire form for a space of kind ${space.kind}`);
}

/** The market observation with only its data fields (what a pricing policy reads). */
export function marketJson(m: MarketObservation) {
  const { M, N, tau, cost, value, budget } = m.market;
  return {
    step: m.step,
    time: m.time,
    market: { M, N, tau, cost, value, budget },
    tenants: m.tenants,
    lastPrices: m.lastPrices,
    lastParticipation: m.lastParticipation,
    ...(m.dataWeight ? { dataWeight: m.dataWeight } : {}),
  };
}

/** A client's action as the Float64Array the environment takes; its shape checked here, its values by the environment. */
export function actionVector(a: unknown, space: Space<Float64Array>, path: string): Float64Array {
  const n = space instanceof Box ? space.shape[0] : (space as Capacity).n;
  const what =
    space instanceof Box
      ? `a list of ${n} numbers (a price per device)`
      : `a list of ${n} numbers >= 0 summing to <= 1 (participation per tenant)`;
  if (!Array.isArray(a))
    throw new RequestError("BAD_ACTION", `must be ${what}, got ${clip(JSON.stringify(a) ?? "")}`, path);
  if (a.length !== n) throw new RequestError("BAD_ACTION", `must be ${what}, got ${a.length} entries`, path);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    if (typeof a[k] !== "number")
      throw new RequestError(
        "BAD_ACTION",
        `must be ${what}; entry ${k} is ${clip(JSON.stringify(a[k]) ?? "")}`,
        `${path}[${k}]`,
      );
    out[k] = a[k];
  }
  return out;
}

export function clip(s: string, n = 80): string {
  return s.length <= n ? s : `${s.slice(0, n)}...`;
}
