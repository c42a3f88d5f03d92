"""Report section of stage 1 — the province region."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from xiaozhen.report.figures import county_map
from xiaozhen.report.html import Figure, ReportSection, table_from_frame

__all__ = ["region_section"]

#: County attributes shown in the report (all of them are in region/counties.csv).
_SHOWN = (
    "name",
    "city",
    "area_km2",
    "pop_2020",
    "pop_2010",
    "urbanisation_2020",
    "tertiary_share_2020",
    "age65_share_2020",
    "lc_forest",
    "less_developed",
)


def region_section(counties: gpd.GeoDataFrame, join_report: pd.DataFrame) -> ReportSection:
    """The 90 counties: totals, the urbanisation map, attributes and the census joins."""
    png = county_map(
        counties,
        "urbanisation_2020",
        title="Urbanisation 2020 (census) · 城镇化率",
        legend_label="urban share of residents",
        cmap="YlGnBu",
    )
    changed = join_report[join_report["status"] != "1:1"]
    return ReportSection(
        id="region",
        title="Region · 浙江省 90 county-level units",
        summary=(
            f"{len(counties)} county-level units, {counties['area_km2'].sum():,.0f} km², "
            f"{counties['pop_2020'].sum():,.0f} residents in 2020 "
            f"({counties['pop_2010'].sum():,.0f} in 2010). Census tables of 2010 and 2020 "
            "are joined to today's divisions through a documented crosswalk: "
            f"{changed['target_adcode'].nunique()} units needed aggregation or apportionment."
        ),
        facts=(
            ("counties", f"{len(counties)}"),
            ("population 2020", f"{counties['pop_2020'].sum() / 1e6:.2f} M"),
            (
                "urbanisation 2020",
                f"{counties['urban_pop_2020'].sum() / counties['pop_2020'].sum():.1%}",
            ),
            ("less-developed counties", f"{int(counties['less_developed'].sum())}"),
        ),
        figures=(
            Figure(
                "Urbanisation 2020 by county (census).",
                png,
                path="region/map_urbanisation_2020.png",
            ),
        ),
        tables=(
            table_from_frame(
                "County attributes (selection; all in region/counties.csv)",
                counties[list(_SHOWN)],
            ),
            table_from_frame(
                "Census join report: units that are not joined 1:1",
                changed[
                    ["census_year", "source_name", "target_name", "fraction", "status", "rule"]
                ],
                index=False,
                digits=4,
            ),
        ),
        notes=(
            "Land-cover shares come from 5 km MODIS cells: right for county shares, "
            "not for sites. There is no open county GDP or income series; later stages "
            "estimate what they need and say so.",
        ),
    )
