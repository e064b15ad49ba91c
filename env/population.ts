import { InputError, type InputIssue } from "../market/errors.ts";
import { MODALITIES, type Modality } from "./profiles.ts";
import type { Rng } from "./rng.ts";

/**
 * Device populations (MODEL.md section 1 "Devices" and section 6 "Device populations").
 *
 * Stored as a struct of Float64Arrays indexed by device j, so compile and the simulator never
 * allocate per device. Two ways in: `generatePopulation` (seeded, parametric) and
 * `populationFromList` (the user gives every device's numbers).
 *
 * Heterogeneity. Each device's data for a modality has a label distribution p_jm (Dirichlet label
 * skew, Hsu et al. 2019, "Measuring the Effects of Non-Identical Data Distribution"). Its skew is the
 * total-variation distance from the population's sample-weighted label mixture pbar_m,
 *   skew_jm = TV(p_jm, pbar_m) = 1/2 sum_k |p_jmk - pbar_mk|  in [0, 1),
 * and a tenant i of modality m gets (ours)
 *   G_ij = h_i (g0_i + skew_jm),
 * with h_i > 0 the tenant's heterogeneity level and g0_i > 0 a floor standing for the dissimilarity
 * that label skew does not capture (features, finite samples). The floor keeps G_ij > 0, so every
 * eligible device has w_ij > 0 (w_ij = 0 would mean "ineligible" to the market).
 * For the surrogate learner (MODEL.md section 5): G_ij is the gradient norm of f_ij at the
 * population optimum, so a learner with f_ij = 1/2 (w - w_ij*)^T H_ij (w - w_ij*) places
 * w_ij* = w* + H_ij^-1 G_ij u_ij for unit directions u_ij. The label shifts p_jm - pbar_m have a
 * zero data-weighted mean (sum_j a_ij (p_jm - pbar_m) = 0 exactly, as a_ij is proportional to d_jm),
 * which is what keeps w* the optimum; `labels` and `mixture` are exported for that purpose.
 */

/** A log-normal given by its median e^mu and log-standard deviation sigma. */
export interface LogNormalSpec {
  readonly median: number;
  readonly sigma: number;
}

export interface ModalitySpec {
  /** Probability that a device holds data of this modality. */
  readonly probability: number;
  /** Sample count d_jm ~ max(1, round(LogNormal)). */
  readonly samplesMedian: number;
  readonly samplesSigma: number;
  /** Number of labels of the modality's task. */
  readonly classes: number;
}

export interface PopulationParams {
  readonly count: number;
  /** f_j, effective training FLOP/s. */
  readonly compute: LogNormalSpec;
  /** u_j, bytes/s. */
  readonly uplink: LogNormalSpec;
  /** v_j, bytes/s. */
  readonly downlink: LogNormalSpec;
  /** e_j^c, joules per FLOP. */
  readonly energyPerFlop: LogNormalSpec;
  /** e_j^b, joules per byte sent or received. */
  readonly energyPerByte: LogNormalSpec;
  /** pi_j, credits per joule. */
  readonly energyPrice: LogNormalSpec;
  readonly modalities: Readonly<Record<Modality, ModalitySpec>>;
  /** Symmetric Dirichlet concentration of every device's label distribution (small = more skew). */
  readonly labelAlpha: number;
}

/**
 * Defaults (ours; sources in comments). All log-normal, independent across quantities.
 * - compute: median 2 TFLOP/s effective (phone NPU/GPU fp16 peaks are several TFLOP/s; training
 *   runs well below peak), sigma 0.8: the 5th-95th percentile ratio e^(2 x 1.645 x 0.8) = 14x matches
 *   the ~13x spread of per-sample compute latency in FedScale's mobile traces (Lai et al., ICML 2022).
 * - uplink: median 6 Mbit/s (FedScale's median Wi-Fi bandwidth), sigma 0.6 (FedScale's own log-normal
 *   fallback); downlink: median 12 Mbit/s (ours: access links are asymmetric), sigma 0.6.
 * - energy per FLOP: median 5 pJ (about 200 GFLOP/s per watt for an SoC under training load), sigma 0.3.
 * - energy per byte: median 100 nJ (12.5 nJ/bit, the order of measured Wi-Fi transfer energy;
 *   cellular is higher), sigma 0.5.
 * - energy price: median 1 credit per joule (this defines the credit: what a median owner asks for
 *   one joule of battery), sigma 0.5 (owners value battery differently).
 * - modalities: image 60% of devices, 10 classes (CIFAR-10-like); text 70%, 4 classes (AG News-like);
 *   audio 40%, 12 classes (Speech Commands keyword-spotting subset); sample medians 200 / 300 / 100
 *   with sigma 1 (FedScale's client datasets have heavy-tailed sizes).
 * - label skew: Dirichlet alpha 0.5, the common non-IID setting since Hsu et al. 2019.
 */
export const DEFAULT_POPULATION: Omit<PopulationParams, "count"> = Object.freeze({
  compute: { median: 2e12, sigma: 0.8 },
  uplink: { median: 6e6 / 8, sigma: 0.6 },
  downlink: { median: 12e6 / 8, sigma: 0.6 },
  energyPerFlop: { median: 5e-12, sigma: 0.3 },
  energyPerByte: { median: 1e-7, sigma: 0.5 },
  energyPrice: { median: 1, sigma: 0.5 },
  modalities: {
    image: { probability: 0.6, samplesMedian: 200, samplesSigma: 1, classes: 10 },
    text: { probability: 0.7, samplesMedian: 300, samplesSigma: 1, classes: 4 },
    audio: { probability: 0.4, samplesMedian: 100, samplesSigma: 1, classes: 12 },
  },
  labelAlpha: 0.5,
});

/** Default heterogeneity level h per modality and floor g0 (ours; configurable per tenant). */
export const DEFAULT_HETEROGENEITY: Readonly<Record<Modality, number>> = Object.freeze({
  image: 1,
  text: 0.8,
  audio: 1.2,
});
export const DEFAULT_HETEROGENEITY_FLOOR = 0.05;

/** One device's numbers, as a user writes them in an explicit list. */
export interface DeviceSpec {
  readonly compute: number;
  readonly uplink: number;
  readonly downlink: number;
  readonly energyPerFlop: number;
  readonly energyPerByte: number;
  readonly energyPrice: number;
  /** Data per modality: sample count and optional label counts or frequencies (default uniform). */
  readonly data?: Partial<
    Record<Modality, { readonly samples: number; readonly labels?: readonly number[] }>
  >;
}

export interface ModalityData {
  readonly classes: number;
  /** d_jm >= 0 (0 = no data of this modality). */
  readonly samples: Float64Array;
  /** Label distributions, N x classes row-major; a device without data has a row of zeros. */
  readonly labels: Float64Array;
  /** pbar_m: the sample-weighted label mixture over the devices holding data (zeros if none). */
  readonly mixture: Float64Array;
  /** skew_jm = TV(p_jm, pbar_m); 0 for devices without data. */
  readonly skew: Float64Array;
}

export interface Population {
  readonly N: number;
  readonly compute: Float64Array;
  readonly uplink: Float64Array;
  readonly downlink: Float64Array;
  readonly energyPerFlop: Float64Array;
  readonly energyPerByte: Float64Array;
  readonly energyPrice: Float64Array;
  readonly data: Readonly<Record<Modality, ModalityData>>;
}

/** G_ij = h (g0 + skew): the documented map from label skew to heterogeneity (see the file comment). */
export function heterogeneity(skew: number, level: number, floor: number): number {
  return level * (floor + skew);
}

function drawLogNormal(rng: Rng, spec: LogNormalSpec, N: number): Float64Array {
  const out = new Float64Array(N);
  const mu = Math.log(spec.median);
  for (let j = 0; j < N; j++) out[j] = rng.logNormal(mu, spec.sigma);
  return out;
}

/** Fills `mixture` and `skew` from `samples` and `labels`. */
function finishModality(classes: number, samples: Float64Array, labels: Float64Array): ModalityData {
  const N = samples.length;
  const mixture = new Float64Array(classes);
  let total = 0;
  for (let j = 0; j < N; j++) {
    if (samples[j] <= 0) continue;
    total += samples[j];
    for (let k = 0; k < classes; k++) mixture[k] += samples[j] * labels[j * classes + k];
  }
  if (total > 0) for (let k = 0; k < classes; k++) mixture[k] /= total;
  const skew = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    if (samples[j] <= 0) continue;
    let tv = 0;
    for (let k = 0; k < classes; k++) tv += Math.abs(labels[j * classes + k] - mixture[k]);
    skew[j] = tv / 2;
  }
  return { classes, samples, labels, mixture, skew };
}

/**
 * A seeded population. Every quantity has its own child stream of `rng` ("compute", "uplink", ...,
 * "data/<modality>", "labels/<modality>"), and each draws device by device, so changing one
 * parameter never changes another quantity's draws, and the first n devices of a population of
 * N > n are the population of n with the same seed.
 */
export function generatePopulation(params: PopulationParams, rng: Rng): Population {
  const N = params.count;
  if (!(Number.isInteger(N) && N >= 1))
    throw new InputError([{ path: "count", message: "must be an integer >= 1" }], "population");
  const data = {} as Record<Modality, ModalityData>;
  for (const m of MODALITIES) {
    const spec = params.modalities[m];
    const has = rng.child(`data/${m}`);
    const lab = rng.child(`labels/${m}`);
    const mu = Math.log(spec.samplesMedian);
    const alpha = new Array(spec.classes).fill(params.labelAlpha);
    const samples = new Float64Array(N);
    const labels = new Float64Array(N * spec.classes);
    for (let j = 0; j < N; j++) {
      // Both draws happen for every device so each device uses a fixed number of draws.
      const holds = has.bernoulli(spec.probability);
      const d = Math.max(1, Math.round(has.logNormal(mu, spec.samplesSigma)));
      const p = lab.dirichlet(alpha);
      if (!holds) continue;
      samples[j] = d;
      labels.set(p, j * spec.classes);
    }
    data[m] = finishModality(spec.classes, samples, labels);
  }
  return {
    N,
    compute: drawLogNormal(rng.child("compute"), params.compute, N),
    uplink: drawLogNormal(rng.child("uplink"), params.uplink, N),
    downlink: drawLogNormal(rng.child("downlink"), params.downlink, N),
    energyPerFlop: drawLogNormal(rng.child("energyPerFlop"), params.energyPerFlop, N),
    energyPerByte: drawLogNormal(rng.child("energyPerByte"), params.energyPerByte, N),
    energyPrice: drawLogNormal(rng.child("energyPrice"), params.energyPrice, N),
    data,
  };
}

/**
 * A population from explicit device numbers. Labels may be counts or frequencies (normalised here);
 * without labels a device's data is label-balanced. `classes` gives each modality's label count when
 * no device lists labels. Throws InputError naming every inconsistent field (scenario validation
 * reports the same issues earlier, with full paths).
 */
export function populationFromList(
  devices: readonly DeviceSpec[],
  classes: Readonly<Record<Modality, number>> = {
    image: DEFAULT_POPULATION.modalities.image.classes,
    text: DEFAULT_POPULATION.modalities.text.classes,
    audio: DEFAULT_POPULATION.modalities.audio.classes,
  },
): Population {
  const issues = listIssues(devices);
  if (issues.length) throw new InputError(issues, "device list");
  const N = devices.length;
  const col = (f: (d: DeviceSpec) => number) => Float64Array.from(devices, f);
  const data = {} as Record<Modality, ModalityData>;
  for (const m of MODALITIES) {
    const C = devices.find((d) => d.data?.[m]?.labels)?.data?.[m]?.labels?.length ?? classes[m];
    const samples = new Float64Array(N);
    const labels = new Float64Array(N * C);
    devices.forEach((d, j) => {
      const entry = d.data?.[m];
      if (!entry || entry.samples <= 0) return;
      samples[j] = entry.samples;
      const raw = entry.labels ?? new Array(C).fill(1);
      const sum = raw.reduce((a, b) => a + b, 0);
      for (let k = 0; k < C; k++) labels[j * C + k] = raw[k] / sum;
    });
    data[m] = finishModality(C, samples, labels);
  }
  return {
    N,
    compute: col((d) => d.compute),
    uplink: col((d) => d.uplink),
    downlink: col((d) => d.downlink),
    energyPerFlop: col((d) => d.energyPerFlop),
    energyPerByte: col((d) => d.energyPerByte),
    energyPrice: col((d) => d.energyPrice),
    data,
  };
}

/**
 * Consistency checks of an explicit list that a per-field schema cannot express: one label count
 * per modality across devices, label vectors with a positive sum. Paths are relative to the list.
 */
export function listIssues(devices: readonly DeviceSpec[]): InputIssue[] {
  const issues: InputIssue[] = [];
  if (devices.length === 0) issues.push({ path: "", message: "needs at least one device" });
  for (const m of MODALITIES) {
    let first: { j: number; C: number } | undefined;
    devices.forEach((d, j) => {
      const labels = d.data?.[m]?.labels;
      if (!Array.isArray(labels)) return; // a wrong type is the schema's to report
      if (!labels.every((x) => Number.isFinite(x) && x >= 0) || !(labels.reduce((a, b) => a + b, 0) > 0))
        issues.push({
          path: `[${j}].data.${m}.labels`,
          message: "must be numbers >= 0 with a positive sum (counts or frequencies)",
        });
      if (!first) first = { j, C: labels.length };
      else if (labels.length !== first.C)
        issues.push({
          path: `[${j}].data.${m}.labels`,
          message: `has ${labels.length} classes, device ${first.j} has ${first.C}; every device must list the same classes`,
        });
    });
  }
  return issues;
}
