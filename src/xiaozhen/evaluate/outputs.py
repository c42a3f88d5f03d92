"""Write a simulation's outputs into a run folder (atomic, reproducible).

Files (all written with :mod:`xiaozhen._io` atomic helpers):

=========================  ==================================================================
``indicators.csv``         year × indicator: unit, mean, p05, p50, p95 over Monte Carlo draws
``indicators_draws.parquet`` year × draw × indicator values (for paired comparisons)
``towns.csv``              year × town: medians, jobs p05/p95, national thresholds, grade
``trajectories.parquet``   year × zone × variable: mean, p05, p50, p95
``zones.csv``              zone id, kind, county adcode and name, area
``simulation.json``        parameters, policy, seed, draws, calibration record, conservation
=========================  ==================================================================
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xiaozhen._io import write_json_atomic, write_text_atomic, write_with
from xiaozhen.evaluate.indicators import province_indicators, summarise, town_indicators
from xiaozhen.simulate.model import LAND_USES, SimulationResult

__all__ = [
    "OUTPUT_FILES",
    "SimulationTables",
    "conservation_residuals",
    "simulation_tables",
    "write_simulation_outputs",
    "write_simulation_tables",
]

logger = logging.getLogger(__name__)

OUTPUT_FILES = (
    "indicators.csv",
    "indicators_draws.parquet",
    "towns.csv",
    "trajectories.parquet",
    "zones.csv",
    "simulation.json",
)
_KINDS = ("core", "rural", "town")


def conservation_residuals(r: SimulationResult) -> dict[str, float]:
    """Largest relative imbalance of people, land and money over all years and draws."""
    pop = r.population.astype(float).sum(axis=(2, 3))
    people = np.abs(pop[1:] - pop[:-1] - r.external_inflow[1:]) / pop[1:]
    area = r.land.sum(axis=2)
    land = np.abs(area - r.zones.area_km2) / np.maximum(r.zones.area_km2, 1e-9)
    t = r.town
    src = t["public_budget"] + t["debt"] + t["private"] + t["fiscal_return_in"]
    use = t["investment"] + t["service_spend"] + t["unspent"]
    money = np.abs(src - use) / np.maximum(np.abs(src), 1.0)
    tax = np.abs(t["tax"] - t["tax_county"] - t["tax_provincial_kept"] - t["tax_returned"])
    return {
        "people_rel": float(people.max(initial=0.0)),
        "land_rel": float(land.max(initial=0.0)),
        "money_rel": float(money.max(initial=0.0)),
        "tax_abs_yuan": float(tax.max(initial=0.0)),
    }


def _trajectories(r: SimulationResult) -> pd.DataFrame:
    pop = r.population.astype(float)
    variables: dict[str, Any] = {
        "population": pop.sum(axis=2),
        "tertiary": pop[:, :, :2].sum(axis=2),
        "migrants": pop[:, :, [1, 3]].sum(axis=2),
        "income_per_capita": (
            r.income[:, :, 0] * pop[:, :, :2].sum(axis=2)
            + r.income[:, :, 1] * pop[:, :, 2:].sum(axis=2)
        )
        / np.maximum(pop.sum(axis=2), 1.0),
        "jobs": r.jobs.astype(float).sum(axis=2),
        "congestion": r.congestion.astype(float),
        "housing_cost": r.housing_cost.astype(float),
    }
    for i, use in enumerate(LAND_USES):
        variables[f"{use}_km2"] = r.land[:, :, i]
    frames = []
    z = r.zones
    n_y, n_z = len(r.years), z.n_zones
    year = np.repeat(r.years, n_z)
    zone = np.tile(np.array(z.zone_id), n_y)
    for name, arr in variables.items():
        q = np.percentile(arr, [5, 50, 95], axis=1)  # (3, Y, Z)
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "zone_id": zone,
                    "variable": name,
                    "mean": arr.mean(axis=1).ravel(),
                    "p05": q[0].ravel(),
                    "p50": q[1].ravel(),
                    "p95": q[2].ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class SimulationTables:
    """The tables of one simulation (what :data:`OUTPUT_FILES` hold), computed once.

    ``indicators``: year × indicator summary; ``draws``: year × draw × indicator values (for
    paired comparisons); ``towns``: year × town; ``trajectories``: year × zone × variable;
    ``zones``: the zone table; ``meta``: the ``simulation.json`` record.
    """

    indicators: pd.DataFrame
    draws: pd.DataFrame
    towns: pd.DataFrame
    trajectories: pd.DataFrame
    zones: pd.DataFrame
    meta: dict[str, Any]


def simulation_tables(result: SimulationResult) -> SimulationTables:
    """Every table of a simulation's outputs (pure: nothing is written)."""
    values = province_indicators(result)
    summary = summarise(values, result.years)
    n_y, n_d = next(iter(values.values())).shape
    draws = pd.DataFrame(
        {"year": np.repeat(result.years, n_d), "draw": np.tile(np.arange(n_d), n_y)}
    )
    for k, v in values.items():
        draws[k] = v.ravel()
    z = result.zones
    zones = pd.DataFrame(
        {
            "zone_id": z.zone_id,
            "kind": [_KINDS[k] for k in z.kind],
            "county": [z.county_adcode[c] for c in z.county],
            "county_name": [z.county_name[c] for c in z.county],
            "area_km2": z.area_km2,
        }
    )
    meta = {
        "years": [int(result.years[0]), int(result.years[-1])],
        "draws": result.draws,
        "seed": result.seed,
        "parameters": result.parameters.model_dump(),
        "policy": result.policy.model_dump(),
        "calibration": result.calibration,
        "towns": result.zones.towns.to_dict(orient="records"),
        "conservation": conservation_residuals(result),
        "files": list(OUTPUT_FILES),
    }
    return SimulationTables(
        indicators=summary,
        draws=draws,
        towns=town_indicators(result),
        trajectories=_trajectories(result),
        zones=zones,
        meta=meta,
    )


def write_simulation_tables(tables: SimulationTables, folder: str | Path) -> dict[str, Path]:
    """Write the files of :data:`OUTPUT_FILES` from ``tables`` into ``folder`` (created).

    Returns
    -------
    dict
        File name → path written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    paths["indicators.csv"] = write_text_atomic(
        folder / "indicators.csv", tables.indicators.to_csv(index=False, float_format="%.6g")
    )
    draws = tables.draws
    paths["indicators_draws.parquet"] = write_with(
        folder / "indicators_draws.parquet", lambda p: draws.to_parquet(p, index=False)
    )
    paths["towns.csv"] = write_text_atomic(
        folder / "towns.csv", tables.towns.to_csv(index=False, float_format="%.6g")
    )
    traj = tables.trajectories
    paths["trajectories.parquet"] = write_with(
        folder / "trajectories.parquet", lambda p: traj.to_parquet(p, index=False)
    )
    paths["zones.csv"] = write_text_atomic(folder / "zones.csv", tables.zones.to_csv(index=False))
    paths["simulation.json"] = write_json_atomic(folder / "simulation.json", tables.meta)
    logger.info("wrote %d simulation files to %s", len(paths), folder)
    return paths


def write_simulation_outputs(result: SimulationResult, folder: str | Path) -> dict[str, Path]:
    """Write the files of :data:`OUTPUT_FILES` for ``result`` into ``folder`` (created if needed).

    Returns
    -------
    dict
        File name → path written.
    """
    return write_simulation_tables(simulation_tables(result), folder)
