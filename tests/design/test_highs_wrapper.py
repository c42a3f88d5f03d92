"""The shared HiGHS wrapper (xiaozhen._highs) as the design and layout stages use it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

from xiaozhen._highs import INF, new_highs, pass_model, run_highs, set_costs, solve_milp


def _knapsack(threads: int | None = None) -> float:
    """max 5a + 4b + 3c s.t. 2a + 3b + c <= 4, binary: a = c = 1, objective 8 (by hand)."""
    out = solve_milp(
        np.array([5.0, 4.0, 3.0]),
        sp.csr_array(np.array([[2.0, 3.0, 1.0]])),
        np.array([-INF]),
        np.array([4.0]),
        np.zeros(3),
        np.ones(3),
        np.ones(3, dtype=bool),
        maximize=True,
        threads=threads,
    )
    assert out.status == "optimal"
    assert out.x is not None
    assert out.bound == pytest.approx(8.0)
    assert out.gap == pytest.approx(0.0, abs=1e-9)
    return out.objective


def test_milp_by_hand() -> None:
    assert _knapsack() == pytest.approx(8.0)


def test_infeasible_and_lp_duals_by_hand() -> None:
    a = sp.csr_array(np.array([[1.0, 1.0]]))
    bad = solve_milp(np.ones(2), a, np.array([3.0]), np.array([INF]), np.zeros(2), np.ones(2), None)
    assert bad.status == "infeasible"
    assert bad.x is None
    # min x + 2y s.t. x + y >= 1.5, 0 <= x, y <= 1: x = 1, y = 0.5, objective 2, row dual 2
    h = new_highs()
    pass_model(
        h, np.array([1.0, 2.0]), a, np.array([1.5]), np.array([INF]), np.zeros(2), np.ones(2)
    )
    lp = run_highs(h, mip=False, duals=True)
    assert lp.status == "optimal"
    assert lp.objective == pytest.approx(2.0)
    assert lp.bound == lp.objective
    assert np.isnan(lp.gap)
    assert lp.row_dual is not None
    assert lp.row_dual[0] == pytest.approx(2.0)
    # new costs, warm start: min 3x + y -> y = 1, x = 0.5, objective 2.5
    set_costs(h, np.array([3.0, 1.0]))
    again = run_highs(h, mip=False, retry_from_scratch=True)
    assert again.x is not None
    assert again.objective == pytest.approx(2.5)
    assert again.x == pytest.approx([0.5, 1.0])


def test_another_thread_count_after_the_first_solve_still_solves() -> None:
    """HiGHS's thread scheduler is process-wide: a solve asking for 1 thread after one on 2
    threads used to stop before starting ("Not Set"), which failed the design MILP whenever a
    layout solve had run first in the same process. Run in a fresh process so the first solve
    really sets the scheduler."""
    script = textwrap.dedent(
        """
        from tests.design.test_highs_wrapper import _knapsack
        print(_knapsack(threads=2), _knapsack(threads=1))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["8.0", "8.0"]
