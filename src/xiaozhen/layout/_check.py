"""Independent re-verification of a layout result against the problem data.

The checker shares no code with the solvers' model builders: it recomputes every constraint and
the objective directly from the problem arrays (pairwise distances with numpy, coverage with one
sparse product), so a bug in a formulation shows up as a violation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xiaozhen.layout._problem import LocationProblem, PlanningProblem
from xiaozhen.layout._result import LayoutResult


@dataclass(frozen=True)
class SolutionCheck:
    """Outcome of :func:`check_solution`: ``ok`` and one message per violated constraint."""

    ok: bool
    violations: tuple[str, ...]
    objective: float


def planning_violations(problem: PlanningProblem, selected: NDArray[np.int64]) -> list[str]:
    """Every constraint of ``problem`` that the chosen set breaks (empty list when feasible)."""
    m = problem.n_candidates
    sel = np.asarray(selected, dtype=np.int64)
    out: list[str] = []
    if sel.size and (sel.min() < 0 or sel.max() >= m):
        return [f"selected indices outside 0..{m - 1}"]
    if np.unique(sel).size != sel.size:
        out.append("a candidate is selected twice")
    y = np.zeros(m, dtype=bool)
    y[sel] = True
    fixed = np.zeros(m, dtype=bool)
    fixed[list(problem.fixed)] = True
    assert problem.investment is not None
    assert problem.land is not None
    assert problem.idle_land is not None
    assert problem.fringe is not None
    tol = 1e-7
    missing = np.flatnonzero(fixed & ~y)
    if missing.size:
        out.append(f"fixed towns {missing.tolist()[:5]} are not selected")
    spend = float(problem.investment[y & ~fixed].sum())
    if problem.budget is not None and spend > problem.budget * (1 + tol) + tol:
        out.append(f"investment {spend:g} exceeds the budget {problem.budget:g}")
    land = float(np.maximum(problem.land - problem.idle_land, 0.0)[y & ~fixed].sum())
    if problem.land_quota is not None and land > problem.land_quota * (1 + tol) + tol:
        out.append(f"net land {land:g} km² exceeds the land quota {problem.land_quota:g} km²")
    n = int(y.sum())
    if problem.n_towns is not None and n != problem.n_towns:
        out.append(f"{n} towns chosen but n_towns={problem.n_towns}")
    if problem.min_towns is not None and n < problem.min_towns:
        out.append(f"{n} towns chosen but min_towns={problem.min_towns}")
    if problem.max_towns is not None and n > problem.max_towns:
        out.append(f"{n} towns chosen but max_towns={problem.max_towns}")
    s = problem.balance_share
    if s > 0 and problem.balance_on == "towns":
        nf = int((y & problem.fringe).sum())
        if nf < s * n - 1e-9:
            out.append(f"{nf} of {n} towns are fringe, below the balance share {s:g}")
    if s > 0 and problem.balance_on == "rural_population" and problem.coverage is not None:
        assert problem.rural_weight is not None
        cov = problem.coverage.toarray() if problem.coverage.shape[0] * m <= 5e7 else None
        if cov is not None:
            covered = cov[:, y].any(axis=1)
            covered_f = cov[:, y & problem.fringe].any(axis=1)
        else:
            covered = np.asarray(problem.coverage @ y.astype(float)) > 0
            covered_f = np.asarray(problem.coverage @ (y & problem.fringe).astype(float)) > 0
        r_all = float(problem.rural_weight[covered].sum())
        r_f = float(problem.rural_weight[covered_f].sum())
        if r_f < s * r_all - 1e-7 * max(1.0, r_all):
            out.append(
                f"fringe towns cover {r_f:g} of {r_all:g} covered rural people, below the "
                f"balance share {s:g}"
            )
    if problem.group is not None:
        for lab, gmin in problem.group_min.items():
            c = int((y & (problem.group == lab)).sum())
            if c < gmin:
                out.append(f"group {lab!r} has {c} towns, below its minimum {gmin}")
        for lab, gmax in problem.group_max.items():
            c = int((y & (problem.group == lab)).sum())
            if c > gmax:
                out.append(f"group {lab!r} has {c} towns, above its maximum {gmax}")
    if problem.min_spacing_m > 0 and problem.xy is not None and sel.size > 1:
        pts = problem.xy[sel]
        d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2))
        d[np.diag_indices(sel.size)] = np.inf
        if d.min() < problem.min_spacing_m * (1 - 1e-12):
            out.append(
                f"two chosen towns are {d.min():g} m apart, closer than min_spacing_m="
                f"{problem.min_spacing_m:g}"
            )
    return out


def _planning_objective(problem: PlanningProblem, y: NDArray[np.bool_]) -> float:
    assert problem.benefit is not None
    total = float(problem.benefit[y].sum())
    if problem.coverage is not None:
        assert problem.demand_weight is not None
        covered = np.asarray(problem.coverage @ y.astype(float)) > 0
        total += problem.coverage_value * float(problem.demand_weight[covered].sum())
    return total


def check_solution(
    problem: LocationProblem | PlanningProblem, result: LayoutResult
) -> SolutionCheck:
    """Re-verify every constraint and the objective of ``result`` from the data of ``problem``.

    For a :class:`PlanningProblem`: budget, land, balance, group limits, spacing, count, fixed
    towns, and the objective. For a :class:`LocationProblem` the model in ``result.model``
    decides: p-median (``p`` towns, assignment to the nearest, objective = weighted cost),
    MCLP (``p`` towns, objective = covered weight within ``radius``), LSCP (every demand within
    ``radius``), p-center (objective = max distance to the nearest chosen). In every case the
    bound must not cut off the objective and ``status == "optimal"`` requires a zero gap.

    Returns
    -------
    SolutionCheck
    """
    sel = np.asarray(result.selected, dtype=np.int64)
    out: list[str] = []
    if isinstance(problem, PlanningProblem):
        out += planning_violations(problem, sel)
        y = np.zeros(problem.n_candidates, dtype=bool)
        y[sel] = True
        obj = _planning_objective(problem, y)
    else:
        c = problem.cost
        m = problem.n_candidates
        if sel.size == 0 or sel.min() < 0 or sel.max() >= m:
            return SolutionCheck(False, ("selected indices empty or out of range",), math.nan)
        model = result.model
        p = int(result.info.get("p", -1))
        if model in ("p-median", "mclp", "p-center") and sel.size != p:
            out.append(f"{sel.size} sites chosen but p={p}")
        dense = c.toarray() if hasattr(c, "toarray") else np.asarray(c)
        if hasattr(c, "toarray"):
            dense = np.where(dense > 0, dense, np.inf)
        sub = dense[:, sel]
        nearest = sub.min(axis=1)
        if model == "p-median":
            obj = float((problem.weights * nearest).sum())
            if result.assignment is not None:
                assigned = dense[np.arange(dense.shape[0]), result.assignment]
                if not np.allclose(assigned, nearest):
                    out.append("some demand points are not assigned to their nearest chosen site")
                if not np.isin(result.assignment, sel).all():
                    out.append("some demand points are assigned to a site that is not chosen")
        elif model == "mclp":
            radius = float(result.info["radius"])
            obj = float(problem.weights[nearest <= radius].sum())
        elif model == "lscp":
            radius = float(result.info["radius"])
            far = int((nearest > radius).sum())
            if far:
                out.append(
                    f"{far} demand points are farther than radius {radius:g} from every site"
                )
            obj = float(sel.size)
        elif model == "p-center":
            obj = float(nearest.max())
        else:
            return SolutionCheck(False, (f"unknown model {model!r}",), math.nan)
    tol = 1e-6 * max(1.0, abs(obj))
    if abs(obj - result.objective) > tol:
        out.append(f"reported objective {result.objective:g} but the solution scores {obj:g}")
    if math.isfinite(result.bound):
        if result.maximize and result.bound < obj - tol:
            out.append(f"bound {result.bound:g} is below the objective {obj:g} of a maximisation")
        if not result.maximize and result.bound > obj + tol:
            out.append(f"bound {result.bound:g} is above the objective {obj:g} of a minimisation")
    if result.status == "optimal" and result.gap > 1e-9:
        out.append(f"status 'optimal' with a gap of {result.gap:g}")
    return SolutionCheck(ok=not out, violations=tuple(out), objective=obj)
