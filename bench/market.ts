import { solveStackelberg } from "../market/stackelberg.ts";
import { randomMarket } from "../market/testMarkets.ts";
import { waterFill } from "../market/waterFill.ts";
import { median, mib, timeRuns } from "./stats.ts";

/**
 * Market-layer benchmarks (issue 2): water-filling throughput and the Stackelberg solve on random
 * log-normal markets (market/testMarkets.ts: costs ~ logN(0, 0.5), values ~ logN(0, 1) / N with 30%
 * ineligible pairs, budgets 0.3 N logN(0, 0.3)) at fixed seeds.
 */
export interface BenchRow {
  readonly name: string;
  readonly median: string;
  readonly detail: string;
}

export function benchMarket(log: (line: string) => void): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const M of [4, 16]) {
    const N = 100_000;
    const m = randomMarket({ M, N, seed: 1 });
    const prices = new Float64Array(M * N);
    for (let k = 0; k < prices.length; k++) prices[k] = m.value[k] > 0 ? m.cost[k] * (0.5 + (k % 7) / 4) : 0;
    const out = waterFill(m, prices);
    const { ms } = timeRuns(() => waterFill(m, prices, out), 9, 2);
    const med = median(ms);
    const congested = out.congestion.filter((x) => x > 0).length;
    rows.push({
      name: `waterFill M=${M}`,
      median: `${(((N / med) * 1000) / 1e6).toFixed(2)} M device responses/s`,
      detail: `${med.toFixed(1)} ms per ${N.toLocaleString("en")} devices, ${congested} congested`,
    });
    log(`waterFill M=${M}: ${rows.at(-1)!.median}`);
  }
  // The SE at every tau (issue 8): tau = 2 is the reference in the same run (ratios, not absolute
  // times, on a loaded machine). --only market; SE_TAUS=1.5,2 narrows the list.
  const taus = (process.env.SE_TAUS ?? "1.5,1.8,2,3").split(",").map(Number);
  for (const [M, N, runs] of [
    [4, 1000, 11],
    [8, 100_000, 1],
  ] as const) {
    for (const tau of taus) {
      const m = randomMarket({ M, N, seed: 2, tau });
      if (typeof global.gc === "function") global.gc();
      const before = process.memoryUsage();
      let peakRss = before.rss;
      const { ms, result } = timeRuns(
        () => {
          const r = solveStackelberg(m);
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          return r;
        },
        runs,
        runs > 1 ? 1 : 0,
      );
      const nc = Math.max(...result.nashConv);
      const congested = result.congestion.filter((x) => x > 0).length;
      rows.push({
        name: `SE M=${M} N=${N.toLocaleString("en")} tau=${tau}`,
        median: `${median(ms).toFixed(1)} ms`,
        detail:
          `NashConv ${nc.toExponential(1)}${result.exact ? "" : ` (approximate, duality gap ${result.dualityGap.toExponential(1)})`}, ` +
          `${result.method} (${result.iterations} it), ${congested} congested, RSS +${mib(peakRss - before.rss)} (peak ${mib(peakRss)})`,
      });
      log(`${rows.at(-1)!.name}: ${rows.at(-1)!.median} ${rows.at(-1)!.detail}`);
    }
  }
  return rows;
}
