"""The province-scale layout: how many towns of which industry in which county.

Candidates are (county, industry) pairs: each county's positioned industry and its next-best
industries by fit, up to ``max_towns_per_county``. The planning model of this package
(:func:`layout_from_candidates`) chooses ``n_towns`` of them under the capital budget and land
quota with the balance share of towns in the less-developed counties; the frontier shows what
balance costs, and the same model without any less-developed county gives the "suburbs only"
counterfactual.

Benefit of a candidate (documented assumption): ``10 × (½·q_suit + ½·fit)`` where ``q_suit`` is
the county's suitability percentile and ``fit`` the industry fit (0–1); coverage adds 1 per
10,000 rural residents of counties whose seat lies within the service radius of the town's county
seat (straight line), so the best possible benefit of a town equals covering 100,000 rural people.

Public face: :class:`ProvinceLayoutRules` (the inputs a scenario sets), :func:`layout_province`
returning the frozen :class:`ProvinceLayout`, and its building blocks
:func:`province_candidates`, :func:`solve_province_layout`, :func:`programme_towns`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen.assess import CountyAssessment
from xiaozhen.errors import InfeasibleError
from xiaozhen.industries import town_investment_yuan
from xiaozhen.layout._check import check_solution
from xiaozhen.layout._frontier import LayoutPlan, layout_from_candidates
from xiaozhen.position import PositioningResult

__all__ = [
    "PROGRAMME_TOWN_COLUMNS",
    "SERVICE_RADIUS_M",
    "TOWN_LAND_KM2",
    "ProvinceLayout",
    "ProvinceLayoutRules",
    "layout_province",
    "programme_towns",
    "province_candidates",
    "solve_province_layout",
]

logger = logging.getLogger(__name__)

#: Construction land of a town: about 1 km² (BRIEF §4.1).
TOWN_LAND_KM2 = 1.0
#: Coverage radius at province scale (straight line between county seats).
SERVICE_RADIUS_M = 30_000.0
#: Columns of :attr:`ProvinceLayout.towns` (the programme the province chose).
PROGRAMME_TOWN_COLUMNS = (
    "town_id",
    "county",
    "name",
    "industry",
    "start_year",
    "investment_yuan",
    "fringe",
    "x",
    "y",
)


@dataclass(frozen=True)
class ProvinceLayoutRules:
    """What a scenario sets for the province layout (units in the names).

    ``less_developed`` lists the adcodes of the less-developed counties; ``None`` takes the
    county table's ``less_developed`` column. ``county_min`` gives counties a minimum number of
    towns (e.g. the focus counties a county bureau plans in detail).
    """

    n_towns: int
    capital_budget_yuan: float
    land_quota_km2: float
    balance_share: float
    max_towns_per_county: int
    min_free_land_km2: float
    frontier_shares: tuple[float, ...]
    time_limit_s: float
    start_year: int
    less_developed: tuple[str, ...] | None = None
    county_min: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ProvinceLayout:
    """The province's batch of towns (a stage value: nothing on disk).

    Attributes
    ----------
    candidates
        The (county, industry) candidate table.
    plan
        The planning model solved at the scenario's balance share, with the frontier.
    suburbs_only
        The same model over the candidates outside the less-developed counties (no frontier);
        ``None`` when not requested.
    towns
        The chosen towns as a programme (:data:`PROGRAMME_TOWN_COLUMNS`): ``town_id`` is the
        candidate id ``<adcode>-<industry>``; three yearly creation batches by benefit; ``x``,
        ``y`` the county seat (equal-area metres).
    towns_suburbs_only
        The suburbs-only counterpart as a programme (``None`` when not requested).
    """

    candidates: pd.DataFrame
    plan: LayoutPlan
    suburbs_only: LayoutPlan | None
    towns: pd.DataFrame
    towns_suburbs_only: pd.DataFrame | None
    rules: ProvinceLayoutRules

    @property
    def frontier(self) -> pd.DataFrame:
        """The balance frontier (always computed by :func:`layout_province` with a frontier)."""
        if self.plan.frontier is None:
            raise ValueError("this province layout was solved without its frontier")
        return self.plan.frontier

    @property
    def price_of_balance(self) -> float:
        """Price of balance at the frontier point nearest the scenario's balance share."""
        frontier = self.frontier
        gap = (frontier["balance_share"].to_numpy(float) - self.rules.balance_share).__abs__()
        return float(frontier["price_of_balance"].to_numpy(float)[int(gap.argmin())])


def province_candidates(
    counties: gpd.GeoDataFrame,
    assessment: CountyAssessment,
    positioning: PositioningResult,
    rules: ProvinceLayoutRules,
) -> pd.DataFrame:
    """The (county, industry) candidate table for the province-scale layout."""
    fit = positioning.fit
    free = counties["area_km2"] * (1.0 - counties["lc_urban"] - counties["lc_water"])
    eligible = counties.index[free >= rules.min_free_land_km2]
    q_suit = assessment.counties["score"].rank(pct=True)
    less = rules.less_developed
    fringe_flags = (
        counties.index.isin(list(less)) if less is not None else counties["less_developed"]
    )
    fringe = pd.Series(np.asarray(fringe_flags, dtype=bool), index=counties.index)
    rows = []
    for adcode in eligible:
        best = str(positioning.table.loc[adcode, "best_industry"])
        others = [i for i in fit.loc[adcode].sort_values(ascending=False).index if i != best]
        for rank, industry in enumerate([best, *others][: rules.max_towns_per_county]):
            f = float(fit.loc[adcode, industry])
            rows.append(
                {
                    "candidate": f"{adcode}-{industry}",
                    "county": adcode,
                    "name": counties.loc[adcode, "name"],
                    "industry": industry,
                    "industry_rank": rank + 1,
                    "fit": f,
                    "suitability_pct": float(q_suit.loc[adcode]),
                    "benefit": 10.0 * (0.5 * float(q_suit.loc[adcode]) + 0.5 * f),
                    "investment": town_investment_yuan(industry),
                    "land": TOWN_LAND_KM2,
                    "fringe": bool(fringe.loc[adcode]),
                    "x": float(counties.loc[adcode, "seat_x"]),
                    "y": float(counties.loc[adcode, "seat_y"]),
                }
            )
    return pd.DataFrame(rows).set_index("candidate")


def _demand(counties: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": counties["seat_x"],
            "y": counties["seat_y"],
            "population": counties["rural_pop_2020"],
            "rural_population": counties["rural_pop_2020"],
        }
    )


def solve_province_layout(
    counties: gpd.GeoDataFrame,
    candidates: pd.DataFrame,
    rules: ProvinceLayoutRules,
    *,
    balance_share: float,
    frontier: bool,
) -> LayoutPlan:
    """Solve the province planning model at ``balance_share`` (frontier optional)."""
    return layout_from_candidates(
        candidates,
        demand=_demand(counties),
        service_radius_m=SERVICE_RADIUS_M,
        budget=rules.capital_budget_yuan,
        land_quota_km2=rules.land_quota_km2,
        balance_share=balance_share,
        coverage_value=1e-4,
        n_towns=rules.n_towns,
        county_max=dict.fromkeys(candidates["county"].unique(), rules.max_towns_per_county),
        county_min=_county_min(candidates, rules),
        frontier_shares=rules.frontier_shares if frontier else None,
        time_limit=rules.time_limit_s,
    )


def _county_min(candidates: pd.DataFrame, rules: ProvinceLayoutRules) -> dict[str, int]:
    """Minimum towns per county, for the counties among ``candidates`` (the suburbs-only model
    drops the less-developed ones, and with them their minimums)."""
    present = set(candidates["county"].astype(str))
    return {c: n for c, n in rules.county_min if n > 0 and c in present}


def programme_towns(chosen: pd.DataFrame, *, start_year: int) -> pd.DataFrame:
    """The chosen candidates as a programme: three yearly creation batches by benefit."""
    ordered = chosen.sort_values("benefit", ascending=False)
    batch = np.arange(len(ordered)) * 3 // max(len(ordered), 1)
    return pd.DataFrame(
        {
            "town_id": ordered.index.astype(str),
            "county": ordered["county"].astype(str).to_numpy(),
            "name": ordered["name"].to_numpy(),
            "industry": ordered["industry"].to_numpy(),
            "start_year": start_year + 1 + batch,
            "investment_yuan": ordered["investment"].to_numpy(),
            "fringe": ordered["fringe"].to_numpy(),
            "x": ordered["x"].to_numpy(dtype=float),
            "y": ordered["y"].to_numpy(dtype=float),
        }
    )


def layout_province(
    counties: gpd.GeoDataFrame,
    assessment: CountyAssessment,
    positioning: PositioningResult,
    rules: ProvinceLayoutRules,
    *,
    frontier: bool = True,
    suburbs_only: bool = True,
) -> ProvinceLayout:
    """Choose the province's batch of towns; the balance frontier and the suburbs-only layout.

    Parameters
    ----------
    counties, assessment, positioning
        The region, assess and position stage values.
    rules
        Budget, land quota, balance share, caps, frontier grid, time limit and start year.
    frontier
        Compute the price-of-balance frontier (the sweep skips it).
    suburbs_only
        Also solve the counterfactual without any less-developed county.

    Raises
    ------
    InfeasibleError
        If the constraints at the balance share admit no layout.
    RuntimeError
        If the solver's plan fails the independent check (a bug, never a user error).
    """
    candidates = province_candidates(counties, assessment, positioning, rules)
    missing = sorted(
        c for c, n in rules.county_min if n > 0 and c not in set(candidates["county"].astype(str))
    )
    if missing:
        raise InfeasibleError(
            f"counties {missing} must get a town but have no candidate: less than "
            f"{rules.min_free_land_km2:g} km² of land that is neither built-up nor water "
            "(layout.min_free_land_km2); lower that key or drop the minimum for these counties"
        )
    plan = solve_province_layout(
        counties, candidates, rules, balance_share=rules.balance_share, frontier=frontier
    )
    check = check_solution(plan.problem, plan.result)
    if not check.ok:
        raise RuntimeError(f"province layout violates its constraints: {check}")
    other = (
        solve_province_layout(
            counties, candidates[~candidates["fringe"]], rules, balance_share=0.0, frontier=False
        )
        if suburbs_only
        else None
    )
    start = rules.start_year
    layout = ProvinceLayout(
        candidates=candidates,
        plan=plan,
        suburbs_only=other,
        towns=programme_towns(plan.chosen, start_year=start),
        towns_suburbs_only=(
            programme_towns(other.chosen, start_year=start) if other is not None else None
        ),
        rules=rules,
    )
    logger.info(
        "province layout: %d towns of %d candidates (%d in less-developed counties), %s",
        len(layout.towns),
        len(candidates),
        int(layout.towns["fringe"].sum()),
        plan.result.status,
    )
    return layout
