import type { MarketObservation } from "../types.ts";

/**
 * What a learned tenant observes (docs/learned.md): a short vector computed from the
 * MarketObservation every pricing policy gets, so training (on the simulation's functional core)
 * and evaluation (as a TenantPolicy in `compare`) see exactly the same thing. Everything is a ratio
 * or a log, so one network can price tenants of different scales; a running normaliser
 * (normalizer.ts) then centres and scales each entry.
 */
export const TENANT_FEATURES = Object.freeze([
  {
    name: "progress",
    doc: "ln(gap0 / gap) / ln(gap0 / target): 0 at the tenant's first step, 1 at the target",
  },
  { name: "timeUsed", doc: "elapsed / deadline T_i" },
  { name: "spendRate", doc: "credits paid per completed round / B_i (0 before the first round)" },
  { name: "rivals", doc: "number of other active tenants" },
  { name: "rivalBudget", doc: "ln(1 + sum of the active rivals' budgets / B_i)" },
  { name: "meanParticipation", doc: "mean q_ij over the tenant's eligible devices at the last step" },
  { name: "pricedOut", doc: "share of the eligible devices with q_ij = 0 at the last step" },
  {
    name: "congested",
    doc: "share of the eligible devices whose capacity was full (sum_k q_kj = 1) at the last step",
  },
  { name: "first", doc: "1 at the tenant's first market step (no participation observed yet), else 0" },
] as const);

export const FEATURE_COUNT = TENANT_FEATURES.length;

/**
 * Per-episode memory of a learned tenant: its loss gap when first seen (gap0), so progress can be
 * measured without knowing the learner's initial gap. Reset at every episode.
 */
export type TenantMemory = Map<string, { gap0: number }>;

export function tenantFeatures(obs: MarketObservation, row: number, memory: TenantMemory): Float64Array {
  const { M, N } = obs.market;
  const view = obs.tenants[row];
  let mem = memory.get(view.name);
  if (!mem) {
    mem = { gap0: view.lossGap };
    memory.set(view.name, mem);
  }
  const x = new Float64Array(FEATURE_COUNT);
  const gap = Math.max(view.lossGap, Number.MIN_VALUE);
  const target = Math.max(view.target, Number.MIN_VALUE);
  const span = Math.log(Math.max(mem.gap0, Number.MIN_VALUE) / target);
  x[0] = span > 0 ? clamp(Math.log(mem.gap0 / gap) / span, -2, 2) : 1;
  x[1] = view.deadline > 0 ? clamp(view.elapsed / view.deadline, 0, 2) : 0;
  x[2] = view.rounds > 0 && view.budget > 0 ? clamp(view.spent / (view.rounds * view.budget), 0, 10) : 0;
  x[3] = M - 1;
  let rivalBudget = 0;
  for (let r = 0; r < M; r++) if (r !== row) rivalBudget += obs.market.budget[r];
  x[4] = view.budget > 0 ? Math.log1p(rivalBudget / view.budget) : 0;
  const q = obs.lastParticipation;
  const ownPrices = obs.lastPrices?.subarray(row * N, (row + 1) * N);
  const seen = q !== null && ownPrices?.some((p) => p > 0) === true;
  if (seen && q) {
    let eligible = 0;
    let sumQ = 0;
    let zero = 0;
    let full = 0;
    for (let j = 0; j < N; j++) {
      if (!(obs.market.value[row * N + j] > 0)) continue;
      eligible++;
      const qij = q[row * N + j];
      sumQ += qij;
      if (!(qij > 1e-12)) zero++;
      let load = 0;
      for (let r = 0; r < M; r++) load += q[r * N + j];
      if (load >= 1 - 1e-9) full++;
    }
    if (eligible > 0) {
      x[5] = sumQ / eligible;
      x[6] = zero / eligible;
      x[7] = full / eligible;
    }
  }
  x[8] = seen ? 0 : 1;
  return x;
}

function clamp(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.max(lo, Math.min(hi, v)) : v > 0 ? hi : lo;
}
