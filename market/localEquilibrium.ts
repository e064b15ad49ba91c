import { deviceProblem, deviceSensitivity, solveDevice, uncongestedQ } from "./deviceEquilibrium.ts";
import type { MarketInstance } from "./instance.ts";

/**
 * The equilibrium at each device for given budget multipliers nu, any tau (docs/solver.md).
 *
 * At a Stackelberg equilibrium each tenant's best response decomposes by device once its budget
 * multiplier nu_i is known: q_ij minimises w_ij / q + nu_i Pay_ij(q). deviceEquilibrium.ts solves
 * each device (uncongested, kink with the common-weight selection rule, or congested), so the whole
 * equilibrium is a function of the M multipliers, and solveStackelberg only has to find the nu that
 * make every budget bind: an M-dimensional root-finding problem (multipliers.ts), whose Jacobian
 * d spend_i / d log nu_k comes from implicit differentiation of each device's conditions.
 *
 * For 1 < tau <= 2 the payment curves are convex and these conditions are exact best responses.
 * For tau > 2 they are stationary points; the caller checks them with the global best response.
 */
export interface LocalEquilibrium {
  /** q_ij, tenant-major. */
  readonly participation: Float64Array;
  /** mu_j. */
  readonly congestion: Float64Array;
  /** P_ij = mu_j + tau c_ij q_ij^(tau-1) on eligible pairs, 0 elsewhere. */
  readonly prices: Float64Array;
  /** sum_j P_ij q_ij. */
  readonly spend: Float64Array;
  /** Per device, the solve's parameter t (theta = min(t, 1), mu = (t - 1)+ muScale): a warm start. */
  readonly level: Float64Array;
}

export function localEquilibrium(
  m: MarketInstance,
  nu: Float64Array,
  out?: LocalEquilibrium,
  /** If given (M x M, row i = tenant), receives d spend_i / d log nu_k, by implicit differentiation. */
  jacobian?: Float64Array,
): LocalEquilibrium {
  const { M, N, tau } = m;
  const participation = out?.participation ?? new Float64Array(M * N);
  const congestion = out?.congestion ?? new Float64Array(N);
  const prices = out?.prices ?? new Float64Array(M * N);
  const spend = out?.spend ?? new Float64Array(M);
  const level = out?.level ?? new Float64Array(N).fill(-1);
  spend.fill(0);
  jacobian?.fill(0);
  const P = deviceProblem(M);
  const idx = new Int32Array(M);
  const sens = new Float64Array(M * M);
  const dt = new Float64Array(M);
  const warm = out !== undefined;
  for (let j = 0; j < N; j++) {
    let n = 0;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      const w = m.value[k];
      const q0 = participation[k];
      participation[k] = 0;
      prices[k] = 0;
      if (!(w > 0)) continue;
      idx[n] = i;
      P.c[n] = m.cost[k];
      P.y[n] = w / nu[i];
      P.q[n] = warm ? q0 : 0;
      n++;
    }
    P.n = n;
    P.tau = tau;
    let mu = 0;
    if (n === 1) {
      const i = idx[0];
      const qu = uncongestedQ(P.y[0], P.c[0], tau);
      const q = Math.min(1, qu);
      P.q[0] = q;
      // d spend / d log nu = tau^2 c q^(tau-1) q dlogq, dlogq = -1/(tau+1) unless capped
      if (jacobian && qu < 1) jacobian[i * M + i] -= (tau * tau * P.c[0] * q ** tau) / (tau + 1);
      level[j] = 0;
    } else if (n > 1) {
      const sol = solveDevice(P, warm ? level[j] : -1);
      level[j] = sol.t;
      mu = sol.mu;
      if (jacobian) {
        if (sol.kind === 0) {
          for (let a = 0; a < n; a++)
            jacobian[idx[a] * M + idx[a]] -= (tau * tau * P.c[a] * P.q[a] ** tau) / (tau + 1);
        } else {
          deviceSensitivity(P, sol, sens, dt);
          for (let a = 0; a < n; a++) {
            const qa = P.q[a];
            const marginal = (mu + tau * tau * P.c[a] * qa ** (tau - 1)) * qa;
            for (let b = 0; b < n; b++) {
              const dmu = sol.kind === 2 ? sol.muScale * dt[b] : 0;
              jacobian[idx[a] * M + idx[b]] += marginal * sens[a * n + b] + qa * dmu;
            }
          }
        }
      }
    }
    congestion[j] = mu;
    for (let a = 0; a < n; a++) {
      const k = idx[a] * N + j;
      const q = P.q[a];
      participation[k] = q;
      const p = mu + tau * P.c[a] * q ** (tau - 1);
      prices[k] = p;
      spend[idx[a]] += p * q;
    }
  }
  return { participation, congestion, prices, spend, level };
}
