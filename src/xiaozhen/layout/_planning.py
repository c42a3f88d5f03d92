"""Solve the town-planning model: greedy + interchange start, Lagrangian bound, kernel search, MILP.

:func:`solve_planning` runs the pre-checks and builds the MILP
(:mod:`~xiaozhen.layout._planning_model`), starts from the best greedy variant improved by the
interchange search (:mod:`~xiaozhen.layout._planning_search`), bounds large models by Lagrangian
relaxation (:mod:`~xiaozhen.layout._planning_bound`), spends the time on exact solves over the
candidates that bound cannot rule out, then on the full MILP (HiGHS, :mod:`xiaozhen._highs`).
The modules below it never import it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from xiaozhen.layout._check import planning_violations
from xiaozhen.layout._planning_bound import PlanningBound, lagrangian_planning_bound
from xiaozhen.layout._planning_model import (
    build_planning_milp,
    evaluate_planning,
    infeasible_after_solving,
    precheck_planning,
    start_vector,
)
from xiaozhen.layout._planning_search import greedy_planning, interchange_planning
from xiaozhen.layout._problem import PlanningProblem
from xiaozhen.layout._result import LayoutResult, Method, Status, relative_gap

logger = logging.getLogger(__name__)

PlanningMethod = Literal["auto", "milp", "heuristic"]

AUTO_MILP_MAX_NNZ = 4_000_000
"""Above this many coverage + spacing nonzeros (after aggregation) ``auto`` uses the heuristic."""

GREEDY_RESOURCE_WEIGHTS = (1.0, 3.0, 10.0, 30.0, 1e4)
"""Weights of budget and land use in the greedy's score, one greedy run each (the best is kept):
which works best depends on how tight the budget is."""

CORE_SIZE = 100
"""Candidates of an improving core MILP in the kernel search: the best by Lagrangian bound, plus
those open in the LP solution."""

KERNEL_MAX = 400
"""Largest candidate set the kernel search solves as its final, proving MILP."""

CORE_TIME_SHARE = 0.9
"""Share of the remaining time given to an improving core MILP (it stops earlier once its plan
proves the requested gap). On the benchmark county with a 120-billion-yuan budget (seeds 1 and 3)
0.5 left the plan 1.33 % and 1.01 % from the bound, 0.95 left 0.76 % and 0.82 %: the full MILP
that got the rest made no progress on a model of 1.9 M nonzeros."""

FULL_MILP_MIN_SHARE = 0.2
FULL_MILP_MAX_NNZ = 1_000_000
"""After the kernel search the full MILP runs only if this share of the time limit is left and the
model has at most this many nonzeros: on the benchmark county (1.9 M nonzeros, 3.8 M with a balance
on rural residents) it made no progress in 24 s, and its setup alone overran a 60 s limit by 5 s."""

LAST_TIME_SHARE = 0.9
"""Share of the remaining time given to the last MILP of the kernel search; the rest covers
building the restricted model and HiGHS's setup, which overran a 60 s limit by 5 s without it."""

CORE_GAP = 0.002
"""Relative gap at which an improving core MILP stops."""

LAGRANGIAN_ABOVE_NNZ = 500_000
"""From this many nonzeros the MILP is preceded by the Lagrangian bound (seconds, where the MILP's
own root LP takes minutes); the heuristic always uses it when it applies."""


def solve_planning(
    problem: PlanningProblem,
    *,
    method: PlanningMethod = "auto",
    time_limit: float = 60.0,
    gap: float = 0.0,
) -> LayoutResult:
    """Choose the towns: maximise coverage benefit plus per-candidate benefit under all constraints.

    Parameters
    ----------
    problem
        The :class:`PlanningProblem`.
    method
        ``"milp"`` (exact HiGHS branch-and-cut), ``"heuristic"`` (greedy and interchange search;
        bound from the Lagrangian relaxation of coverage, or the LP relaxation where it does not
        apply) or ``"auto"`` (MILP up to ``AUTO_MILP_MAX_NNZ`` nonzeros after demand aggregation,
        else heuristic). Every method starts from the greedy variants + interchange
        (:mod:`xiaozhen.layout._planning_search`); from ``LAGRANGIAN_ABOVE_NNZ`` nonzeros the
        MILP is preceded by the Lagrangian bound (:mod:`xiaozhen.layout._planning_bound`) and
        returns at once (method ``"lagrangian"``) when that bound already proves ``gap``; else
        a kernel search (:func:`_kernel_search`: exact MILPs over the candidates the bound cannot
        rule out) returns (method ``"lagrangian-kernel"``) once it proves ``gap``, and the full
        MILP gets whatever time is left.
    time_limit
        Seconds for the solver.
    gap
        Requested relative gap for the MILP (0 for proven optimality).

    Returns
    -------
    LayoutResult
        ``status`` is ``"optimal"`` only when proven, ``"gap_limit"`` when stopped at ``gap``,
        ``"time_limit"`` with the incumbent and its proven bound otherwise.

    Raises
    ------
    InfeasibleError
        Before solving, with the numbers, when a pre-check fails; after solving when HiGHS proves
        a combination of constraints infeasible.
    """
    t0 = time.perf_counter()
    precheck_planning(problem)
    model = build_planning_milp(problem)
    m = problem.n_candidates
    size = model.a.nnz
    chosen_method: Method
    if method == "auto":
        method = "milp" if size <= AUTO_MILP_MAX_NNZ else "heuristic"
    info: dict[str, float] = {"aggregated_demand": float(model.n_agg), "milp_nnz": float(size)}
    incumbent, inc_value = _heuristic_start(problem, 0.1 * time_limit, info)
    start = None
    lag = None
    if incumbent is not None:
        start = start_vector(problem, incumbent, model)
        if method == "heuristic" or size > LAGRANGIAN_ABOVE_NNZ:
            lag = lagrangian_planning_bound(problem, inc_value, time_limit=0.25 * time_limit)
        if lag is not None:
            info["lagrangian_bound"] = lag.bound
            info["lagrangian_seconds"] = lag.seconds
            lag_gap = relative_gap(inc_value, max(lag.bound, inc_value), maximize=True)
            if method == "milp" and lag_gap <= gap:
                status_lag: Status = "optimal" if lag_gap <= 1e-9 else "gap_limit"
                return _result(
                    problem,
                    incumbent,
                    inc_value,
                    max(lag.bound, inc_value),
                    status_lag,
                    "lagrangian",
                    t0,
                    info,
                )
    if method == "heuristic":
        chosen_method = "heuristic"
        if incumbent is None:
            logger.info("greedy heuristic got stuck; falling back to the MILP")
            method = "milp"
        else:
            if lag is not None:
                bound = max(lag.bound, inc_value)
            else:
                lp = model.solve(time_limit=time_limit - (time.perf_counter() - t0), relax=True)
                if lp.status == "infeasible":
                    raise infeasible_after_solving(problem)
                bound = lp.objective if lp.status == "optimal" else math.inf
            gp = relative_gap(inc_value, bound, maximize=True)
            status: Status = "optimal" if gp <= 1e-9 else "gap_limit"
            return _result(problem, incumbent, inc_value, bound, status, chosen_method, t0, info)
    bound = math.inf
    if lag is not None and incumbent is not None:
        bound = lag.bound
        # a large model: the full MILP rarely gets past its root LP, so the time goes first to
        # exact solves over the candidates the Lagrangian bound cannot rule out
        incumbent, inc_value, bound = _kernel_search(
            problem, lag, incumbent, inc_value, gap, t0 + time_limit, info
        )
        start = start_vector(problem, incumbent, model)
        kernel_gap = relative_gap(inc_value, max(bound, inc_value), maximize=True)
        proven = kernel_gap <= max(gap, 1e-9)
        left = time_limit - (time.perf_counter() - t0)
        if proven or left < FULL_MILP_MIN_SHARE * time_limit or size > FULL_MILP_MAX_NNZ:
            status_k: Status = "time_limit"
            if proven:
                status_k = "optimal" if kernel_gap <= 1e-9 else "gap_limit"
            return _result(
                problem,
                incumbent,
                inc_value,
                max(bound, inc_value),
                status_k,
                "lagrangian-kernel",
                t0,
                info,
            )
    chosen_method = "milp"
    out = model.solve(time_limit=time_limit - (time.perf_counter() - t0), gap=gap, start=start)
    if out.status == "infeasible":
        raise infeasible_after_solving(problem)
    if out.x is None:
        if incumbent is None:
            raise infeasible_after_solving(problem, timed_out=True)
        sel = incumbent
    else:
        sel = np.flatnonzero(out.x[:m] > 0.5).astype(np.int64)
        if incumbent is not None and inc_value > evaluate_planning(problem, sel).objective:
            sel = incumbent  # HiGHS stopped before it found the start's value again
    metrics = evaluate_planning(problem, sel)
    out_bound = max(out.bound, metrics.objective) if math.isfinite(out.bound) else math.inf
    bound = max(metrics.objective, min(bound, out_bound))
    status = out.status if out.status in ("optimal", "gap_limit", "time_limit") else "time_limit"
    if status == "time_limit" and relative_gap(metrics.objective, bound, maximize=True) <= gap:
        status = "gap_limit"
    if status == "optimal":
        bound = max(metrics.objective, min(bound, metrics.objective + 1e-9 * max(1.0, abs(bound))))
    return _result(problem, sel, metrics.objective, bound, status, chosen_method, t0, info)


def _heuristic_start(
    problem: PlanningProblem, time_limit: float, info: dict[str, float]
) -> tuple[NDArray[np.int64] | None, float]:
    """Best of the greedy variants (one per ``GREEDY_RESOURCE_WEIGHTS``), each improved by the
    interchange search, and its objective; ``(None, -inf)`` when every greedy gets stuck."""
    t0 = time.perf_counter()
    best, best_value, best_greedy = None, -math.inf, -math.inf
    for k in GREEDY_RESOURCE_WEIGHTS:
        sel = greedy_planning(problem, k)
        if sel is None:
            continue
        best_greedy = max(best_greedy, evaluate_planning(problem, sel).objective)
        left = time_limit - (time.perf_counter() - t0)
        sel = interchange_planning(problem, sel, time_limit=max(0.0, left))
        value = evaluate_planning(problem, sel).objective
        if value > best_value:
            best, best_value = sel, value
    if best is not None:
        info["greedy_objective"] = best_greedy
        info["search_objective"] = best_value
    return best, best_value


def _kernel_search(
    problem: PlanningProblem,
    lag: PlanningBound,
    incumbent: NDArray[np.int64],
    value: float,
    gap: float,
    deadline: float,
    info: dict[str, float],
) -> tuple[NDArray[np.int64], float, float]:
    """Exact solves over the candidates the Lagrangian bound cannot rule out, from ``incumbent``
    of objective ``value``; returns (plan, its objective, proven bound).

    ``lag.with_candidate[j]`` bounds every plan that opens ``j``. Solving the model restricted to
    the ``k`` candidates with the largest such bounds (plus the incumbent's and the fixed towns)
    proves ``max(B_core, with_candidate of the (k+1)-th)``: a plan inside the core is bounded by
    the core MILP's bound, a plan outside it opens a candidate bounded by the second value
    (reduced-cost fixing in a kernel search; Angelelli, Mansini & Speranza 2010). When more than
    ``KERNEL_MAX`` candidates lie above ``incumbent * (1 + gap / 2)``, the best ``CORE_SIZE`` are
    solved first to improve the incumbent, which rules more of them out; then the candidates
    still above the line are solved to the requested gap, or, when there are still more than
    ``KERNEL_MAX``, the best ``KERNEL_MAX`` with the time left (a better plan and bound, no
    promise of the gap).
    """
    m = problem.n_candidates
    order = np.argsort(-lag.with_candidate, kind="stable")
    ranked = np.append(lag.with_candidate[order], -math.inf)
    bound = max(lag.bound, value)
    for first in (True, False):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        alive = int(np.count_nonzero(ranked[:m] > value + 0.5 * gap * abs(value)))
        target = None
        if alive <= KERNEL_MAX:  # one MILP over every candidate not ruled out settles the gap
            key, size, limit, core_gap = (
                "kernel_prove",
                alive,
                LAST_TIME_SHARE * remaining,
                0.9 * gap,
            )
            keep = order[:size]
        elif first:  # improve the plan, which rules more candidates out
            key, size, core_gap = "kernel_improve", min(CORE_SIZE, m), CORE_GAP
            limit = CORE_TIME_SHARE * remaining
            keep = np.union1d(order[:size], lag.support)
            # it stops once its plan proves the gap against the bound in hand
            target = bound / (1.0 + gap) if gap > 0 else None
        elif KERNEL_MAX > CORE_SIZE:  # the widest set one MILP takes, for a better plan and bound
            key, size, core_gap = "kernel_widen", min(KERNEL_MAX, m), 0.9 * gap
            limit = LAST_TIME_SHARE * remaining
            keep = np.union1d(order[:size], lag.support)
        else:
            break
        info[f"{key}_candidates"] = float(size)
        out = _solve_core(problem, keep, incumbent, limit, gap=core_gap, target=target)
        if out is not None:
            sel, core_bound, core_optimal = out
            new_value = evaluate_planning(problem, sel).objective
            if core_optimal:  # within HiGHS's tolerances: the plan's own value
                core_bound = min(core_bound, new_value + 1e-9 * max(1.0, abs(new_value)))
            bound = min(bound, max(core_bound, float(ranked[size])))
            if new_value > value:
                incumbent, value = sel, new_value
            bound = max(bound, value)
            info[f"{key}_objective"] = value
        logger.info(
            "kernel search, %s: %d candidates, objective %.8g, bound %.8g, %.1f s left",
            key,
            size,
            value,
            bound,
            deadline - time.perf_counter(),
        )
        if key != "kernel_improve" or relative_gap(value, bound, maximize=True) <= gap:
            break
    return incumbent, value, bound


def _solve_core(
    problem: PlanningProblem,
    keep: NDArray[np.int64],
    incumbent: NDArray[np.int64],
    time_limit: float,
    *,
    gap: float,
    target: float | None = None,
) -> tuple[NDArray[np.int64], float, bool] | None:
    """Solve the model restricted to ``keep`` plus the incumbent's and the fixed towns (so the
    restriction is feasible); returns a plan feasible for the full model, the restricted model's
    proven bound and whether HiGHS proved the plan optimal for it, or ``None`` without a plan."""
    m = problem.n_candidates
    keep = np.union1d(keep, incumbent)
    keep = np.union1d(keep, np.asarray(problem.fixed, dtype=np.int64))
    local = np.full(m, -1, dtype=np.int64)
    local[keep] = np.arange(keep.size)
    present = set(problem.group[keep].tolist()) if problem.group is not None else set()
    sub = dataclasses.replace(
        problem,
        n_candidates=int(keep.size),
        coverage=None if problem.coverage is None else problem.coverage[:, keep],
        benefit=None if problem.benefit is None else problem.benefit[keep],
        investment=None if problem.investment is None else problem.investment[keep],
        land=None if problem.land is None else problem.land[keep],
        idle_land=None if problem.idle_land is None else problem.idle_land[keep],
        fringe=None if problem.fringe is None else problem.fringe[keep],
        group=None if problem.group is None else problem.group[keep],
        group_min={k: v for k, v in problem.group_min.items() if k in present},
        group_max={k: v for k, v in problem.group_max.items() if k in present},
        xy=None if problem.xy is None else problem.xy[keep],
        fixed=tuple(int(local[j]) for j in problem.fixed),
    )
    sub_model = build_planning_milp(sub)
    out = sub_model.solve(
        time_limit=time_limit,
        gap=gap,
        start=start_vector(sub, local[incumbent], sub_model),
        target=target,
    )
    if out.x is None:
        return None
    sel = keep[np.flatnonzero(out.x[: keep.size] > 0.5)].astype(np.int64)
    if planning_violations(problem, sel):
        return None
    trusted = out.status in ("optimal", "gap_limit", "time_limit") and math.isfinite(out.bound)
    return sel, out.bound if trusted else math.inf, out.status == "optimal"


def _result(
    problem: PlanningProblem,
    sel: NDArray[np.int64],
    objective: float,
    bound: float,
    status: Status,
    method: Method,
    t0: float,
    info: dict[str, float],
) -> LayoutResult:
    metrics = evaluate_planning(problem, sel)
    info = {
        **info,
        "covered_weight": metrics.covered_weight,
        "rural_covered": metrics.rural_covered,
        "rural_covered_fringe": metrics.rural_covered_fringe,
        "investment": metrics.investment,
        "land": metrics.land,
        "n_fringe": float(metrics.n_fringe),
        "benefit": metrics.benefit,
    }
    seconds = time.perf_counter() - t0
    res = LayoutResult(
        model="planning",
        selected=tuple(int(i) for i in np.sort(sel)),
        assignment=None,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound, maximize=True),
        status=status,
        method=method,
        seconds=seconds,
        maximize=True,
        info=info,
    )
    logger.info(
        "planning: %d towns (%d fringe), objective %.6g, bound %.6g, %s by %s in %.2f s",
        res.n_selected,
        metrics.n_fringe,
        objective,
        bound,
        status,
        method,
        seconds,
    )
    return res
