import type { MarketInstance } from "./instance.ts";

/**
 * How each tenant's expected spend responds to scaling each tenant's prices: the elasticities
 * E_ik = d log spend_i / d log s_k when tenant k posts s_k P_k, at the devices' water-filling
 * response (MODEL.md section 2). The budget guard's Newton steps use them (market/budgetGuard.ts).
 *
 * On device j, tenant i active (q_ij > 0) has x_i = P_ij - mu_j = tau c_ij q_ij^(tau-1) and
 * dq_ij/dx_i = r_i = q_ij / ((tau - 1) x_i). Uncongested, dq_ij/dP_kj = r_i [i = k]; congested,
 * the capacity sum_i q_ij = 1 moves mu_j by r_k / R (R = sum over the active r), so
 * dq_ij/dP_kj = r_i ([i = k] - r_k / R). Then
 *   d spend_i / d log s_k = sum_j ([i = k] P_ij q_ij + P_ij P_kj dq_ij/dP_kj).
 * x_i is read from q (not from P - mu), so prices far above the costs keep their precision.
 */
export function spendElasticities(
  m: MarketInstance,
  prices: Float64Array,
  participation: Float64Array,
  congestion: Float64Array,
): { spend: Float64Array; elasticity: Float64Array } {
  const { M, N, tau } = m;
  const spend = new Float64Array(M);
  const d = new Float64Array(M * M);
  const act = new Int32Array(M);
  const r = new Float64Array(M);
  for (let j = 0; j < N; j++) {
    let n = 0;
    let R = 0;
    for (let i = 0; i < M; i++) {
      const k = i * N + j;
      const q = participation[k];
      if (!(m.value[k] > 0 && prices[k] > 0 && q > 0)) continue;
      act[n++] = i;
      const ri = tau === 2 ? 1 / (2 * m.cost[k]) : q / ((tau - 1) * tau * m.cost[k] * q ** (tau - 1));
      r[i] = ri;
      R += ri;
    }
    const congested = congestion[j] > 0;
    for (let a = 0; a < n; a++) {
      const i = act[a];
      const ki = i * N + j;
      const pq = prices[ki] * participation[ki];
      spend[i] += pq;
      d[i * M + i] += pq;
      for (let b = 0; b < n; b++) {
        const k = act[b];
        const dq = r[i] * ((i === k ? 1 : 0) - (congested ? r[k] / R : 0));
        d[i * M + k] += prices[ki] * prices[k * N + j] * dq;
      }
    }
  }
  for (let i = 0; i < M; i++)
    for (let k = 0; k < M; k++) d[i * M + k] = spend[i] > 0 ? d[i * M + k] / spend[i] : 0;
  return { spend, elasticity: d };
}
