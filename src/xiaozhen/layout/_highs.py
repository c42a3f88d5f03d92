"""Thin, typed wrapper that passes a sparse MILP straight to HiGHS (highspy).

The model is given as vectors and one ``scipy.sparse`` constraint matrix, passed column-wise to
``Highs.passModel`` in one call: no Python loop over matrix entries (Huangfu & Hall 2018, HiGHS).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

MilpStatus = Literal["optimal", "gap_limit", "time_limit", "infeasible", "error"]

INF = float("inf")


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS returned: primal values, incumbent objective, dual bound, status and time."""

    x: NDArray[np.float64] | None
    objective: float
    bound: float
    status: MilpStatus
    seconds: float
    highs_status: str


def _new_highs() -> highspy.Highs:
    """A silent Highs instance; HiGHS prints its banner to C stdout on construction, so the
    process-level stdout is pointed at /dev/null for that moment (keeps CLI output clean)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
            h.silent()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def pass_model(
    h: highspy.Highs,
    cost: NDArray[np.float64],
    a_matrix: sp.spmatrix | sp.sparray,
    row_lower: NDArray[np.float64],
    row_upper: NDArray[np.float64],
    col_lower: NDArray[np.float64],
    col_upper: NDArray[np.float64],
    integer: NDArray[np.bool_] | None = None,
    *,
    maximize: bool = False,
    offset: float = 0.0,
) -> None:
    """Hand ``min/max cost @ x + offset`` s.t. ``row_lower <= A x <= row_upper`` and the column
    bounds (integer where ``integer``) to ``h`` column-wise in one call."""
    a = sp.csc_array(a_matrix)
    a.sort_indices()
    n_col, n_row = a.shape[1], a.shape[0]
    integrality = np.zeros(n_col, np.int32) if integer is None else integer.astype(np.int32)
    status = h.passModel(
        int(n_col),
        int(n_row),
        int(a.nnz),
        1,  # column-wise
        -1 if maximize else 1,
        float(offset),
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(col_lower, dtype=np.float64),
        np.ascontiguousarray(col_upper, dtype=np.float64),
        np.ascontiguousarray(row_lower, dtype=np.float64),
        np.ascontiguousarray(row_upper, dtype=np.float64),
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data.astype(np.float64),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model (passModel returned kError)")


def solve_milp(
    cost: NDArray[np.float64],
    a_matrix: sp.spmatrix | sp.sparray,
    row_lower: NDArray[np.float64],
    row_upper: NDArray[np.float64],
    col_lower: NDArray[np.float64],
    col_upper: NDArray[np.float64],
    integer: NDArray[np.bool_],
    *,
    maximize: bool = False,
    offset: float = 0.0,
    time_limit: float = 60.0,
    mip_rel_gap: float = 0.0,
    mip_abs_gap: float = 1e-9,
    start: NDArray[np.float64] | None = None,
    threads: int | None = None,
    target: float | None = None,
) -> MilpOutcome:
    """Solve ``min/max cost @ x + offset`` s.t. ``row_lower <= A x <= row_upper``, bounds, integrality.

    Parameters
    ----------
    cost, a_matrix, row_lower, row_upper, col_lower, col_upper, integer
        The model; ``a_matrix`` has one row per constraint and one column per variable.
    maximize
        Maximise instead of minimise.
    offset
        Constant added to the objective.
    time_limit
        Seconds before HiGHS stops and returns its incumbent.
    mip_rel_gap, mip_abs_gap
        HiGHS termination gaps. ``status`` is ``"optimal"`` only if the returned gap is zero (or
        within ``mip_abs_gap`` when the caller knows the objective is integral), else ``"gap_limit"``.
    start
        A feasible solution handed to HiGHS as its first incumbent.
    threads
        HiGHS threads (default: HiGHS's choice).
    target
        Stop as soon as an incumbent reaches this objective (HiGHS ``objective_target``); the
        status is then ``"gap_limit"`` (stopped on purpose, the bound still proven).

    Returns
    -------
    MilpOutcome
    """
    t0 = time.perf_counter()
    n_col = int(a_matrix.shape[1])
    h = _new_highs()
    h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("mip_abs_gap", float(mip_abs_gap))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    if target is not None:
        h.setOptionValue("objective_target", float(target))
    pass_model(
        h,
        cost,
        a_matrix,
        row_lower,
        row_upper,
        col_lower,
        col_upper,
        integer,
        maximize=maximize,
        offset=offset,
    )
    if start is not None:
        h.setSolution(int(n_col), np.arange(n_col, dtype=np.int32), start.astype(np.float64))
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    seconds = time.perf_counter() - t0
    name = h.modelStatusToString(model_status)
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_x else None
    objective = float(info.objective_function_value) if has_x else float("nan")
    is_mip = bool(integer.any())
    bound = float(info.mip_dual_bound) if is_mip else objective
    if model_status == highspy.HighsModelStatus.kInfeasible:
        out: MilpStatus = "infeasible"
    elif model_status == highspy.HighsModelStatus.kOptimal:
        gap_abs = abs(objective - bound) if is_mip else 0.0
        out = (
            "optimal"
            if gap_abs <= max(mip_abs_gap, 1e-9 * max(1.0, abs(objective)))
            else ("gap_limit")
        )
    elif model_status == highspy.HighsModelStatus.kObjectiveTarget:
        out = "gap_limit"  # stopped on purpose with an incumbent and a valid bound
    elif model_status in (
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kInterrupt,
        highspy.HighsModelStatus.kIterationLimit,
        highspy.HighsModelStatus.kSolutionLimit,
    ):
        out = "time_limit"
    else:
        out = "error"
    logger.debug(
        "HiGHS %d cols x %d rows (%d nnz): %s obj=%.6g bound=%.6g in %.2f s",
        n_col,
        int(a_matrix.shape[0]),
        int(a_matrix.nnz),
        name,
        objective,
        bound,
        seconds,
    )
    return MilpOutcome(
        x=x, objective=objective, bound=bound, status=out, seconds=seconds, highs_status=name
    )
