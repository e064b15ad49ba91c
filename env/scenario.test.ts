import { describe, expect, it } from "vitest";
import { DEFAULT_POPULATION } from "./population.ts";
import { type ScenarioInput, validateScenario } from "./scenario.ts";

const tenant = (over: Record<string, unknown> = {}) => ({
  name: "t0",
  type: "vit",
  target: 0.01,
  deadline: 3600,
  budget: 10,
  samplesPerRound: 8,
  cutLayer: 2,
  ...over,
});

const minimal = (): ScenarioInput => ({ tenants: [tenant()], devices: { count: 10 } }) as ScenarioInput;

function issuesOf(raw: unknown) {
  const r = validateScenario(raw);
  if (r.ok) throw new Error("expected issues");
  return Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
}

describe("validateScenario", () => {
  it("applies every default to a minimal scenario", () => {
    const r = validateScenario(minimal());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const s = r.scenario;
    expect(s.seed).toBe(1);
    expect(s.tau).toBe(2);
    expect(s.repricingInterval).toBe(10);
    const t = s.tenants[0];
    expect(t.window).toBeUndefined();
    expect(t.start).toBe(0);
    expect(t.serverFlops).toBe(1e14);
    expect(t.learner).toEqual({
      dimension: 32,
      localSteps: 5,
      stepSize: 0.1,
      noise: 0.1,
      heterogeneity: 1,
      heterogeneityFloor: 0.05,
    });
    expect(s.devices).toEqual({ kind: "generate", params: { ...DEFAULT_POPULATION, count: 10 } });
  });

  it("merges partial distribution overrides with the defaults", () => {
    const r = validateScenario({
      ...minimal(),
      devices: { count: 5, uplink: { sigma: 1 }, modalities: { audio: { probability: 0 } }, labelAlpha: 2 },
    });
    expect(r.ok).toBe(true);
    if (!r.ok || r.scenario.devices.kind !== "generate") return;
    const p = r.scenario.devices.params;
    expect(p.uplink).toEqual({ median: DEFAULT_POPULATION.uplink.median, sigma: 1 });
    expect(p.modalities.audio).toEqual({ ...DEFAULT_POPULATION.modalities.audio, probability: 0 });
    expect(p.labelAlpha).toBe(2);
  });

  it("resolves the heterogeneity default from the tenant's modality", () => {
    const r = validateScenario({ ...minimal(), tenants: [tenant({ type: "whisper" })] });
    expect(r.ok && r.scenario.tenants[0].learner.heterogeneity).toBe(1.2);
  });

  it("names every offending field at once, with the allowed range", () => {
    const issues = issuesOf({
      seed: 1.5,
      tau: 1,
      tenants: [
        tenant({ cutLayer: 12 }),
        tenant({ name: "t1", budget: -3, type: "gpt", samplesPerRound: 2.5 }),
        tenant({ name: "t0", learner: { stepSize: 0, dimenson: 3 } }),
      ],
      devices: { count: 0, labelAlpha: "x" },
      extra: true,
    });
    expect(issues["tenants[1].budget"]).toMatch(/> 0, got -3/);
    expect(issues["tenants[1].type"]).toMatch(/vit, bert, whisper, llama/);
    expect(issues["tenants[1].samplesPerRound"]).toMatch(/integer in \[1, 1000000\]/);
    expect(issues["tenants[0].cutLayer"]).toMatch(/\[1, 11\] for vit, got 12/);
    expect(issues["tenants[2].name"]).toMatch(/duplicates tenants\[0\]\.name/);
    expect(issues["tenants[2].learner.stepSize"]).toMatch(/\[0.000001, 10\]/);
    expect(issues["tenants[2].learner.dimenson"]).toMatch(/unknown field; allowed: dimension, localSteps/);
    expect(issues["devices.count"]).toMatch(/integer in \[1, 200000\], got 0/);
    expect(issues["devices.labelAlpha"]).toMatch(/got "x"/);
    expect(issues.seed).toMatch(/integer or a non-empty string/);
    expect(issues.tau).toMatch(/\[1.01, 10\]/);
    expect(issues.extra).toMatch(/unknown field; allowed: seed, tau, repricingInterval, tenants, devices/);
  });

  it("says which fields are required", () => {
    const issues = issuesOf({ tenants: [{ name: "a", type: "bert" }] });
    expect(issues["tenants[0].budget"]).toMatch(/is required: a number > 0/);
    expect(issues["tenants[0].cutLayer"]).toMatch(/is required/);
    expect(issues.devices).toMatch(/is required/);
    expect(issuesOf({ tenants: [], devices: { count: 3 } }).tenants).toMatch(/at least one tenant/);
    expect(issuesOf({ ...minimal(), devices: {} })["devices.count"]).toMatch(/is required/);
    expect(issuesOf(null)[""]).toBeDefined();
  });

  it("accepts an explicit device list and checks it", () => {
    const dev = {
      compute: 1e12,
      uplink: 1e6,
      downlink: 1e6,
      energyPerFlop: 1e-11,
      energyPerByte: 1e-7,
      energyPrice: 1,
    };
    const ok = validateScenario({
      ...minimal(),
      devices: { list: [{ ...dev, data: { image: { samples: 10, labels: [1, 2] } } }, dev] },
    });
    expect(ok.ok && ok.scenario.devices.kind).toBe("list");
    const issues = issuesOf({
      ...minimal(),
      devices: {
        count: 2,
        compute: { median: 1 },
        list: [
          { ...dev, uplink: 0, data: { image: { samples: 3, labels: [1, 2] } } },
          { ...dev, data: { image: { samples: 3, labels: [1, 2, 3] }, video: {} } },
          { ...dev, data: { text: { samples: 3, labels: "abc" }, audio: 4 } },
        ],
      },
    });
    expect(issues["devices.list"]).toMatch(/not both/);
    expect(issues["devices.compute"]).toMatch(/only used with devices.count/);
    expect(issues["devices.list[0].uplink"]).toMatch(/> 0/);
    expect(issues["devices.list[1].data.image.labels"]).toMatch(/same classes/);
    expect(issues["devices.list[1].data.video"]).toMatch(/allowed: image, text, audio/);
    expect(issues["devices.list[2].data.text.labels"]).toMatch(/list of numbers/);
    expect(issues["devices.list[2].data.audio"]).toBeDefined();
  });
});
