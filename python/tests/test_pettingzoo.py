"""PettingZoo's own conformance tests, run against the bridge."""

import warnings

import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

import sfl_market

# the API test resets with options={"options": 1}; the environment defines no reset option and says so
IGNORED_OPTIONS = "ignore:sfl_market. reset options"


@pytest.mark.filterwarnings(IGNORED_OPTIONS)
def test_parallel_api_test_tiny():
    with sfl_market.parallel_env(preset="tiny") as env:
        parallel_api_test(env, num_cycles=1000)


def test_parallel_seed_test_tiny():
    parallel_seed_test(lambda: sfl_market.parallel_env(preset="tiny"))


@pytest.mark.filterwarnings(IGNORED_OPTIONS)
def test_parallel_api_test_with_prince_rivals_and_device_agents():
    # one tenant against PRINCE rivals, two devices as agents (Capacity action spaces)
    with sfl_market.parallel_env(preset="tiny", tenants=["vit"], device_agents=[0, 5]) as env:
        assert env.possible_agents == ["vit", "device/0", "device/5"]
        assert env.rivals == {"policy": "prince", "tenants": ["bert", "whisper"]}
        assert isinstance(env.action_space("device/0"), sfl_market.Capacity)
        parallel_api_test(env, num_cycles=1000)


def test_parallel_seed_test_with_rivals_and_device_agents():
    parallel_seed_test(lambda: sfl_market.parallel_env(preset="tiny", tenants=["bert"], device_agents=[3]))


def test_the_seed_test_catches_an_environment_that_ignores_its_seed():
    """parallel_seed_test is a real judge: on a bridge whose reset drops the seed it fails."""

    class Unseeded(sfl_market.MarketParallelEnv):
        counter = 0

        def reset(self, seed=None, options=None):
            Unseeded.counter += 1
            return super().reset(seed=Unseeded.counter, options=options)

    with pytest.raises(AssertionError):
        parallel_seed_test(lambda: Unseeded(preset="tiny"))


def test_reset_options_are_reported_once_as_ignored():
    with sfl_market.parallel_env(preset="tiny") as env:
        with pytest.warns(UserWarning, match=r"reset options \['speed'\] are not defined"):
            env.reset(seed=1, options={"speed": 2})
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            env.reset(seed=1, options={"speed": 2})
