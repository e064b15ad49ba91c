import { Observable } from "rxjs";
import type { Compiled } from "../env/compile.ts";
import type { SimEvent } from "../env/events.ts";
import {
  type EpisodeOptions,
  type EpisodePolicies,
  type EpisodeResult,
  runEpisode,
} from "../env/simulation.ts";

/**
 * The reactive runtime: one episode of the market as an Observable of market events (prices
 * posted, participation chosen, round completed, payment, target met, deadline missed, ...), ending
 * with an `episodeEnded` signal that carries the episode's result. Logs, progress bars, metrics and
 * plots are subscribers of this stream, never code inside the simulation.
 *
 * The stream is cold: each subscription runs its own episode from the seed, so two subscriptions
 * with the same seed see the same sequence. Policies may answer with promises; the driver awaits
 * them one at a time in a fixed order, so the event order does not depend on their timing.
 * A policy that fails (throws, returns a bad vector, never settles) ends the stream with a
 * PolicyError naming the policy, the step and the bad value. Unsubscribing stops the episode at its
 * next market step or policy answer.
 */
export interface EpisodeEnded {
  readonly type: "episodeEnded";
  readonly result: EpisodeResult;
}

export type MarketEvent = SimEvent | EpisodeEnded;

export function marketEvents(
  compiled: Compiled,
  policies: EpisodePolicies,
  opts: Omit<EpisodeOptions, "onEvent">,
): Observable<MarketEvent> {
  return new Observable<MarketEvent>((subscriber) => {
    let live = true;
    // unsubscribing cancels the episode itself, not just the delivery of its events
    const cancel = new AbortController();
    runEpisode(compiled, policies, {
      ...opts,
      // the caller's signal (an interrupted command) cancels too
      signal: opts.signal ? AbortSignal.any([opts.signal, cancel.signal]) : cancel.signal,
      onEvent: (e) => {
        if (live) subscriber.next(e);
      },
    }).then(
      (result) => {
        if (!live) return;
        subscriber.next({ type: "episodeEnded", result });
        subscriber.complete();
      },
      (err) => {
        if (live) subscriber.error(err);
      },
    );
    return () => {
      live = false;
      cancel.abort();
    };
  });
}

/** Narrows a market event stream to the episode's result. */
export function isEpisodeEnded(e: MarketEvent): e is EpisodeEnded {
  return e.type === "episodeEnded";
}
