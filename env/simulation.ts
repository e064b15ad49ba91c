/**
 * The SFL round simulation (MODEL.md section 4) as a functional core:
 *   initial(compiled, seed) -> State             the episode at its first market step
 *   observe(state) -> MarketObservation          what pricing policies see at that step
 *   transition(state, actions) -> {state, events} post prices, then simulate to the next market step
 *   reward(state, events), terminal(state)
 * An environment step is one market step. docs/simulation.md describes the semantics in full; the
 * short version:
 *
 * - Time is simulated seconds. Each active tenant runs synchronous rounds back to back. At a round's
 *   start every device j with q_ij > 0 takes part independently with probability q_ij (the q in
 *   force at that moment); the round lasts max_{j in S} t_ij + n_i |S| F_i^srv / f_i^E, or W_i if S is
 *   empty; at its end every participant is paid the P_ij in force at the start, the learner applies
 *   the tenant's aggregation rule, and the loss gap is checked against eps_i.
 * - A tenant is met at the end of the round that brings its gap to <= eps_i (timeToTarget = that time
 *   minus its start), missed when its deadline start + T_i passes first (a round still running then
 *   is abandoned, unpaid), and infeasible if compile left it out of the market.
 * - Market steps: at the first arrival, whenever a tenant arrives or finishes, and whenever an active
 *   tenant has completed K = repricingInterval rounds since the last step. Rounds in flight at a
 *   step finish on the terms they started with; new prices apply to rounds that start after it.
 * - At a step, every active tenant's prices go through the budget guard (enforceBudgets on the active
 *   market, exact value weights, true costs) and devices without an agent play water-filling.
 * - Events at the same instant are processed in a fixed order: round ends, then deadlines, then
 *   arrivals, then the episode's time limit; within each kind by scenario tenant index.
 *
 * State is immutable (frozen) plain data. A transition copies the tenants' records once, lets the
 * round loop work on those plain local copies (no proxies on the hot path), and freezes the result
 * into the next state; vectors (models, price and participation rows, participant lists) are
 * Float64Array/Int32Array values that are replaced whole and never written once in a state. Each
 * tenant's random streams (participation sampling, SGD noise) live in the state as RngState, so a
 * state can be saved and resumed. `world` holds what never changes in an episode.
 */

// The modules of the simulation, re-exported here as one API (index.ts, the trainers, the tests):
// state (State, World, caps), core (initial, observe, postPrices, advance, transition), the round
// loop, rewards, summaries, the episode driver and runEpisode.
export * from "./core.ts";
export * from "./driver.ts";
export * from "./episode.ts";
export * from "./rewards.ts";
export * from "./state.ts";
export * from "./summaries.ts";
