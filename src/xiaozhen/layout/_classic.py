r"""The classical location models as special cases of the engine.

- **p-median** (Hakimi 1964; ReVelle & Swain 1970): :math:`\min \sum_i w_i \min_{j \in S} d_{ij}`,
  :math:`|S| = p`; solved by :mod:`xiaozhen.layout._pmedian`.
- **MCLP**, maximal covering (Church & ReVelle 1974): :math:`\max \sum_i w_i u_i`,
  :math:`u_i \le \sum_{j: d_{ij} \le r} y_j`, :math:`\sum_j y_j = p` — the planning model with
  only coverage and a town count.
- **LSCP**, set covering (Toregas et al. 1971): :math:`\min \sum_j y_j` s.t.
  :math:`\sum_{j: d_{ij} \le r} y_j \ge 1\ \forall i`.
- **p-center** (Hakimi 1965): :math:`\min_{|S| = p} \max_i \min_{j \in S} d_{ij}`; solved exactly
  by bisection over the sorted distinct distances, each step an LSCP (Minieka 1970;
  Daskin 2000), starting from the lower bound :math:`\max_i \min_j d_{ij}`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from xiaozhen._highs import solve_milp
from xiaozhen.errors import ConfigError, InfeasibleError
from xiaozhen.layout._planning import solve_planning
from xiaozhen.layout._pmedian import solve_pmedian_exact
from xiaozhen.layout._problem import LocationProblem, PlanningProblem
from xiaozhen.layout._result import LayoutResult, Status, relative_gap

logger = logging.getLogger(__name__)

PMedianMethod = Literal["auto", "exact", "lagrangian"]

AUTO_EXACT_MAX_PAIRS = 25_000_000
"""``auto`` proves optimality up to this many demand x candidate pairs, else stops at the
Lagrangian bound."""


def _check_p(p: int, m: int) -> None:
    if not (1 <= int(p) <= m):
        raise ConfigError(f"p must be in 1..{m} (the number of candidates), got {p}")


def _nearest(cost: NDArray[np.float64], sel: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.asarray(sel[np.argmin(cost[:, sel], axis=1)], dtype=np.int64)


def solve_pmedian(
    problem: LocationProblem,
    p: int,
    *,
    time_limit: float = 300.0,
    method: PMedianMethod = "auto",
) -> LayoutResult:
    """Solve the weighted p-median problem, proving optimality when the size allows.

    Parameters
    ----------
    problem
        Demand weights and a dense (complete) cost matrix.
    p
        Number of sites to open.
    time_limit
        Seconds for the whole solve; on expiry the incumbent is returned with its proven bound.
    method
        ``"exact"``: heuristic + Lagrangian fixing, then a Lagrangian branch-and-bound for
        ``p <= 5`` or the radius MILP (García, Labbé & Marín 2011) above;
        ``"lagrangian"``: greedy + interchange with the Lagrangian bound (fast, reports a gap);
        ``"auto"``: exact up to ``AUTO_EXACT_MAX_PAIRS`` pairs.

    Returns
    -------
    LayoutResult
        ``objective`` is the total weighted cost; ``info["mean_cost"]`` the weighted mean.
    """
    t0 = time.perf_counter()
    dist = problem.dense_cost()
    _check_p(p, problem.n_candidates)
    if not np.all(np.isfinite(dist)):
        raise ConfigError("cost holds infinite values; the p-median needs finite costs")
    weighted = dist * problem.weights[:, None]
    if method == "auto":
        method = "exact" if dist.size <= AUTO_EXACT_MAX_PAIRS else "lagrangian"
    out = solve_pmedian_exact(weighted, int(p), time_limit=time_limit, exact=method == "exact")
    sel = np.sort(out.selected)
    status: Status = "optimal" if out.status == "optimal" else "time_limit"
    total_w = float(problem.weights.sum())
    res = LayoutResult(
        model="p-median",
        selected=tuple(int(i) for i in sel),
        assignment=_nearest(dist, sel),
        objective=out.objective,
        bound=out.bound,
        gap=relative_gap(out.objective, out.bound, maximize=False),
        status=status,
        method=out.method,
        seconds=time.perf_counter() - t0,
        info={**out.info, "p": float(p), "mean_cost": out.objective / max(total_w, 1e-300)},
    )
    logger.info(
        "p-median p=%d: cost %.6g, bound %.6g, %s by %s in %.2f s",
        p,
        res.objective,
        res.bound,
        res.status,
        res.method,
        res.seconds,
    )
    return res


def solve_mclp(
    problem: LocationProblem,
    p: int,
    radius: float,
    *,
    time_limit: float = 60.0,
    gap: float = 0.0,
) -> LayoutResult:
    """Maximal covering location problem (Church & ReVelle 1974).

    Parameters
    ----------
    problem
        Demand weights and costs (dense, or sparse within a cut-off >= ``radius``).
    p
        Number of sites.
    radius
        Service radius in the cost's unit: demand ``i`` is covered if ``cost[i, j] <= radius``.
    time_limit, gap
        Passed to the MILP.

    Returns
    -------
    LayoutResult
        ``objective`` is the covered weight; ``info`` holds ``covered_count`` and
        ``covered_share`` (of demand points, as spopt reports ``perc_cov``).
    """
    _check_p(p, problem.n_candidates)
    cov = problem.coverage(radius)
    plan = PlanningProblem(
        n_candidates=problem.n_candidates,
        coverage=cov,
        demand_weight=problem.weights,
        n_towns=int(p),
    )
    res = solve_planning(plan, method="milp", time_limit=time_limit, gap=gap)
    sel = np.asarray(res.selected, dtype=np.int64)
    covered = np.asarray(cov @ np.isin(np.arange(problem.n_candidates), sel).astype(float)) > 0
    info = {
        **res.info,
        "p": float(p),
        "radius": float(radius),
        "covered_count": float(covered.sum()),
        "covered_share": float(covered.mean()),
    }
    return replace(res, model="mclp", info=info)


def _set_cover(
    cov: sp.csr_array, *, time_limit: float, max_sites: int | None = None
) -> tuple[NDArray[np.int64] | None, float, Status]:
    """Minimum number of sites covering every row of ``cov``; ``None`` if impossible."""
    n, m = cov.shape
    a = sp.csr_array(cov, dtype=np.float64)
    out = solve_milp(
        np.ones(m),
        a,
        np.ones(n),
        np.full(n, np.inf),
        np.zeros(m),
        np.ones(m),
        np.ones(m, dtype=bool),
        time_limit=time_limit,
        mip_abs_gap=1.0 - 1e-6,  # integral objective
    )
    del max_sites
    if out.status == "infeasible" or out.x is None:
        return None, math.inf, "infeasible"
    sel = np.flatnonzero(out.x > 0.5).astype(np.int64)
    bound = math.ceil(out.bound - 1e-6) if math.isfinite(out.bound) else -math.inf
    status: Status = "optimal" if out.status == "optimal" else "time_limit"
    return sel, float(bound), status


def solve_lscp(
    problem: LocationProblem, radius: float, *, time_limit: float = 60.0
) -> LayoutResult:
    """Location set covering problem (Toregas, Swain, ReVelle & Bergman 1971).

    Raises
    ------
    InfeasibleError
        Before solving, if some demand points are farther than ``radius`` from every candidate.
    """
    t0 = time.perf_counter()
    cov = problem.coverage(radius)
    uncovered = np.flatnonzero(np.diff(cov.indptr) == 0)
    if uncovered.size:
        raise InfeasibleError(
            f"set covering with radius {radius:g} is infeasible: {uncovered.size} of "
            f"{problem.n_demand} demand points (e.g. rows {uncovered[:5].tolist()}) have no "
            "candidate within the radius; raise the radius or add candidates"
        )
    sel, bound, status = _set_cover(cov, time_limit=time_limit)
    assert sel is not None
    obj = float(sel.size)
    return LayoutResult(
        model="lscp",
        selected=tuple(int(i) for i in sel),
        assignment=None,
        objective=obj,
        bound=bound,
        gap=relative_gap(obj, bound, maximize=False),
        status=status,
        method="milp",
        seconds=time.perf_counter() - t0,
        info={"radius": float(radius)},
    )


def solve_pcenter(problem: LocationProblem, p: int, *, time_limit: float = 120.0) -> LayoutResult:
    """p-center problem, exact by bisection over candidate radii with set-covering MILPs.

    The optimal radius is one of the distinct costs; it is at least
    :math:`\\max_i \\min_j d_{ij}`. For a trial radius :math:`r`, the minimum number of sites
    covering all demand within :math:`r` (an LSCP) is compared with :math:`p`.
    """
    t0 = time.perf_counter()
    _check_p(p, problem.n_candidates)
    dist = problem.dense_cost()
    lower = float(dist.min(axis=1).max())
    values = np.unique(dist[dist >= lower])
    lo_i, hi_i = 0, values.size - 1
    best: NDArray[np.int64] | None = None
    status: Status = "optimal"
    while lo_i < hi_i:
        if time.perf_counter() - t0 > time_limit:
            status = "time_limit"
            break
        mid = (lo_i + hi_i) // 2
        sel, bound, st = _set_cover(
            sp.csr_array(dist <= values[mid]), time_limit=time_limit - (time.perf_counter() - t0)
        )
        if st == "time_limit" and (sel is None or sel.size > p) and bound <= p:
            status = "time_limit"
            break
        if sel is not None and sel.size <= p:
            hi_i = mid
            best = sel
        else:
            lo_i = mid + 1
    if best is None or float(dist[:, best].min(axis=1).max()) > values[hi_i]:
        sel, _, _ = _set_cover(sp.csr_array(dist <= values[hi_i]), time_limit=time_limit)
        assert sel is not None
        best = sel
    # pad to exactly p sites with the cheapest additions (never increases the radius)
    chosen = list(best)
    rest = [j for j in np.argsort(dist.sum(axis=0)) if j not in set(chosen)]
    chosen += rest[: p - len(chosen)]
    sel_arr = np.sort(np.asarray(chosen, dtype=np.int64))
    obj = float(dist[:, sel_arr].min(axis=1).max())
    bound = float(values[lo_i]) if status == "optimal" else lower
    return LayoutResult(
        model="p-center",
        selected=tuple(int(i) for i in sel_arr),
        assignment=_nearest(dist, sel_arr),
        objective=obj,
        bound=min(bound, obj),
        gap=relative_gap(obj, min(bound, obj), maximize=False),
        status=status,
        method="binary-search-milp",
        seconds=time.perf_counter() - t0,
        info={"p": float(p)},
    )
