"""Stage 1 — the region: bundled Zhejiang counties, census joins, land cover and CRS handling."""

from __future__ import annotations

from xiaozhen.region.census import census_join_report, census_table
from xiaozhen.region.crs import EQUAL_AREA_CRS, WGS84, require_projected_metres
from xiaozhen.region.landcover import landcover_shares
from xiaozhen.region.province import (
    LESS_DEVELOPED_COUNTIES,
    PREFECTURE_SEATS,
    PROVINCE_POPULATION,
    SECTORS,
    load_counties,
)

__all__ = [
    "EQUAL_AREA_CRS",
    "LESS_DEVELOPED_COUNTIES",
    "PREFECTURE_SEATS",
    "PROVINCE_POPULATION",
    "SECTORS",
    "WGS84",
    "census_join_report",
    "census_table",
    "landcover_shares",
    "load_counties",
    "require_projected_metres",
]
