/**
 * Errors raised at the boundary between the environment and the code that drives it (policies,
 * agents, a user's own loop). Like market/errors.ts they carry a stable code and a message a user
 * can act on: which policy, at which market step, and the offending value.
 */

/** Where a policy answer came from, for the message. */
export interface PolicyErrorContext {
  /** The policy's name (TenantPolicy.name / DevicePolicy.name, or the agent's name). */
  readonly policy: string;
  /** Market step at which the answer was asked for (0 = first). */
  readonly step: number;
  /** The tenant whose prices were asked for (absent for device policies). */
  readonly tenant?: string;
}

/**
 * A policy broke its contract: it threw, or answered with the wrong length, a non-finite value, a
 * negative price, or a participation vector that breaks a device's capacity. The simulation stops
 * (it cannot guess what the policy meant); `cause` holds the original error when the policy threw.
 */
export class PolicyError extends Error {
  readonly code = "POLICY_ERROR" as const;
  readonly policy: string;
  readonly step: number;
  readonly tenant: string | undefined;
  /** What was wrong, without the context prefix. */
  readonly detail: string;
  /** Index of the first offending entry, when there is one. */
  readonly index: number | undefined;
  /** The first offending value (e.g. NaN, -1, or the wrong length). */
  readonly value: unknown;

  constructor(
    ctx: PolicyErrorContext,
    detail: string,
    extra: { index?: number; value?: unknown; cause?: unknown } = {},
  ) {
    const who = ctx.tenant === undefined ? "" : ` for tenant "${ctx.tenant}"`;
    super(`policy "${ctx.policy}" at market step ${ctx.step}${who}: ${detail}`, { cause: extra.cause });
    this.name = "PolicyError";
    this.policy = ctx.policy;
    this.step = ctx.step;
    this.tenant = ctx.tenant;
    this.detail = detail;
    this.index = extra.index;
    this.value = extra.value;
  }
}

/** Formats a number so NaN, Infinity and -0 stay visible in messages. */
export function showNumber(x: unknown): string {
  if (typeof x !== "number") return String(x);
  if (Object.is(x, -0)) return "-0";
  return String(x);
}

/**
 * Checks a tenant's price vector: a Float64Array (or array of numbers) of length N with finite
 * entries >= 0. Returns it as a Float64Array (a copy, so the caller's buffer can be reused by the
 * policy); throws PolicyError naming the first bad entry.
 */
export function checkPrices(raw: unknown, N: number, ctx: PolicyErrorContext): Float64Array {
  const isArrayLike =
    raw instanceof Float64Array ||
    (Array.isArray(raw) && raw.every((x) => typeof x === "number")) ||
    ArrayBuffer.isView(raw);
  if (!isArrayLike || raw instanceof DataView) {
    throw new PolicyError(ctx, `prices must be a Float64Array of length ${N}, got ${describe(raw)}`, {
      value: raw,
    });
  }
  const a = raw as ArrayLike<number>;
  if (a.length !== N)
    throw new PolicyError(ctx, `prices have length ${a.length}, expected N = ${N}`, { value: a.length });
  const out = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    const x = Number(a[j]);
    if (!Number.isFinite(x))
      throw new PolicyError(ctx, `price for device ${j} is ${showNumber(x)}; prices must be finite`, {
        index: j,
        value: x,
      });
    if (x < 0)
      throw new PolicyError(ctx, `price for device ${j} is ${showNumber(x)}; prices must be >= 0`, {
        index: j,
        value: x,
      });
    out[j] = x;
  }
  return out;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array with non-numeric entries";
  if (typeof x === "object") return (x as object).constructor?.name ?? "an object";
  return typeof x;
}
