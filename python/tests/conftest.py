"""The tests run against the sfl-market checkout they live in, unless SFL_MARKET_BIN says otherwise."""

import os
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]


def pytest_configure(config):
    checkout_bin = CHECKOUT / "bin" / "sfl-market.js"
    if "SFL_MARKET_BIN" not in os.environ and checkout_bin.is_file():
        os.environ["SFL_MARKET_BIN"] = str(checkout_bin)


@pytest.fixture
def checkout() -> Path:
    """The sfl-market checkout (for the TypeScript side of the cross-language test)."""
    if (
        not (CHECKOUT / "env" / "parallelEnv.ts").is_file()
        or not (CHECKOUT / "node_modules" / "tsx").is_dir()
    ):
        pytest.skip("not inside an sfl-market checkout with node_modules installed")
    return CHECKOUT
