import { describe, expect, it } from "vitest";
import { checkEnv } from "./checkEnv.ts";
import { compileScenario } from "./compile.ts";
import { Box, MarketParallelEnv, type ParallelEnv } from "./parallelEnv.ts";
import { presetScenario } from "./presets.ts";
import { createRng } from "./rng.ts";

const s = presetScenario("tiny");
const tiny = compileScenario(s, createRng(s.seed));
type Env = ParallelEnv<Float64Array, Float64Array>;

/** Wraps an environment, rewriting its observations (and optionally its spaces or resets). */
function wrap(
  inner: Env,
  over: {
    observation?: (agent: string, o: Float64Array) => Float64Array;
    observationSpace?: (agent: string) => Box;
    reset?: (opts?: { seed?: number | string }) => ReturnType<Env["reset"]>;
  },
): Env {
  const mapObs = (obs: Record<string, Float64Array>) =>
    Object.fromEntries(
      Object.entries(obs).map(([a, o]) => [a, over.observation ? over.observation(a, o) : o]),
    );
  return {
    get possibleAgents() {
      return inner.possibleAgents;
    },
    get agents() {
      return inner.agents;
    },
    reset(opts) {
      const r = over.reset ? over.reset(opts) : inner.reset(opts);
      return { ...r, observations: mapObs(r.observations) };
    },
    step(actions) {
      const r = inner.step(actions);
      return { ...r, observations: mapObs(r.observations) };
    },
    observationSpace: (a) => (over.observationSpace ? over.observationSpace(a) : inner.observationSpace(a)),
    actionSpace: (a) => inner.actionSpace(a),
  };
}

// A module-level counter that no reset ever clears: the classic hidden-state bug.
let leaked = 0;

describe("checkEnv", () => {
  it("passes on the market environment, with and without device agents", () => {
    const report = checkEnv(() => new MarketParallelEnv(tiny), { seed: 3, steps: 15 });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.stepsCompared).toBeGreaterThan(0);
    expect(report.checks.map((c) => c.name)).toEqual([
      "spaces are stable",
      "spaces are the same objects after reset",
      "reset and step run",
      "observations lie in their spaces",
      "same seed, same trajectory",
      "reset() without a seed is reproducible",
      "reset() without a seed continues the random stream",
      "reset({seed}) reseeds",
    ]);
    const withDevices = checkEnv(() => new MarketParallelEnv(tiny, { deviceAgents: [0, 5] }), {
      seed: 1,
      steps: 10,
    });
    expect(withDevices.checks.filter((c) => !c.passed)).toEqual([]);
  });

  it("fails an environment whose observations depend on a counter that reset does not clear", () => {
    const report = checkEnv(
      () =>
        wrap(new MarketParallelEnv(tiny), {
          observation: (_a, o) => {
            const c = Float64Array.from(o);
            c[5] += 1e-9 * ++leaked; // the "rounds" entry drifts with every call ever made
            return c;
          },
        }),
      { seed: 3, steps: 5 },
    );
    expect(report.passed).toBe(false);
    const det = report.checks.find((c) => c.name === "same seed, same trajectory")!;
    expect(det.passed).toBe(false);
    expect(det.detail).toMatch(/step 0: observations\.\w+: byte \d+ differs/);
  });

  it("fails when a space getter builds a new object on every call", () => {
    const report = checkEnv(
      () =>
        wrap(new MarketParallelEnv(tiny), {
          observationSpace: () => new Box(-Infinity, Infinity, 15),
        }),
      { seed: 1, steps: 3 },
    );
    const c = report.checks.find((x) => x.name === "spaces are stable")!;
    expect(c.passed).toBe(false);
    expect(c.detail).toMatch(/observationSpace returned a new object/);
  });

  it("fails when observations leave their space", () => {
    const report = checkEnv(
      () =>
        wrap(new MarketParallelEnv(tiny), {
          observation: (_a, o) => Float64Array.from(o, (x, k) => (k === 0 ? 7 : x)),
        }),
      { seed: 1, steps: 3 },
    );
    const c = report.checks.find((x) => x.name === "observations lie in their spaces")!;
    expect(c.passed).toBe(false);
    expect(c.detail).toMatch(/at step 0: \[7, .*is not in its box space/);
  });

  it("fails when reset() without a seed replays the last seeded episode", () => {
    const report = checkEnv(
      () => {
        const env = new MarketParallelEnv(tiny);
        let last: number | string = 0;
        return wrap(env, {
          reset: (opts) => {
            if (opts?.seed !== undefined) last = opts.seed;
            return env.reset({ seed: last });
          },
        });
      },
      { seed: 2, steps: 4 },
    );
    const c = report.checks.find((x) => x.name === "reset() without a seed continues the random stream")!;
    expect(c.passed).toBe(false);
    expect(report.passed).toBe(false);
  });
});
