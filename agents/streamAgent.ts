import { type OperatorFunction, Subject, type Subscription } from "rxjs";
import type { AggregationRule } from "../market/aggregation.ts";
import type { MarketObservation, PolicyContext, TenantPolicy } from "../policies/types.ts";

/**
 * A tenant agent written as an rxjs stream: an operator that turns the stream of requests it is
 * asked (one per market step and tenant it serves) into a stream of price vectors, one per
 * request, in the same order. `streamTenantPolicy` adapts it to the TenantPolicy interface the
 * environment calls, so a stream agent runs anywhere a policy does (compare, runEpisode, the
 * ParallelEnv driver). Operators that delay (concatMap with timers or promises) keep the order;
 * operators that drop or reorder answers break the one-answer-per-request contract and the run
 * stops with a PolicyError when the answer never comes (see runEpisode's policyTimeoutMs).
 */
export interface PriceRequest {
  readonly obs: MarketObservation;
  readonly row: number;
}

export function streamTenantPolicy(
  name: string,
  agent: OperatorFunction<PriceRequest, Float64Array>,
  aggregation: AggregationRule = "unbiased",
): TenantPolicy {
  let requests = new Subject<PriceRequest>();
  let waiting: { resolve: (p: Float64Array) => void; reject: (e: unknown) => void }[] = [];
  let sub: Subscription | undefined;
  // once the agent's stream has ended (error or completion), every later request fails at once
  let ended: unknown = null;
  const end = (why: unknown) => {
    ended = why;
    for (const w of waiting.splice(0)) w.reject(why);
  };
  const connect = () => {
    sub?.unsubscribe();
    requests = new Subject<PriceRequest>();
    waiting = [];
    ended = null;
    sub = requests.pipe(agent).subscribe({
      next: (prices) => waiting.shift()?.resolve(prices),
      error: (err) => end(err),
      complete: () => end(new Error(`stream agent ${name} completed before answering every request`)),
    });
  };
  connect();
  return {
    name,
    aggregation,
    reset(_ctx: PolicyContext) {
      connect();
    },
    price(obs, row) {
      return new Promise<Float64Array>((resolve, reject) => {
        if (ended !== null) return reject(ended);
        waiting.push({ resolve, reject });
        requests.next({ obs, row });
      });
    },
  };
}
