r"""Heuristics for the planning model: a greedy construction, then an interchange local search.

:func:`greedy_planning` builds a feasible set by benefit per resource used (one run per resource
weight); :func:`interchange_planning` improves it by swaps and additions. From a feasible set
:math:`S`, each pass evaluates every move at once and makes the best improving one
(best-improvement vertex substitution, Teitz & Bart 1968, extended to the side constraints):

* **add** :math:`j`: gain :math:`\alpha \sum_{i \in N_j, c_i = 0} w_i + b_j` (``c_i``: open towns
  covering demand point ``i``), one sparse product for all ``j``;
* **swap** :math:`r \to j`: the same gain plus the demand only ``r`` covered and ``j`` covers, minus
  what ``r`` alone covered and its benefit: one small sparse product per open town ``r``.

A move is admissible only if it keeps the budget, the land quota, the town count, the balance
share of towns, the group limits and the spacing; fixed towns never leave. The balance on covered
rural population is not tracked move by move, so problems with it are returned unchanged.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from xiaozhen.layout._check import planning_violations
from xiaozhen.layout._planning_model import count_limits, spacing_pairs
from xiaozhen.layout._problem import PlanningProblem


def greedy_planning(
    problem: PlanningProblem, resource_weight: float = 1.0
) -> NDArray[np.int64] | None:
    """Greedy benefit-per-resource heuristic honouring every constraint; ``None`` if it gets stuck.

    Each step adds the feasible candidate with the largest marginal objective divided by
    ``1 + k (c_j / B + l_j / L)`` with ``k = resource_weight`` (``k`` large: the ratio greedy for
    covering with knapsack constraints, Khuller, Moss & Naor 1999; ``k = 0``: the plain greedy).
    Candidates that would break spacing, a maximum, the budget, the land quota or the fringe share
    (of towns, or of covered rural residents) are skipped; while a group minimum or the balance
    share of towns is unmet, only candidates that reduce the deficit are eligible.
    """
    m = problem.n_candidates
    assert problem.benefit is not None
    assert problem.investment is not None
    assert problem.fringe is not None
    fixed = problem.fixed_mask
    fr = problem.fringe
    invest = problem.investment_needed
    land = problem.land_needed
    lo, hi = count_limits(problem)
    s = problem.balance_share if problem.balance_on == "towns" else 0.0
    pairs = spacing_pairs(problem)
    conflict = sp.csr_array(
        (np.ones(2 * len(pairs)), (pairs.reshape(-1), pairs[:, ::-1].reshape(-1))), shape=(m, m)
    )
    chosen = fixed.copy()
    cov = problem.coverage
    w = problem.demand_weight
    covered = (
        np.asarray(cov @ chosen.astype(np.float64)) > 0 if cov is not None else np.zeros(0, bool)
    )
    covered_f = (
        np.asarray(cov @ (chosen & fr).astype(np.float64)) > 0
        if cov is not None
        else np.zeros(0, bool)
    )
    rural_balance = problem.balance_on == "rural_population" and cov is not None
    s_rural = problem.balance_share if rural_balance else 0.0
    rural = problem.rural_weight if problem.rural_weight is not None else np.zeros(0)
    groups = problem.group
    budget = problem.budget if problem.budget is not None else np.inf
    lquota = problem.land_quota if problem.land_quota is not None else np.inf
    used_c, used_l = 0.0, 0.0
    use = np.zeros(m)
    if np.isfinite(budget) and budget > 0:
        use += invest / budget
    if np.isfinite(lquota) and lquota > 0:
        use += land / lquota
    scale = 1.0 + resource_weight * use
    for _ in range(m):
        n_now = int(chosen.sum())
        if n_now >= hi:
            break
        blocked = np.asarray(conflict @ chosen.astype(np.float64)) > 0
        ok = ~chosen & ~blocked & (used_c + invest <= budget) & (used_l + land <= lquota)
        if groups is not None:
            for lab, gmax in problem.group_max.items():
                if int((chosen & (groups == lab)).sum()) >= gmax:
                    ok &= groups != lab
        n_f = int((chosen & fr).sum())
        # a non-fringe town is allowed only if the fringe share stays >= s
        if s > 0:
            ok &= fr | (n_f >= s * (n_now + 1) - 1e-9)
        need = np.zeros(m, dtype=bool)
        if groups is not None:
            for lab, gmin in problem.group_min.items():
                if int((chosen & (groups == lab)).sum()) < gmin:
                    need |= groups == lab
        if s > 0 and n_f < math.ceil(s * lo - 1e-9):
            need = (need & fr) if (need & fr & ok).any() else (need | fr)
        if s_rural > 0:
            # a fringe town never lowers the fringe share of covered rural residents (what it
            # newly covers it also fringe-covers); any other town must keep the share >= s
            assert cov is not None
            r_cov, r_fringe = float(rural[covered].sum()), float(rural[covered_f].sum())
            new_rural = np.asarray(cov.T @ (rural * ~covered))
            ok &= fr | (r_fringe >= s_rural * (r_cov + new_rural) - 1e-9 * max(1.0, r_cov))
        if need.any():
            ok &= need
        elif n_now >= lo:
            pass
        gain = problem.benefit.copy()
        if cov is not None:
            assert w is not None
            gain += problem.coverage_value * np.asarray(cov.T @ (w * ~covered))
        if not ok.any():
            break
        score = np.where(ok, gain / scale, -np.inf)
        j = int(np.argmax(score))
        if n_now >= lo and not need.any() and gain[j] <= 0:
            break
        chosen[j] = True
        used_c += invest[j]
        used_l += land[j]
        if cov is not None:
            col = np.asarray(cov[:, [j]].toarray()).reshape(-1) > 0
            covered |= col
            if fr[j]:
                covered_f |= col
    sel = np.flatnonzero(chosen).astype(np.int64)
    return None if planning_violations(problem, sel) else sel


def interchange_planning(
    problem: PlanningProblem,
    selected: NDArray[np.int64],
    *,
    time_limit: float = 10.0,
    max_moves: int = 1_000,
) -> NDArray[np.int64]:
    """Improve a feasible planning solution by best-improvement additions and swaps.

    Parameters
    ----------
    problem
        The planning problem (with a coverage matrix; otherwise ``selected`` is returned).
    selected
        A feasible set of candidates (e.g. from :func:`greedy_planning`).
    time_limit
        Seconds; the search stops after the pass that crosses it.
    max_moves
        Largest number of moves made.

    Returns
    -------
    numpy.ndarray
        The improved set (sorted); never worse than ``selected``, feasible if it was.
    """
    sel = np.sort(np.asarray(selected, dtype=np.int64))
    rural_balance = problem.balance_on == "rural_population" and problem.balance_share > 0
    if problem.coverage is None or rural_balance:
        return sel
    assert problem.demand_weight is not None
    assert problem.rural_weight is not None
    assert problem.benefit is not None
    assert problem.investment is not None
    assert problem.fringe is not None
    t0 = time.perf_counter()
    m = problem.n_candidates
    agg, w, _ = problem.aggregated_demand
    a = sp.csr_array(agg, dtype=np.float64)
    a_csc = a.tocsc()
    w = w * problem.coverage_value
    benefit = problem.benefit
    pairs = spacing_pairs(problem)
    conflict = sp.csr_array(
        (np.ones(2 * len(pairs)), (pairs.reshape(-1), pairs[:, ::-1].reshape(-1))), shape=(m, m)
    )
    fixed = problem.fixed_mask
    invest = problem.investment_needed
    land = problem.land_needed
    budget = np.inf if problem.budget is None else problem.budget * (1 + 1e-12)
    quota = np.inf if problem.land_quota is None else problem.land_quota * (1 + 1e-12)
    fringe = problem.fringe
    share = problem.balance_share if problem.balance_on == "towns" else 0.0
    labels = sorted(set(problem.group_min) | set(problem.group_max), key=str)
    if problem.group is not None and labels:
        where = {lab: k for k, lab in enumerate(labels)}
        gid = np.array([where.get(x, -1) for x in problem.group.tolist()], dtype=np.int64)
    else:
        gid = np.full(m, -1, dtype=np.int64)
    gmax = np.array([problem.group_max.get(lab, m) for lab in labels] + [m], dtype=np.int64)
    gmin = np.array([problem.group_min.get(lab, 0) for lab in labels] + [0], dtype=np.int64)
    gslot = np.where(gid >= 0, gid, len(labels))  # the extra slot: no group, no limits
    _lo, hi = count_limits(problem)
    y = np.zeros(m, dtype=bool)
    y[sel] = True
    for _ in range(max_moves):
        if time.perf_counter() - t0 > time_limit:
            break
        yf = y.astype(np.float64)
        cover = a @ yf
        add_gain = np.asarray(a.T @ (w * (cover == 0))) + benefit
        n_conf = np.asarray(conflict @ yf)
        spend, used = float(invest[y].sum()), float(land[y].sum())
        n, n_fr = int(y.sum()), int((y & fringe).sum())
        gcount = np.bincount(gslot[y], minlength=len(labels) + 1)
        best_gain, best_out, best_in = 1e-9 * max(1.0, float(w.sum())), -1, -1
        if n + 1 <= hi:
            ok = (
                ~y
                & (n_conf == 0)
                & (spend + invest <= budget)
                & (used + land <= quota)
                & (n_fr + fringe >= share * (n + 1) - 1e-9)
                & (gcount[gslot] + 1 <= gmax[gslot])
            )
            if ok.any():
                j = int(np.argmax(np.where(ok, add_gain, -np.inf)))
                if add_gain[j] > best_gain:
                    best_gain, best_out, best_in = float(add_gain[j]), -1, j
        for r in np.flatnonzero(y & ~fixed):
            rows = a_csc.indices[a_csc.indptr[r] : a_csc.indptr[r + 1]]
            only_r = rows[cover[rows] == 1]  # demand that r alone covers
            loss = float(w[only_r].sum()) + float(benefit[r])
            regain = np.asarray(a[only_r].T @ w[only_r]) if only_r.size else np.zeros(m, np.float64)
            gain = add_gain + regain - loss
            gc = gcount.copy()
            gc[gslot[r]] -= 1
            conf_r = np.zeros(m)
            lo_k, hi_k = conflict.indptr[r], conflict.indptr[r + 1]
            conf_r[conflict.indices[lo_k:hi_k]] = 1.0
            ok = (
                ~y
                & (n_conf - conf_r == 0)
                & (spend - invest[r] + invest <= budget)
                & (used - land[r] + land <= quota)
                & (n_fr - int(fringe[r]) + fringe >= share * n - 1e-9)
                & (gc[gslot] + 1 <= gmax[gslot])
            )
            if gc[gslot[r]] < gmin[gslot[r]]:
                ok &= gslot == gslot[r]  # a group minimum: replace within the group
            if not ok.any():
                continue
            j = int(np.argmax(np.where(ok, gain, -np.inf)))
            if gain[j] > best_gain:
                best_gain, best_out, best_in = float(gain[j]), int(r), j
        if best_in < 0:
            break
        if best_out >= 0:
            y[best_out] = False
        y[best_in] = True
    return np.flatnonzero(y).astype(np.int64)
