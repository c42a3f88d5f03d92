r"""Exact p-median: heuristic incumbent, Lagrangian bound with fixing, then a tree or radius MILP.

The p-median problem (Hakimi 1964; ReVelle & Swain 1970) chooses :math:`p` of :math:`m` candidates
to minimise :math:`\sum_i w_i \min_{j \in S} d_{ij}`. Three stages, each vectorised with numpy:

1. **Incumbent**: greedy addition (Kuehn & Hamburger 1963), then best-improvement vertex
   interchange (Teitz & Bart 1968) evaluated for all :math:`p \times m` swaps at once with the
   nearest / second-nearest bookkeeping of Whitaker (1983) and Resende & Werneck (2007):
   the cost of swapping :math:`r` out and :math:`j` in is
   :math:`\sum_i \min(c_{ij}, d^1_i) + \sum_{i: \phi(i) = r} [\min(c_{ij}, d^2_i) - \min(c_{ij}, d^1_i)]`,
   a column sum plus one sparse-dense product.
2. **Lagrangian bound** (Cornuejols, Fisher & Nemhauser 1977; Beasley 1993): relaxing
   :math:`\sum_j x_{ij} = 1` with multipliers :math:`\lambda` gives
   :math:`L(\lambda) = \sum_i \lambda_i + \min_{|S| = p} \sum_{j \in S} \rho_j`,
   :math:`\rho_j = \sum_i \min(0, c_{ij} - \lambda_i)`, maximised by subgradient optimisation
   with Polyak steps. Reduced-cost tests fix candidates closed (if forcing them open lifts the
   bound to the incumbent) or open (symmetrically); on integral data ``> UB - 1`` suffices.
3. **Exact stage.** For small :math:`p` (up to :data:`BRANCH_AND_BOUND_MAX_P`) a Lagrangian
   branch-and-bound (:mod:`xiaozhen.layout._pmedian_bb`) warm-started from the root multipliers,
   for a share of the time (:data:`TREE_TIME_SHARE`); if it has not finished, or for larger
   :math:`p`, the
   **radius formulation** (García, Labbé & Marín 2011, INFORMS J. Computing 23(4):546):
   for each client :math:`i` with sorted distinct distances :math:`D_i^1 < \dots < D_i^{K_i}`,
   :math:`z_i^k = 1` iff client :math:`i` is farther than :math:`D_i^k` from every open facility:

   .. math::

       \min \sum_i \Big(D_i^1 + \sum_{k} (D_i^{k+1} - D_i^k) z_i^k\Big)
       \quad\text{s.t.}\quad z_i^k \ge z_i^{k-1} - \sum_{j: c_{ij} = D_i^k} y_j,\;
       z_i^0 = 1,\; \sum_j y_j = p,\; y \in \{0, 1\},\; z \ge 0.

   The chained form has one coefficient per (client, candidate) instead of one per (client, level,
   candidate). Levels are truncated at a cap :math:`h_i` (the incumbent's distance), which makes
   the model a relaxation (client cost :math:`\min(d_i(S), h_i)`); caps are raised for clients
   where the relaxed optimum exceeds them, until the relaxed optimum equals its true cost or
   reaches the incumbent. Optimality is claimed only from a proven bound.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from xiaozhen._highs import solve_milp
from xiaozhen.layout._lagrangian_node import prune_level
from xiaozhen.layout._pmedian_bb import branch_and_bound_pmedian
from xiaozhen.layout._result import Method

logger = logging.getLogger(__name__)

#: Up to this many medians the exact stage starts with the Lagrangian branch-and-bound; above it,
#: the radius MILP. Measured on OR-Library: with p <= 10 the tree is faster on every instance
#: (with the compiled node kernel, pmed22: 2.6 s against 46 s; pmed36: 60 s against 137 s);
#: with p >= 60 the MILP was faster on all six tried (pmed34: 7 s against 33 s), its LP being
#: nearly tight there.
BRANCH_AND_BOUND_MAX_P = 10

#: Share of the remaining time the tree gets before the radius MILP takes over (the MILP starts
#: from the tree's incumbent and bound, not from its open nodes, so the tree gets the larger part).
TREE_TIME_SHARE = 0.6

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def pmedian_cost(cost: FloatArray, selected: IntArray) -> float:
    """Total cost ``sum_i min_{j in selected} cost[i, j]`` of a set of open candidates."""
    return float(cost[:, selected].min(axis=1).sum())


def greedy_pmedian(cost: FloatArray, p: int) -> IntArray:
    """Greedy addition: open, one at a time, the candidate that lowers the total cost most.

    Parameters
    ----------
    cost
        Weighted cost matrix ``w_i * d_ij``, shape (demand, candidates).
    p
        Number of candidates to open.

    Returns
    -------
    numpy.ndarray
        Indices of the ``p`` chosen candidates, in the order they were added.
    """
    n, m = cost.shape
    d1 = np.full(n, np.inf)
    chosen: list[int] = []
    taken = np.zeros(m, dtype=bool)
    for _ in range(p):
        total = np.minimum(cost, d1[:, None]).sum(axis=0)
        total[taken] = np.inf
        j = int(np.argmin(total))
        chosen.append(j)
        taken[j] = True
        d1 = np.minimum(d1, cost[:, j])
    return np.asarray(chosen, dtype=np.int64)


def _nearest_two(cost: FloatArray, selected: IntArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Nearest and second-nearest open cost per client, and the position of the nearest in ``selected``."""
    sub = cost[:, selected]
    rows = np.arange(sub.shape[0])
    if sub.shape[1] == 1:
        return sub[:, 0].copy(), np.full(sub.shape[0], np.inf), np.zeros(sub.shape[0], np.int64)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    a = sub[rows, part[:, 0]]
    b = sub[rows, part[:, 1]]
    first = np.where(a <= b, part[:, 0], part[:, 1])
    return np.minimum(a, b), np.maximum(a, b), first.astype(np.int64)


def interchange_pmedian(
    cost: FloatArray, selected: IntArray, *, max_iter: int = 10_000
) -> tuple[IntArray, float]:
    """Best-improvement vertex interchange (Teitz & Bart 1968), all swaps evaluated at once.

    Parameters
    ----------
    cost
        Weighted cost matrix, shape (demand, candidates).
    selected
        Starting set of open candidates.
    max_iter
        Maximum number of swaps.

    Returns
    -------
    tuple
        The locally optimal set (no single swap improves it) and its cost.
    """
    n, m = cost.shape
    sel = np.array(selected, dtype=np.int64)
    p = sel.size
    current = pmedian_cost(cost, sel)
    if p == 0 or p == m:
        return np.sort(sel), current
    for _ in range(max_iter):
        d1, d2, pos = _nearest_two(cost, sel)
        a = np.minimum(cost, d1[:, None])
        b = np.minimum(cost, d2[:, None])
        b -= a
        member = sp.csr_array(
            (np.ones(n), (pos, np.arange(n))), shape=(p, n)
        )  # one-hot: client -> position of its nearest open candidate
        total = member @ b
        total += a.sum(axis=0)[None, :]
        total[:, sel] = np.inf
        flat = int(np.argmin(total))
        r, j = divmod(flat, m)
        if total[r, j] < current - 1e-9 * max(1.0, abs(current)):
            sel[r] = j
            current = pmedian_cost(cost, sel)
        else:
            break
    return np.sort(sel), current


@dataclass(frozen=True)
class LagrangianOutcome:
    """Lagrangian bound, fixings and the best primal set found along the way."""

    bound: float
    closed: BoolArray
    forced: BoolArray
    best_set: IntArray
    best_cost: float
    iterations: int
    multipliers: FloatArray


def _is_integral(cost: FloatArray) -> bool:
    return bool(np.all(np.isfinite(cost)) and np.all(cost == np.round(cost)))


def lagrangian_pmedian(
    cost: FloatArray,
    p: int,
    incumbent: IntArray,
    *,
    max_iter: int = 600,
    time_limit: float = 30.0,
    integral: bool | None = None,
) -> LagrangianOutcome:
    r"""Subgradient optimisation of the Lagrangian dual with reduced-cost fixing.

    Parameters
    ----------
    cost
        Weighted cost matrix, shape (demand, candidates).
    p
        Number of candidates to open.
    incumbent
        A feasible set; its cost is the upper bound used in Polyak steps and fixing tests.
    max_iter, time_limit
        Stopping rules.
    integral
        Whether every feasible objective value is integral (detected when ``None``).

    Returns
    -------
    LagrangianOutcome
        ``bound`` is valid for every solution not excluded by the fixings; the excluded solutions
        all cost at least the incumbent (``best_cost``), so ``min(bound, best_cost)`` is a bound
        on the optimum.
    """
    t0 = time.perf_counter()
    _n, m = cost.shape
    if integral is None:
        integral = _is_integral(cost)
    best_set = np.sort(np.asarray(incumbent, dtype=np.int64))
    ub = pmedian_cost(cost, best_set)
    d1, _, _ = _nearest_two(cost, best_set)
    lam = d1.copy()
    closed = np.zeros(m, dtype=bool)
    forced = np.zeros(m, dtype=bool)
    best_bound = -np.inf
    theta = 2.0
    since_improve = 0
    buf = np.empty_like(cost)
    best_lam = lam.copy()
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iteration count reported
        np.subtract(cost, lam[:, None], out=buf)
        np.minimum(buf, 0.0, out=buf)
        rho = buf.sum(axis=0)
        rho[closed] = np.inf
        n_forced = int(forced.sum())
        q = p - n_forced
        free = np.flatnonzero(~closed & ~forced)
        if q < 0 or free.size < q:
            # every solution better than the incumbent has been excluded: it is optimal
            best_bound = max(best_bound, ub)
            break
        rho_free = rho[free]
        if q > 0:
            order = np.argpartition(rho_free, q - 1) if q < free.size else np.arange(free.size)
            pick = free[order[:q]]
        else:
            pick = np.empty(0, dtype=np.int64)
        chosen = np.concatenate([np.flatnonzero(forced), pick])
        value = float(lam.sum() + rho[chosen].sum())
        if value > best_bound + 1e-12 * max(1.0, abs(value)):
            best_bound = value
            best_lam = lam.copy()
            since_improve = 0
        else:
            since_improve += 1
        # primal: the Lagrangian set is a feasible p-median solution
        c_chosen = pmedian_cost(cost, chosen)
        if c_chosen < ub - 1e-9 * max(1.0, abs(ub)):
            ub = c_chosen
            best_set = np.sort(chosen)
        thresh = prune_level(ub, integral)
        if best_bound >= thresh:
            break
        # reduced-cost fixing
        if 0 < q < free.size:
            srt = np.sort(rho_free)
            rho_q, rho_q1 = srt[q - 1], srt[q]
            in_pick = np.zeros(m, dtype=bool)
            in_pick[pick] = True
            out_free = free[~in_pick[free]]
            close_now = out_free[value + rho[out_free] - rho_q >= thresh]
            force_now = pick[value - rho[pick] + rho_q1 >= thresh]
            closed[close_now] = True
            forced[force_now] = True
        # subgradient step
        g = 1.0 - (cost[:, chosen] < lam[:, None]).sum(axis=1)
        norm = float(g @ g)
        if norm == 0.0:
            break
        lam += theta * (ub - value) / norm * g
        if since_improve >= 25:
            theta /= 2.0
            since_improve = 0
            if theta < 1e-4:
                break
        if time.perf_counter() - t0 > time_limit:
            break
    bound = min(best_bound, ub)
    logger.debug(
        "Lagrangian: bound %.6g, incumbent %.6g, %d closed, %d forced, %d iterations",
        bound,
        ub,
        int(closed.sum()),
        int(forced.sum()),
        it,
    )
    return LagrangianOutcome(
        bound=float(bound),
        closed=closed,
        forced=forced,
        best_set=best_set,
        best_cost=float(ub),
        iterations=it,
        multipliers=best_lam,
    )


@dataclass(frozen=True)
class RadiusModel:
    """The chained radius formulation for one set of caps (column order: y then z)."""

    a_matrix: sp.csc_array
    cost: FloatArray
    row_lower: FloatArray
    offset: float
    n_y: int
    level_cost_first: FloatArray
    z_client: IntArray


def build_radius_model(cost: FloatArray, cap: FloatArray, p: int) -> RadiusModel:
    """Build the chained radius formulation with levels below each client's cap, vectorised.

    Parameters
    ----------
    cost
        Weighted cost matrix restricted to the allowed candidates, shape (n, m').
    cap
        Per-client cap :math:`h_i`: client cost in the model is :math:`\\min(d_i(S), h_i)`.
    p
        Number of candidates to open (the last row is ``sum y = p``).

    Returns
    -------
    RadiusModel
    """
    _n, m = cost.shape
    order = np.argsort(cost, axis=1, kind="stable")
    srt = np.take_along_axis(cost, order, axis=1)
    valid = srt < cap[:, None]
    new = valid.copy()
    new[:, 1:] &= srt[:, 1:] != srt[:, :-1]
    level = np.cumsum(new, axis=1)  # 1-based level of each sorted entry (valid ones)
    n_levels = new.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(n_levels)[:-1]])
    n_z = int(n_levels.sum())
    # level values: D^k for each (client, level), then D^{K+1} = cap
    ci, cj = np.nonzero(new)
    d_level = srt[ci, cj]
    z_client = ci.astype(np.int64)
    z_index = offsets[ci] + level[ci, cj] - 1
    d_next = np.empty(n_z)
    d_next[:-1] = d_level[1:]
    if n_z:
        last = offsets + n_levels - 1
        has = n_levels > 0
        d_next[last[has]] = cap[has]
    z_cost = d_next - d_level
    # constant: D^1 for clients with levels, else the cap
    first_level = np.where(n_levels > 0, srt[:, 0], cap)
    offset = float(first_level.sum())
    # y entries: (client, level) row <- candidate with c_ij == D^k
    vi, vj = np.nonzero(valid)
    y_rows = offsets[vi] + level[vi, vj] - 1
    y_cols = order[vi, vj]
    # z entries: +1 in own row, -1 in next row of the same client
    z_rows_pos = np.arange(n_z)
    nxt_ok = np.ones(n_z, dtype=bool)
    if n_z:
        nxt_ok[offsets[n_levels > 0] + n_levels[n_levels > 0] - 1] = False
    z_rows_neg = np.flatnonzero(nxt_ok) + 1
    z_cols_neg = np.flatnonzero(nxt_ok)
    rows = np.concatenate([y_rows, z_rows_pos, z_rows_neg, np.full(m, n_z)])
    cols = np.concatenate([y_cols, m + z_rows_pos, m + z_cols_neg, np.arange(m)])
    vals = np.concatenate(
        [np.ones(y_rows.size), np.ones(n_z), -np.ones(z_cols_neg.size), np.ones(m)]
    )
    a = sp.csc_array((vals, (rows, cols)), shape=(n_z + 1, m + n_z))
    row_lower = np.zeros(n_z + 1)
    row_lower[offsets[n_levels > 0]] = 1.0
    row_lower[-1] = p
    obj = np.concatenate([np.zeros(m), z_cost])
    del z_index
    return RadiusModel(
        a_matrix=a,
        cost=obj,
        row_lower=row_lower,
        offset=offset,
        n_y=m,
        level_cost_first=first_level,
        z_client=z_client,
    )


@dataclass(frozen=True)
class PMedianOutcome:
    """Raw outcome of :func:`solve_pmedian_exact` (the public wrapper builds a LayoutResult)."""

    selected: IntArray
    objective: float
    bound: float
    status: str
    method: Method
    info: dict[str, float]


def solve_pmedian_exact(
    cost: FloatArray,
    p: int,
    *,
    time_limit: float = 300.0,
    exact: bool = True,
    seed: int = 0,
    max_rows: int = 2_000_000,
) -> PMedianOutcome:
    """Solve a p-median problem on a dense weighted cost matrix, proving optimality when possible.

    Parameters
    ----------
    cost
        Weighted cost matrix ``w_i d_ij``, shape (demand, candidates), finite and non-negative.
    p
        Number of candidates to open, ``1 <= p <= candidates``.
    time_limit
        Seconds for the whole solve.
    exact
        If false, stop after the heuristic and the Lagrangian bound (method ``"lagrangian"``).
    seed
        Unused for now (the heuristic is deterministic); kept for API stability.
    max_rows
        Largest radius model built with exact caps; above it the caps start at the incumbent's
        client costs and are raised round by round.

    Returns
    -------
    PMedianOutcome
    """
    del seed
    t0 = time.perf_counter()
    _n, m = cost.shape
    integral = _is_integral(cost)
    sel = greedy_pmedian(cost, p)
    sel, ub = interchange_pmedian(cost, sel)
    t_heur = time.perf_counter() - t0
    lag = lagrangian_pmedian(cost, p, sel, integral=integral, time_limit=max(1.0, 0.3 * time_limit))
    ub, sel = lag.best_cost, lag.best_set
    lb = lag.bound
    info: dict[str, float] = {
        "heuristic_seconds": t_heur,
        "lagrangian_iterations": float(lag.iterations),
        "lagrangian_bound": lag.bound,
        "fixed_closed": float(lag.closed.sum()),
        "fixed_open": float(lag.forced.sum()),
    }

    def proven(lower: float, upper: float) -> bool:
        return lower >= prune_level(upper, integral) - (0.0 if integral else 2e-9 * max(1, upper))

    if proven(lb, ub) or not exact:
        status = "optimal" if proven(lb, ub) else "time_limit"
        bound = ub if status == "optimal" else lb
        return PMedianOutcome(sel, ub, bound, status, "lagrangian", info)
    if p <= BRANCH_AND_BOUND_MAX_P:
        remaining = max(0.05, time_limit - (time.perf_counter() - t0))
        bb = branch_and_bound_pmedian(
            cost,
            p,
            lag.multipliers,
            sel,
            closed=lag.closed,
            forced=lag.forced,
            integral=integral,
            time_limit=remaining * TREE_TIME_SHARE,
        )
        info["bb_nodes"] = float(bb.nodes)
        info["bb_seconds"] = bb.seconds
        if bb.proven:
            return PMedianOutcome(
                np.sort(bb.best_set), bb.best_cost, bb.best_cost, "optimal", "lagrangian-bb", info
            )
        # the tree did not finish in its share: the MILP takes over with a better incumbent and
        # bound (the root fixings stay valid, the incumbent only improved)
        logger.info("Lagrangian tree stopped after %d nodes; radius MILP takes over", bb.nodes)
        ub, sel = bb.best_cost, np.sort(bb.best_set)
        lb = max(lb, min(bb.bound, ub))
        if proven(lb, ub):
            return PMedianOutcome(sel, ub, ub, "optimal", "lagrangian-bb", info)
    allowed = np.flatnonzero(~lag.closed)
    forced_local = lag.forced[allowed]
    sub = np.ascontiguousarray(cost[:, allowed])
    # caps: the incumbent's client costs (the incumbent may use a candidate fixed closed only when
    # it is no better than every remaining solution; then the cap is its own distance anyway)
    cap = _exact_caps(sub, p, forced_local)
    if _n_levels(sub, cap) > max_rows:
        # too many levels for an exact model: start from the incumbent's costs (a relaxation)
        cap = np.minimum(cost[:, sel].min(axis=1), cap)
    local_index = np.full(m, -1, dtype=np.int64)
    local_index[allowed] = np.arange(allowed.size)
    milp_bound = -np.inf
    status = "time_limit"
    rounds = 0
    while True:
        rounds += 1
        remaining = time_limit - (time.perf_counter() - t0)
        if remaining <= 0.05:
            break
        model = build_radius_model(sub, cap, p)
        n_y = model.n_y
        col_lower = np.zeros(model.cost.size)
        col_lower[:n_y][forced_local] = 1.0
        col_upper = np.full(model.cost.size, np.inf)
        col_upper[:n_y] = 1.0
        integer = np.zeros(model.cost.size, dtype=bool)
        integer[:n_y] = True
        row_upper = np.full(model.row_lower.size, np.inf)
        row_upper[-1] = p
        start = None
        if np.all(local_index[sel] >= 0) and np.all(
            np.isin(np.flatnonzero(forced_local), local_index[sel])
        ):
            y0 = np.zeros(n_y)
            y0[local_index[sel]] = 1.0
            start = _radius_start(model, sub, y0, cap)
        out = solve_milp(
            model.cost,
            model.a_matrix,
            model.row_lower,
            row_upper,
            col_lower,
            col_upper,
            integer,
            offset=model.offset,
            time_limit=remaining,
            mip_rel_gap=0.0,
            mip_abs_gap=(1.0 - 1e-6) if integral else 1e-9 * max(1.0, ub),
            start=start,
        )
        info["milp_rows"] = float(model.a_matrix.shape[0])
        info["milp_nnz"] = float(model.a_matrix.nnz)
        info["milp_rounds"] = float(rounds)
        if out.status == "infeasible":
            # no solution of the reduced model: the incumbent is optimal
            milp_bound = ub
            status = "optimal"
            break
        if math.isfinite(out.bound):
            milp_bound = max(milp_bound, min(out.bound, ub))
        if out.x is None:
            break
        y = out.x[:n_y] > 0.5
        cand = allowed[y]
        true_sub = sub[:, y].min(axis=1)
        true_cost = float(true_sub.sum())
        if true_cost < ub - 1e-9 * max(1.0, ub):
            ub, sel = true_cost, np.sort(cand)
        if out.status not in ("optimal", "gap_limit"):
            break  # time limit inside HiGHS: keep the bound it proved
        if proven(milp_bound, ub):
            status = "optimal"
            break
        # the relaxed optimum undercounted some clients: raise their caps and solve again
        over = true_sub > cap
        if not over.any():
            milp_bound = max(milp_bound, true_cost)
            status = "optimal" if proven(milp_bound, ub) else status
            break
        cap = np.where(over, true_sub, cap)
    bound = max(lb, milp_bound)
    if status == "optimal":
        bound = ub if integral else max(bound, ub - 1e-9 * max(1.0, ub))
        bound = min(bound, ub)
    return PMedianOutcome(np.sort(sel), ub, min(bound, ub), status, "radius-milp", info)


def _exact_caps(sub: FloatArray, p: int, forced: BoolArray) -> FloatArray:
    """Largest cost a client can have in any solution: caps that keep the radius model exact.

    With ``m'`` allowed candidates and ``p`` open, one of each client's ``m' - p + 1`` cheapest is
    open; a forced-open candidate bounds the cost too. Levels at or above the cap are never used,
    and since the cap is attained or exceeded only by solutions no worse than ``min(d_i, cap_i)``,
    the capped model equals the true one.
    """
    _n, m = sub.shape
    k = m - p  # 0-based index of the (m - p + 1)-th smallest
    cap = np.partition(sub, k, axis=1)[:, k] if k < m else sub.max(axis=1)
    if forced.any():
        cap = np.minimum(cap, sub[:, forced].min(axis=1))
    # the cap itself is an attainable cost; nudge so that "cost < cap" keeps all levels below it
    return np.asarray(cap, dtype=np.float64)


def _n_levels(sub: FloatArray, cap: FloatArray) -> int:
    """Number of (client, candidate) entries below the caps (an upper bound on model rows)."""
    return int((sub < cap[:, None]).sum())


def _radius_start(
    model: RadiusModel, sub: FloatArray, y0: FloatArray, cap: FloatArray
) -> FloatArray:
    """Feasible (y, z) for a given y: z_i^k = 1 while the client is farther than D_i^k."""
    dist = sub[:, y0 > 0.5].min(axis=1)
    a = model.a_matrix
    # level value D^k of each z column is the cumulative: recover from the objective slope
    z_cost = model.cost[model.n_y :]
    client = model.z_client
    # D^k = D^1 + sum of previous slopes within the client
    csum = np.cumsum(z_cost)
    start_idx = np.searchsorted(client, client, side="left")
    before = csum - z_cost - np.where(start_idx > 0, csum[start_idx - 1], 0.0)
    d_k = model.level_cost_first[client] + before
    z = (dist[client] > d_k + 1e-12).astype(np.float64)
    del a, cap
    return np.concatenate([y0, z])
