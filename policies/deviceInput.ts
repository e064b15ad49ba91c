import type { DeviceObservation } from "./types.ts";

/**
 * Shared checks of a device policy's inputs: the prices match the market and every controlled
 * device index is in range. Returns the zeroed output (tenant-major M x N).
 */
export function deviceOutput(obs: DeviceObservation, devices: Int32Array, policy: string): Float64Array {
  const { M, N } = obs.market;
  if (obs.prices.length !== M * N)
    throw new RangeError(`${policy}: prices have length ${obs.prices.length}, expected M*N = ${M * N}`);
  for (const j of devices)
    if (!(j >= 0 && j < N)) throw new RangeError(`${policy}: device index ${j} out of range 0..${N - 1}`);
  return new Float64Array(M * N);
}
