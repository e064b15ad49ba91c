import { fromArrays, type MarketInstance } from "./instance.ts";

/**
 * Deterministic random markets for tests and benchmarks (MODEL.md's kind: log-normal costs and
 * values, some ineligible pairs). A local PCG-style generator keeps market/ free of env/.
 */
export interface RandomMarketOptions {
  readonly M: number;
  readonly N: number;
  readonly seed: number;
  readonly tau?: number;
  /** Share of (tenant, device) pairs that are ineligible (default 0.3). */
  readonly ineligible?: number;
  /** Budget per device, on average (default 0.3): larger budgets congest more devices. */
  readonly budgetPerDevice?: number;
}

export function randomMarket(o: RandomMarketOptions): MarketInstance {
  const { M, N } = o;
  let s = BigInt(o.seed) * 0x9e3779b97f4a7c15n + 0x632be59bd9b4e019n;
  const mask = (1n << 64n) - 1n;
  const u = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & mask;
    return (Number(s >> 11n) + 0.5) / 2 ** 53;
  };
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const cost = new Float64Array(M * N);
  const value = new Float64Array(M * N);
  const budget = new Float64Array(M);
  const off = o.ineligible ?? 0.3;
  for (let k = 0; k < M * N; k++) {
    cost[k] = Math.exp(0.5 * normal());
    value[k] = u() < off ? 0 : Math.exp(normal()) / N;
  }
  for (let i = 0; i < M; i++) {
    let any = false;
    for (let j = 0; j < N; j++) if (value[i * N + j] > 0) any = true;
    if (!any) value[i * N] = 1 / N;
    budget[i] = (o.budgetPerDevice ?? 0.3) * N * Math.exp(0.3 * normal());
  }
  return fromArrays({ M, N, tau: o.tau ?? 2, cost, value, budget });
}
