"""Finding the sfl-market command, starting and stopping it, and the errors a user sees."""

import json
import os

import numpy as np
import pytest

import sfl_market
from sfl_market import RequestError, ServerExitedError, ServerNotFoundError, SflMarketError, find_server


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """An empty current folder and no SFL_MARKET_BIN."""
    monkeypatch.delenv("SFL_MARKET_BIN", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def executable(path, text="#!/bin/sh\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def checkout_in(folder, name="sfl-market"):
    (folder / "package.json").write_text(json.dumps({"name": name}))
    return executable(folder / "bin" / "sfl-market.js", "// entry\n")


def test_nothing_found_names_every_place_tried(nowhere):
    with pytest.raises(ServerNotFoundError) as e:
        find_server()
    message = str(e.value)
    assert "server= argument (not given)" in message
    assert "SFL_MARKET_BIN environment variable (not set)" in message
    assert str(nowhere / "node_modules" / ".bin" / "sfl-market") in message
    assert str(nowhere / "bin" / "sfl-market.js") in message
    # parallel_env says the same, before starting anything
    with pytest.raises(ServerNotFoundError, match="cannot find the sfl-market command"):
        sfl_market.parallel_env(preset="tiny")


def test_current_folder_npm_install_then_checkout(nowhere):
    script = checkout_in(nowhere)
    assert find_server()[-1] == str(script)
    assert find_server()[0].endswith("node")  # a .js entry runs through node
    installed = executable(nowhere / "node_modules" / ".bin" / "sfl-market")
    assert find_server() == [str(installed)]


def test_a_folder_with_bin_but_another_package_is_not_a_checkout(nowhere):
    checkout_in(nowhere, name="something-else")
    with pytest.raises(ServerNotFoundError):
        find_server()


def test_server_argument_then_environment_variable_then_folder(nowhere, monkeypatch):
    checkout_in(nowhere)
    from_env = executable(nowhere / "env" / "sfl-market")
    given = executable(nowhere / "given" / "sfl-market")
    monkeypatch.setenv("SFL_MARKET_BIN", str(from_env))
    assert find_server() == [str(from_env)]
    assert find_server(given) == [str(given)]
    assert find_server(["node", "x.js"]) == ["node", "x.js"]


def test_a_server_or_variable_that_names_nothing_is_an_error_not_a_fallback(nowhere, monkeypatch):
    checkout_in(nowhere)
    with pytest.raises(ServerNotFoundError, match=r"server='/no/such/sfl-market': no such file"):
        find_server("/no/such/sfl-market")
    monkeypatch.setenv("SFL_MARKET_BIN", "/no/such/bin")
    with pytest.raises(ServerNotFoundError, match=r"SFL_MARKET_BIN='/no/such/bin': no such file"):
        find_server()


def test_found_in_the_checkout_from_its_folder(monkeypatch, checkout):
    monkeypatch.delenv("SFL_MARKET_BIN", raising=False)
    monkeypatch.chdir(checkout)
    with sfl_market.parallel_env(preset="tiny") as env:
        assert env.server_version == json.loads((checkout / "package.json").read_text())["version"]
        assert env.scenario_name == "preset tiny"


def test_a_bad_option_stops_the_server_at_start_with_its_message():
    with pytest.raises(ServerExitedError) as e:
        sfl_market.parallel_env(preset="tiny", tenants=["gpt"])
    assert e.value.returncode == 2
    assert 'tenants[0]: no tenant "gpt"' in str(e.value)
    with pytest.raises(ServerExitedError, match="devicAgents: unknown option"):
        sfl_market.parallel_env(preset="tiny", devic_agents=[1])


def test_refused_requests_raise_request_error_and_change_nothing():
    with sfl_market.parallel_env(preset="tiny") as env:
        env.reset(seed=3)
        good = {a: np.ones(20) for a in env.agents}
        with pytest.raises(RequestError) as e:
            env.step({**good, "gpt": np.ones(20)})
        assert e.value.code == "UNKNOWN_AGENT" and e.value.path == "actions.gpt"
        with pytest.raises(RequestError) as e:
            env.step({**good, "vit": np.ones((2, 20))})
        assert e.value.code == "BAD_ACTION" and e.value.path.startswith("actions.vit")
        with pytest.raises(RequestError, match="device 0 is NaN"):
            env.step({**good, "bert": np.full(20, np.nan)})
        with pytest.raises(KeyError, match="possible agents: vit, bert, whisper"):
            env.action_space("gpt")
        with pytest.raises(ValueError, match="2\\*\\*53"):
            env.reset(seed=2**60)
        # the environment is where it was: this step is the first of seed 3
        first = env.step(good)
        env.reset(seed=3)
        again = env.step(good)
        assert all(np.array_equal(first[0][a], again[0][a]) for a in first[0])


def test_close_stops_the_server_and_is_idempotent():
    env = sfl_market.parallel_env(preset="tiny")
    server = env._server
    assert server.running
    env.close()
    assert not server.running
    env.close()
    with pytest.raises(SflMarketError, match="closed"):
        env.reset(seed=1)


@pytest.mark.skipif(os.name == "nt", reason="a POSIX shell script stands for the server")
def test_a_server_that_dies_is_reported_with_its_exit_code(tmp_path):
    dies = executable(tmp_path / "dies", "#!/bin/sh\necho 'broken install' >&2\nexit 3\n")
    with pytest.raises(ServerExitedError) as e:
        sfl_market.parallel_env(preset="tiny", server=dies)
    assert e.value.returncode == 3
    assert "broken install" in str(e.value)


def test_info_market_gives_the_market_observation():
    with sfl_market.parallel_env(preset="tiny", tenants=["vit"], info="market") as env:
        _, infos = env.reset(seed=1)
        market = infos["vit"]["market"]
        assert market["market"]["N"] == 20 and len(market["market"]["cost"]) == market["market"]["M"] * 20
        assert [t["name"] for t in market["tenants"]] == ["vit", "bert", "whisper"]


SCENARIO = {
    "seed": 3,
    "tau": 2,
    "devices": {"count": 12},
    "tenants": [
        {
            "name": "solo",
            "type": "vit",
            "target": 0.01,
            "deadline": 21600,
            "budget": 8,
            "samplesPerRound": 64,
            "cutLayer": 2,
        },
        {
            "name": "duo",
            "type": "bert",
            "target": 0.01,
            "deadline": 21600,
            "budget": 5,
            "samplesPerRound": 32,
            "cutLayer": 2,
        },
    ],
}


def test_a_scenario_file_and_its_seed(tmp_path):
    path = tmp_path / "two.json"
    path.write_text(json.dumps(SCENARIO))
    with sfl_market.parallel_env(scenario=path, tenants=["duo"]) as env:
        assert env.possible_agents == ["duo"]
        assert env.scenario_name == str(path)
        assert env.action_space("duo").shape == (12,)
        assert env.tenants["duo"] == {
            "type": "bert",
            "start": 0,
            "deadline": 21600,
            "target": 0.01,
            "budget": 5,
        }
        high = env.action_space("duo").high
    # another seed draws another population: other costs, so another price cap
    with sfl_market.parallel_env(scenario=path, seed=4, tenants=["duo"]) as env:
        assert not np.array_equal(env.action_space("duo").high, high)
    with pytest.raises(ValueError, match="render modes"):
        sfl_market.parallel_env(scenario=path, render_mode="human")
