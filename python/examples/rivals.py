"""One tenant priced from Python against PRINCE rivals, on the tiny preset: a random policy and a
scripted one, and the time each takes to reach the tenant's target.

    python python/examples/rivals.py [--tenant vit] [--seeds 3] [--preset tiny]

Run it from an sfl-market checkout (or set SFL_MARKET_BIN). The rivals are priced by PRINCE inside
the server; devices play water-filling.
"""

from __future__ import annotations

import argparse

import numpy as np

import sfl_market


def random_policy(env, agent):
    """A price per device drawn uniformly from the action space (up to 1000 times what the budget buys)."""
    space = env.action_space(agent)
    space.seed(0)
    return lambda obs: space.sample()


def budget_pacing_policy(env, agent):
    """One price for every device, rescaled at each market step so that the expected spend per round
    matches the budget. Devices answer a price P with participation about P / (tau c), so the spend
    grows as P squared: the price moves by sqrt(1 / spendRate)."""
    names = env.observation_names
    budget, spend_rate = names.index("budget"), names.index("spendRate")
    n = env.action_space(agent).shape[0]
    price = None

    def act(obs):
        nonlocal price
        if price is None:
            price = obs[budget] / n
        elif obs[spend_rate] > 0:
            price *= float(np.clip(np.sqrt(1.0 / obs[spend_rate]), 0.5, 2.0))
        return np.full(n, price)

    return act


def episode(env, agent, make_policy, seed):
    """Plays one episode; returns (met, time to target in seconds or None, rounds, spent)."""
    obs, infos = env.reset(seed=seed)
    act = make_policy(env, agent)
    names = env.observation_names
    while agent in env.agents:
        obs, _, terminations, _, infos = env.step({agent: act(obs[agent])})
    last = obs[agent]
    met = infos[agent]["status"] == "met" and terminations[agent]
    # timeUsed is the time since the tenant's start over its deadline
    seconds = last[names.index("timeUsed")] * env.tenants[agent]["deadline"] if met else None
    return met, seconds, int(last[names.index("rounds")]), float(last[names.index("spent")])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", default="vit")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--preset", default="tiny")
    args = parser.parse_args()
    policies = {"random": random_policy, "budget-pacing": budget_pacing_policy}
    with sfl_market.parallel_env(preset=args.preset, tenants=[args.tenant], rivals="prince") as env:
        rivals = ", ".join(env.rivals["tenants"])
        print(f"tenant {args.tenant} priced from Python; {rivals} priced by {env.rivals['policy']} (server)")
        print(f"{'policy':<14} {'seed':>4} {'time to target':>15} {'rounds':>7} {'spent':>10}")
        for name, make in policies.items():
            for seed in range(1, args.seeds + 1):
                met, seconds, rounds, spent = episode(env, args.tenant, make, seed)
                time = f"{seconds / 3600:.2f} h" if met else "missed"
                print(f"{name:<14} {seed:>4} {time:>15} {rounds:>7} {spent:>10.1f}")


if __name__ == "__main__":
    main()
