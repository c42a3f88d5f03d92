"""A small seeded county grid with the contract's layer names (docs/HELPERS_CONTRACT.md)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import xarray as xr
from scipy import ndimage

from xiaozhen.region import EQUAL_AREA_CRS
from xiaozhen.region.grid import CountyGrid, empty_roads


def make_layers(ny: int = 120, nx: int = 140, cell: float = 100.0, seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    x = 500_000.0 + cell * (np.arange(nx) + 0.5)
    y = 3_300_000.0 - cell * (np.arange(ny) + 0.5)
    yy, xx = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    elev = ndimage.gaussian_filter(rng.normal(0, 1, (ny, nx)), 8) * 400 + xx * 2.0 + 20
    elev = elev.astype(np.float32)
    gy, gx = np.gradient(elev, cell)
    slope = (np.hypot(gx, gy) * 100).astype(np.float32)
    water = np.abs(yy - (ny * 0.7 + 6 * np.sin(xx / 9))) < 1.5
    seat = (ny // 3, nx // 3)
    dist_seat = np.hypot(yy - seat[0], xx - seat[1]) * cell
    built = (dist_seat < 1200) | (rng.random((ny, nx)) < 0.01)
    redline = (xx > nx * 0.8) & (yy < ny * 0.4)
    farmland = ndimage.gaussian_filter(rng.random((ny, nx)), 3) > 0.53
    farmland &= ~built
    idle = (ndimage.gaussian_filter(rng.random((ny, nx)), 2) > 0.56) & ~water
    roads = np.zeros((ny, nx), dtype=np.int8)
    roads[seat[0], :] = 2
    roads[:, seat[1]] = 3
    roads[:, int(nx * 0.75)] = 4
    pop = (3000 * np.exp(-dist_seat / 1500) + rng.gamma(1.0, 5.0, (ny, nx))).astype(np.float32)
    ple = np.where(built, 2, np.where(farmland, 1, 3)).astype(np.int8)
    ds = xr.Dataset(
        {
            "elevation_m": (("y", "x"), elev),
            "slope_pct": (("y", "x"), slope),
            "landcover": (("y", "x"), np.zeros((ny, nx), np.int16)),
            "ple": (("y", "x"), ple),
            "population": (("y", "x"), pop),
            "built_up": (("y", "x"), built),
            "idle_construction": (("y", "x"), idle),
            "eco_redline": (("y", "x"), redline),
            "basic_farmland": (("y", "x"), farmland),
            "urban_boundary": (("y", "x"), dist_seat < 3000),
            "water": (("y", "x"), water),
            "road_class": (("y", "x"), roads),
            "tt_county_seat_min": (("y", "x"), (dist_seat / 500).astype(np.float32)),
            "tt_prefecture_min": (
                ("y", "x"),
                (np.hypot(yy + 200, xx + 50) * cell / 700).astype(np.float32),
            ),
        },
        coords={"x": x, "y": y},
        attrs={"crs": EQUAL_AREA_CRS.to_wkt(), "cell_size_m": cell, "synthetic": True},
    )
    return ds


def make_grid(ny: int = 120, nx: int = 140, cell: float = 100.0, seed: int = 0) -> CountyGrid:
    layers = make_layers(ny, nx, cell, seed)
    x, y = layers["x"].values, layers["y"].values
    # an octagon-ish county polygon inset from the raster edge
    cxm, cym = x.mean(), y.mean()
    rx, ry = (x[-1] - x[0]) * 0.48, (y[0] - y[-1]) * 0.48
    ang = np.linspace(0, 2 * np.pi, 9)[:-1]
    boundary = shapely.Polygon(np.column_stack([cxm + rx * np.cos(ang), cym + ry * np.sin(ang)]))
    boundary = shapely.box(
        x[0] - cell / 2, y[-1] - cell / 2, x[-1] + cell / 2, y[0] + cell / 2
    ).intersection(boundary.buffer(rx * 0.2))
    seat = (ny // 3, nx // 3)
    rng = np.random.default_rng(seed + 1)
    vi = rng.integers(0, ny, 40)
    vj = rng.integers(0, nx, 40)
    settlements = gpd.GeoDataFrame(
        {
            "name": ["县城"] + [f"村{i}" for i in range(40)],
            "kind": ["county_seat"] + ["village"] * 40,
            "population": [80000.0] + [800.0] * 40,
        },
        geometry=gpd.points_from_xy(np.r_[x[seat[1]], x[vj]], np.r_[y[seat[0]], y[vi]]),
        crs=EQUAL_AREA_CRS,
    )
    return CountyGrid(
        layers=layers,
        boundary=boundary,
        settlements=settlements,
        roads=empty_roads(EQUAL_AREA_CRS),
        sources={"all": "synthetic test fixture"},
    )


@pytest.fixture(scope="module")
def county_grid() -> CountyGrid:
    return make_grid()
