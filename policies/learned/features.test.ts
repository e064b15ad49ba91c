import { describe, expect, it } from "vitest";
import { randomMarket } from "../../market/testMarkets.ts";
import { waterFill } from "../../market/waterFill.ts";
import { marketObservation } from "../testObservation.ts";
import { FEATURE_COUNT, TENANT_FEATURES, type TenantMemory, tenantFeatures } from "./features.ts";

describe("tenantFeatures", () => {
  it("describes progress, time, rivals and the last participation, from the observation alone", () => {
    const m = randomMarket({ M: 3, N: 20, seed: 5 });
    const memory: TenantMemory = new Map();
    const first = tenantFeatures(marketObservation(m), 1, memory);
    expect(first.length).toBe(FEATURE_COUNT);
    expect(TENANT_FEATURES.map((f) => f.name)).toContain("progress");
    expect(first[0]).toBe(0); // progress at the first step
    expect(first[3]).toBe(2); // two rivals
    expect(first[4]).toBeCloseTo(Math.log1p((m.budget[0] + m.budget[2]) / m.budget[1]), 12);
    expect(first[8]).toBe(1);
    const prices = new Float64Array(m.M * m.N).fill(1);
    const q = waterFill(m, prices).participation;
    const base = marketObservation(m, { lastPrices: prices, lastParticipation: q, time: 360 });
    const later = {
      ...base,
      tenants: base.tenants.map((t) => ({ ...t, lossGap: 0.1, rounds: 4, spent: 2 * m.budget[t.index] })),
    };
    const x = tenantFeatures(later, 1, memory);
    expect(x[0]).toBeCloseTo(0.5, 12); // ln(1/0.1) / ln(1/0.01)
    expect(x[1]).toBeCloseTo(0.1, 12); // 360 s of 3600
    expect(x[2]).toBeCloseTo(0.5, 12); // 2 B_i over 4 rounds
    expect(x[5]).toBeGreaterThan(0);
    expect(x[8]).toBe(0);
  });
});
