import { compileScenario } from "../env/compile.ts";
import { presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import { runEpisode } from "../env/simulation.ts";
import valuePerCost from "../examples/my-pricing.ts";
import { type IsolatedPolicy, loadIsolatedPolicy } from "../io/isolatedPolicy.ts";
import { PolicyWorkers } from "../io/policyHost.ts";
import type { TenantPolicy } from "../policies/types.ts";
import type { BenchRow } from "./market.ts";
import { median } from "./stats.ts";

/**
 * What running a user's policy module in a worker thread (io/isolatedPolicy.ts) costs: the example
 * pricing module on the tiny preset, in this thread and in its worker (and in the sandbox), the
 * same 10 episodes each time; reported per price call (each is one round trip).
 */
export async function benchPolicyWorker(log: (line: string) => void, repeat = 5): Promise<BenchRow[]> {
  const scenario = presetScenario("tiny");
  const compiled = compileScenario(scenario, createRng(scenario.seed));
  const spec = "./examples/my-pricing.ts";
  const workers = new PolicyWorkers();
  const load = async (sandbox: boolean) =>
    (await loadIsolatedPolicy(
      spec,
      { path: spec, exportName: null },
      "tenant",
      {},
      { sandbox, workers },
    )) as IsolatedPolicy<TenantPolicy>;
  const [worker, sandbox] = [await load(false), await load(true)];
  const episodes = async (make: () => TenantPolicy) => {
    let calls = 0;
    const t0 = performance.now();
    for (let seed = 1; seed <= 10; seed++) {
      const r = await runEpisode(compiled, { tenant: make }, { seed });
      calls += r.steps.reduce((n, s) => n + s.tenants.length, 0);
    }
    return { ms: performance.now() - t0, calls };
  };
  const cases = {
    "in-process": () => valuePerCost(),
    worker: () => worker.instance(),
    sandbox: () => sandbox.instance(),
  };
  const times: Record<string, number[]> = { "in-process": [], worker: [], sandbox: [] };
  let calls = 0;
  for (let r = 0; r <= repeat; r++)
    for (const [name, make] of Object.entries(cases)) {
      const t = await episodes(make);
      calls = t.calls;
      if (r > 0) times[name].push(t.ms); // the first round warms up
    }
  workers.stop();
  const base = median(times["in-process"]);
  const rows: BenchRow[] = [];
  for (const name of ["worker", "sandbox"]) {
    const m = median(times[name]);
    rows.push({
      name: `user policy module in a ${name === "worker" ? "worker thread" : "sandbox"}, tiny preset`,
      median: `+${(((m - base) / calls) * 1000).toFixed(0)} us per price call`,
      detail: `10 episodes, ${calls} price calls: ${m.toFixed(0)} ms vs ${base.toFixed(0)} ms in-process (x${(m / base).toFixed(2)}); ${repeat} runs`,
    });
    log(`${rows.at(-1)!.name}: ${rows.at(-1)!.median} (${rows.at(-1)!.detail})`);
  }
  return rows;
}
