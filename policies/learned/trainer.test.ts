import { beforeAll, describe, expect, it } from "vitest";
import { initial, observe } from "../../env/simulation.ts";
import { enforceBudgets } from "../../market/budgetGuard.ts";
import { tenantBestResponse } from "../../market/tenantBestResponse.ts";
import { waterFill } from "../../market/waterFill.ts";
import { curveCsv } from "../../report/charts/trainingCurve.ts";
import { type BackendInfo, initBackend } from "./backend.ts";
import { tenantFeatures } from "./features.ts";
import { actionPrices } from "./pricing.ts";
import { tinyScenario } from "./testScenario.ts";
import { Trainer, trainConfig } from "./trainer.ts";

let backend: BackendInfo;
beforeAll(async () => {
  backend = await initBackend("cpu");
});

describe("Trainer", () => {
  it("on a single-tenant market, a short run reaches a V_i within 10% of the analytic optimum", async () => {
    // one tenant (vit of the tiny preset: 12 eligible devices), the valuation reward, 40 episodes
    const t = Trainer.create(
      trainConfig({
        scenario: tinyScenario(["vit"]),
        scenarioName: "tiny, vit alone",
        seed: 1,
        learners: ["vit"],
        reward: "valuation",
      }),
      backend,
    );
    for (let e = 0; e < 40; e++) await t.runEpisode();
    // the trained policy's deterministic action at the first step of an unseen episode, whose
    // market (value weights w_ij come from the episode's learner) it never trained on
    const obs = observe(initial(t.compiled, 12345));
    const m = obs.market;
    const optimum = tenantBestResponse(m, new Float64Array(m.N), 0).objective;
    const agent = t.agents.get("vit")!.agent;
    const mean = agent.evaluate(agent.observe(tenantFeatures(obs, 0, new Map()), false)).mean;
    const prices = enforceBudgets(m, actionPrices(m, 0, mean)).prices;
    const q = waterFill(m, prices).participation;
    let V = 0;
    for (let j = 0; j < m.N; j++) if (m.value[j] > 0) V += m.value[j] / q[j];
    expect(V).toBeGreaterThanOrEqual(optimum * (1 - 1e-9));
    expect(V).toBeLessThanOrEqual(1.1 * optimum);
    // and it learned: the first episodes priced far from the optimum
    const first = t.curve.slice(0, 5).map((r) => r.valuationRatio!);
    expect(Math.min(...first)).toBeGreaterThan(1.5);
    t.dispose();
  });

  it("gives the same learning curve for the same seed on the CPU backend", async () => {
    const run = async (seed: number) => {
      const t = Trainer.create(
        trainConfig({
          scenario: tinyScenario(),
          scenarioName: "tiny",
          seed,
          learners: ["vit", "bert", "whisper"],
          reward: "time",
        }),
        backend,
      );
      for (let e = 0; e < 3; e++) await t.runEpisode();
      const csv = curveCsv(t.curve, { backend, config: t.config, command: "test" });
      t.dispose();
      return csv;
    };
    const a = await run(3);
    expect(await run(3)).toBe(a);
    expect(await run(4)).not.toBe(a);
    expect(a.split("\n").filter((l) => /^\d/.test(l))).toHaveLength(9);
    expect(a).toContain("# backend: tfjs");
    expect(a).toContain(" cpu ");
  });

  it("learns against fixed rivals, and rejects learner sets that do not fit the rivals", async () => {
    const t = Trainer.create(
      trainConfig({
        scenario: tinyScenario(),
        scenarioName: "tiny",
        seed: 1,
        learners: ["bert"],
        rivals: "prince",
      }),
      backend,
    );
    const r = await t.runEpisode();
    expect(r.rows.map((x) => x.tenant)).toEqual(["bert"]);
    expect(r.updated).toBe(true);
    t.dispose();
    expect(() =>
      Trainer.create(
        trainConfig({ scenario: tinyScenario(), scenarioName: "tiny", seed: 1, learners: ["bert"] }),
        backend,
      ),
    ).toThrow(/every tenant learns/);
    expect(() =>
      Trainer.create(
        trainConfig({ scenario: tinyScenario(), scenarioName: "tiny", seed: 1, learners: ["gpt"] }),
        backend,
      ),
    ).toThrow(/not a feasible tenant/);
  });

  it("training episode seeds are strings, never compare's numeric seeds", () => {
    const t = Trainer.create(
      trainConfig({ scenario: tinyScenario(["vit"]), scenarioName: "tiny", seed: 7, learners: ["vit"] }),
      backend,
    );
    expect(t.episodeSeed(0)).toBe("train/7/0");
    expect(Number.isNaN(Number(t.episodeSeed(1)))).toBe(true);
    t.dispose();
  });
});
