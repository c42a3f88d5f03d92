"""The towns of one plan: one row per town, from the province's choice through the county designs.

:func:`towns_of_plan` builds the table the run folder keeps as ``towns.csv`` (columns
:data:`TOWN_COLUMNS`): every town the province chose, less those the county stage dropped; a
town in a focus county carries its design (``source = "designed"``: site, construction land,
residents and jobs the design houses), every other town the stand-in profile of the same design
rules (``source = "profile"``, :func:`xiaozhen.design.stand_in_profile`). :func:`simulated_towns`
is exactly that table in the simulation's town format, and :func:`with_end_year` adds the
simulation's end-year medians (``residents_<END>``, ``jobs_<END>``, ``tax_bn_yuan_<END>``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xiaozhen.design import CountyPlan, DesignRules, stand_in_profile

__all__ = [
    "PROFILE_AREA_KM2",
    "PROFILE_IDLE_KM2",
    "TOWN_COLUMNS",
    "simulated_towns",
    "towns_of_plan",
    "with_end_year",
]

#: Columns of the plan's town table, in order (``towns.csv``).
TOWN_COLUMNS = (
    "town_id",
    "adcode",
    "county",
    "industry",
    "source",
    "siting",
    "site_id",
    "start_year",
    "less_developed",
    "planned_area_km2",
    "construction_km2",
    "residents_designed",
    "jobs_designed",
    "investment_bn_yuan",
    "idle_reused_km2",
    "x",
    "y",
)
#: Planned area of a town that is not designed: about 3 km² (浙特镇办〔2015〕9号 §2(2)).
PROFILE_AREA_KM2 = 3.0
#: Idle construction land reused by a town that is not designed (the simulation's assumption).
PROFILE_IDLE_KM2 = 0.2


def towns_of_plan(
    province_towns: pd.DataFrame, county_plans: Sequence[CountyPlan], rules: DesignRules
) -> pd.DataFrame:
    """The plan's towns: the province's programme with each focus county's siting and design.

    Parameters
    ----------
    province_towns
        :attr:`xiaozhen.layout.ProvinceLayout.towns` (or its suburbs-only counterpart).
    county_plans
        The focus counties' plans; their dropped towns leave the table.
    rules
        Design rules of the stand-in profile for towns that are not designed.
    """
    profile = stand_in_profile(rules)
    by_town = {}
    dropped: set[str] = set()
    for county in county_plans:
        for siting in county.sitings:
            if siting.decision == "dropped":
                dropped.add(siting.town_id)
        for site_id, design in zip(county.chosen.index, county.designs, strict=True):
            row = county.chosen.loc[site_id]
            point = county.chosen.geometry.loc[site_id].centroid
            decision = next(s.decision for s in county.sitings if s.town_id == row["town_id"])
            by_town[str(row["town_id"])] = {
                "source": "designed",
                "siting": decision,
                "site_id": str(site_id),
                "planned_area_km2": float(row["area_km2"]),
                "construction_km2": float(design.metrics["construction_km2"]),
                "residents_designed": float(design.metrics["residents"]),
                "jobs_designed": float(design.metrics["jobs"]),
                "idle_reused_km2": float(design.metrics["idle_reused_km2"]),
                "x": float(point.x),
                "y": float(point.y),
            }
    rows = []
    for town in province_towns.to_dict("records"):
        town_id = str(town["town_id"])
        if town_id in dropped:
            continue
        base = {
            "town_id": town_id,
            "adcode": str(town["county"]),
            "county": str(town["name"]),
            "industry": str(town["industry"]),
            "start_year": int(town["start_year"]),
            "less_developed": bool(town["fringe"]),
            "investment_bn_yuan": float(town["investment_yuan"]) / 1e9,
        }
        designed = by_town.get(town_id)
        if designed is None:
            designed = {
                "source": "profile",
                "siting": "",
                "site_id": "",
                "planned_area_km2": PROFILE_AREA_KM2,
                "construction_km2": profile.construction_km2,
                "residents_designed": profile.residents,
                "jobs_designed": profile.jobs,
                "idle_reused_km2": PROFILE_IDLE_KM2,
                "x": float(town["x"]),
                "y": float(town["y"]),
            }
        rows.append({**base, **designed})
    return pd.DataFrame(rows, columns=list(TOWN_COLUMNS))


def simulated_towns(towns: pd.DataFrame) -> pd.DataFrame:
    """The plan's towns in the simulation's town format (the same rows, in the same order)."""
    return pd.DataFrame(
        {
            "town_id": towns["town_id"].astype(str),
            "county": towns["adcode"].astype(str),
            "industry": towns["industry"].astype(str),
            "start_year": towns["start_year"].astype(int),
            "investment_yuan": towns["investment_bn_yuan"].astype(float) * 1e9,
            "area_km2": towns["planned_area_km2"].astype(float),
            "idle_land_km2": np.minimum(
                towns["idle_reused_km2"].astype(float), towns["planned_area_km2"].astype(float)
            ),
            "construction_km2": towns["construction_km2"].astype(float),
            "residents_designed": towns["residents_designed"].astype(float),
            "jobs_designed": towns["jobs_designed"].astype(float),
        }
    )


def with_end_year(towns: pd.DataFrame, simulated: pd.DataFrame, year: int) -> pd.DataFrame:
    """``towns`` with ``residents_<year>``, ``jobs_<year>``, ``tax_bn_yuan_<year>`` (medians).

    ``simulated`` is the simulation's year × town table
    (:func:`xiaozhen.evaluate.town_indicators`); a town without a row that year gets 0.
    """
    end = simulated[simulated["year"] == year].set_index("town_id")
    out = towns.copy()
    ids = out["town_id"].astype(str)
    out[f"residents_{year}"] = ids.map(end["residents"]).fillna(0.0).to_numpy()
    out[f"jobs_{year}"] = ids.map(end["jobs"]).fillna(0.0).to_numpy()
    out[f"tax_bn_yuan_{year}"] = (ids.map(end["tax_yuan"]).fillna(0.0) / 1e9).to_numpy()
    return out
