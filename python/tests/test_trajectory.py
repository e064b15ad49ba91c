"""The same seed gives the same trajectory in Python, through the bridge, as MarketParallelEnv stepped
directly in TypeScript: the TypeScript side (reference_trajectory.ts) samples actions and records
what it saw; the bridge is fed the same actions and must see the same bits."""

import functools
import json
import shutil
import subprocess

import numpy as np
import pytest

import sfl_market


@functools.cache
def _reference(checkout, request_json):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    script = checkout / "python" / "tests" / "reference_trajectory.ts"
    out = subprocess.run(
        [node, "--import", "tsx", str(script), request_json],
        cwd=checkout,
        capture_output=True,
        check=True,
        timeout=300,
    )
    return json.loads(out.stdout)


def reference(checkout, **request):
    """What MarketParallelEnv did in TypeScript for this request (run once per request)."""
    return _reference(checkout, json.dumps(request, sort_keys=True))


def same_bits(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def replay(env, ref, seed):
    """Replays the reference's episodes through the bridge, the first reset with ``seed`` and the
    others without one; returns the number of steps compared."""
    compared = 0
    for e, episode in enumerate(ref["episodes"]):
        obs, _ = env.reset(seed=seed if e == 0 else None)
        assert env.agents == episode["reset"]["agents"]
        assert obs.keys() == episode["reset"]["observations"].keys()
        for agent, o in episode["reset"]["observations"].items():
            assert same_bits(obs[agent], o), f"episode {e}, reset: {agent}'s observation differs"
        for k, step in enumerate(episode["steps"]):
            actions = {a: np.asarray(x, dtype=np.float64) for a, x in step["actions"].items()}
            obs, rewards, terminations, truncations, _ = env.step(actions)
            where = f"episode {e}, step {k + 1}"
            assert env.agents == step["agents"], where
            assert terminations == step["terminations"], where
            assert truncations == step["truncations"], where
            assert rewards.keys() == step["rewards"].keys(), where
            for agent, r in step["rewards"].items():
                assert same_bits(rewards[agent], r), f"{where}: {agent}'s reward {rewards[agent]!r} vs {r!r}"
            for agent, o in step["observations"].items():
                assert same_bits(obs[agent], o), f"{where}: {agent}'s observation differs"
            compared += 1
        assert not env.agents
    return compared


SEED = 11


@pytest.mark.parametrize("device_agents", [[], [2, 7]], ids=["tenants", "tenants+devices"])
def test_same_seed_same_trajectory_as_typescript(checkout, device_agents):
    ref = reference(checkout, preset="tiny", seed=SEED, episodes=2, deviceAgents=device_agents)
    with sfl_market.parallel_env(preset="tiny", device_agents=device_agents) as env:
        assert env.possible_agents == ref["possibleAgents"]
        compared = replay(env, ref, SEED)
    # both episodes ran several steps: the comparison is not vacuous
    assert compared > 2 * 5


def test_the_comparison_catches_a_different_seed(checkout):
    """A bridge episode of another seed does not pass for the reference's: the test can fail."""
    ref = reference(checkout, preset="tiny", seed=SEED, episodes=2, deviceAgents=[])
    with sfl_market.parallel_env(preset="tiny") as env, pytest.raises(AssertionError):
        replay(env, ref, SEED + 1)
