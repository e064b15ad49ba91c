import type { Compiled } from "../../env/compile.ts";
import { PolicyError } from "../../env/errors.ts";
import {
  type AgentInfo,
  DEFAULT_ENV_SEED,
  MarketParallelEnv,
  type ResetResult,
  TENANT_OBSERVATION,
} from "../../env/parallelEnv.ts";
import { policyContext } from "../../env/policy.ts";
import { createRng, type Rng } from "../../env/rng.ts";
import type { TenantPolicy } from "../../policies/types.ts";
import { actionVector, clip, marketJson, RequestError, spaceJson } from "./forms.ts";
import { type EnvServerOptions, marketEnvOptions, type Roles } from "./options.ts";
import { decodeLine, encodeLine, WireSyntaxError } from "./wire.ts";

/**
 * One MarketParallelEnv served over JSON lines (docs/python.md has the protocol). `handle` takes one
 * request line and answers one reply line; a malformed request gets an error reply and leaves the
 * session as it was, so a client's mistake never ends the server.
 *
 * The client's agents are its tenants (and device agents, if asked); the other tenants ("rivals") are
 * priced inside the server by a TenantPolicy, from the market observation MarketParallelEnv gives in
 * their infos. The environment is used through its public API only.
 */

/** The protocol version; a client announcing another one is refused at the handshake. */
export const PROTOCOL = 1;

export interface SessionSetup {
  readonly compiled: Compiled;
  /** What the scenario is, for the handshake ("preset tiny", a file path). */
  readonly scenarioName: string;
  readonly options: EnvServerOptions;
  readonly roles: Roles;
  /** The rivals' policy (null when the client controls every tenant) and its spec. */
  readonly rival: TenantPolicy | null;
  readonly rivalSpec: string;
  readonly version: string;
}

export interface Reply {
  readonly line: string;
  /** The client asked to close: write the line, then stop reading. */
  readonly close: boolean;
}

const OPS = ["hello", "spaces", "reset", "step", "close"] as const;

export class EnvSession {
  readonly env: MarketParallelEnv;
  readonly #setup: SessionSetup;
  /** The client's possible agents, in the environment's order. */
  readonly possibleAgents: readonly string[];
  readonly #mine: ReadonlySet<string>;
  readonly #rivals: ReadonlySet<string>;
  #greeted = false;
  #reset = false;
  #infos: Record<string, AgentInfo> = {};
  #rivalStream: Rng | null = null;

  constructor(setup: SessionSetup) {
    this.#setup = setup;
    const rivalAggregation = setup.rival?.aggregation ?? "unbiased";
    this.env = new MarketParallelEnv(
      setup.compiled,
      marketEnvOptions(setup.options, setup.roles, rivalAggregation),
    );
    this.#rivals = new Set(setup.roles.rivals);
    this.possibleAgents = this.env.possibleAgents.filter((a) => !this.#rivals.has(a));
    this.#mine = new Set(this.possibleAgents);
  }

  /** The client's live agents. */
  get agents(): string[] {
    return this.env.agents.filter((a) => this.#mine.has(a));
  }

  async handle(line: string): Promise<Reply> {
    let id: unknown;
    try {
      let request: unknown;
      try {
        request = decodeLine(line);
      } catch (err) {
        if (err instanceof WireSyntaxError)
          throw new RequestError("BAD_JSON", `the request is not JSON (${err.message}): ${clip(line)}`);
        throw err;
      }
      if (typeof request !== "object" || request === null || Array.isArray(request))
        throw new RequestError("BAD_REQUEST", `a request is a JSON object with an "op", got ${clip(line)}`);
      const req = request as Record<string, unknown>;
      id = req.id;
      const op = req.op;
      if (!(OPS as readonly unknown[]).includes(op))
        throw new RequestError(
          "UNKNOWN_OP",
          `unknown op ${JSON.stringify(op) ?? "(missing)"}; ops: ${OPS.join(", ")}`,
          "op",
        );
      if (op !== "hello" && op !== "close" && !this.#greeted)
        throw new RequestError("HANDSHAKE", `send {"op":"hello","protocol":${PROTOCOL}} first`);
      const body = await this.#dispatch(op as (typeof OPS)[number], req);
      return {
        line: encodeLine({ ...(id === undefined ? {} : { id }), ok: true, op, ...body }),
        close: op === "close",
      };
    } catch (err) {
      const e =
        err instanceof RequestError
          ? err
          : new RequestError("INTERNAL", `internal error: ${(err as Error)?.message ?? String(err)}`);
      const error = { code: e.code, message: e.message, ...(e.path === undefined ? {} : { path: e.path }) };
      return { line: encodeLine({ ...(id === undefined ? {} : { id }), ok: false, error }), close: false };
    }
  }

  async #dispatch(op: (typeof OPS)[number], req: Record<string, unknown>): Promise<Record<string, unknown>> {
    switch (op) {
      case "hello":
        return this.#hello(req);
      case "spaces":
        return this.#spaces();
      case "reset":
        return this.#resetEpisode(req);
      case "step":
        return this.#step(req);
      case "close":
        return {};
    }
  }

  #hello(req: Record<string, unknown>) {
    if (req.protocol !== PROTOCOL)
      throw new RequestError(
        "PROTOCOL",
        `the client speaks protocol ${JSON.stringify(req.protocol) ?? "(none given)"}, this server (sfl-market ${this.#setup.version}) speaks ${PROTOCOL}; install matching versions of the Python package and sfl-market`,
        "protocol",
      );
    this.#greeted = true;
    const { physics } = this.#setup.compiled;
    const tenants: Record<string, unknown> = {};
    for (const t of physics.tenants)
      if (this.#mine.has(t.name))
        tenants[t.name] = {
          type: t.profile.type,
          start: t.start,
          deadline: t.deadline,
          target: t.target,
          budget: t.budget,
        };
    return {
      protocol: PROTOCOL,
      server: "sfl-market",
      version: this.#setup.version,
      scenario: this.#setup.scenarioName,
      devices: physics.N,
      tenants,
      rivals: { policy: this.#setup.rival ? this.#setup.rivalSpec : null, tenants: [...this.#rivals] },
      observationNames: TENANT_OBSERVATION.map((f) => f.name),
      ...this.#spaces(),
    };
  }

  #spaces() {
    const spaces: Record<string, unknown> = {};
    for (const a of this.possibleAgents)
      spaces[a] = {
        observation: spaceJson(this.env.observationSpace(a)),
        action: spaceJson(this.env.actionSpace(a)),
      };
    return { possibleAgents: this.possibleAgents, spaces };
  }

  async #resetEpisode(req: Record<string, unknown>) {
    const seed = req.seed ?? undefined;
    if (seed !== undefined && !(typeof seed === "string" || Number.isSafeInteger(seed)))
      throw new RequestError(
        "BAD_REQUEST",
        `seed must be an integer (at most 2^53 - 1 in size), a string or null, got ${clip(JSON.stringify(seed))}`,
        "seed",
      );
    const options = req.options ?? undefined;
    if (options !== undefined && (typeof options !== "object" || Array.isArray(options)))
      throw new RequestError("BAD_REQUEST", "options must be an object or null", "options");
    const r: ResetResult = this.env.reset(seed === undefined ? {} : { seed: seed as number | string });
    this.#reset = true;
    this.#infos = r.infos;
    await this.#resetRival(seed as number | string | undefined);
    const agents = this.agents;
    return {
      agents,
      observations: pick(r.observations, agents),
      infos: this.#infosJson(r.infos, agents),
      // no reset option is defined yet: the client is told which keys had no effect
      ...(options && Object.keys(options).length > 0 ? { ignoredOptions: Object.keys(options) } : {}),
    };
  }

  /**
   * The rivals' policy starts each episode as runEpisode starts it for that seed (context stream
   * "policy/<name>" of the episode's seed); an unseeded reset draws a seed from a stream of the
   * session, reseeded by every seeded reset, as MarketParallelEnv does for its episodes.
   */
  async #resetRival(seed: number | string | undefined) {
    const rival = this.#setup.rival;
    if (!rival) return;
    let episodeSeed: number | string;
    if (seed !== undefined) {
      episodeSeed = seed;
      this.#rivalStream = createRng(seed).child("env-server/rivals");
    } else {
      this.#rivalStream ??= createRng(DEFAULT_ENV_SEED).child("env-server/rivals");
      episodeSeed = `env-server/${this.#rivalStream.uint32()}`;
    }
    try {
      await rival.reset?.(policyContext(episodeSeed, rival.name));
    } catch (err) {
      throw new RequestError(
        "RIVAL_POLICY",
        `the rivals' policy ${rival.name} failed in reset(): ${(err as Error).message}`,
      );
    }
  }

  async #step(req: Record<string, unknown>) {
    if (!this.#reset) throw new RequestError("STATE", "step before reset: send a reset first");
    const live = this.agents;
    if (live.length === 0)
      throw new RequestError("STATE", "the episode is over for the client's agents: send a reset");
    const given = req.actions;
    if (typeof given !== "object" || given === null || Array.isArray(given))
      throw new RequestError(
        "BAD_REQUEST",
        "actions must be an object of action vectors by agent",
        "actions",
      );
    const actions: Record<string, Float64Array> = {};
    for (const [agent, a] of Object.entries(given as Record<string, unknown>)) {
      const path = `actions.${agent}`;
      if (!this.#mine.has(agent)) {
        const why = this.#rivals.has(agent)
          ? `"${agent}" is priced by the rivals' policy (${this.#setup.rivalSpec}) inside the server`
          : `unknown agent "${agent}"`;
        throw new RequestError(
          "UNKNOWN_AGENT",
          `${why}; the client's agents: ${this.possibleAgents.join(", ")}`,
          path,
        );
      }
      if (!live.includes(agent))
        throw new RequestError(
          "NOT_LIVE",
          `agent "${agent}" is done in this episode; live agents: ${live.join(", ")}`,
          path,
        );
      actions[agent] = actionVector(a, this.env.actionSpace(agent), path);
    }
    for (const [name, prices] of await this.#rivalPrices()) actions[name] = prices;
    let r: ReturnType<MarketParallelEnv["step"]>;
    try {
      r = this.env.step(actions);
    } catch (err) {
      if (err instanceof PolicyError) {
        const who = err.tenant ?? err.policy;
        if (this.#rivals.has(who)) throw new RequestError("RIVAL_POLICY", err.message);
        throw new RequestError("BAD_ACTION", err.message, `actions.${who}`);
      }
      throw new RequestError("STATE", `the environment refused the step: ${(err as Error).message}`);
    }
    this.#infos = r.infos;
    const before = live;
    return {
      agents: this.agents,
      observations: pick(r.observations, before),
      rewards: pick(r.rewards, before),
      terminations: pick(r.terminations, before),
      truncations: pick(r.truncations, before),
      infos: this.#infosJson(r.infos, before),
    };
  }

  /** Prices of the active rivals, from the market observation in their infos (joint policies cache per step). */
  async #rivalPrices(): Promise<[string, Float64Array][]> {
    const rival = this.#setup.rival;
    const out: [string, Float64Array][] = [];
    if (!rival) return out;
    for (const name of this.env.agents) {
      if (!this.#rivals.has(name)) continue;
      const info = this.#infos[name];
      if (info?.kind !== "tenant" || info.market === null || info.row === null) continue;
      try {
        out.push([name, Float64Array.from(await rival.price(info.market, info.row))]);
      } catch (err) {
        throw new RequestError(
          "RIVAL_POLICY",
          `the rivals' policy ${rival.name} failed pricing tenant "${name}": ${(err as Error).message}`,
        );
      }
    }
    return out;
  }

  #infosJson(infos: Record<string, AgentInfo>, agents: readonly string[]) {
    const withMarket = this.#setup.options.info === "market";
    const out: Record<string, unknown> = {};
    for (const a of agents) {
      const info = infos[a];
      if (info.kind === "device") out[a] = { kind: "device", device: info.device };
      else
        out[a] = {
          kind: "tenant",
          status: info.status,
          row: info.row,
          ...(withMarket ? { market: info.market === null ? null : marketJson(info.market) } : {}),
        };
    }
    return out;
  }
}

function pick<T>(record: Record<string, T>, keys: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of keys) if (k in record) out[k] = record[k];
  return out;
}
