"""Shared fixtures."""

from __future__ import annotations

import geopandas as gpd
import pytest

from xiaozhen.region import load_counties


@pytest.fixture(scope="session")
def counties() -> gpd.GeoDataFrame:
    """The bundled 90 counties (equal-area CRS)."""
    return load_counties()
