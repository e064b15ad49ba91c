"""Drive the sfl-market market from Python: a PettingZoo ParallelEnv over ``sfl-market env-server``.

>>> import sfl_market
>>> env = sfl_market.parallel_env(preset="tiny")          # doctest: +SKIP
>>> observations, infos = env.reset(seed=1)               # doctest: +SKIP
"""

from ._server import (
    PROTOCOL,
    RequestError,
    ServerExitedError,
    ServerNotFoundError,
    SflMarketError,
    find_server,
)
from .env import MarketParallelEnv, parallel_env
from .spaces import Capacity

__version__ = "0.1.0"

__all__ = [
    "PROTOCOL",
    "Capacity",
    "MarketParallelEnv",
    "RequestError",
    "ServerExitedError",
    "ServerNotFoundError",
    "SflMarketError",
    "find_server",
    "parallel_env",
]
