import { describe, expect, it } from "vitest";
import { spendOf } from "./budgetGuard.ts";
import { spendElasticities } from "./spendElasticity.ts";
import { randomMarket } from "./testMarkets.ts";
import { waterFill } from "./waterFill.ts";

describe("spendElasticities", () => {
  it("match central finite differences of log spend in log s, congested or not, tau = 2 and 3", () => {
    let checked = 0;
    for (const [tau, level] of [
      [2, 1],
      [2, 20],
      [3, 20],
      [1.5, 5],
    ]) {
      const m = randomMarket({ M: 3, N: 6, seed: 7, tau });
      const P = m.cost.map((c, k) => (m.value[k] > 0 ? c * level * (1 + (k % 4) / 3) : 0));
      const r = waterFill(m, P);
      const { spend, elasticity } = spendElasticities(m, P, r.participation, r.congestion);
      expect(Array.from(spend)).toEqual(
        Array.from(spendOf(m, P, r.participation)).map((x) => expect.closeTo(x, 10)),
      );
      const h = 1e-6;
      for (let k = 0; k < m.M; k++) {
        const at = (t: number) => {
          const x = P.map((p, idx) => (Math.floor(idx / m.N) === k ? p * Math.exp(t) : p));
          return spendOf(m, x, waterFill(m, x).participation);
        };
        const up = at(h);
        const dn = at(-h);
        for (let i = 0; i < m.M; i++) {
          if (!(spend[i] > 0)) continue;
          const fd = (Math.log(up[i]) - Math.log(dn[i])) / (2 * h);
          expect(elasticity[i * m.M + k]).toBeCloseTo(fd, 4);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
