"""Fixtures of the sweep tests: a tiny base scenario and a Dask cluster on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

#: A base scenario that runs in a fraction of a second: 20 towns, 4 years, 2 draws.
TINY_BASE: dict[str, Any] = {
    "name": "tiny",
    "seed": 11,
    "layout": {
        "n_towns": 20,
        "capital_budget_billion_yuan": 90.0,
        "land_quota_km2": 20.0,
        "time_limit_s": 20.0,
    },
    "simulate": {"years": 4, "draws": 2},
}


def tiny_sweep(parameters: list[dict[str, Any]], **design: Any) -> dict[str, Any]:
    """A sweep mapping on the tiny base."""
    return {
        "name": "tiny",
        "base": TINY_BASE,
        "design": {"kind": "grid", **design},
        "parameters": parameters,
    }


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A LocalCluster of 2 worker processes on 127.0.0.1 (one per test module)."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
