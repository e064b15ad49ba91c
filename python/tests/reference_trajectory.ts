// The TypeScript side of the cross-language trajectory test (test_trajectory.py): steps
// MarketParallelEnv directly, in this process, with actions sampled from its own action spaces, and
// prints what it saw as one JSON document (the env-server's wire format, so non-finite numbers and
// -0 survive). The Python test replays the same actions through the bridge and compares.
//
//   node --import tsx python/tests/reference_trajectory.ts '{"preset":"tiny","seed":11,"deviceAgents":[2]}'
import { encodeLine } from "../../cli/envServer/wire.ts";
import { compileScenario } from "../../env/compile.ts";
import { MarketParallelEnv } from "../../env/parallelEnv.ts";
import { type PresetName, presetScenario } from "../../env/presets.ts";
import { createRng } from "../../env/rng.ts";

interface Request {
  readonly preset: PresetName;
  /** The first episode's seed; the following episodes reset without one (the stream continues). */
  readonly seed: number;
  readonly episodes?: number;
  readonly deviceAgents?: number[];
  readonly actionSeed?: string;
}

const req = JSON.parse(process.argv[2] ?? "{}") as Request;
const scenario = presetScenario(req.preset);
const env = new MarketParallelEnv(compileScenario(scenario, createRng(scenario.seed)), {
  deviceAgents: req.deviceAgents,
});
const rng = createRng(req.actionSeed ?? "reference-actions");
const episodes: unknown[] = [];
for (let e = 0; e < (req.episodes ?? 2); e++) {
  const reset = env.reset(e === 0 ? { seed: req.seed } : {});
  const agents = [...env.agents];
  const steps: unknown[] = [];
  while (env.agents.length > 0) {
    const actions = Object.fromEntries(env.agents.map((a) => [a, env.actionSpace(a).sample(rng)]));
    const r = env.step(actions);
    const { observations, rewards, terminations, truncations } = r;
    steps.push({ actions, agents: [...env.agents], observations, rewards, terminations, truncations });
  }
  episodes.push({ reset: { agents, observations: reset.observations }, steps });
}
process.stdout.write(`${encodeLine({ possibleAgents: env.possibleAgents, episodes })}\n`);
