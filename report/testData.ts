import { boundSummary } from "./fromRuns.ts";
import { summarise } from "./table.ts";
import type { BoundPoint, ComparisonData, Distribution, TenantOutcome, Trajectory } from "./types.ts";

/**
 * A synthetic comparison for the report's tests and for looking at the page: made-up but plausible
 * numbers from a fixed-seed generator (no Math.random), so every call returns the same data.
 */

/** mulberry32: a tiny deterministic generator, good enough for test fixtures. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TENANTS = [
  { name: "vit-photos", type: "vit", target: 0.02, deadline: 4000, round: 20, g0: 2 },
  { name: "bert-reviews", type: "bert", target: 0.01, deadline: 3000, round: 12, g0: 1.5 },
  { name: "whisper-calls", type: "whisper", target: 0.05, deadline: 9000, round: 60, g0: 3 },
  { name: "llama-chat", type: "llama", target: 0.03, deadline: 60000, round: 400, g0: 4 },
];

/** How much slower than PRINCE each policy converges; Infinity: biased, stalls above the target. */
const SLOWDOWN: Record<string, number[]> = {
  prince: [1, 1, 1, 1],
  uniform: [1.8, 1.4, 2.6, 1.3],
  proportional: [1.5, 0.85, 2.1, 1.6],
  random: [2.4, 2.2, 3.4, Number.POSITIVE_INFINITY],
  "greedy-topk": [1.2, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 1.1],
  "single-tenant": [1.3, 1.1, 1.7, 1.2],
};

export function syntheticComparison(
  policies: string[] = Object.keys(SLOWDOWN),
  seeds: number[] = [1, 2, 3, 4, 5],
): ComparisonData {
  const rand = generator(20240601);
  const results: TenantOutcome[] = [];
  const trajectories: Trajectory[] = [];
  const distributions: Distribution[] = [];
  const points: BoundPoint[] = [];
  policies.forEach((policy, pk) => {
    TENANTS.forEach((t, tk) => {
      const slow = SLOWDOWN[policy]?.[tk] ?? 1 + pk * 0.3;
      const prices: number[] = [];
      const participation: number[] = [];
      for (const seed of seeds) {
        const noise = 0.85 + 0.3 * rand();
        // Rounds needed by PRINCE ~ 40 to 60; the loss gap decays geometrically to a floor.
        const baseRounds = 40 + 20 * rand();
        const stalls = !Number.isFinite(slow);
        const rounds = stalls ? Math.floor(t.deadline / t.round) : Math.ceil(baseRounds * slow * noise);
        const rate = Math.log(t.g0 / t.target) / rounds;
        const floor = stalls ? t.target * (2 + rand()) : 0;
        const pts: [number, number][] = [[0, t.g0]];
        let time = 0;
        for (let r = 1; r <= rounds; r++) {
          time += t.round * (0.8 + 0.4 * rand());
          pts.push([time, floor + (t.g0 - floor) * Math.exp(-rate * r * (stalls ? 2 : 1))]);
        }
        const met = !stalls && time <= t.deadline;
        results.push({
          policy,
          seed,
          tenant: t.name,
          type: t.type,
          met,
          timeToTarget: met ? time : null,
          rounds,
          spend: rounds * (50 + 10 * tk) * (0.9 + 0.2 * rand()),
          finalGap: pts[pts.length - 1][1],
          ...(met ? {} : { reason: stalls ? "stalled above target (biased aggregation)" : "deadline" }),
        });
        trajectories.push({ policy, seed, tenant: t.name, points: pts });
        if (met) {
          points.push({
            policy,
            seed,
            tenant: t.name,
            predicted: Math.ceil(rounds * (1.3 + 0.6 * rand())),
            measured: rounds,
          });
        }
        for (let j = 0; j < 30; j++) {
          const spread = policy === "uniform" ? 0.02 : policy === "random" ? 1.5 : 0.5;
          prices.push((1 + tk * 3) * Math.exp(spread * (rand() - 0.5) * 2));
          participation.push(
            policy === "greedy-topk" && j > 8 ? 0 : Math.min(1, 0.15 + 0.7 * rand() ** (1 + pk)),
          );
        }
      }
      distributions.push({ policy, tenant: t.name, prices, participation });
    });
  });
  const tenantNames = TENANTS.map((t) => t.name);
  return {
    title: "PRINCE vs baselines on four-tenants",
    scenario: {
      name: "four-tenants",
      devices: 200,
      tenants: TENANTS.map(({ name, type, target, deadline }) => ({ name, type, target, deadline })),
    },
    seeds,
    policies,
    results,
    summary: summarise(results, policies, tenantNames),
    trajectories,
    distributions,
    bound: boundSummary(points, tenantNames),
    notes: [
      "proportional beats PRINCE on bert-reviews: its data weights are nearly uniform, so the per-device prices buy little.",
      "greedy-topk never meets bert-reviews' target: FedAvg over the top devices converges to a biased point.",
    ],
    meta: {
      version: "sfl-market 0.1.0",
      command: "sfl-market compare four-tenants --seeds 1..5",
      backend: "surrogate",
    },
  };
}
