// FedAvg vs unbiased vs full participation on one neural tenant (docs/neural.md, "FedAvg's bias").
// TYPE=vit SIG=2 ALPHA=0.1 R=50 LR=0.3 QLO=0.2 N=40 npx tsx docs/neural/bias.mts

import { useNeuralBackend } from "../../env/neural/backend.ts";
import { validationCurve } from "../../env/neural/curves.ts";
import { neuralTestScenario, neuralTestTenant } from "../../env/neural/testScenario.ts";
import { createRng } from "../../env/rng.ts";

const bk = (process.env.BK ?? "cpu") as any;
const type = (process.env.TYPE ?? "vit") as any;
await useNeuralBackend(bk);
const c = neuralTestScenario({
  type,
  devices: +(process.env.N ?? 16),
  labelAlpha: +(process.env.ALPHA ?? 0.5),
  learner: {
    backend: bk,
    ...(process.env.SIG ? { signal: +process.env.SIG } : {}),
    ...(process.env.LR ? { learningRate: +process.env.LR } : {}),
  },
});
const t = neuralTestTenant(c);
console.log(
  "devices",
  t.devices.length,
  "P",
  t.net.size,
  "G",
  Array.from(t.G)
    .map((g) => g.toFixed(3))
    .join(" "),
);
const n = t.devices.length;
const C = t.task.classes;
// devices whose label mass is mostly in the first half of the classes participate often
const labels = c.physics.population.data[t.modality].labels;
const mass = Float64Array.from(t.devices, (j) => {
  let m = 0;
  for (let k = 0; k < C / 2; k++) m += labels[j * C + k];
  return m;
});
const med = Float64Array.from(mass).sort()[Math.floor(n / 2)];
const q = Float64Array.from(t.devices, (j) => {
  let b = 0;
  for (let k = 1; k < C; k++) if (labels[j * C + k] > labels[j * C + b]) b = k;
  return b < C / 2 ? 1 : +(process.env.QLO ?? 0.25);
});
const R = +(process.env.R ?? 60);
const t0 = performance.now();
const full = validationCurve(t, "unbiased", new Float64Array(n).fill(1), R, createRng(5));
const t1 = performance.now();
const unb = validationCurve(t, "unbiased", q, R, createRng(5));
const fed = validationCurve(t, "fedavg", q, R, createRng(5));
const show = (a: Float64Array) =>
  Array.from(a)
    .filter((_, i) => i % 10 === 0)
    .map((v) => v.toFixed(3))
    .join(" ");
console.log("q", Array.from(q).join(","));
console.log("full", show(full));
console.log("unb ", show(unb));
console.log("fed ", show(fed));
const tail = (a: Float64Array) => a.slice(-20).reduce((x, y) => x + y, 0) / 20;
console.log("tail full", tail(full).toFixed(3), "unb", tail(unb).toFixed(3), "fed", tail(fed).toFixed(3));
console.log("ms/round full", ((t1 - t0) / R).toFixed(1));
