"""The PettingZoo ParallelEnv over sfl-market's MarketParallelEnv, served by a Node child process."""

from __future__ import annotations

import json
import os
import re
import warnings
from typing import Any, ClassVar

import gymnasium
import numpy as np
from pettingzoo import ParallelEnv

from ._server import PROTOCOL, ServerProcess, ServerSpec, _jsonable, find_server
from .spaces import space_from_wire

_SAFE_INT = 2**53 - 1


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def _seed_arg(seed: Any, what: str) -> int | str:
    if isinstance(seed, str):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{what} must be an int or a str, got {seed!r}")
    if abs(int(seed)) > _SAFE_INT:
        raise ValueError(f"{what} must be at most 2**53 - 1 in size (a JavaScript safe integer), got {seed}")
    return int(seed)


def _action(a: Any) -> Any:
    """An action as a list for the wire; anything that is not numeric is sent as it is for the server to refuse."""
    try:
        return np.asarray(a, dtype=np.float64).tolist()
    except (TypeError, ValueError):
        return a


class MarketParallelEnv(ParallelEnv):
    """The sfl-market market as a PettingZoo parallel environment.

    Agents are the tenants this client controls (named by the scenario, e.g. ``"vit"``) and the
    device agents ``"device/<j>"`` it asked for. A tenant's action is its price vector (one price per
    device, a Box); a device agent's is its participation over the scenario's tenants (a
    :class:`~sfl_market.spaces.Capacity`). Tenants the client does not control are priced inside the
    server by the ``rivals`` policy (default PRINCE), devices without an agent play water-filling.
    Observations, rewards and the seeding rules are those of the TypeScript environment
    (docs/python.md; env/parallelEnv.ts): the same seed gives the same episode, bit for bit.

    Build it with :func:`sfl_market.parallel_env`. ``close()`` stops the server (so does garbage
    collection, and leaving a ``with`` block).
    """

    metadata: ClassVar[dict[str, Any]] = {
        "name": "sfl_market_v0",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        preset: str | None = None,
        scenario: str | os.PathLike[str] | None = None,
        seed: int | str | None = None,
        server: ServerSpec | None = None,
        render_mode: str | None = None,
        **options: Any,
    ):
        if render_mode is not None:
            raise ValueError(
                f"render_mode={render_mode!r}: the market has no render modes (metadata['render_modes'] is empty)"
            )
        if preset is not None and scenario is not None:
            raise ValueError("give either preset= or scenario=, not both")
        args: list[str] = []
        if scenario is not None:
            args += ["--scenario", os.fspath(scenario)]
        else:
            args += ["--preset", preset or "tiny"]
        if seed is not None:
            args += ["--seed", str(_seed_arg(seed, "seed"))]
        if options:
            args += ["--options", json.dumps({_camel(k): v for k, v in options.items()}, default=_jsonable)]
        self.render_mode = None
        self._server = ServerProcess(find_server(server), args)
        try:
            hello = self._server.request("hello", protocol=PROTOCOL, client="sfl_market (python)")
        except BaseException:
            self._server.close()
            raise
        self.server_version: str = hello["version"]
        """The sfl-market version of the server."""
        self.scenario_name: str = hello["scenario"]
        self.tenants: dict[str, dict[str, Any]] = hello["tenants"]
        """The client's tenants: type, start, deadline (seconds), target (loss gap), budget per round."""
        self.rivals: dict[str, Any] = hello["rivals"]
        """The rivals' policy and the tenants it prices."""
        self.observation_names: list[str] = hello["observationNames"]
        """What each entry of a tenant's observation vector is (docs/python.md)."""
        self.possible_agents: list[str] = list(hello["possibleAgents"])
        self.agents: list[str] = []
        self._observation_spaces = {
            a: space_from_wire(hello["spaces"][a]["observation"]) for a in self.possible_agents
        }
        self._action_spaces = {a: space_from_wire(hello["spaces"][a]["action"]) for a in self.possible_agents}
        self._warned_options: set[tuple[str, ...]] = set()

    def observation_space(self, agent: str) -> gymnasium.spaces.Space:
        return self._space(self._observation_spaces, agent)

    def action_space(self, agent: str) -> gymnasium.spaces.Space:
        return self._space(self._action_spaces, agent)

    def _space(self, spaces: dict[str, gymnasium.spaces.Space], agent: str) -> gymnasium.spaces.Space:
        try:
            return spaces[agent]
        except KeyError:
            raise KeyError(
                f"unknown agent {agent!r}; possible agents: {', '.join(self.possible_agents)}"
            ) from None

    def reset(
        self, seed: int | str | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Starts an episode: ``seed`` starts the episode of that seed and reseeds the environment's
        stream; without one, the next episode's seed is drawn from that stream. No reset option is
        defined yet: keys given are reported once with a warning and have no effect."""
        fields: dict[str, Any] = {}
        if seed is not None:
            fields["seed"] = _seed_arg(seed, "seed")
        if options is not None:
            fields["options"] = options
        r = self._server.request("reset", **fields)
        ignored = tuple(r.get("ignoredOptions", ()))
        if ignored and ignored not in self._warned_options:
            self._warned_options.add(ignored)
            warnings.warn(
                f"sfl_market: reset options {list(ignored)} are not defined and were ignored", stacklevel=2
            )
        self.agents = list(r["agents"])
        return self._arrays(r["observations"]), r["infos"]

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """One market step with every live agent's action (a tenant's prices, a device agent's participation)."""
        r = self._server.request("step", actions={str(a): _action(x) for a, x in actions.items()})
        self.agents = list(r["agents"])
        return (
            self._arrays(r["observations"]),
            {a: float(x) for a, x in r["rewards"].items()},
            r["terminations"],
            r["truncations"],
            r["infos"],
        )

    @staticmethod
    def _arrays(observations: dict[str, list[float]]) -> dict[str, np.ndarray]:
        return {a: np.asarray(o, dtype=np.float64) for a, o in observations.items()}

    def render(self) -> None:
        """Nothing to draw: the market has no picture (render_modes is empty)."""

    def close(self) -> None:
        """Stops the server. Idempotent."""
        server = getattr(self, "_server", None)
        if server is not None:
            server.close()

    def __enter__(self) -> MarketParallelEnv:  # noqa: PYI034 (typing.Self needs Python 3.11)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parallel_env(
    preset: str | None = None,
    scenario: str | os.PathLike[str] | None = None,
    seed: int | str | None = None,
    server: ServerSpec | None = None,
    render_mode: str | None = None,
    **options: Any,
) -> MarketParallelEnv:
    """The market as a ``pettingzoo.ParallelEnv``.

    ``preset`` is a built-in scenario (``"tiny"``, the default, ``"paper"`` or ``"stress"``) and
    ``scenario`` a scenario file (JSON or YAML) instead; ``seed`` replaces the scenario's own seed,
    which draws the device population (episodes are seeded by ``reset(seed=...)``). ``server`` is
    the sfl-market command (else ``SFL_MARKET_BIN``, else the current folder: see
    :func:`sfl_market.find_server`). ``options`` are the environment's (docs/python.md):
    ``tenants`` (the tenants this client controls, default all), ``rivals`` (policy pricing the
    others, default ``"prince"``), ``rival_options``, ``device_agents`` (device indices to control),
    ``max_time``, ``repricing_interval``, ``aggregation`` and ``info`` (``"market"`` adds the full
    market observation to each tenant's info).
    """
    return MarketParallelEnv(
        preset=preset, scenario=scenario, seed=seed, server=server, render_mode=render_mode, **options
    )
