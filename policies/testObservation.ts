import { policyContext as policyContextOf } from "../env/policy.ts";
import type { MarketInstance } from "../market/instance.ts";
import type { DeviceObservation, MarketObservation, PolicyContext, TenantView } from "./types.ts";

/**
 * Hand-built observations for policy tests (the simulation builds the real ones). Tenants are named
 * t0, t1, ... with row = index; everything not given is a neutral start-of-episode value.
 */
export interface TestObservationOptions {
  readonly step?: number;
  readonly time?: number;
  readonly lastPrices?: Float64Array | null;
  readonly lastParticipation?: Float64Array | null;
  readonly dataWeight?: Float64Array;
  readonly names?: readonly string[];
}

export function marketObservation(m: MarketInstance, o: TestObservationOptions = {}): MarketObservation {
  const tenants: TenantView[] = Array.from({ length: m.M }, (_, i) => ({
    name: o.names?.[i] ?? `t${i}`,
    index: i,
    row: i,
    type: "vit",
    rounds: 0,
    lossGap: 1,
    target: 0.01,
    elapsed: o.time ?? 0,
    deadline: 3600,
    spent: 0,
    budget: m.budget[i],
  }));
  return {
    step: o.step ?? 0,
    time: o.time ?? 0,
    market: m,
    tenants,
    lastPrices: o.lastPrices ?? null,
    lastParticipation: o.lastParticipation ?? null,
    ...(o.dataWeight ? { dataWeight: o.dataWeight } : {}),
  };
}

export function deviceObservation(m: MarketInstance, prices: Float64Array, step = 0): DeviceObservation {
  return { step, time: 0, market: m, prices };
}

/** Indices 0..N-1, or the given ones. */
export function deviceIndices(N: number, only?: readonly number[]): Int32Array {
  return only ? Int32Array.from(only) : Int32Array.from({ length: N }, (_, j) => j);
}

/** The context an episode would give the policy named `name` under `seed`. */
export function policyContext(seed: number | string, name = "test"): PolicyContext {
  return policyContextOf(seed, name);
}

/** Row `i` of a tenant-major M x N matrix, as a plain array. */
export function rowOf(a: Float64Array, N: number, i: number): number[] {
  return Array.from(a.subarray(i * N, (i + 1) * N));
}

/**
 * Every way q breaks the device constraints (MODEL.md section 2) on the given devices (default all):
 * q >= 0 and finite, sum over tenants <= 1 (+ 1e-12 for rounding), 0 where w_ij = 0. Empty = feasible.
 */
export function feasibilityViolations(m: MarketInstance, q: Float64Array, devices?: Int32Array): string[] {
  const { M, N } = m;
  const out: string[] = [];
  if (q.length !== M * N) return [`q has length ${q.length}, expected ${M * N}`];
  for (const j of devices ?? deviceIndices(N)) {
    let s = 0;
    for (let i = 0; i < M; i++) {
      const v = q[i * N + j];
      if (!(v >= 0 && Number.isFinite(v))) out.push(`q[${i}][${j}] = ${v}`);
      if (m.value[i * N + j] === 0 && v !== 0) out.push(`q[${i}][${j}] = ${v} on an ineligible pair`);
      s += v;
    }
    if (s > 1 + 1e-12) out.push(`device ${j} sums to ${s}`);
  }
  return out;
}
