"""Plan stage 1: the province region."""

from __future__ import annotations

import pandas as pd

from xiaozhen._io import write_gpkg, write_text_atomic
from xiaozhen.plan._state import PlanState
from xiaozhen.region import census_join_report, load_counties
from xiaozhen.report import Figure, ReportSection, county_map, save_png, table_from_frame

__all__ = ["stage_region"]


def stage_region(state: PlanState) -> None:
    """Load the bundled counties; write them, the census join report and a map."""
    counties = load_counties()
    state.counties = counties
    run = state.run
    write_gpkg(counties, run.file("region/counties.gpkg"), layer="counties")
    attributes = pd.DataFrame(counties.drop(columns="geometry"))
    write_text_atomic(run.file("region/counties.csv"), attributes.to_csv(float_format="%.6g"))
    report = census_join_report(counties.index)
    write_text_atomic(run.file("region/census_join_report.csv"), report.to_csv(index=False))
    png = county_map(
        counties,
        "urbanisation_2020",
        title="Urbanisation 2020 (census) · 城镇化率",
        legend_label="urban share of residents",
        cmap="YlGnBu",
    )
    save_png(png, run.file("region/map_urbanisation_2020.png"))
    changed = report[report["status"] != "1:1"]
    shown = counties[
        [
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
        ]
    ]
    state.sections.append(
        ReportSection(
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
            figures=(Figure("Urbanisation 2020 by county (census).", png),),
            tables=(
                table_from_frame(
                    "County attributes (selection; all in region/counties.csv)", shown
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
    )
