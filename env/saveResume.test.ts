import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { compileScenario } from "./compile.ts";
import { presetScenario } from "./presets.ts";
import { createRng } from "./rng.ts";
import {
  initial,
  observe,
  resumeState,
  type SavedState,
  type SimOptions,
  type State,
  saveState,
  terminal,
  transition,
} from "./simulation.ts";

const scenario = presetScenario("tiny");
const compiled = compileScenario(scenario, createRng(scenario.seed));
const opts: SimOptions = { aggregation: "unbiased" };

/** Prices that change with the step, so a resumed run must know where it is. */
function pricesAt(state: State): Record<string, Float64Array> {
  const obs = observe(state);
  const out: Record<string, Float64Array> = {};
  for (const v of obs.tenants)
    out[v.name] = new Float64Array(obs.market.N).fill(v.budget * (1 + (obs.step % 3)) * 0.05);
  return out;
}

/** Every event and the final state as text (typed arrays as arrays). */
function text(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
}

function runFrom(state: State, stopAt = Number.POSITIVE_INFINITY): { state: State; events: string[] } {
  const events: string[] = [];
  let s = state;
  while (!terminal(s) && s.step < stopAt) {
    const r = transition(s, { prices: pricesAt(s) });
    s = r.state;
    for (const e of r.events) events.push(text(e));
  }
  return { state: s, events };
}

describe("an episode saved at a market step and resumed", () => {
  it("gives the same events and the same final state as one run straight through", () => {
    const straight = runFrom(initial(compiled, 9, opts));
    expect(straight.state.step).toBeGreaterThan(4);
    for (const k of [1, 3, straight.state.step - 1]) {
      const first = runFrom(initial(compiled, 9, opts), k);
      expect(first.state.step).toBe(k);
      // through bytes: what a file or a worker message would carry
      const saved = deserialize(serialize(saveState(first.state))) as SavedState;
      const rest = runFrom(resumeState(compiled, 9, saved, opts));
      expect([...first.events, ...rest.events]).toEqual(straight.events);
      expect(text(saveState(rest.state))).toBe(text(saveState(straight.state)));
    }
  });

  it("the saved state carries the random streams: resuming with another seed's world still replays it", () => {
    // the world (learner) comes from the seed; the sampling and noise streams come from the state
    const first = runFrom(initial(compiled, 9, opts), 2);
    const saved = deserialize(serialize(saveState(first.state))) as SavedState;
    const a = runFrom(resumeState(compiled, 9, saved, opts));
    const b = runFrom(resumeState(compiled, 9, saved, opts));
    expect(b.events).toEqual(a.events);
    const fresh = runFrom(initial(compiled, 10, opts), 2);
    expect(text(saveState(fresh.state))).not.toBe(text(saveState(first.state)));
  });
});
