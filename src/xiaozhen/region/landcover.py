"""Land-cover shares per county from the bundled MODIS MCD12C1 IGBP 2019 raster (0.05°).

The raster is coarse (≈ 5 km cells), fine for county shares, not for sites. Each county's share of
a class is the share of its area covered by that class: the county polygons are rasterised on a
grid ``oversample`` times finer than the MODIS grid (cell centres), each fine cell takes the class
of the MODIS cell it lies in, and counts are weighted by the cells' true area (cos latitude).
Cells without data (the raster's nodata, 255) are left out of the denominator and reported.

IGBP classes grouped (Friedl et al. 2010; MCD12 user guide):

========== =======================================================================
group      IGBP classes
========== =======================================================================
forest     1–5 (evergreen/deciduous needle- and broadleaf, mixed), 8 woody savannas
           (tree cover 30–60 %; in Zhejiang these are the hill forests)
grass      6–7 shrublands, 9 savannas, 10 grasslands
cropland   12 croplands, 14 cropland/natural vegetation mosaic
urban      13 urban and built-up
water      0 water, 11 permanent wetlands
other      15 snow and ice, 16 barren
========== =======================================================================
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio.features import rasterize
from rasterio.transform import Affine

from xiaozhen.region._bundled import bundled_path

__all__ = ["IGBP_GROUPS", "landcover_shares"]

logger = logging.getLogger(__name__)

#: IGBP class code -> land-cover group used in the county table.
IGBP_GROUPS: dict[int, str] = {
    **dict.fromkeys([1, 2, 3, 4, 5, 8], "forest"),
    **dict.fromkeys([6, 7, 9, 10], "grass"),
    **dict.fromkeys([12, 14], "cropland"),
    13: "urban",
    **dict.fromkeys([0, 11], "water"),
    **dict.fromkeys([15, 16], "other"),
}
_GROUPS = ("forest", "cropland", "urban", "water", "grass", "other")


def landcover_shares(counties: gpd.GeoDataFrame, *, oversample: int = 10) -> pd.DataFrame:
    """Share of each land-cover group in each county (rows sum to 1).

    Parameters
    ----------
    counties
        County polygons (any CRS; reprojected to the raster's geographic CRS), index = adcode.
    oversample
        Fine cells per MODIS cell along each axis.

    Returns
    -------
    pandas.DataFrame
        Columns ``lc_forest, lc_cropland, lc_urban, lc_water, lc_grass, lc_other`` and
        ``lc_nodata_share`` (share of the county's fine cells without MODIS data).
    """
    with rasterio.open(bundled_path("landcover_modis_igbp_2019_0p05deg.tif")) as src:
        classes = src.read(1)
        transform: Affine = src.transform
    geo = counties.to_crs(4326)
    fine_transform = transform @ Affine.scale(1 / oversample)
    height, width = classes.shape[0] * oversample, classes.shape[1] * oversample
    zone = rasterize(
        ((geom, i + 1) for i, geom in enumerate(geo.geometry)),
        out_shape=(height, width),
        transform=fine_transform,
        fill=0,
        dtype="int32",
    )
    fine_class = np.repeat(np.repeat(classes, oversample, axis=0), oversample, axis=1)
    rows = np.arange(height)
    lat = fine_transform.f + fine_transform.e * (rows + 0.5)
    weight = np.broadcast_to(np.cos(np.deg2rad(lat))[:, None], (height, width))
    lookup = np.full(256, len(_GROUPS), dtype=np.int64)  # nodata / unknown -> last slot
    for code, group in IGBP_GROUPS.items():
        lookup[code] = _GROUPS.index(group)
    group_idx = lookup[fine_class]
    inside = zone > 0
    n_zones = len(geo)
    n_slots = len(_GROUPS) + 1
    flat = (zone[inside] - 1) * n_slots + group_idx[inside]
    area = np.bincount(flat, weights=weight[inside], minlength=n_zones * n_slots).reshape(
        n_zones, n_slots
    )
    total = area.sum(axis=1)
    valid = area[:, : len(_GROUPS)].sum(axis=1)
    if np.any(valid <= 0):
        empty = list(counties.index[valid <= 0])
        raise ValueError(f"land cover: counties {empty} have no MODIS cell; raise oversample")
    shares = area[:, : len(_GROUPS)] / valid[:, None]
    out = pd.DataFrame(shares, index=counties.index, columns=[f"lc_{g}" for g in _GROUPS])
    out["lc_nodata_share"] = 1.0 - valid / total
    logger.info(
        "land cover: %d counties, mean forest share %.2f, max nodata share %.3f",
        n_zones,
        out["lc_forest"].mean(),
        out["lc_nodata_share"].max(),
    )
    return out
