import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { decodeLine, encodeLine } from "../cli/envServer/wire.ts";
import { compileScenario } from "../env/compile.ts";
import { MarketParallelEnv } from "../env/parallelEnv.ts";
import { type PresetName, presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import type { BenchRow } from "./market.ts";
import { median } from "./stats.ts";

/**
 * The env-server bridge (issue 14): how long `sfl-market env-server --stdio` takes to start (spawn to
 * the handshake's reply: what the Python package pays per environment), and steps per second
 * through it against stepping MarketParallelEnv directly in-process, on the same recorded actions
 * (random prices from the action spaces). The client here is Node, speaking the wire format the
 * Python package speaks; `python python/examples/throughput.py` measures the Python client.
 */
const BIN = fileURLToPath(new URL("../bin/sfl-market.js", import.meta.url));

type Actions = Record<string, Float64Array>;
interface Episode {
  readonly seed: number;
  readonly steps: Actions[];
}

/** A running server: send a request, get its decoded reply. */
function startServer(preset: PresetName) {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [BIN, "env-server", "--stdio", "--preset", preset],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (req: unknown): Promise<Record<string, unknown>> => {
    child.stdin.write(`${encodeLine(req)}\n`);
    const next = await lines.next();
    if (next.done) throw new Error(`env-server exited: ${stderr}`);
    const reply = decodeLine(next.value) as Record<string, unknown>;
    if (reply.ok !== true) throw new Error(`env-server refused a request: ${next.value}`);
    return reply;
  };
  const stop = async () => {
    await ask({ op: "close" });
    child.stdin.end();
    await new Promise((resolve) => child.once("close", resolve));
  };
  return { ask, stop };
}

async function startupMs(preset: PresetName, runs: number): Promise<number[]> {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const server = startServer(preset);
    await server.ask({ op: "hello", protocol: 1 });
    ms.push(performance.now() - t0);
    await server.stop();
  }
  return ms;
}

/** Random actions for whole episodes, recorded once so both sides step on the same ones. */
function record(env: MarketParallelEnv, seeds: readonly number[]): Episode[] {
  const rng = createRng("bench/bridge");
  return seeds.map((seed) => {
    env.reset({ seed });
    const steps: Actions[] = [];
    while (env.agents.length > 0) {
      const a = Object.fromEntries(env.agents.map((x) => [x, env.actionSpace(x).sample(rng)]));
      steps.push(a);
      env.step(a);
    }
    return { seed, steps };
  });
}

function direct(env: MarketParallelEnv, episodes: readonly Episode[]): number {
  const t0 = performance.now();
  for (const e of episodes) {
    env.reset({ seed: e.seed });
    for (const a of e.steps) env.step(a);
  }
  return performance.now() - t0;
}

async function bridged(preset: PresetName, episodes: readonly Episode[]): Promise<number> {
  const server = startServer(preset);
  await server.ask({ op: "hello", protocol: 1 });
  const t0 = performance.now();
  for (const e of episodes) {
    await server.ask({ op: "reset", seed: e.seed });
    for (const actions of e.steps) await server.ask({ op: "step", actions });
  }
  const ms = performance.now() - t0;
  await server.stop();
  return ms;
}

export async function benchBridge(log: (line: string) => void, repeat = 3): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const start = await startupMs("tiny", 7);
  rows.push({
    name: "env-server start-up, tiny (spawn to handshake reply)",
    median: `${Math.round(median(start))} ms`,
    detail: `7 runs; min ${Math.round(Math.min(...start))} ms; node bin/sfl-market.js from the checkout (tsx)`,
  });
  log(`env-server start-up: ${rows.at(-1)!.median}`);
  const cases: [PresetName, number[]][] = [
    ["tiny", Array.from({ length: 20 }, (_, k) => k + 1)],
    ["paper", [1]],
  ];
  for (const [preset, seeds] of cases) {
    const scenario = presetScenario(preset);
    const env = new MarketParallelEnv(compileScenario(scenario, createRng(scenario.seed)));
    const episodes = record(env, seeds);
    const steps = episodes.reduce((s, e) => s + e.steps.length, 0);
    const directRate: number[] = [];
    const bridgeRate: number[] = [];
    for (let r = 0; r < repeat; r++) {
      directRate.push((steps / direct(env, episodes)) * 1000);
      bridgeRate.push((steps / (await bridged(preset, episodes))) * 1000);
      log(
        `bridge ${preset} ${r + 1}/${repeat}: direct ${directRate.at(-1)!.toFixed(0)}, bridge ${bridgeRate.at(-1)!.toFixed(0)} steps/s`,
      );
    }
    const d = median(directRate);
    const b = median(bridgeRate);
    rows.push({
      name: `env-server bridge, ${preset} (steps/s)`,
      median: `${b.toFixed(0)} steps/s`,
      detail: `${repeat} runs of ${episodes.length} episode(s), ${steps} steps, random prices; MarketParallelEnv directly ${d.toFixed(0)} steps/s; bridge/direct ${(b / d).toFixed(2)}`,
    });
  }
  return rows;
}
