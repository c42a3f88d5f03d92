"""The one wrapper around HiGHS (highspy) that every solver in xiaozhen uses.

A model is handed over as vectors and one ``scipy.sparse`` constraint matrix, passed column-wise
to ``Highs.passModel`` in one call: no Python loop over matrix entries (Huangfu & Hall 2018,
HiGHS). The layout stage (location and planning MILPs, the inner LPs of the Lagrangian bound) and
the design stage (the town-design MILP and its assignment LP) both go through it, so options,
time limits, the mapping of HiGHS's model status to a :data:`MilpStatus`, and reading the
solution, dual bound and gap live in one place.

Two functions cover most uses: :func:`solve_milp` builds, solves and reads one model;
:func:`new_highs`, :func:`pass_model`, :func:`set_costs` and :func:`run_highs` keep one instance
alive for warm-started re-solves (the Lagrangian bound changes only the costs).

HiGHS's thread scheduler is global to the process and is created by the first solve; a later
instance that asks for another number of ``threads`` is refused before it starts (``kError``,
model status "Not Set"). :func:`run_highs` then solves on the scheduler that exists, because
replacing it while another thread may be solving is unsafe.
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

__all__ = [
    "INF",
    "MilpOutcome",
    "MilpStatus",
    "new_highs",
    "pass_model",
    "run_highs",
    "set_costs",
    "solve_milp",
]

logger = logging.getLogger(__name__)

MilpStatus = Literal["optimal", "gap_limit", "time_limit", "infeasible", "error"]
"""``optimal`` (proven, zero gap within tolerance), ``gap_limit`` (stopped at the requested gap
or objective target, bound proven), ``time_limit`` (stopped by a time, iteration, solution or
interrupt limit), ``infeasible`` (proven), ``error`` (anything else)."""

INF = float("inf")
"""Infinite row or column bound (HiGHS's ``kHighsInf``)."""

_STOPPED_BY_LIMIT = (
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
)


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS returned for one MILP or LP solve.

    ``x`` is ``None`` without a primal feasible solution (then ``objective`` is NaN). ``bound``
    is HiGHS's MIP dual bound for a MIP and the objective for an LP; ``gap`` HiGHS's relative MIP
    gap when a MIP solution exists, else NaN. ``highs_status`` is HiGHS's own name of the model
    status (e.g. ``"Optimal"``, ``"Time limit reached"``). ``row_dual`` only when asked for.
    """

    x: NDArray[np.float64] | None
    objective: float
    bound: float
    status: MilpStatus
    seconds: float
    highs_status: str
    gap: float = float("nan")
    row_dual: NDArray[np.float64] | None = None


def new_highs(
    *,
    time_limit: float | None = None,
    mip_rel_gap: float | None = None,
    mip_abs_gap: float | None = None,
    threads: int | None = None,
    random_seed: int | None = None,
    objective_target: float | None = None,
) -> highspy.Highs:
    """A silent Highs instance with the given options (``None`` keeps HiGHS's default).

    HiGHS prints its banner to C stdout on construction, so the process-level stdout is pointed
    at /dev/null for that moment (keeps CLI output clean).

    Parameters
    ----------
    time_limit
        Seconds before HiGHS stops and keeps its incumbent.
    mip_rel_gap, mip_abs_gap
        HiGHS's termination gaps for a MIP.
    threads
        HiGHS threads; see the module notes on the process-wide scheduler.
    random_seed
        HiGHS's random seed.
    objective_target
        Stop as soon as an incumbent reaches this objective.
    """
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
    options: dict[str, float | int | None] = {
        "time_limit": None if time_limit is None else float(time_limit),
        "mip_rel_gap": None if mip_rel_gap is None else float(mip_rel_gap),
        "mip_abs_gap": None if mip_abs_gap is None else float(mip_abs_gap),
        "threads": None if threads is None else int(threads),
        "random_seed": None if random_seed is None else int(random_seed),
        "objective_target": None if objective_target is None else float(objective_target),
    }
    for name, value in options.items():
        if value is not None:
            h.setOptionValue(name, value)
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
    bounds (integer where ``integer``) to ``h`` column-wise in one call.

    Raises
    ------
    RuntimeError
        If HiGHS rejects the model.
    """
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


def set_costs(h: highspy.Highs, cost: NDArray[np.float64]) -> None:
    """Replace every column's cost of the model in ``h`` (the basis is kept for a warm start)."""
    n_col = int(cost.size)
    h.changeColsCost(
        n_col, np.arange(n_col, dtype=np.int32), np.ascontiguousarray(cost, dtype=np.float64)
    )


def run_highs(
    h: highspy.Highs,
    *,
    mip: bool,
    mip_abs_gap: float = 1e-9,
    duals: bool = False,
    retry_from_scratch: bool = False,
    started: float | None = None,
) -> MilpOutcome:
    """Solve the model in ``h`` and read the outcome.

    Parameters
    ----------
    h
        A Highs instance holding a model (:func:`new_highs`, :func:`pass_model`).
    mip
        Whether the model has integer columns (then ``bound`` is HiGHS's MIP dual bound).
    mip_abs_gap
        Absolute gap within which a MIP solution HiGHS calls optimal counts as ``"optimal"``
        (else ``"gap_limit"``); also within ``1e-9`` of the objective, relatively.
    duals
        Also read the row duals (``MilpOutcome.row_dual``).
    retry_from_scratch
        When a warm-started solve does not end optimal, clear the solver and solve once more.
    started
        ``time.perf_counter()`` from which ``seconds`` is counted (default: now).

    Returns
    -------
    MilpOutcome
    """
    t0 = time.perf_counter() if started is None else started
    run_status = h.run()
    if (
        run_status == highspy.HighsStatus.kError
        and h.getModelStatus() == highspy.HighsModelStatus.kNotset
    ):
        # refused before solving, e.g. a `threads` option other than the process's scheduler
        logger.debug("HiGHS refused to start; solving on the existing thread scheduler")
        h.setOptionValue("threads", 0)
        h.run()
    if retry_from_scratch and h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        h.clearSolver()  # a warm start can end in "unknown": solve once more from scratch
        h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    name = h.modelStatusToString(model_status)
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    solution = h.getSolution() if has_x or duals else None
    x = None
    if has_x and solution is not None:
        x = np.asarray(solution.col_value, dtype=np.float64)
    objective = float(info.objective_function_value) if has_x else float("nan")
    bound = float(info.mip_dual_bound) if mip else objective
    gap = float(info.mip_gap) if mip and has_x else float("nan")
    if model_status == highspy.HighsModelStatus.kInfeasible:
        out: MilpStatus = "infeasible"
    elif model_status == highspy.HighsModelStatus.kOptimal:
        gap_abs = abs(objective - bound) if mip else 0.0
        within = gap_abs <= max(mip_abs_gap, 1e-9 * max(1.0, abs(objective)))
        out = "optimal" if within else "gap_limit"
    elif model_status == highspy.HighsModelStatus.kObjectiveTarget:
        out = "gap_limit"  # stopped on purpose with an incumbent and a valid bound
    elif model_status in _STOPPED_BY_LIMIT:
        out = "time_limit"
    else:
        out = "error"
    row_dual = None
    if duals and solution is not None:
        row_dual = np.asarray(solution.row_dual, dtype=np.float64)
    seconds = time.perf_counter() - t0
    logger.debug(
        "HiGHS %d cols x %d rows (%d nnz): %s obj=%.6g bound=%.6g in %.2f s",
        h.getNumCol(),
        h.getNumRow(),
        h.getNumNz(),
        name,
        objective,
        bound,
        seconds,
    )
    return MilpOutcome(
        x=x,
        objective=objective,
        bound=bound,
        status=out,
        seconds=seconds,
        highs_status=name,
        gap=gap,
        row_dual=row_dual,
    )


def solve_milp(
    cost: NDArray[np.float64],
    a_matrix: sp.spmatrix | sp.sparray,
    row_lower: NDArray[np.float64],
    row_upper: NDArray[np.float64],
    col_lower: NDArray[np.float64],
    col_upper: NDArray[np.float64],
    integer: NDArray[np.bool_] | None,
    *,
    maximize: bool = False,
    offset: float = 0.0,
    time_limit: float = 60.0,
    mip_rel_gap: float | None = 0.0,
    mip_abs_gap: float | None = 1e-9,
    start: NDArray[np.float64] | None = None,
    threads: int | None = None,
    random_seed: int | None = None,
    target: float | None = None,
) -> MilpOutcome:
    """Solve ``min/max cost @ x + offset`` s.t. ``row_lower <= A x <= row_upper``, bounds, integrality.

    Parameters
    ----------
    cost, a_matrix, row_lower, row_upper, col_lower, col_upper, integer
        The model; ``a_matrix`` has one row per constraint and one column per variable;
        ``integer`` ``None`` (or all false) for an LP.
    maximize
        Maximise instead of minimise.
    offset
        Constant added to the objective.
    time_limit
        Seconds before HiGHS stops and returns its incumbent (at least 0.01).
    mip_rel_gap, mip_abs_gap
        HiGHS termination gaps (``None``: HiGHS's defaults, 1e-4 and 1e-6). ``status`` is
        ``"optimal"`` only if the returned gap is zero (or within ``mip_abs_gap`` when the caller
        knows the objective is integral), else ``"gap_limit"``.
    start
        A feasible solution handed to HiGHS as its first incumbent.
    threads, random_seed
        HiGHS threads and random seed (default: HiGHS's choice).
    target
        Stop as soon as an incumbent reaches this objective (HiGHS ``objective_target``); the
        status is then ``"gap_limit"`` (stopped on purpose, the bound still proven).

    Returns
    -------
    MilpOutcome
    """
    t0 = time.perf_counter()
    n_col = int(a_matrix.shape[1])
    h = new_highs(
        time_limit=max(time_limit, 0.01),
        mip_rel_gap=mip_rel_gap,
        mip_abs_gap=mip_abs_gap,
        threads=threads,
        random_seed=random_seed,
        objective_target=target,
    )
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
        h.setSolution(n_col, np.arange(n_col, dtype=np.int32), start.astype(np.float64))
    mip = integer is not None and bool(integer.any())
    abs_tol = 1e-6 if mip_abs_gap is None else mip_abs_gap
    return run_highs(h, mip=mip, mip_abs_gap=abs_tol, started=t0)
