"""Synthetic county layers and sites for the design tests."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from shapely.geometry import box

from xiaozhen.region.crs import EQUAL_AREA_CRS


def make_layers(
    rows: int = 40,
    cols: int = 40,
    cell: float = 50.0,
    *,
    x0: float = 500_000.0,
    y0: float = 3_300_000.0,
    slope: float = 3.0,
) -> xr.Dataset:
    """A flat county patch: cropland west, forest east, a road along row 2, idle land north-west."""
    x = x0 + cell / 2 + cell * np.arange(cols)
    y = y0 - cell / 2 - cell * np.arange(rows)
    shape = (rows, cols)
    ple = np.where(np.arange(cols)[None, :] < cols // 2, 1, 3) * np.ones(shape, dtype=np.int8)
    road = np.zeros(shape, dtype=np.int8)
    road[2, :] = 3
    idle = np.zeros(shape, dtype=bool)
    idle[4:10, 4:12] = True
    zeros = np.zeros(shape, dtype=bool)
    ds = xr.Dataset(
        {
            "elevation_m": (("y", "x"), np.full(shape, 50.0, dtype=np.float32)),
            "slope_pct": (("y", "x"), np.full(shape, slope, dtype=np.float32)),
            "landcover": (("y", "x"), ple.astype(np.int16)),
            "ple": (("y", "x"), ple.astype(np.int8)),
            "population": (("y", "x"), np.zeros(shape, dtype=np.float32)),
            "built_up": (("y", "x"), idle.copy()),
            "idle_construction": (("y", "x"), idle),
            "eco_redline": (("y", "x"), zeros.copy()),
            "basic_farmland": (("y", "x"), zeros.copy()),
            "urban_boundary": (("y", "x"), ~zeros),
            "water": (("y", "x"), zeros.copy()),
            "road_class": (("y", "x"), road),
        },
        coords={"x": x, "y": y},
        attrs={"crs": EQUAL_AREA_CRS.to_wkt(), "cell_size_m": cell, "synthetic": True},
    )
    return ds


def site_box(ds: xr.Dataset, r0: int, c0: int, r1: int, c1: int) -> object:
    """Polygon covering county cells rows r0..r1-1, cols c0..c1-1."""
    cell = float(ds["x"].values[1] - ds["x"].values[0])
    left = float(ds["x"].values[0]) - cell / 2
    top = float(ds["y"].values[0]) + cell / 2
    return box(left + c0 * cell, top - r1 * cell, left + c1 * cell, top - r0 * cell)


@pytest.fixture
def layers() -> xr.Dataset:
    return make_layers()
