r"""Lagrangian branch-and-bound for the p-median problem, with probing at the root.

Each node of a depth-first tree fixes some candidates open (:math:`F`) and some closed; its bound
is the Lagrangian dual of the assignment constraints (Cornuejols, Fisher & Nemhauser 1977;
Beasley 1993, EJOR 65:383),

.. math::

    L(\lambda) = \sum_i \lambda_i + \sum_{j \in F} \rho_j + \min_{T \subseteq R,\, |T| = p - |F|}
    \sum_{j \in T} \rho_j, \qquad \rho_j = \sum_i \min(0, c_{ij} - \lambda_i),

(:math:`R` the free candidates), maximised by subgradient steps warm-started from the parent's
multipliers. A node is pruned when its bound reaches the incumbent (``> UB - 1`` on integral data,
where every solution value is an integer); otherwise the reduced-cost tests are repeated inside the
node (candidate :math:`j \notin T` is closed if :math:`L + \rho_j - \rho_{(q)} \ge UB`,
:math:`j \in T` forced open if :math:`L - \rho_j + \rho_{(q+1)} \ge UB`) and the node branches on
the most attractive free candidate of the Lagrangian solution: open first, then closed. Every
node's set :math:`F \cup T` is a feasible solution whose cost updates the incumbent.

**Probing** (as in strong branching) runs before the tree: each free candidate outside the root's
Lagrangian solution is forced open in a one-node subproblem, and closed for good if that bound
reaches the incumbent; each candidate inside it is forced closed, and fixed open if that bound
does. Reduced-cost tests only look one step ahead; probing re-optimises the multipliers, so it
removes many more candidates, and every node of the tree then works on a smaller matrix.

The reported bound is the smallest bound of the nodes still open, so a run stopped by the clock
still returns a proven bound.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xiaozhen.layout._lagrangian_node import NodeSolver, prune_level

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class BranchBoundOutcome:
    """Result of :func:`branch_and_bound_pmedian`."""

    best_set: IntArray
    best_cost: float
    bound: float
    proven: bool
    nodes: int
    probed_closed: int
    probed_open: int
    seconds: float


@dataclass
class _Incumbent:
    """The best solution so far (mutable: every node may improve it)."""

    cost: float
    chosen: IntArray
    integral: bool

    def threshold(self) -> float:
        """Bound from which a node holds no solution strictly better than the incumbent."""
        return prune_level(self.cost, self.integral)

    def offer(self, cost: float, chosen: IntArray) -> None:
        if cost < self.cost - 1e-9 * max(1.0, abs(self.cost)):
            self.cost, self.chosen = cost, np.sort(chosen)


@dataclass
class _Node:
    forced: BoolArray
    closed: BoolArray
    lam: FloatArray
    parent_bound: float
    theta: float


def _probe(
    cost: FloatArray,
    solver: NodeSolver,
    p: int,
    lam: FloatArray,
    closed: BoolArray,
    forced: BoolArray,
    inc: _Incumbent,
    iterations: int,
    deadline: float,
) -> tuple[BoolArray, BoolArray]:
    """Fix candidates whose forced opening (or closing) lifts the Lagrangian bound to the incumbent."""
    closed, forced = closed.copy(), forced.copy()
    free = np.flatnonzero(~closed & ~forced)
    q = p - int(forced.sum())
    if q <= 0 or free.size <= q:
        return closed, forced
    root = solver.bound(
        np.concatenate([np.flatnonzero(forced), free]),
        int(forced.sum()),
        q,
        lam,
        0.1,
        iterations,
        inc,
    )
    rf = root.rho[int(forced.sum()) :]
    in_t = np.zeros(free.size, dtype=bool)
    in_t[np.argsort(rf, kind="stable")[:q]] = True
    # most promising outsiders last: the cheap-to-close ones shrink the matrix first
    for k in np.argsort(-rf, kind="stable"):
        if time.perf_counter() > deadline:
            break
        j = int(free[k])
        if closed[j] or forced[j]:
            continue
        f2, c2 = forced.copy(), closed.copy()
        if in_t[k]:
            c2[j] = True
        else:
            f2[j] = True
        f_idx = np.flatnonzero(f2)
        fr = np.flatnonzero(~f2 & ~c2)
        q2 = p - f_idx.size
        if q2 < 0 or fr.size < q2:
            bound = np.inf
        elif q2 == 0 or fr.size == q2:
            sol = np.concatenate([f_idx, fr[:q2]])
            bound = float(cost[:, sol].min(axis=1).sum())
            inc.offer(bound, sol)
        else:
            bound = solver.bound(
                np.concatenate([f_idx, fr]), f_idx.size, q2, root.lam, 0.1, iterations, inc
            ).bound
        if bound >= inc.threshold():
            if in_t[k]:
                forced[j] = True
            else:
                closed[j] = True
    return closed, forced


def branch_and_bound_pmedian(
    cost: FloatArray,
    p: int,
    lam: FloatArray,
    best_set: IntArray,
    *,
    closed: BoolArray,
    forced: BoolArray,
    integral: bool,
    time_limit: float,
    node_iter: int = 800,
    probe_iter: int = 60,
    use_numba: bool | None = None,
) -> BranchBoundOutcome:
    """Prove (or improve) a p-median incumbent by probing and Lagrangian branch-and-bound.

    Parameters
    ----------
    cost
        Weighted cost matrix ``w_i d_ij``, shape (demand, candidates).
    p
        Number of candidates to open.
    lam
        Root multipliers (warm start), one per demand point.
    best_set
        Incumbent (feasible set of ``p`` candidates).
    closed, forced
        Root fixings (valid for every solution better than the incumbent).
    integral
        Whether every solution value is an integer (prune at ``> UB - 1``).
    time_limit
        Seconds; on expiry the smallest open-node bound is returned.
    node_iter, probe_iter
        Subgradient iterations per tree node and per probe.
    use_numba
        Node bounds with the compiled kernel (``None``: when numba is installed); see
        :mod:`xiaozhen.layout._lagrangian_node`.

    Returns
    -------
    BranchBoundOutcome
    """
    t0 = time.perf_counter()
    n, m = cost.shape
    chosen = np.sort(np.asarray(best_set, dtype=np.int64))
    inc = _Incumbent(float(cost[:, chosen].min(axis=1).sum()), chosen, integral)
    lam0 = lam.astype(np.float64)
    solver = NodeSolver(cost, np.flatnonzero(~closed), integral=integral, use_numba=use_numba)
    closed, forced = _probe(
        cost, solver, p, lam0, closed, forced, inc, probe_iter, t0 + 0.5 * time_limit
    )
    probed_closed, probed_open = int(closed.sum()), int(forced.sum())
    stack = [_Node(forced, closed, lam0.copy(), -np.inf, 1.0)]
    nodes = 0
    timed_out = False
    while stack:
        if time.perf_counter() - t0 > time_limit:
            timed_out = True
            break
        node = stack.pop()
        nodes += 1
        if node.parent_bound >= inc.threshold():
            continue
        f_idx = np.flatnonzero(node.forced)
        free = np.flatnonzero(~node.forced & ~node.closed)
        q = p - f_idx.size
        if q < 0 or free.size < q:
            continue  # no feasible completion
        if q == 0 or free.size == q:
            sol = np.concatenate([f_idx, free[:q]]) if q else f_idx
            inc.offer(float(cost[:, sol].min(axis=1).sum()), sol)
            continue
        nb = solver.bound(
            np.concatenate([f_idx, free]),
            f_idx.size,
            q,
            node.lam,
            node.theta,
            node_iter,
            inc,
        )
        thresh = inc.threshold()
        if nb.bound >= thresh:
            continue
        # reduced-cost fixing inside the node, with the best multipliers' rho
        rf = nb.rho[f_idx.size :]
        order = np.argsort(rf, kind="stable")
        rq, rq1 = rf[order[q - 1]], rf[order[q]]
        in_t = np.zeros(free.size, dtype=bool)
        in_t[order[:q]] = True
        new_closed = node.closed.copy()
        new_forced = node.forced.copy()
        new_closed[free[~in_t & (nb.bound + rf - rq >= thresh)]] = True
        new_forced[free[in_t & (nb.bound - rf + rq1 >= thresh)]] = True
        # branch on the most attractive free candidate in T that is not forced yet
        cand = free[order[:q]]
        cand = cand[~new_forced[cand]]
        child_theta = max(nb.theta, 0.05)
        if cand.size == 0:
            # all of T forced: the child with these fixings is the only one left
            stack.append(_Node(new_forced, new_closed, nb.lam, nb.bound, child_theta))
            continue
        j = int(cand[0])
        off = _Node(new_forced, new_closed.copy(), nb.lam, nb.bound, child_theta)
        off.closed[j] = True
        on = _Node(new_forced.copy(), new_closed, nb.lam.copy(), nb.bound, child_theta)
        on.forced[j] = True
        stack.append(off)
        stack.append(on)
    thresh = inc.threshold()
    if timed_out:
        open_bounds = [nd.parent_bound for nd in stack if nd.parent_bound < thresh]
        bound = min([inc.cost, *open_bounds])
        proven = False
    else:
        bound, proven = inc.cost, True
    seconds = time.perf_counter() - t0
    logger.debug(
        "Lagrangian B&B: probing closed %d / forced %d, %d nodes, incumbent %.6g, bound %.6g, "
        "proven %s, %.2f s (n=%d, m=%d)",
        probed_closed,
        probed_open,
        nodes,
        inc.cost,
        bound,
        proven,
        seconds,
        n,
        m,
    )
    return BranchBoundOutcome(
        inc.chosen, inc.cost, float(bound), proven, nodes, probed_closed, probed_open, seconds
    )
