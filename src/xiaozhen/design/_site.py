"""Resample county layers onto the fine design grid of one site.

The design grid is aligned to multiples of the cell size, covers the site polygon's bounds plus a
margin (so roads just outside the site still count for access), and is clipped to the polygon
with :func:`rasterio.features.geometry_mask` (cell centres inside the polygon). Categorical and
boolean layers are resampled by nearest neighbour when the design cell is finer than the county
cell and by mode when it is coarser; continuous layers bilinear or average respectively
(:func:`rasterio.warp.reproject`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.features import geometry_mask
from rasterio.warp import reproject
from scipy import ndimage
from shapely.geometry.base import BaseGeometry

from xiaozhen.errors import InputDataError
from xiaozhen.region.crs import require_projected_metres

__all__ = ["REQUIRED_LAYERS", "SiteGrid", "site_grid_from_layers"]

logger = logging.getLogger(__name__)

#: County layers the design needs.
REQUIRED_LAYERS: tuple[str, ...] = (
    "slope_pct",
    "ple",
    "built_up",
    "idle_construction",
    "eco_redline",
    "basic_farmland",
    "urban_boundary",
    "water",
    "road_class",
)
_CONTINUOUS = ("slope_pct", "elevation_m", "population")

BoolGrid = npt.NDArray[np.bool_]
FloatGrid = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class SiteGrid:
    """Layers of one site on the design grid (2-D arrays of one shape, row 0 at the top).

    ``natural`` = ecological cover (``ple == 3``) that is not water; ``cropland`` = production
    cover (``ple == 1``) that is neither built, road nor water; ``road`` = an existing road
    (``road_class > 0``). ``road_dist_m`` is the Euclidean distance from each cell centre to the
    nearest existing road cell within the grid extent (``inf`` if none).
    """

    site_id: str
    transform: Affine
    crs_wkt: str
    cell_size_m: float
    in_site: BoolGrid
    slope_pct: FloatGrid
    ple: npt.NDArray[np.int8]
    built_up: BoolGrid
    idle: BoolGrid
    redline: BoolGrid
    basic_farmland: BoolGrid
    urban_boundary: BoolGrid
    water: BoolGrid
    road: BoolGrid
    road_dist_m: FloatGrid

    @property
    def shape(self) -> tuple[int, int]:
        """Grid shape (rows, columns)."""
        return (int(self.in_site.shape[0]), int(self.in_site.shape[1]))

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell, m²."""
        return self.cell_size_m**2

    @property
    def natural(self) -> BoolGrid:
        """Ecological cover that is not water."""
        return np.asarray((self.ple == 3) & ~self.water, dtype=bool)

    @property
    def cropland(self) -> BoolGrid:
        """Production cover that is not built, road or water (farmland that may be converted)."""
        return np.asarray((self.ple == 1) & ~self.built_up & ~self.road & ~self.water, dtype=bool)

    @property
    def walkable(self) -> BoolGrid:
        """Cells a pedestrian can cross: inside the site, not water, not ecological red line."""
        return self.in_site & ~self.water & ~self.redline


def _dataset_transform(ds: xr.Dataset) -> Affine:
    x = np.asarray(ds["x"].values, dtype=float)
    y = np.asarray(ds["y"].values, dtype=float)
    if x.size < 2 or y.size < 2:
        raise InputDataError(
            f"layers: the county grid needs at least 2×2 cells, received {y.size}×{x.size}."
        )
    dx = float(x[1] - x[0])
    dy = float(y[1] - y[0])
    if dx <= 0 or dy >= 0:
        raise InputDataError(
            "layers: coords must be cell centres with x ascending and y descending "
            f"(received dx={dx}, dy={dy}); sort the dataset with ds.sortby(['x', 'y'])."
        )
    return Affine(dx, 0.0, float(x[0]) - dx / 2, 0.0, dy, float(y[0]) - dy / 2)


def _unwrap(grid: Any, crs: Any) -> tuple[xr.Dataset, CRS]:
    """Accept a CountyGrid (``.layers``, ``.crs``) or an ``xarray.Dataset`` plus a CRS."""
    if isinstance(grid, xr.Dataset):
        ds = grid
        use_crs = crs if crs is not None else ds.attrs.get("crs")
    elif hasattr(grid, "layers"):
        ds = grid.layers
        use_crs = crs if crs is not None else getattr(grid, "crs", None)
    else:
        raise InputDataError(
            f"grid: expected a CountyGrid or an xarray.Dataset, received {type(grid).__name__}."
        )
    parsed = require_projected_metres(use_crs, parameter="grid.crs")
    missing = [name for name in REQUIRED_LAYERS if name not in ds]
    if missing:
        raise InputDataError(
            f"grid: layers {missing} are missing (have {sorted(map(str, ds.data_vars))}); "
            "build the county grid with xiaozhen.region or add them as all-False/0 layers."
        )
    return ds, parsed


def site_grid_from_layers(
    grid: Any,
    site: BaseGeometry,
    *,
    crs: Any = None,
    cell_size_m: float = 50.0,
    site_id: str = "site",
    margin_cells: int = 4,
) -> SiteGrid:
    """Resample county layers onto a ``cell_size_m`` grid over ``site`` and clip to it.

    Parameters
    ----------
    grid
        A ``CountyGrid`` (anything with ``.layers`` and ``.crs``) or an ``xarray.Dataset`` with
        the variables in :data:`REQUIRED_LAYERS` and coords ``x``, ``y`` (cell centres, metres).
    site
        Site polygon in the grid's CRS.
    crs
        CRS of ``grid`` if a Dataset without a ``crs`` attribute is given.
    cell_size_m
        Design cell size in metres (50 by default; 25 for detailed plans).
    site_id
        Name carried into the result.
    margin_cells
        Cells added around the polygon's bounds (roads just outside still give access).
    """
    ds, parsed = _unwrap(grid, crs)
    if site.is_empty or site.area <= 0:
        raise InputDataError(f"site {site_id!r}: the polygon is empty; give a polygon with area.")
    if site.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputDataError(
            f"site {site_id!r}: expected a Polygon or MultiPolygon, received {site.geom_type}."
        )
    src_transform = _dataset_transform(ds)
    src_cell = abs(src_transform.a)
    minx, miny, maxx, maxy = site.bounds
    cs = float(cell_size_m)
    x0 = np.floor(minx / cs) * cs - margin_cells * cs
    y1 = np.ceil(maxy / cs) * cs + margin_cells * cs
    width = int(np.ceil((maxx + margin_cells * cs - x0) / cs))
    height = int(np.ceil((y1 - (miny - margin_cells * cs)) / cs))
    dst_transform = Affine(cs, 0.0, float(x0), 0.0, -cs, float(y1))
    finer = cs <= src_cell
    wkt = parsed.to_wkt()

    def resample(name: str) -> npt.NDArray[Any]:
        src = np.asarray(ds[name].values)
        continuous = name in _CONTINUOUS
        if continuous:
            data = src.astype(np.float32)
            method = Resampling.bilinear if finer else Resampling.average
            dst = np.full((height, width), np.nan, dtype=np.float32)
            nodata: float = np.nan
        else:
            data = src.astype(np.int16)
            method = Resampling.nearest if finer else Resampling.mode
            dst = np.full((height, width), -1, dtype=np.int16)
            nodata = -1
        reproject(
            source=data,
            destination=dst,
            src_transform=src_transform,
            src_crs=wkt,
            dst_transform=dst_transform,
            dst_crs=wkt,
            resampling=method,
            src_nodata=nodata,
            dst_nodata=nodata,
        )
        return dst

    in_site = geometry_mask([site], out_shape=(height, width), transform=dst_transform, invert=True)
    slope = resample("slope_pct").astype(np.float64)
    outside_county = np.isnan(slope)
    if np.any(in_site & outside_county):
        n_out = int(np.count_nonzero(in_site & outside_county))
        raise InputDataError(
            f"site {site_id!r}: {n_out} design cells lie outside the county grid (or its slope is "
            "NaN); clip the site to the county or extend the grid."
        )
    layers = {
        name: resample(name)
        for name in REQUIRED_LAYERS
        if name != "slope_pct"  # already done
    }
    flags = {name: layers[name] > 0 for name in layers}
    road = flags["road_class"]
    if np.any(road):
        road_dist = ndimage.distance_transform_edt(~road) * cs
    else:
        road_dist = np.full((height, width), np.inf)
    slope = np.where(outside_county, 0.0, slope)
    out = SiteGrid(
        site_id=site_id,
        transform=dst_transform,
        crs_wkt=wkt,
        cell_size_m=cs,
        in_site=in_site,
        slope_pct=slope,
        ple=np.clip(layers["ple"], 0, 3).astype(np.int8),
        built_up=flags["built_up"],
        idle=flags["idle_construction"],
        redline=flags["eco_redline"] & in_site,
        basic_farmland=flags["basic_farmland"] & in_site,
        urban_boundary=flags["urban_boundary"],
        water=flags["water"] & in_site,
        road=road & in_site,
        road_dist_m=np.asarray(road_dist, dtype=np.float64),
    )
    logger.info(
        "site %s: %d×%d design grid at %.0f m, %d cells inside (%.2f km²)",
        site_id,
        height,
        width,
        cs,
        int(in_site.sum()),
        in_site.sum() * cs * cs / 1e6,
    )
    return out
