"""Lagrangian branch-and-bound for p-median: brute-force oracle on small random instances."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from xiaozhen.layout._lagrangian_node import (
    HAVE_NUMBA,
    NodeSolver,
    _sorted_kernel_py,
)
from xiaozhen.layout._pmedian import (
    LagrangianOutcome,
    greedy_pmedian,
    interchange_pmedian,
    lagrangian_pmedian,
    solve_pmedian_exact,
)
from xiaozhen.layout._pmedian_bb import BranchBoundOutcome, branch_and_bound_pmedian

#: Both node-bound implementations; the compiled one only where numba is installed.
KERNELS = [False, pytest.param(True, marks=pytest.mark.skipif(not HAVE_NUMBA, reason="no numba"))]


def _brute_force(cost: np.ndarray, p: int) -> float:
    return min(
        float(cost[:, list(s)].min(axis=1).sum())
        for s in itertools.combinations(range(cost.shape[1]), p)
    )


def _instance(seed: int, integral: bool) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(20, 40)), int(rng.integers(8, 15))
    xy_d, xy_c = rng.random((n, 2)) * 100, rng.random((m, 2)) * 100
    d = np.hypot(*(xy_d[:, None, :] - xy_c[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 10, n).astype(float)
    cost = w[:, None] * (np.round(d) if integral else d)
    return cost, int(rng.integers(2, 5))


def _tree(cost: np.ndarray, p: int, lag: LagrangianOutcome, **options: Any) -> BranchBoundOutcome:
    """The tree warm-started from a root Lagrangian run (multipliers, incumbent, fixings)."""
    options.setdefault("integral", True)
    options.setdefault("time_limit", 30.0)
    return branch_and_bound_pmedian(
        cost, p, lag.multipliers, lag.best_set, closed=lag.closed, forced=lag.forced, **options
    )


@pytest.mark.parametrize("use_numba", KERNELS)
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("integral", [True, False])
def test_tree_proves_the_brute_force_optimum(seed: int, integral: bool, use_numba: bool) -> None:
    cost, p = _instance(seed, integral)
    opt = _brute_force(cost, p)
    start = greedy_pmedian(cost, p)  # a deliberately plain start: the tree must improve it
    lag = lagrangian_pmedian(cost, p, start, max_iter=30)
    out = _tree(cost, p, lag, integral=integral, use_numba=use_numba)
    assert out.proven
    assert out.best_cost == pytest.approx(opt, rel=1e-12)
    assert float(cost[:, out.best_set].min(axis=1).sum()) == pytest.approx(out.best_cost)
    assert out.best_set.size == p


def test_stopped_tree_reports_a_valid_bound_not_optimal() -> None:
    cost, p = _instance(3, integral=True)
    opt = _brute_force(cost, p)
    lag = lagrangian_pmedian(cost, p, greedy_pmedian(cost, p), max_iter=5)
    out = _tree(cost, p, lag, time_limit=0.0)
    assert not out.proven
    assert out.bound <= opt <= out.best_cost


@pytest.mark.parametrize("seed", range(4))
def test_exact_solver_uses_the_tree_for_small_p(seed: int) -> None:
    cost, _ = _instance(seed, integral=True)
    out = solve_pmedian_exact(cost, 3, time_limit=30.0)
    assert out.objective == pytest.approx(_brute_force(cost, 3))
    assert out.status == "optimal"
    assert out.method in ("lagrangian", "lagrangian-bb")


def _graph_instance(seed: int) -> tuple[np.ndarray, int]:
    """Shortest paths on a sparse random graph (OR-Library style): the LP bound has a gap."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 45))
    ring = np.arange(n)
    i = np.r_[rng.integers(0, n, 4 * n), ring]
    j = np.r_[rng.integers(0, n, 4 * n), (ring + 1) % n]
    w = rng.integers(1, 100, i.size).astype(float)
    g = sp.coo_matrix((w, (i, j)), shape=(n, n)).tocsr()
    return shortest_path(g, directed=False), int(rng.integers(3, 5))


@pytest.mark.parametrize("use_numba", KERNELS)
@pytest.mark.parametrize("seed", [5, 9])
def test_tree_branches_and_proves_on_graph_instances(seed: int, use_numba: bool) -> None:
    cost, p = _graph_instance(seed)
    opt = _brute_force(cost, p)
    start, _ = interchange_pmedian(cost, greedy_pmedian(cost, p))
    lag = lagrangian_pmedian(cost, p, start, max_iter=100)
    assert lag.bound < opt - 0.5  # a real gap at the root: the proof needs the tree
    for probe_iter, node_iter in ((0, 10), (60, 150)):  # short nodes, no probing: must branch
        out = _tree(cost, p, lag, probe_iter=probe_iter, node_iter=node_iter, use_numba=use_numba)
        assert out.proven
        assert out.best_cost == opt
        if probe_iter == 0:
            assert out.nodes > 1


def test_milp_takes_over_when_the_tree_runs_out_of_its_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import xiaozhen.layout._pmedian as pm

    cost, p = _graph_instance(5)
    monkeypatch.setattr(pm, "TREE_TIME_SHARE", 0.0)  # the tree stops at once
    out = pm.solve_pmedian_exact(cost, p, time_limit=30.0)
    assert out.status == "optimal"
    assert out.method == "radius-milp"
    assert out.objective == _brute_force(cost, p)
    assert out.info["bb_nodes"] <= 1


class _Inc:
    """A fixed incumbent that records what the node offers."""

    def __init__(self, cost: float) -> None:
        self.cost = cost
        self.offers: list[float] = []

    def threshold(self) -> float:
        return self.cost - 1.0 + 1e-6

    def offer(self, cost: float, chosen: np.ndarray) -> None:
        self.offers.append(cost)


@pytest.mark.parametrize("seed", range(6))
def test_node_bound_implementations_agree(seed: int) -> None:
    """At given multipliers (one step) both kernels give the same L(lambda) and rho; the pure
    Python source of the compiled kernel gives it too, and L is a valid bound."""
    cost, p = _graph_instance(seed)
    rng = np.random.default_rng(seed)
    m = cost.shape[1]
    allowed = np.flatnonzero(rng.random(m) < 0.8)
    forced = allowed[:1]
    free = allowed[1:]
    act = np.concatenate([forced, free])
    q = p - 1
    lam = cost[:, allowed].min(axis=1) + rng.uniform(0, 40, cost.shape[0])
    opt_restricted = min(
        float(cost[:, [*forced, *s]].min(axis=1).sum()) for s in itertools.combinations(free, q)
    )
    bounds = []
    rhos = []
    for use_numba in (False, *([True] if HAVE_NUMBA else [])):
        solver = NodeSolver(cost, allowed, integral=True, use_numba=use_numba)
        nb = solver.bound(act, 1, q, lam, 1.0, 1, _Inc(1e12))
        bounds.append(nb.bound)
        rhos.append(nb.rho)
    sub = cost[:, allowed]
    order = np.argsort(sub, axis=1, kind="stable")
    status = np.ones(allowed.size, dtype=np.int8)
    status[0] = 2
    py = _sorted_kernel_py(
        np.take_along_axis(sub, order, axis=1),
        order.astype(np.int32),
        status,
        q,
        lam,
        1.0,
        1,
        1e12,
        True,
        20,
        0.003,
    )
    bounds.append(py[0])
    rhos.append(py[2])
    expected_rho = np.minimum(cost[:, act] - lam[:, None], 0.0).sum(axis=0)
    expected = lam.sum() + expected_rho[0] + np.sort(expected_rho[1:])[:q].sum()
    for b in bounds:
        assert b == pytest.approx(expected, rel=1e-12)
    for r in rhos:
        assert np.allclose(r, expected_rho, rtol=1e-12, atol=1e-9)
    assert expected <= opt_restricted + 1e-9


@pytest.mark.skipif(not HAVE_NUMBA, reason="no numba")
def test_a_kernel_that_cannot_compile_falls_back_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    import numba

    import xiaozhen.layout._lagrangian_node as node

    def broken(*args: object) -> None:
        raise numba.core.errors.TypingError("no typing for this platform")

    monkeypatch.setattr(node, "_sorted_kernel", broken)
    cost, p = _graph_instance(5)
    lag = lagrangian_pmedian(cost, p, greedy_pmedian(cost, p), max_iter=30)
    out = _tree(cost, p, lag, use_numba=True)
    assert out.proven
    assert out.best_cost == _brute_force(cost, p)
