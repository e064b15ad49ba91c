"""Steps per second through the Python client: random prices from the action spaces, whole episodes.

    python python/examples/throughput.py [--preset tiny] [--episodes 20]

Compare with `npm run bench -- --only bridge`, which steps MarketParallelEnv directly and through the
server from Node (same seeds: episodes 1..N). Also prints the time to start the server.
"""

from __future__ import annotations

import argparse
import time

import sfl_market


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--episodes", type=int, default=20)
    args = parser.parse_args()
    t0 = time.perf_counter()
    env = sfl_market.parallel_env(preset=args.preset)
    started = time.perf_counter() - t0
    steps = 0
    t0 = time.perf_counter()
    for seed in range(1, args.episodes + 1):
        env.reset(seed=seed)
        for i, agent in enumerate(env.possible_agents):
            env.action_space(agent).seed(seed * 100 + i)
        while env.agents:
            env.step({a: env.action_space(a).sample() for a in env.agents})
            steps += 1
    elapsed = time.perf_counter() - t0
    env.close()
    print(
        f"preset {args.preset}: server started in {started * 1000:.0f} ms (parallel_env() to the handshake)"
    )
    print(
        f"{steps} steps in {args.episodes} episodes: {steps / elapsed:.0f} steps/s through the Python client"
    )


if __name__ == "__main__":
    main()
