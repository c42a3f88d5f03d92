"""Portfolios whose indicators come from the simulation, marked ``simulated`` on every row.

* :func:`portfolio_from_run` — the towns of a ``xiaozhen plan`` run folder (its ``towns.csv``)
  with the simulation's medians per year (``simulate/programme/towns.csv``): what grades the
  plan would earn. Read from the files only (monitor does not import the plan).
* :func:`example_portfolio` — the bundled example: the 37 real towns of Zhejiang's first
  creation list (2015), their indicators simulated (:func:`simulate_batch1_portfolio` made it).

The simulation has no characteristic / private split of investment, no firms and no scenic
level: those cells stay blank ("not reported"); grade such portfolios with
``missing="reweight"`` so the criteria the model cannot speak to are left out.
"""

from __future__ import annotations

import logging
import os
from importlib.resources import files
from pathlib import Path

import pandas as pd

from xiaozhen.errors import InputDataError
from xiaozhen.evaluate import town_indicators
from xiaozhen.industries import town_investment_yuan
from xiaozhen.monitor._portfolio import PORTFOLIO_COLUMNS, Portfolio, portfolio_from_frame
from xiaozhen.region import load_counties
from xiaozhen.simulate import simulate

__all__ = [
    "BATCH1_FILE",
    "EXAMPLE_FILE",
    "batch1_towns",
    "example_portfolio",
    "portfolio_from_run",
    "simulate_batch1_portfolio",
]

logger = logging.getLogger(__name__)

BATCH1_FILE = "batch1_towns.csv"
EXAMPLE_FILE = "example_portfolio.csv"
#: The simulation starts from the 2020 census; the example's towns start in its first year.
_SIM_START = 2021
_BATCH1_CREATED = 2015


def _data(name: str) -> Path:
    return Path(str(files("xiaozhen.monitor").joinpath("data", name)))


def simulated_rows(towns: pd.DataFrame, simulated: pd.DataFrame) -> pd.DataFrame:
    """Portfolio rows (template columns) from a town table and the simulation's year × town
    medians (:func:`xiaozhen.evaluate.town_indicators`, a run's ``simulate/programme/towns.csv``).

    ``towns`` needs ``town_id``, ``name``, ``county`` (adcode), ``industry``,
    ``planned_area_km2``, ``construction_area_km2`` and ``creation_year``. Output is
    productivity × industry jobs (both medians over draws).
    """
    sim = simulated.copy()
    sim["town_id"] = sim["town_id"].astype(str)
    known = sim["town_id"].isin(towns["town_id"])
    rows = pd.DataFrame(
        {
            "town_id": sim["town_id"],
            "tier": "creation",
            "year": sim["year"].astype(int),
            "fai_total_bn_yuan": sim["investment_yuan"] / 1e9,
            "output_bn_yuan": sim["productivity_yuan_per_job"] * sim["industry_jobs"] / 1e9,
            "tax_bn_yuan": sim["tax_yuan"] / 1e9,
            "jobs": sim["jobs"],
            "visitors": sim["visitors"],
            "construction_land_km2": sim["construction_km2"],
            "new_quota_km2": sim["new_quota_used_km2"],
            "provenance": "simulated",
        }
    )[known.to_numpy()]
    rows = rows.join(towns.set_index("town_id"), on="town_id")
    return rows.reindex(columns=[c.name for c in PORTFOLIO_COLUMNS])


def portfolio_from_run(run: str | os.PathLike[str]) -> Portfolio:
    """The towns of a run folder as a creation-tier portfolio with simulated indicators.

    Reads ``RUN/towns.csv`` (one row per town: ``town_id``, ``adcode``, ``industry``,
    ``start_year`` = creation year, ``planned_area_km2``, ``construction_km2``) and
    ``RUN/simulate/programme/towns.csv`` (year × town medians).

    Raises
    ------
    InputDataError
        If the folder is not a finished run folder with both tables.
    """
    folder = Path(run)
    towns_file = folder / "towns.csv"
    sim_file = folder / "simulate" / "programme" / "towns.csv"
    for file in (towns_file, sim_file):
        if not file.is_file():
            raise InputDataError(
                f"--from-run: {str(file)!r} not found; give the folder written by "
                "`xiaozhen plan --out RUN` (with its simulation)"
            )
    towns = pd.read_csv(towns_file, dtype={"adcode": str, "town_id": str})
    needed = {"town_id", "adcode", "industry", "start_year", "planned_area_km2", "construction_km2"}
    missing = sorted(needed - set(towns.columns))
    if missing:
        raise InputDataError(
            f"--from-run: {towns_file} lacks column(s) {', '.join(missing)}; rerun the plan with "
            "this version of xiaozhen"
        )
    table = pd.DataFrame(
        {
            "town_id": towns["town_id"],
            "name": towns["county"].astype(str) + " " + towns["industry"].astype(str)
            if "county" in towns
            else towns["town_id"],
            "county": towns["adcode"],
            "industry": towns["industry"],
            "planned_area_km2": towns["planned_area_km2"],
            "construction_area_km2": towns["construction_km2"],
            "creation_year": towns["start_year"],
        }
    )
    simulated = pd.read_csv(sim_file, dtype={"town_id": str})
    rows = simulated_rows(table, simulated)
    return portfolio_from_frame(rows, source=f"run {folder.name}")


def batch1_towns() -> pd.DataFrame:
    """The 37 towns of the first creation list (2015) with today's adcode and an industry key
    (bundled ``monitor/data/batch1_towns.csv``; DATA.md has the source and the mapping)."""
    return pd.read_csv(_data(BATCH1_FILE), dtype={"adcode": str})


def simulate_batch1_portfolio(*, draws: int = 16, seed: int = 0) -> pd.DataFrame:
    """Portfolio rows of the batch-1 towns with indicators from the simulation.

    The model starts from the 2020 census, so the towns are created in its first year (2021)
    and simulated for four years; the years are then relabelled by age since creation to
    2015–2018 (the towns' real creation year is 2015). Planned and construction areas are the
    typical 3 km² and 1 km² (BRIEF §4.1); the planned investment is the 3-year target of the
    town's industry. Every row is marked ``simulated``.
    """
    towns = batch1_towns()
    programme = pd.DataFrame(
        {
            "town_id": towns["town_id"],
            "county": towns["adcode"],
            "industry": towns["industry"],
            "start_year": _SIM_START,
            "investment_yuan": [town_investment_yuan(k) for k in towns["industry"]],
        }
    )
    result = simulate(load_counties(), programme, years=4, draws=draws, seed=seed)
    table = pd.DataFrame(
        {
            "town_id": towns["town_id"],
            "name": towns["name"],
            "county": towns["adcode"],
            "industry": towns["industry"],
            "planned_area_km2": 3.0,
            "construction_area_km2": 1.0,
            "creation_year": _BATCH1_CREATED,
        }
    )
    rows = simulated_rows(table, town_indicators(result))
    rows["year"] = rows["year"] - _SIM_START + _BATCH1_CREATED
    logger.info(
        "simulated the batch-1 portfolio: %d rows (%d draws, seed %d)", len(rows), draws, seed
    )
    return rows.sort_values(["town_id", "year"]).reset_index(drop=True)


def example_portfolio() -> Portfolio:
    """The bundled example portfolio: the 37 batch-1 towns, 2015–2018, indicators simulated."""
    frame = pd.read_csv(_data(EXAMPLE_FILE), dtype=str, keep_default_na=False)
    return portfolio_from_frame(frame, source="example portfolio (batch-1 towns, simulated)")
