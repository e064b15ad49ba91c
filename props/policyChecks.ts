import fc from "fast-check";
import { type Compiled, compileScenario } from "../env/compile.ts";
import { checkPrices, PolicyError, showNumber } from "../env/errors.ts";
import type { SimEvent } from "../env/events.ts";
import { policyContext } from "../env/policy.ts";
import { presetScenario } from "../env/presets.ts";
import { createRng } from "../env/rng.ts";
import { type EpisodeResult, runEpisode } from "../env/simulation.ts";
import { enforceBudgets } from "../market/budgetGuard.ts";
import type { MarketInstance } from "../market/instance.ts";
import { waterFill } from "../market/waterFill.ts";
import { princePolicy } from "../policies/prince.ts";
import type {
  DeviceObservation,
  DevicePolicy,
  MarketObservation,
  PolicyContext,
  TenantPolicy,
  TenantView,
} from "../policies/types.ts";
import { logUniformArb, type MarketArbOptions, pricedMarketArb } from "./arbitraries.ts";
import { type PropertyResult, propertyResult } from "./runner.ts";

/**
 * Checks for a user's own policy (docs/plugins.md; `sfl-market check` runs them): fast-check
 * properties on random market observations, and conformance checks on whole episodes of a scenario.
 *
 * Tenant pricing policy:
 * - tenant-policy/well-formed: price(obs, row) answers, for every row, a vector of length N whose
 *   entries are finite and >= 0 (what the environment accepts), and leaves the observation untouched.
 * - tenant-policy/deterministic: two instances reset with the same context seed answer the same
 *   observation with the same bits.
 * - tenant-policy/budget-guard: once the environment's budget guard has scaled the answers (all
 *   tenants priced by this policy, as in `compare`), every tenant's expected spend is within its
 *   budget. The guard cannot fail on well-formed prices; what this reports is how often it had to
 *   scale the policy's answers, with a warning when it scaled every one (the policy ignores B_i).
 * - tenant-policy/episode: an episode of the scenario, every tenant priced by the policy, runs to
 *   the end without a PolicyError.
 * - tenant-policy/episode-deterministic: a second episode with the same seed and a fresh instance
 *   gives the same event sequence, bit for bit (checkEnv's determinism, with this policy).
 *
 * Device policy:
 * - device-policy/feasible: respond(obs, devices) answers M x N values with, on every controlled
 *   device, q finite in [0, 1], sum over tenants <= 1 (+1e-9, as the environment allows) and q = 0 on
 *   ineligible pairs; the observation and the device list are left untouched.
 * - device-policy/deterministic, device-policy/episode (tenants priced by PRINCE unless told
 *   otherwise, every device played by the policy), device-policy/episode-deterministic: as above.
 *
 * Policies may answer with promises; every answer must settle within `timeoutMs`. Once an answer has
 * timed out, the property's later cases are skipped (fc.pre), so the reported counterexample is the
 * case that timed out and shrinking does not wait out the timeout again for every candidate.
 * Failures carry fast-check's seed and path: `runPolicyCheck` with `{ seed, path, only }` replays one.
 */

export type TenantPolicyFactory = () => TenantPolicy | Promise<TenantPolicy>;
export type DevicePolicyFactory = () => DevicePolicy | Promise<DevicePolicy>;

/** An asynchronous fast-check property over one generated case. */
export type AsyncSuiteProperty = fc.IAsyncProperty<[unknown]>;

export interface PolicyPropertyOptions {
  /** Market generator options (default: marketArb's: 1-4 tenants, 1-12 devices, tau 2). */
  readonly market?: MarketArbOptions;
  /** Wall-clock milliseconds each policy answer (reset, price, respond) may take (default 10,000). */
  readonly timeoutMs?: number;
  /** Cap on shrink steps after a failure (default 200). */
  readonly maxShrinks?: number;
}

export interface PolicyCheckOptions extends PolicyPropertyOptions {
  /** fast-check seed of every property, and the seed of the episodes (default 1). */
  readonly seed?: number;
  /** Runs per property (default 100). */
  readonly numRuns?: number;
  /** Only the checks whose name contains one of these strings. */
  readonly only?: readonly string[];
  /** fast-check path to replay (with `seed`; meant for one property, selected with `only`). */
  readonly path?: string;
  /** The scenario of the episode checks (default: the tiny preset). */
  readonly compiled?: Compiled;
  /** For device policies: the tenants' pricing policy in the episodes (default: PRINCE). */
  readonly tenantPolicy?: TenantPolicyFactory;
}

/** One check's outcome: a property result, or an episode check's (numRuns 1, seed = episode seed). */
export interface PolicyCheckResult extends PropertyResult {
  /** Not run, because a check it depends on failed (counts as neither pass nor failure). */
  readonly skipped?: boolean;
  /** Something to look at even though the check passed. */
  readonly warning?: string;
  /** What the check measured (e.g. the guard's scaling, the episode's length). */
  readonly detail?: string;
}

export interface PolicyCheckReport {
  readonly kind: "tenant" | "device";
  /** The policy's name (of the first instance built). */
  readonly policy: string;
  readonly passed: boolean;
  readonly results: readonly PolicyCheckResult[];
}

// ---- observations ----------------------------------------------------------------------------

const TYPES = ["vit", "bert", "whisper", "llama"] as const;

/**
 * Random market observations, as the environment builds them at a market step: the market of
 * marketArb; at step 0 no previous prices, otherwise the previous step's prices (0 on ineligible
 * pairs) and the devices' water-filling response to them; tenants' progress; data weights a_ij
 * (proportional to sqrt(w_ij) over the eligible devices) on about half of the cases.
 */
export function marketObservationArb(opts: MarketArbOptions = {}): fc.Arbitrary<MarketObservation> {
  const maxM = opts.maxTenants ?? 4;
  const progress = fc.record({
    rounds: fc.nat({ max: 400 }),
    gap: logUniformArb(1e-4, 1),
  });
  return fc
    .record({
      step: fc.nat({ max: 30 }),
      priced: pricedMarketArb(opts, { priceIneligible: false }),
      tenants: fc.array(progress, { minLength: maxM, maxLength: maxM }),
      dataWeight: fc.boolean(),
    })
    .map(({ priced, step, tenants, dataWeight }): MarketObservation => {
      const m = priced.market;
      const time = step * 120;
      const views: TenantView[] = Array.from({ length: m.M }, (_, i) => ({
        name: `t${i}`,
        index: i,
        row: i,
        type: TYPES[i % TYPES.length],
        rounds: step === 0 ? 0 : tenants[i].rounds,
        lossGap: step === 0 ? 1 : tenants[i].gap,
        target: 0.01,
        elapsed: time,
        deadline: 6 * 3600,
        spent: step === 0 ? 0 : 0.5 * tenants[i].rounds * m.budget[i],
        budget: m.budget[i],
      }));
      const lastPrices = step === 0 ? null : priced.prices;
      return {
        step,
        time,
        market: m,
        tenants: views,
        lastPrices,
        lastParticipation: lastPrices ? waterFill(m, lastPrices).participation : null,
        ...(dataWeight ? { dataWeight: dataWeightsOf(m) } : {}),
      };
    });
}

function dataWeightsOf(m: MarketInstance): Float64Array {
  const a = new Float64Array(m.M * m.N);
  for (let i = 0; i < m.M; i++) {
    let s = 0;
    for (let j = 0; j < m.N; j++) s += Math.sqrt(m.value[i * m.N + j]);
    for (let j = 0; j < m.N; j++) if (s > 0) a[i * m.N + j] = Math.sqrt(m.value[i * m.N + j]) / s;
  }
  return a;
}

/** A device observation with the devices under the policy's control. */
export interface DeviceCase {
  readonly obs: DeviceObservation;
  readonly devices: Int32Array;
  readonly ctxSeed: number;
}

/** Random markets and posted prices (0 on ineligible pairs, as after the guard), every device or a subset. */
export function deviceCaseArb(opts: MarketArbOptions = {}): fc.Arbitrary<DeviceCase> {
  const maxN = opts.maxDevices ?? 12;
  return fc
    .record({
      priced: pricedMarketArb(opts, { priceIneligible: false }),
      all: fc.boolean(),
      mask: fc.array(fc.boolean(), { minLength: maxN, maxLength: maxN }),
      step: fc.nat({ max: 30 }),
      ctxSeed: fc.nat({ max: 9999 }),
    })
    .map(({ priced, all, mask, step, ctxSeed }): DeviceCase => {
      const { N } = priced.market;
      const devices: number[] = [];
      for (let j = 0; j < N; j++) if (all || mask[j]) devices.push(j);
      return {
        obs: { step, time: step * 120, market: priced.market, prices: priced.prices },
        devices: Int32Array.from(devices),
        ctxSeed,
      };
    });
}

// ---- helpers ---------------------------------------------------------------------------------

/** The context an episode would give a policy named `name` under `seed`. */
export function policyContextFor(seed: number | string, name: string): PolicyContext {
  return policyContext(seed, name);
}

class AnswerTimeout extends Error {
  override readonly name = "AnswerTimeout";
}

/** Awaits a policy's answer; a thrown error or a timeout becomes an Error saying which call. */
async function answer<T>(call: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const x = call();
    if (!(x instanceof Promise) || !(ms > 0)) return await x;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AnswerTimeout(`${what} did not settle within ${ms} ms (a promise that never resolves?)`),
          ),
        ms,
      );
    });
    return await Promise.race([x, late]);
  } catch (err) {
    if (err instanceof AnswerTimeout || err instanceof PolicyError) throw err;
    throw new Error(`${what} threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** An async property that skips its remaining cases once an answer timed out (see the file comment). */
function timedProperty<T>(arb: fc.Arbitrary<T>, body: (c: T) => Promise<void>): AsyncSuiteProperty {
  let timedOut = false;
  const prop = fc.asyncProperty(arb, async (c) => {
    fc.pre(!timedOut);
    try {
      await body(c);
    } catch (err) {
      // a policy whose worker ended (io/policyHost.ts) would only be restarted to fail again
      if (err instanceof AnswerTimeout || (err as { workerEnded?: unknown })?.workerEnded === true)
        timedOut = true;
      throw err;
    }
  });
  return prop as unknown as AsyncSuiteProperty;
}

async function build<P>(create: () => P | Promise<P>): Promise<P> {
  try {
    return await create();
  } catch (err) {
    throw new Error(`building the policy threw: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** Copies of every array a policy must not write. */
function snapshot(arrays: Record<string, ArrayLike<number> | null | undefined>): () => string | null {
  const copies = Object.entries(arrays).map(([k, a]) => [k, a, a ? Array.from(a) : null] as const);
  return () => {
    for (const [k, a, copy] of copies) {
      if (!a || !copy) continue;
      for (let x = 0; x < copy.length; x++)
        if (!Object.is(a[x], copy[x]))
          return `${k}[${x}] (from ${showNumber(copy[x])} to ${showNumber(a[x])})`;
    }
    return null;
  };
}

function observationArrays(obs: MarketObservation) {
  return {
    "obs.market.cost": obs.market.cost,
    "obs.market.value": obs.market.value,
    "obs.market.budget": obs.market.budget,
    "obs.lastPrices": obs.lastPrices,
    "obs.lastParticipation": obs.lastParticipation,
    "obs.dataWeight": obs.dataWeight,
  };
}

/** Bit-exact equality of two doubles (NaN equals NaN, 0 differs from -0). */
function sameBits(a: number, b: number): boolean {
  return Object.is(a, b);
}

/** Where two values (events, arrays, plain objects) first differ, bit for bit; null if identical. */
export function firstDifference(x: unknown, y: unknown, path = ""): string | null {
  if (typeof x === "number" && typeof y === "number")
    return sameBits(x, y) ? null : `${path}: ${showNumber(x)} vs ${showNumber(y)}`;
  if (
    ArrayBuffer.isView(x) &&
    ArrayBuffer.isView(y) &&
    !(x instanceof DataView) &&
    !(y instanceof DataView)
  ) {
    const a = x as unknown as ArrayLike<number>;
    const b = y as unknown as ArrayLike<number>;
    if (a.length !== b.length) return `${path}: lengths ${a.length} vs ${b.length}`;
    for (let k = 0; k < a.length; k++)
      if (!sameBits(a[k], b[k])) return `${path}[${k}]: ${showNumber(a[k])} vs ${showNumber(b[k])}`;
    return null;
  }
  if (Array.isArray(x) && Array.isArray(y)) {
    if (x.length !== y.length) return `${path}: lengths ${x.length} vs ${y.length}`;
    for (let k = 0; k < x.length; k++) {
      const d = firstDifference(x[k], y[k], `${path}[${k}]`);
      if (d) return d;
    }
    return null;
  }
  if (x && y && typeof x === "object" && typeof y === "object") {
    const kx = Object.keys(x).sort();
    const ky = Object.keys(y).sort();
    if (kx.join("\n") !== ky.join("\n")) return `${path}: fields ${kx.join(",")} vs ${ky.join(",")}`;
    for (const k of kx) {
      const d = firstDifference(
        (x as Record<string, unknown>)[k],
        (y as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (d) return d;
    }
    return null;
  }
  return Object.is(x, y) ? null : `${path}: ${String(x)} vs ${String(y)}`;
}

// ---- tenant policy properties ----------------------------------------------------------------

/** How often the budget guard scaled the policy's answers in tenant-policy/budget-guard. */
export interface GuardStats {
  answers: number;
  scaled: number;
  /** The factors of the scaled answers. */
  factors: number[];
}

export interface TenantPolicySuite {
  readonly properties: Readonly<Record<string, AsyncSuiteProperty>>;
  /** Filled in as tenant-policy/budget-guard runs. */
  readonly guard: GuardStats;
}

/** Every row's answer to `obs` from a fresh instance reset with `ctxSeed`, checked like the environment does. */
async function tenantAnswers(
  create: TenantPolicyFactory,
  obs: MarketObservation,
  ctxSeed: number,
  ms: number,
): Promise<Float64Array[]> {
  const pol = await build(create);
  const name = pol.name;
  await answer(() => pol.reset?.(policyContextFor(ctxSeed, name)), ms, "reset()");
  const untouched = snapshot(observationArrays(obs));
  const out: Float64Array[] = [];
  for (const view of obs.tenants) {
    const raw = await answer(() => pol.price(obs, view.row), ms, `price(obs, ${view.row})`);
    out.push(checkPrices(raw, obs.market.N, { policy: name, step: obs.step, tenant: view.name }));
  }
  const changed = untouched();
  if (changed) throw new Error(`policy "${name}" modified the observation it was given: ${changed}`);
  return out;
}

/** The fast-check part of the tenant checks (see the file comment). */
export function tenantPolicyProperties(
  create: TenantPolicyFactory,
  opts: PolicyPropertyOptions = {},
): TenantPolicySuite {
  const ms = opts.timeoutMs ?? 10_000;
  const cases = fc.limitShrink(
    fc.record({ obs: marketObservationArb(opts.market), ctxSeed: fc.nat({ max: 9999 }) }),
    opts.maxShrinks ?? 200,
  );
  const guard: GuardStats = { answers: 0, scaled: 0, factors: [] };

  const wellFormed = timedProperty(cases, async ({ obs, ctxSeed }) => {
    await tenantAnswers(create, obs, ctxSeed, ms);
  });

  const deterministic = timedProperty(cases, async ({ obs, ctxSeed }) => {
    const a = await tenantAnswers(create, obs, ctxSeed, ms);
    const b = await tenantAnswers(create, obs, ctxSeed, ms);
    const d = firstDifference(a, b, "prices");
    if (d)
      throw new Error(
        `two instances reset with the same context seed (${ctxSeed}) answered the same observation differently: ${d} (row, device)`,
      );
  });

  const budgetGuard = timedProperty(cases, async ({ obs, ctxSeed }) => {
    const m = obs.market;
    const { M, N } = m;
    const rows = await tenantAnswers(create, obs, ctxSeed, ms);
    const P = new Float64Array(M * N);
    rows.forEach((row, i) => {
      for (let j = 0; j < N; j++) if (m.value[i * N + j] > 0) P[i * N + j] = row[j];
    });
    const g = enforceBudgets(m, P);
    for (let i = 0; i < M; i++) {
      if (!(g.spend[i] <= m.budget[i] * (1 + 1e-9)))
        throw new Error(
          `tenant ${i}: expected spend ${showNumber(g.spend[i])} exceeds its budget ${m.budget[i]} after the guard`,
        );
      guard.answers++;
      if (g.scale[i] < 1) {
        guard.scaled++;
        guard.factors.push(g.scale[i]);
      }
    }
  });

  return {
    properties: {
      "tenant-policy/well-formed": wellFormed,
      "tenant-policy/deterministic": deterministic,
      "tenant-policy/budget-guard": budgetGuard,
    },
    guard,
  };
}

// ---- device policy properties ----------------------------------------------------------------

async function deviceAnswer(create: DevicePolicyFactory, c: DeviceCase, ms: number): Promise<Float64Array> {
  const { obs, devices, ctxSeed } = c;
  const pol = await build(create);
  await answer(() => pol.reset?.(policyContextFor(ctxSeed, pol.name)), ms, "reset()");
  const untouched = snapshot({
    "obs.prices": obs.prices,
    "obs.market.cost": obs.market.cost,
    "obs.market.value": obs.market.value,
    "obs.market.budget": obs.market.budget,
    devices,
  });
  const raw = await answer(() => pol.respond(obs, devices), ms, "respond(obs, devices)");
  const changed = untouched();
  if (changed) throw new Error(`policy "${pol.name}" modified its input: ${changed}`);
  const { M, N } = obs.market;
  if (!(raw instanceof Float64Array || Array.isArray(raw)))
    throw new Error(`respond() must return a Float64Array of length M x N = ${M * N}, got ${typeOf(raw)}`);
  const q = raw as ArrayLike<number>;
  if (q.length !== M * N) throw new Error(`respond() returned length ${q.length}, expected M x N = ${M * N}`);
  const out = new Float64Array(M * N);
  for (const j of devices) {
    let sum = 0;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      const x = q[k];
      if (!(typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1))
        throw new Error(`q[${i}][${j}] is ${showNumber(x)}; must be a finite number in [0, 1]`);
      if (!(obs.market.value[k] > 0) && x !== 0)
        throw new Error(`q[${i}][${j}] is ${showNumber(x)} but device ${j} cannot serve tenant ${i} (w = 0)`);
      sum += x;
      out[k] = x;
    }
    if (!(sum <= 1 + 1e-9))
      throw new Error(`device ${j}'s participation sums to ${showNumber(sum)} over tenants; capacity is 1`);
  }
  return out;
}

function typeOf(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return (x as object).constructor?.name ?? "an object";
  return typeof x;
}

/** The fast-check part of the device checks (see the file comment). */
export function devicePolicyProperties(
  create: DevicePolicyFactory,
  opts: PolicyPropertyOptions = {},
): Readonly<Record<string, AsyncSuiteProperty>> {
  const ms = opts.timeoutMs ?? 10_000;
  const cases = fc.limitShrink(deviceCaseArb(opts.market), opts.maxShrinks ?? 200);
  const feasible = timedProperty(cases, async (c) => {
    await deviceAnswer(create, c, ms);
  });
  const deterministic = timedProperty(cases, async (c) => {
    const a = await deviceAnswer(create, c, ms);
    const b = await deviceAnswer(create, c, ms);
    const d = firstDifference(a, b, "q");
    if (d)
      throw new Error(
        `two instances reset with the same context seed (${c.ctxSeed}) answered the same prices differently: ${d} (tenant-major index)`,
      );
  });
  return { "device-policy/feasible": feasible, "device-policy/deterministic": deterministic };
}

// ---- running ---------------------------------------------------------------------------------

/** runProperty (props/runner.ts) for asynchronous properties; never throws for a property failure. */
export async function runAsyncProperty(
  name: string,
  property: AsyncSuiteProperty,
  params: { seed?: number; numRuns?: number; path?: string } = {},
): Promise<PropertyResult> {
  const t0 = performance.now();
  const details = await fc.check(property, {
    seed: params.seed,
    numRuns: params.numRuns ?? 100,
    path: params.path,
  });
  return propertyResult(name, details, performance.now() - t0);
}

let tinyCompiled: Compiled | null = null;
/** The tiny preset, compiled as `compare` does (cached). */
export function tinyScenario(): Compiled {
  if (!tinyCompiled) {
    const s = presetScenario("tiny");
    tinyCompiled = compileScenario(s, createRng(s.seed));
  }
  return tinyCompiled;
}

interface EpisodeRun {
  readonly events: SimEvent[];
  readonly result: EpisodeResult | null;
  readonly error: unknown;
  readonly policy: string;
  readonly warnings: string[];
}

async function episode(
  compiled: Compiled,
  tenant: TenantPolicyFactory,
  device: DevicePolicyFactory | null,
  seed: number,
  ms: number,
): Promise<EpisodeRun> {
  const events: SimEvent[] = [];
  let tp: TenantPolicy;
  let dp: DevicePolicy | null = null;
  try {
    tp = await build(tenant);
    if (device) dp = await build(device);
  } catch (error) {
    return { events, result: null, error, policy: "(factory)", warnings: [] };
  }
  const subject = dp ?? tp;
  try {
    const result = await runEpisode(
      compiled,
      { tenant: () => tp, ...(dp ? { device: { policy: dp } } : {}) },
      { seed, policyTimeoutMs: ms, onEvent: (e) => events.push(e) },
    );
    const warnings = (dp ? [] : (tp.warnings ?? [])).map((w) => `step ${w.step}: ${w.code}: ${w.message}`);
    return { events, result, error: null, policy: subject.name, warnings };
  } catch (error) {
    return { events, result: null, error, policy: subject.name, warnings: [] };
  }
}

function episodeChecks(
  prefix: "tenant-policy" | "device-policy",
  run: () => Promise<EpisodeRun>,
  seed: number,
  want: (name: string) => boolean,
): Promise<PolicyCheckResult[]> {
  return (async () => {
    const out: PolicyCheckResult[] = [];
    const nameRun = `${prefix}/episode`;
    const nameDet = `${prefix}/episode-deterministic`;
    if (!want(nameRun) && !want(nameDet)) return out;
    const t0 = performance.now();
    const first = await run();
    const ms1 = performance.now() - t0;
    if (want(nameRun)) out.push(episodeResult(nameRun, first, seed, ms1, prefix === "tenant-policy"));
    if (!want(nameDet)) return out;
    if (first.error) {
      out.push({
        name: nameDet,
        passed: false,
        skipped: true,
        numRuns: 0,
        seed,
        ms: 0,
        error: `not run: the episode with seed ${seed} failed`,
      });
      return out;
    }
    const t1 = performance.now();
    const second = await run();
    const ms2 = performance.now() - t1;
    let diff: string | null = second.error ? `the second episode failed: ${errorText(second.error)}` : null;
    const n = Math.min(first.events.length, second.events.length);
    for (let k = 0; k < n && !diff; k++) {
      const d = firstDifference(first.events[k], second.events[k]);
      if (d) {
        const e = first.events[k];
        diff = `event ${k} (${e.type} of tenant ${e.tenant} at t = ${e.time} s) differs: ${d}`;
      }
    }
    if (!diff && first.events.length !== second.events.length)
      diff = `the episodes have ${first.events.length} and ${second.events.length} events`;
    out.push(
      diff
        ? {
            name: nameDet,
            passed: false,
            numRuns: 2,
            seed,
            ms: ms1 + ms2,
            error: `the same seed gave different episodes: ${diff}`,
            counterexample: { seed },
          }
        : {
            name: nameDet,
            passed: true,
            numRuns: 2,
            seed,
            ms: ms1 + ms2,
            detail: `${first.events.length} events bit-identical`,
          },
    );
    return out;
  })();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function episodeResult(
  name: string,
  run: EpisodeRun,
  seed: number,
  ms: number,
  tenantPolicy: boolean,
): PolicyCheckResult {
  if (run.error) {
    const e = run.error;
    const counterexample =
      e instanceof PolicyError
        ? {
            seed,
            policy: e.policy,
            step: e.step,
            ...(e.tenant === undefined ? {} : { tenant: e.tenant }),
            problem: e.detail,
            ...(e.index === undefined ? {} : { index: e.index }),
            ...(typeof e.value === "number" ? { value: showNumber(e.value) } : {}),
          }
        : { seed };
    return { name, passed: false, numRuns: 1, seed, ms, error: errorText(e), counterexample };
  }
  const r = run.result!;
  const feasible = r.outcomes.filter((o) => o.status !== "infeasible");
  const met = feasible.filter((o) => o.met).length;
  const rounds = feasible.map((o) => `${o.tenant} ${o.rounds}`).join(", ");
  let detail = `${r.marketSteps} market steps, ${met}/${feasible.length} tenants met their target (rounds: ${rounds})`;
  let warning: string | undefined;
  if (tenantPolicy) {
    const posted = run.events.filter((e) => e.type === "pricesPosted");
    const scaled = posted.filter((e) => e.type === "pricesPosted" && e.guardScale < 1).length;
    detail += `, the budget guard scaled ${scaled} of ${posted.length} price vectors`;
    if (posted.length > 0 && scaled >= ALWAYS_SCALED * posted.length)
      warning = `the budget guard scaled ${scaled === posted.length ? "every price vector" : `${Math.round((100 * scaled) / posted.length)}% of the price vectors`} the policy posted: it asks for more than its budget, so devices see the guard's rescaling of its prices`;
  }
  if (run.warnings.length > 0)
    warning = [
      warning,
      `the policy recorded ${run.warnings.length} warning(s): ${run.warnings.slice(0, 3).join("; ")}`,
    ]
      .filter(Boolean)
      .join("; ");
  return { name, passed: true, numRuns: 1, seed, ms, detail, ...(warning ? { warning } : {}) };
}

/** `only` entries select by substring, except a full check name, which selects just that check. */
function selector(only: readonly string[] | undefined) {
  const full = new Set<string>([...TENANT_POLICY_CHECKS, ...DEVICE_POLICY_CHECKS]);
  return (name: string) =>
    !only || only.length === 0 || only.some((s) => name === s || (!full.has(s) && name.includes(s)));
}

/**
 * Runs the properties in order. The first one checks that answers are well-formed; when it fails,
 * the others are skipped (they would fail on the same malformed answers and say nothing new).
 */
async function runProperties(
  properties: Readonly<Record<string, AsyncSuiteProperty>>,
  opts: PolicyCheckOptions,
  want: (name: string) => boolean,
): Promise<PolicyCheckResult[]> {
  const out: PolicyCheckResult[] = [];
  const [basic] = Object.keys(properties);
  let basicFailed = false;
  for (const [name, prop] of Object.entries(properties)) {
    if (!want(name)) continue;
    if (basicFailed) {
      out.push({
        name,
        passed: false,
        skipped: true,
        numRuns: 0,
        seed: opts.seed ?? 1,
        ms: 0,
        error: `not run: the answers are not well-formed (see ${basic})`,
      });
      continue;
    }
    const r = await runAsyncProperty(name, prop, {
      seed: opts.seed ?? 1,
      numRuns: opts.numRuns,
      path: opts.path,
    });
    out.push(r);
    if (name === basic && !r.passed) basicFailed = true;
  }
  return out;
}

/** Runs every tenant-policy check on the policies `create` builds (a fresh instance each time it is called). */
export async function checkTenantPolicy(
  create: TenantPolicyFactory,
  opts: PolicyCheckOptions = {},
): Promise<PolicyCheckReport> {
  const want = selector(opts.only);
  const seed = opts.seed ?? 1;
  const ms = opts.timeoutMs ?? 10_000;
  const { wrapped, seen } = named(create);
  create = wrapped;
  const suite = tenantPolicyProperties(create, opts);
  const results = await runProperties(suite.properties, opts, want);
  const g = results.find((r) => r.name === "tenant-policy/budget-guard");
  if (g?.passed) {
    const k = results.indexOf(g);
    results[k] = { ...g, ...guardNote(suite.guard) };
  }
  const compiled = opts.compiled ?? tinyScenario();
  results.push(
    ...(await episodeChecks("tenant-policy", () => episode(compiled, create, null, seed, ms), seed, want)),
  );
  return { kind: "tenant", policy: seen.name, passed: settled(results), results };
}

/** True when no check failed (skipped ones do not count). */
function settled(results: readonly PolicyCheckResult[]): boolean {
  return results.every((r) => r.passed || r.skipped);
}

/** Share of answers the guard must scale before the checks warn that a policy ignores its budget. */
const ALWAYS_SCALED = 0.9;

function guardNote(s: GuardStats): { detail: string; warning?: string } {
  const share = s.answers ? Math.round((100 * s.scaled) / s.answers) : 0;
  const sorted = [...s.factors].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 1;
  const detail =
    `the guard scaled ${s.scaled} of ${s.answers} answers (${share}%)` +
    (s.scaled ? `, median factor ${median.toPrecision(3)}` : "");
  return s.answers >= 5 && s.scaled >= ALWAYS_SCALED * s.answers
    ? {
        detail,
        warning: `the guard scaled ${s.scaled === s.answers ? "every answer" : `${share}% of the answers`}: the policy ignores its budget B_i, and what the devices see is the guard's rescaling of its prices`,
      }
    : { detail };
}

/** Runs every device-policy check on the policies `create` builds. */
export async function checkDevicePolicy(
  create: DevicePolicyFactory,
  opts: PolicyCheckOptions = {},
): Promise<PolicyCheckReport> {
  const want = selector(opts.only);
  const seed = opts.seed ?? 1;
  const ms = opts.timeoutMs ?? 10_000;
  const { wrapped, seen } = named(create);
  create = wrapped;
  const results = await runProperties(devicePolicyProperties(create, opts), opts, want);
  const compiled = opts.compiled ?? tinyScenario();
  const tenant = opts.tenantPolicy ?? (() => princePolicy());
  results.push(
    ...(await episodeChecks("device-policy", () => episode(compiled, tenant, create, seed, ms), seed, want)),
  );
  return { kind: "device", policy: seen.name, passed: settled(results), results };
}

/** Wraps a factory so the first instance's name can be reported. */
function named<P extends { readonly name: string }>(create: () => P | Promise<P>) {
  const seen = { name: "(unbuilt)" };
  const wrapped = async () => {
    const p = await create();
    if (seen.name === "(unbuilt)" && p && typeof p.name === "string") seen.name = p.name;
    return p;
  };
  return { wrapped, seen };
}

/** All checks' names, in the order they run. */
export const TENANT_POLICY_CHECKS = [
  "tenant-policy/well-formed",
  "tenant-policy/deterministic",
  "tenant-policy/budget-guard",
  "tenant-policy/episode",
  "tenant-policy/episode-deterministic",
] as const;
export const DEVICE_POLICY_CHECKS = [
  "device-policy/feasible",
  "device-policy/deterministic",
  "device-policy/episode",
  "device-policy/episode-deterministic",
] as const;

export interface FormatPolicyChecksOptions {
  /** A line that replays a failure (e.g. a command), printed under it. */
  readonly replay?: (r: PolicyCheckResult) => string | null;
  /** Truncate counterexample JSON to this many characters (default 2000). */
  readonly maxChars?: number;
}

/**
 * One line per check (PASS / FAIL / SKIP name (runs, time): detail), then under a failure its error,
 * fast-check's seed and path, the counterexample and the replay line; warnings under any check.
 */
export function formatPolicyChecks(
  results: readonly PolicyCheckResult[],
  opts: FormatPolicyChecksOptions = {},
): string {
  const maxChars = opts.maxChars ?? 2000;
  const lines: string[] = [];
  for (const r of results) {
    const runs = `${r.numRuns} run${r.numRuns === 1 ? "" : "s"}, ${Math.round(r.ms)} ms`;
    const detail = r.detail ? `: ${r.detail}` : "";
    if (r.skipped) {
      lines.push(`SKIP ${r.name}: ${r.error ?? "not run"}`);
      continue;
    }
    if (r.passed) {
      lines.push(`PASS ${r.name} (${runs})${detail}`);
      if (r.warning) lines.push(`  warning: ${r.warning}`);
      continue;
    }
    lines.push(`FAIL ${r.name} (${runs}${r.numShrinks ? `, ${r.numShrinks} shrinks` : ""})`);
    lines.push(`  error: ${r.error ?? "check failed"}`);
    if (r.path !== undefined) lines.push(`  fast-check: seed ${r.seed}, path "${r.path}"`);
    else lines.push(`  episode seed: ${r.seed}`);
    if (r.counterexample !== undefined) {
      let json = JSON.stringify(r.counterexample);
      if (json.length > maxChars) json = `${json.slice(0, maxChars)}...`;
      lines.push(`  counterexample: ${json}`);
    }
    const replay = opts.replay?.(r);
    if (replay) lines.push(`  replay: ${replay}`);
  }
  const failed = results.filter((r) => !r.passed && !r.skipped).length;
  const skipped = results.filter((r) => r.skipped).length;
  const passed = results.length - failed - skipped;
  lines.push(
    failed === 0
      ? `${passed} passed${skipped ? `, ${skipped} skipped` : ""}`
      : `${failed} of ${results.length} failed${skipped ? ` (${skipped} skipped)` : ""}`,
  );
  return lines.join("\n");
}
