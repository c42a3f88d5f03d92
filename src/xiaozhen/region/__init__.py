"""Stage 1 — the region: bundled Zhejiang counties, census joins, land cover, CRS handling, county grids
(import, synthetic generator, travel time)."""

from __future__ import annotations

from xiaozhen.region._bundled import bundled_path
from xiaozhen.region.census import census_join_report, census_table
from xiaozhen.region.classes import class_table, group_shares, ple_of_codes
from xiaozhen.region.crs import EQUAL_AREA_CRS, WGS84, require_projected_metres
from xiaozhen.region.grid import (
    LAYER_SPECS,
    ROAD_SPEEDS_KMH,
    CountyGrid,
    GridSpec,
    grid_spec_for,
    slope_percent,
)
from xiaozhen.region.importer import import_grid, load_import_config
from xiaozhen.region.landcover import landcover_shares
from xiaozhen.region.province import (
    LESS_DEVELOPED_COUNTIES,
    PREFECTURE_SEATS,
    PROVINCE_POPULATION,
    SECTORS,
    load_counties,
)
from xiaozhen.region.synth import CountyFacts, synth_county
from xiaozhen.region.travel import travel_time_minutes, travel_times

__all__ = [
    "EQUAL_AREA_CRS",
    "LAYER_SPECS",
    "LESS_DEVELOPED_COUNTIES",
    "PREFECTURE_SEATS",
    "PROVINCE_POPULATION",
    "ROAD_SPEEDS_KMH",
    "SECTORS",
    "WGS84",
    "CountyFacts",
    "CountyGrid",
    "GridSpec",
    "bundled_path",
    "census_join_report",
    "census_table",
    "class_table",
    "grid_spec_for",
    "group_shares",
    "import_grid",
    "landcover_shares",
    "load_counties",
    "load_import_config",
    "ple_of_codes",
    "require_projected_metres",
    "slope_percent",
    "synth_county",
    "travel_time_minutes",
    "travel_times",
]
