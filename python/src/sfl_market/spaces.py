"""Gymnasium spaces built from the server's space descriptions (env/parallelEnv.ts: Box, Capacity)."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np


class Capacity(gymnasium.spaces.Box):
    """A device's participation over the scenario's tenants: vectors q >= 0 with sum(q) <= 1.

    A Box on [0, 1]^n (so code that reads ``low``, ``high`` and ``shape`` works) whose ``contains``
    also checks the sum, and whose ``sample`` is uniform on the simplex {q >= 0, sum q <= 1} (n + 1
    exponential spacings, as the TypeScript space samples).
    """

    def __init__(self, n: int, seed: int | np.random.Generator | None = None):
        super().__init__(low=0.0, high=1.0, shape=(n,), dtype=np.float64, seed=seed)

    def sample(self, mask: None = None, probability: None = None) -> np.ndarray:
        if mask is not None or probability is not None:
            raise gymnasium.error.Error("Capacity.sample takes no mask or probability")
        e = self.np_random.exponential(size=self.shape[0] + 1)
        return (e[:-1] / e.sum()).astype(np.float64)

    def contains(self, x: Any) -> bool:
        return bool(super().contains(x) and float(np.sum(x)) <= 1 + 1e-9)

    def __repr__(self) -> str:
        return f"Capacity({self.shape[0]})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Capacity) and other.shape == self.shape


def space_from_wire(desc: dict[str, Any]) -> gymnasium.spaces.Space:
    """The gymnasium space for one of the server's descriptions."""
    kind = desc.get("kind")
    shape = tuple(desc["shape"])
    if kind == "box":
        low = np.asarray(desc["low"], dtype=np.float64).reshape(shape)
        high = np.asarray(desc["high"], dtype=np.float64).reshape(shape)
        return gymnasium.spaces.Box(low=low, high=high, dtype=np.float64)
    if kind == "capacity":
        return Capacity(shape[0])
    raise ValueError(f"the server sent a space of unknown kind {kind!r}")
