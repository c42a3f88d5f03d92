"""The price of balance, and the entry point from a candidate table."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from xiaozhen.errors import InfeasibleError, InputDataError
from xiaozhen.layout._planning import PlanningMethod, solve_planning
from xiaozhen.layout._planning_model import evaluate_planning
from xiaozhen.layout._problem import BalanceOn, LocationProblem, PlanningProblem
from xiaozhen.layout._result import LayoutResult

logger = logging.getLogger(__name__)

#: The one default grid of balance shares for the price-of-balance frontier: 0, 0.1, …, 1
#: (scenario key ``layout.frontier_shares``, ``xiaozhen layout towns --frontier``).
FRONTIER_SHARES: tuple[float, ...] = tuple(round(0.1 * k, 1) for k in range(11))

FRONTIER_COLUMNS = [
    "balance_share",
    "status",
    "objective",
    "bound",
    "gap",
    "benefit",
    "covered_weight",
    "rural_covered",
    "rural_covered_fringe",
    "investment",
    "land_km2",
    "n_towns",
    "n_fringe",
    "price_of_balance",
    "message",
]


def balance_frontier(
    problem: PlanningProblem,
    shares: Sequence[float] | NDArray[np.float64] | None = None,
    *,
    method: PlanningMethod = "auto",
    time_limit: float = 60.0,
    gap: float = 0.0,
) -> pd.DataFrame:
    """Sweep the balance share and return the efficiency–balance frontier (the price of balance).

    For each share :math:`s` the planning model is solved with
    :math:`\\sum_j f_j y_j \\ge s \\sum_j y_j` (or its rural-population form). The price of balance
    at :math:`s` is :math:`1 - z^*(s) / z^*(0)`: the share of the unconstrained optimum given up
    (cf. the price of fairness, Bertsimas, Farias & Trichakis 2011). Infeasible shares are kept as
    rows with ``status="infeasible"`` and the reason in ``message``.

    Parameters
    ----------
    problem
        The planning problem (its own ``balance_share`` is ignored).
    shares
        Shares in [0, 1]; default :data:`FRONTIER_SHARES`.
    method, time_limit, gap
        Passed to :func:`solve_planning` for each point.

    Returns
    -------
    pandas.DataFrame
        One row per share, columns :data:`FRONTIER_COLUMNS`.
    """
    grid = np.asarray(FRONTIER_SHARES if shares is None else shares, dtype=np.float64)
    rows: list[dict[str, Any]] = []
    base: float | None = None
    for s in grid:
        try:
            res = solve_planning(
                problem.with_balance(float(s)), method=method, time_limit=time_limit, gap=gap
            )
        except InfeasibleError as exc:
            rows.append({"balance_share": float(s), "status": "infeasible", "message": str(exc)})
            continue
        met = evaluate_planning(problem, np.asarray(res.selected, dtype=np.int64))
        if base is None and s == grid.min():
            base = res.objective
        rows.append(
            {
                "balance_share": float(s),
                "status": res.status,
                "objective": res.objective,
                "bound": res.bound,
                "gap": res.gap,
                "benefit": met.benefit,
                "covered_weight": met.covered_weight,
                "rural_covered": met.rural_covered,
                "rural_covered_fringe": met.rural_covered_fringe,
                "investment": met.investment,
                "land_km2": met.land,
                "n_towns": met.n_towns,
                "n_fringe": met.n_fringe,
                "message": "",
            }
        )
    df = pd.DataFrame(rows).reindex(columns=FRONTIER_COLUMNS)
    if base is not None and base != 0:
        df["price_of_balance"] = 1.0 - df["objective"] / base
    logger.info(
        "balance frontier: %d shares, %d feasible",
        len(df),
        int((df["status"] != "infeasible").sum()),
    )
    return df


@dataclass(frozen=True)
class LayoutPlan:
    """Chosen towns and the price-of-balance frontier for a candidate table.

    Attributes
    ----------
    chosen
        The rows of the candidate table that became towns, with a ``fringe`` column kept.
    result
        The solver result at the requested balance share.
    frontier
        :func:`balance_frontier` over the candidate table (``None`` if not requested).
    problem
        The :class:`PlanningProblem` that was solved (for :func:`check_solution`).
    """

    chosen: pd.DataFrame
    result: LayoutResult
    frontier: pd.DataFrame | None
    problem: PlanningProblem


def layout_from_candidates(
    candidates: pd.DataFrame,
    *,
    demand: pd.DataFrame | None = None,
    service_radius_m: float = 15_000.0,
    travel_cost: sp.csr_array | NDArray[np.float64] | None = None,
    service_cost: float | None = None,
    budget: float | None = None,
    land_quota_km2: float | None = None,
    balance_share: float = 0.0,
    balance_on: BalanceOn = "towns",
    coverage_value: float = 1.0,
    min_spacing_m: float = 0.0,
    n_towns: int | None = None,
    max_towns: int | None = None,
    min_towns: int | None = None,
    county_min: Mapping[Any, int] | None = None,
    county_max: Mapping[Any, int] | None = None,
    fixed: Sequence[Any] = (),
    columns: Mapping[str, str] | None = None,
    frontier_shares: Sequence[float] | None = FRONTIER_SHARES,
    method: PlanningMethod = "auto",
    time_limit: float = 60.0,
    gap: float = 0.0,
) -> LayoutPlan:
    """Choose towns from a candidate-site table and compute the price-of-balance frontier.

    Parameters
    ----------
    candidates
        One row per candidate (index = site id). Columns (renamable through ``columns``):
        ``benefit`` (per-candidate benefit, e.g. suitability x industry fit), ``investment``
        (yuan), ``land`` (km² of new construction land needed), optional ``idle_reused_km2``
        (idle land reused, subtracted from ``land``), ``fringe`` (bool), ``county`` (group label),
        ``x``, ``y`` (metres, projected CRS).
    demand
        Demand points (villages or population cells) with columns ``x``, ``y`` (metres),
        ``population`` and optional ``rural_population``. A demand point is covered by a town
        within ``service_radius_m`` (straight line) unless ``travel_cost`` is given.
    travel_cost, service_cost
        Optional (demand x candidates) travel cost matrix (dense or sparse within a cut-off) and
        the service threshold in its unit (e.g. 30 minutes); replaces the straight-line radius.
    budget, land_quota_km2, balance_share, balance_on, coverage_value, min_spacing_m,
    n_towns, max_towns, min_towns, county_min, county_max
        See :class:`PlanningProblem`.
    fixed
        Site ids (index values) of existing towns.
    columns
        Mapping from the default column names above to the table's names.
    frontier_shares
        Balance shares for the frontier; ``None`` to skip it.
    method, time_limit, gap
        Passed to :func:`solve_planning`.

    Returns
    -------
    LayoutPlan

    Raises
    ------
    InputDataError
        If a required column is missing or holds NaN.
    InfeasibleError
        If the constraints at ``balance_share`` admit no layout (frontier points are recorded).
    """
    col = {
        "benefit": "benefit",
        "investment": "investment",
        "land": "land",
        "idle": "idle_reused_km2",
        "fringe": "fringe",
        "county": "county",
        "x": "x",
        "y": "y",
        **(columns or {}),
    }
    need = ["benefit", "investment", "land", "fringe", "x", "y"]
    if county_min or county_max:
        need.append("county")
    missing = [f"{k} (column {col[k]!r})" for k in need if col[k] not in candidates.columns]
    if missing:
        raise InputDataError(
            f"candidates lacks {', '.join(missing)}; has {list(candidates.columns)[:20]}; "
            "add them or map names with columns={...}"
        )
    nan_cols = [col[k] for k in need if candidates[col[k]].isna().any()]
    if nan_cols:
        raise InputDataError(f"candidates columns {nan_cols} hold NaN; fill or drop those rows")
    m = len(candidates)
    xy = candidates[[col["x"], col["y"]]].to_numpy(dtype=np.float64)
    coverage = None
    pop = rural = None
    if travel_cost is not None:
        if service_cost is None:
            raise InputDataError("travel_cost given without service_cost (the coverage threshold)")
        if travel_cost.shape[1] != m:
            raise InputDataError(
                f"travel_cost has {travel_cost.shape[1]} columns for {m} candidates"
            )
        coverage = LocationProblem(travel_cost).coverage(service_cost)
    if demand is not None:
        for c in ("x", "y", "population"):
            if c not in demand.columns:
                raise InputDataError(f"demand lacks column {c!r}; has {list(demand.columns)}")
        pop = demand["population"].to_numpy(dtype=np.float64)
        rural = (
            demand["rural_population"].to_numpy(dtype=np.float64)
            if "rural_population" in demand.columns
            else None
        )
        if coverage is None:
            dxy = demand[["x", "y"]].to_numpy(dtype=np.float64)
            dm = cKDTree(dxy).sparse_distance_matrix(
                cKDTree(xy), service_radius_m, output_type="coo_matrix"
            )
            coverage = sp.csr_array(
                (np.ones(dm.nnz, dtype=bool), (dm.row, dm.col)), shape=(len(demand), m)
            )
            # points at distance exactly 0 are dropped by the sparse format: add them back
            same = cKDTree(dxy).query_ball_tree(cKDTree(xy), 0.0)
            extra = [(i, j) for i, js in enumerate(same) for j in js]
            if extra:
                ei, ej = np.asarray(extra).T
                coverage = coverage + sp.csr_array(
                    (np.ones(ei.size, dtype=bool), (ei, ej)), shape=coverage.shape
                )
    elif coverage is not None:
        raise InputDataError("travel_cost given without demand (population per demand point)")
    index = list(candidates.index)
    pos = {k: i for i, k in enumerate(index)}
    unknown = [f for f in fixed if f not in pos]
    if unknown:
        raise InputDataError(f"fixed names site ids {unknown[:5]} not in the candidate index")
    idle = (
        candidates[col["idle"]].to_numpy(dtype=np.float64)
        if col["idle"] in candidates.columns
        else np.zeros(m)
    )
    problem = PlanningProblem(
        n_candidates=m,
        coverage=coverage,
        demand_weight=pop,
        rural_weight=rural,
        coverage_value=coverage_value,
        benefit=candidates[col["benefit"]].to_numpy(dtype=np.float64),
        investment=candidates[col["investment"]].to_numpy(dtype=np.float64),
        land=candidates[col["land"]].to_numpy(dtype=np.float64),
        idle_land=idle,
        budget=budget,
        land_quota=land_quota_km2,
        fringe=candidates[col["fringe"]].to_numpy(dtype=bool),
        balance_share=balance_share,
        balance_on=balance_on,
        group=candidates[col["county"]].to_numpy() if col["county"] in candidates.columns else None,
        group_min=dict(county_min or {}),
        group_max=dict(county_max or {}),
        xy=xy,
        min_spacing_m=min_spacing_m,
        fixed=tuple(pos[f] for f in fixed),
        n_towns=n_towns,
        min_towns=min_towns,
        max_towns=max_towns,
    )
    frontier = (
        balance_frontier(problem, frontier_shares, method=method, time_limit=time_limit, gap=gap)
        if frontier_shares is not None
        else None
    )
    result = solve_planning(problem, method=method, time_limit=time_limit, gap=gap)
    chosen = candidates.iloc[list(result.selected)].copy()
    return LayoutPlan(chosen=chosen, result=result, frontier=frontier, problem=replace(problem))
