import { congestionPrice } from "./waterFill.ts";

/**
 * Inverse supply and payment curves (MODEL.md section 3).
 *
 * Seen from tenant i at device j, with every other tenant's price fixed, the price that buys
 * participation q is P(q) = mu(q) + tau c q^(tau-1), where mu(q) is the congestion price at which
 * the other tenants' water-filling demand equals 1 - q (0 if it already fits). The payment curve
 * Pay(q) = q P(q) is increasing, and convex for 1 < tau <= 2.
 *
 * `others` are the other tenants' prices and costs at this device (ineligible ones with price 0).
 */
export interface DeviceView {
  /** Other tenants' prices at the device. */
  readonly otherPrices: ArrayLike<number>;
  /** Other tenants' costs at the device. */
  readonly otherCosts: ArrayLike<number>;
  /** This tenant's cost c_ij at the device. */
  readonly cost: number;
  readonly tau: number;
}

/** mu_j(q): the congestion price when this tenant takes participation q in [0, 1]. */
export function congestionFor(view: DeviceView, q: number): number {
  return congestionPrice(view.otherPrices, view.otherCosts, view.tau, view.otherPrices.length, 1 - q);
}

/** P_ij(q) = mu_j(q) + tau c_ij q^(tau-1): the price at which the device supplies q. */
export function inverseSupply(view: DeviceView, q: number): number {
  return congestionFor(view, q) + view.tau * view.cost * q ** (view.tau - 1);
}

/** Pay_ij(q) = q P_ij(q): the expected payment per round for participation q. */
export function paymentCurve(view: DeviceView, q: number): number {
  return q * inverseSupply(view, q);
}

/**
 * Pay'_ij(q) = mu(q) + q mu'(q) + tau^2 c q^(tau-1), with mu'(q) = -1 / D'(mu) from the others'
 * demand D (0 where the device is not congested). At a kink of mu(q) this is the right derivative.
 */
export function paymentSlope(view: DeviceView, q: number): number {
  const { otherPrices: p, otherCosts: c, tau, cost } = view;
  const mu = congestionFor(view, q);
  let dmu = 0;
  if (mu > 0) {
    const e = 1 / (tau - 1);
    let dD = 0;
    for (let k = 0; k < p.length; k++) {
      const x = p[k] - mu;
      if (x > 0) dD -= (e * (x / (tau * c[k])) ** e) / x;
    }
    dmu = dD < 0 ? -1 / dD : Number.POSITIVE_INFINITY;
  }
  const own = tau * tau * cost * q ** (tau - 1);
  return Number.isFinite(dmu) ? mu + q * dmu + own : Number.POSITIVE_INFINITY;
}
