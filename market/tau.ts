import { z } from "zod";

/**
 * The one range of the cost exponent tau, shared by market files (`solve`) and scenario files.
 *
 * Below 1.01 the devices' response q = (P / (tau c))^(1/(tau-1)) is too steep for doubles: the last
 * bit of a price (relative 1.1e-16) moves q by 1.1e-16 / (tau - 1) relative, so at tau = 1 + 1e-10
 * no printed price determines participation to better than 1e-6, and the game tends to a linear
 * one whose equilibrium prices are degenerate. Above 10 nothing is gained (payment curves are
 * non-convex for tau > 2 and every answer there is approximate, with its duality gap) while
 * q^tau underflows for ordinary participation levels.
 */
export const TAU_MIN = 1.01;
export const TAU_MAX = 10;
export const TAU_RANGE_TEXT = `a number in [${TAU_MIN}, ${TAU_MAX}]`;

/** The message for a tau outside the range (undefined when tau is valid). */
export function tauProblem(tau: unknown): string | undefined {
  if (typeof tau === "number" && Number.isFinite(tau) && tau >= TAU_MIN && tau <= TAU_MAX) return undefined;
  const shown = typeof tau === "string" ? JSON.stringify(tau) : String(tau);
  return `must be ${TAU_RANGE_TEXT}, got ${shown}`;
}

/** zod schema of tau (default 2), with the message of tauProblem. */
export const tauSchema = z
  .number({ error: (iss) => tauProblem(iss.input) ?? "must be a number" })
  .superRefine((t, ctx) => {
    const msg = tauProblem(t);
    if (msg) ctx.addIssue({ code: "custom", message: msg });
  })
  .default(2);
