"""Stage 4 — layout: choose which places become towns.

Classical location models (p-median, MCLP, LSCP, p-center) and the town-planning model (coverage and
per-site benefit under capital budget, land quota, balance between suburban and fringe places,
per-county limits, spacing and existing towns), solved exactly with HiGHS where the size allows and
by heuristics with a proven bound where it does not. Every solver returns a frozen
:class:`LayoutResult` whose ``status`` is ``"optimal"`` only when optimality is proven, and
:func:`check_solution` re-verifies any result against the problem data.
"""

from __future__ import annotations

from xiaozhen.layout._check import SolutionCheck, check_solution
from xiaozhen.layout._classic import solve_lscp, solve_mclp, solve_pcenter, solve_pmedian
from xiaozhen.layout._frontier import (
    FRONTIER_SHARES,
    LayoutPlan,
    balance_frontier,
    layout_from_candidates,
)
from xiaozhen.layout._orlib import OrlibInstance, read_orlib, read_orlib_optima
from xiaozhen.layout._planning import solve_planning
from xiaozhen.layout._planning_model import evaluate_planning, precheck_planning
from xiaozhen.layout._problem import LocationProblem, PlanningProblem
from xiaozhen.layout._result import LayoutResult
from xiaozhen.layout.province import (
    ProvinceLayout,
    ProvinceLayoutRules,
    layout_province,
    programme_towns,
    province_candidates,
)

__all__ = [
    "FRONTIER_SHARES",
    "LayoutPlan",
    "LayoutResult",
    "LocationProblem",
    "OrlibInstance",
    "PlanningProblem",
    "ProvinceLayout",
    "ProvinceLayoutRules",
    "SolutionCheck",
    "balance_frontier",
    "check_solution",
    "evaluate_planning",
    "layout_from_candidates",
    "layout_province",
    "precheck_planning",
    "programme_towns",
    "province_candidates",
    "read_orlib",
    "read_orlib_optima",
    "solve_lscp",
    "solve_mclp",
    "solve_pcenter",
    "solve_planning",
    "solve_pmedian",
]
