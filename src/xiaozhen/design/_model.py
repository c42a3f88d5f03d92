"""The design problem shared by the exact MILP and the heuristic.

Programme
---------
With cell area :math:`a`, the construction land is

.. math:: C = \\min\\big(C_{target},\\; C_{free},\\; N - W - F - G_{min}\\big),

the target from the rules, the free cells that meet the loosest slope limit (plus existing roads),
and what is left after keeping :math:`G_{min} = \\lceil g (N - W - F) \\rceil` green cells (site
:math:`N`, water :math:`W`, permanent basic farmland :math:`F`, green-cover share :math:`g`).
``C < C_min`` makes the site infeasible. Residential :math:`R = \\lfloor r C \\rfloor`, supporting
production :math:`S = \\mathrm{round}(s C)`, roads :math:`\\mathrm{round}(q C)` (existing roads
count), each service :math:`\\lceil \\max(A_{min}, D a_u) / a \\rceil` cells for the demand
:math:`D` of :math:`P = R a \\rho` residents (density :math:`\\rho`), and the characteristic
industry takes the rest.

Objective (minimised)
---------------------
.. math::

   J = \\sum_c k_{c,u(c)} + w_e \\sum_{(i,j) \\in E_4} [u(i) \\ne u(j)]
       + w_j \\frac{\\delta}{1000} \\sum_{c: u(c)=\\mathrm{res}} \\#\\{k \\ge 1: d^{job}_c > k\\delta,\\;
       k\\delta \\le d_{max}\\}

with linear cell costs :math:`k_{c,u}` (road access of production, greenfield / redevelopment /
farmland conversion, new planting), the number of 4-neighbour cell sides between different uses
(compactness; Wright, Revelle & Cohon 1983, "A multiobjective integer programming model for the
land acquisition problem", Regional Science and Urban Economics 13:31), and the walk from each
home to the nearest production cell in bands of :math:`\\delta` metres (living close to jobs).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from xiaozhen.design._network import WalkGraph, walk_graph
from xiaozhen.design._rules import (
    CONSTRUCTION_USES,
    SERVICE_KEYS,
    SERVICE_USES,
    DesignRules,
    Use,
)
from xiaozhen.design._site import SiteGrid

__all__ = [
    "DesignProblem",
    "Infeasible",
    "Program",
    "build_problem",
    "evaluate_objective",
    "service_demand",
]

logger = logging.getLogger(__name__)

N_USES = len(Use)
_ROAD_DIST_CAP_M = 5000.0


@dataclass(frozen=True)
class Infeasible:
    """Why a site cannot be designed: the binding constraint and the numbers.

    ``required`` and ``available`` are in ``unit``; ``message`` is one readable sentence.
    """

    site_id: str
    constraint: str
    required: float
    available: float
    unit: str
    message: str


@dataclass(frozen=True)
class Program:
    """Cell counts of the programme (exact except services, which are minimums)."""

    construction: int
    industry_min: int
    support: int
    residential: int
    road_existing: int
    road_new: int
    services: dict[Use, int]
    green_min: int
    residents: float

    @property
    def road(self) -> int:
        """All road cells."""
        return self.road_existing + self.road_new


def service_demand(residents: float, rules: DesignRules) -> dict[Use, tuple[float, float]]:
    """Demand units and land (m²) needed per service use for ``residents`` people.

    :math:`D = P\\, r\\, s / 1000`, land :math:`\\max(A_{min}, D\\, a_u)` (see
    :class:`~xiaozhen.design.ServiceStandard`).
    """
    out: dict[Use, tuple[float, float]] = {}
    for key, use in SERVICE_KEYS.items():
        std = rules.services[key]
        units = residents * std.per_1000 * std.served_share / 1000.0
        out[use] = (units, max(std.min_land_m2, units * std.land_m2_per_unit))
    return out


def programme_counts(
    construction: int, *, road_existing: int, cell_area_m2: float, rules: DesignRules
) -> tuple[int, int, int, int, float, dict[Use, int]]:
    """Cells of each use for a programme of ``construction`` construction cells.

    Residential :math:`\\lfloor s_r c \\rfloor`, support :math:`[s_s c]`, new roads
    :math:`\\max(0, [s_{road} c] - r_0)`, residents at ``residents_per_ha``, each service at least
    one cell and its :func:`service_demand` land, industry the rest.

    Returns
    -------
    tuple
        ``(industry, support, residential, new_road, residents, services)``.
    """
    a = cell_area_m2
    c = construction
    n_res = math.floor(rules.residential_share_target * c)
    n_sup = round(rules.support_share_target * c)
    n_road_new = max(0, round(rules.road_share_target * c) - road_existing)
    residents = n_res * a / 1e4 * rules.residents_per_ha
    services = {
        use: max(1, math.ceil(land / a - 1e-9))
        for use, (_units, land) in service_demand(residents, rules).items()
    }
    n_ind = c - road_existing - n_road_new - n_res - n_sup - sum(services.values())
    return n_ind, n_sup, n_res, n_road_new, residents, services


@dataclass(frozen=True, eq=False)
class DesignProblem:
    """Cells, allowed uses, linear costs, fixed cells, programme and walking graph of one site.

    Arrays are over the ``n`` site cells (``cells`` = their flat indices in the grid).
    """

    site: SiteGrid
    rules: DesignRules
    cells: npt.NDArray[np.int64]
    allowed: npt.NDArray[np.bool_]
    cost: npt.NDArray[np.float64]
    fixed: npt.NDArray[np.int64]
    program: Program
    graph: WalkGraph
    edges: npt.NDArray[np.int64]
    local_of_cell: npt.NDArray[np.int64] = field(repr=False)

    @property
    def n(self) -> int:
        """Number of site cells."""
        return int(self.cells.size)

    def job_bands(self) -> npt.NDArray[np.float64]:
        """Band radii :math:`k\\delta \\le d_{max}`, m."""
        w = self.rules.weights
        k = math.floor(w.jobs_max_m / w.jobs_step_m + 1e-9)
        return w.jobs_step_m * np.arange(1, k + 1, dtype=np.float64)


def _flags(site: SiteGrid, rules: DesignRules) -> dict[str, npt.NDArray[np.bool_]]:
    ins = site.in_site
    water = site.water & ins
    red = site.redline & ins & ~water
    bf = site.basic_farmland & ins & ~water & ~red
    road = site.road & ins & ~water & ~red & ~bf
    free = ins & ~water & ~red & ~bf & ~road
    buildable = free & site.urban_boundary if rules.require_urban_boundary else free
    return {"water": water, "red": red, "bf": bf, "road": road, "free": free, "build": buildable}


def _program(
    site: SiteGrid, rules: DesignRules, fl: dict[str, npt.NDArray[np.bool_]]
) -> Program | Infeasible:
    a = site.cell_area_m2
    km2 = a / 1e6
    n_site = int(site.in_site.sum())
    n_water, n_bf, _n_red = int(fl["water"].sum()), int(fl["bf"].sum()), int(fl["red"].sum())
    r0 = int(fl["road"].sum())
    denom = n_site - n_water - n_bf
    green_min = math.ceil(rules.green_cover_min * denom - 1e-9)
    slope = site.slope_pct
    build = fl["build"]
    loosest = max(rules.slope_limit(u) for u in CONSTRUCTION_USES)
    cap_free = int((build & (slope <= loosest)).sum()) + r0
    cap_green = denom - green_min
    c_target = round(rules.target_km2 * 1e6 / a)
    c_min = math.ceil(rules.construction_min_km2 * 1e6 / a - 1e-9)
    sid = site.site_id
    if cap_free < c_min:
        lost = []
        for key, label in (("red", "the ecological red line"), ("water", "water")):
            share = int(fl[key].sum()) / max(n_site, 1)
            if share > 0:
                lost.append(f"{label} covers {share:.0%}")
        if n_bf:
            lost.append(f"permanent basic farmland covers {n_bf / n_site:.0%}")
        steep = int((build & (slope > loosest)).sum())
        if steep:
            lost.append(f"{steep * km2:.2f} km² is steeper than {loosest:g} %")
        if rules.require_urban_boundary:
            lost.append(
                f"{int((fl['free'] & ~site.urban_boundary).sum()) * km2:.2f} km² lies outside the "
                "urban development boundary"
            )
        why = "; ".join(lost) or "the site is too small"
        return Infeasible(
            sid,
            "construction_area_min",
            c_min * km2,
            cap_free * km2,
            "km2",
            f"site {sid}: {why} of the {n_site * km2:.2f} km² site, leaving {cap_free * km2:.2f} "
            f"km² of developable land; at least {rules.construction_min_km2:g} km² is needed "
            "(发改规划〔2021〕1383号).",
        )
    if cap_green < c_min:
        return Infeasible(
            sid,
            "green_cover_min",
            c_min * km2,
            cap_green * km2,
            "km2",
            f"site {sid}: keeping {rules.green_cover_min:.0%} green cover ({green_min * km2:.2f} km² "
            f"of {denom * km2:.2f} km²) leaves {cap_green * km2:.2f} km² for construction; at least "
            f"{rules.construction_min_km2:g} km² is needed.",
        )
    c_start = min(c_target, cap_free, cap_green)
    caps = {
        lim: int((build & (slope <= lim)).sum())
        for lim in (
            rules.slope_max_industry_pct,
            rules.slope_max_public_pct,
            rules.slope_max_residential_pct,
            rules.slope_max_road_pct,
            loosest,
        )
    }

    def counts(c: int) -> tuple[int, int, int, int, float, dict[Use, int]]:
        return programme_counts(c, road_existing=r0, cell_area_m2=a, rules=rules)

    def shortfall(c: int) -> tuple[str, float, float, str] | None:
        """The first slope or programme constraint programme size ``c`` breaks, else None."""
        n_ind, n_sup, n_res, n_road_new, _r, services = counts(c)
        if n_ind < 1:
            return ("programme", 1.0, float(n_ind), "")
        demand_by_limit: dict[float, tuple[int, str]] = {}
        for limit, need, label in (
            (rules.slope_max_industry_pct, n_ind + n_sup, "industry"),
            (rules.slope_max_public_pct, sum(services.values()), "public"),
            (rules.slope_max_residential_pct, n_res, "residential"),
            (rules.slope_max_road_pct, n_road_new, "road"),
        ):
            prev, prev_label = demand_by_limit.get(limit, (0, ""))
            demand_by_limit[limit] = (prev + need, f"{prev_label}+{label}".strip("+"))
        # nested slope classes (Hall's condition): every use whose limit is ≤ L needs a cell ≤ L
        cumulative = 0
        for limit in sorted(demand_by_limit):
            need, label = demand_by_limit[limit]
            cumulative += need
            if caps[limit] < cumulative:
                what = label.replace("+", ", ") + (" and flatter uses" if cumulative > need else "")
                return (
                    f"slope_{label.split('+')[0]}",
                    cumulative * km2,
                    caps[limit] * km2,
                    f"{what}|{limit:g}",
                )
        return None

    # the largest programme in [C_min, C_start] that the slope limits allow
    c = c_start
    while c > c_min and shortfall(c) is not None:
        c -= 1
    short = shortfall(c)
    if short is not None:
        key, need_km2, have_km2, label = short
        if key == "programme":
            return Infeasible(
                sid,
                "programme",
                1.0,
                have_km2,
                "cells",
                f"site {sid}: {c * km2:.2f} km² of construction land is used up by housing, "
                "supporting production, roads and services, leaving no cell for the "
                "characteristic industry; lower the shares or enlarge the site.",
            )
        what, limit_s = label.split("|")
        return Infeasible(
            sid,
            key,
            need_km2,
            have_km2,
            "km2",
            f"site {sid}: even the smallest programme ({rules.construction_min_km2:g} km² of "
            f"construction land) needs {need_km2:.3f} km² with slope ≤ {limit_s} % for {what} "
            f"(CJJ 83-99), but only {have_km2:.3f} km² of free land is that flat.",
        )
    n_ind, n_sup, n_res, n_road_new, residents, services = counts(c)
    return Program(
        construction=c,
        industry_min=n_ind,
        support=n_sup,
        residential=n_res,
        road_existing=r0,
        road_new=n_road_new,
        services=services,
        green_min=green_min,
        residents=residents,
    )


def build_problem(site: SiteGrid, rules: DesignRules) -> DesignProblem | Infeasible:
    """Check the site can hold the programme and build the allowed-use and cost matrices."""
    fl = _flags(site, rules)
    prog = _program(site, rules, fl)
    if isinstance(prog, Infeasible):
        logger.info("site %s infeasible: %s", site.site_id, prog.message)
        return prog
    cells = np.flatnonzero(site.in_site.ravel()).astype(np.int64)
    n = cells.size
    w = rules.weights
    flat = {k: v.ravel()[cells] for k, v in fl.items()}
    slope = site.slope_pct.ravel()[cells]
    natural = site.natural.ravel()[cells]
    crop = site.cropland.ravel()[cells]
    built = site.built_up.ravel()[cells]
    idle = site.idle.ravel()[cells]
    road_km = np.minimum(site.road_dist_m.ravel()[cells], _ROAD_DIST_CAP_M) / 1000.0

    allowed = np.zeros((n, N_USES), dtype=bool)
    cost = np.zeros((n, N_USES), dtype=np.float64)
    convert = np.where(idle, 0.0, np.where(built, w.redevelop_per_cell, w.greenfield_per_cell))
    convert = convert + w.farmland_per_cell * crop
    for use in CONSTRUCTION_USES:
        allowed[:, use] = flat["build"] & (slope <= rules.slope_limit(use))
        cost[:, use] = convert
    for use in (Use.INDUSTRY, Use.SUPPORT):
        cost[:, use] += w.road_access_per_km * road_km
    free = flat["free"]
    allowed[:, Use.GREEN_KEPT] = (free & natural) | flat["red"]
    allowed[:, Use.GREEN_NEW] = free & ~natural
    cost[:, Use.GREEN_NEW] = w.green_new_per_cell + w.farmland_per_cell * crop
    allowed[:, Use.FARMLAND] = (free & crop) | flat["bf"]
    allowed[:, Use.RESERVE] = free & ~natural & ~crop
    allowed[:, Use.WATER] = flat["water"]

    fixed = np.full(n, -1, dtype=np.int64)
    fixed[flat["water"]] = Use.WATER
    fixed[flat["red"]] = Use.GREEN_KEPT
    fixed[flat["bf"]] = Use.FARMLAND
    fixed[flat["road"]] = Use.ROAD
    is_fixed = fixed >= 0
    allowed[is_fixed] = False
    allowed[np.flatnonzero(is_fixed), fixed[is_fixed]] = True
    cost[is_fixed] = 0.0
    cost[~allowed] = np.inf

    rows, cols = site.shape
    local = np.full(rows * cols, -1, dtype=np.int64)
    local[cells] = np.arange(n)
    grid_local = local.reshape(rows, cols)
    pairs = []
    for a_, b_ in (
        (grid_local[:, :-1], grid_local[:, 1:]),
        (grid_local[:-1, :], grid_local[1:, :]),
    ):
        ok = (a_ >= 0) & (b_ >= 0)
        pairs.append(np.stack([a_[ok], b_[ok]], axis=1))
    edges = np.concatenate(pairs).astype(np.int64)
    graph = walk_graph(site.walkable, site.cell_size_m)
    logger.info(
        "site %s: programme %d construction cells (%d industry, %d support, %d housing, %d road, "
        "%d services), %.0f residents",
        site.site_id,
        prog.construction,
        prog.industry_min,
        prog.support,
        prog.residential,
        prog.road,
        sum(prog.services.values()),
        prog.residents,
    )
    return DesignProblem(
        site=site,
        rules=rules,
        cells=cells,
        allowed=allowed,
        cost=cost,
        fixed=fixed,
        program=prog,
        graph=graph,
        edges=edges,
        local_of_cell=local,
    )


def jobs_steps(problem: DesignProblem, uses: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Number of distance bands each residential cell lies beyond its nearest job cell (0 others)."""
    job_cells = problem.cells[(uses == Use.INDUSTRY) | (uses == Use.SUPPORT)]
    bands = problem.job_bands()
    d = problem.graph.distance_from(job_cells)[problem.cells]
    steps = (d[:, None] > bands[None, :]).sum(axis=1).astype(np.float64)
    return np.where(uses == Use.RESIDENTIAL, steps, 0.0)


def evaluate_objective(problem: DesignProblem, uses: npt.NDArray[np.int64]) -> dict[str, float]:
    """Objective terms and total of a complete allocation ``uses`` over the site cells."""
    w = problem.rules.weights
    linear = float(problem.cost[np.arange(problem.n), uses].sum())
    boundary = float(np.count_nonzero(uses[problem.edges[:, 0]] != uses[problem.edges[:, 1]]))
    steps = float(jobs_steps(problem, uses).sum())
    jobs = w.jobs_per_km * w.jobs_step_m / 1000.0 * steps
    compact = w.compact_per_edge * boundary
    return {
        "linear": linear,
        "compact": compact,
        "jobs": jobs,
        "total": linear + compact + jobs,
        "boundary_edges": boundary,
    }


__all__ += ["N_USES", "SERVICE_USES", "jobs_steps"]
