"""Exact mixed-integer model of the town design (HiGHS), for sites of a few hundred cells.

Formulation
-----------
Binary :math:`x_{cu}` = cell :math:`c` gets use :math:`u` (only for allowed pairs; fixed cells
have :math:`x = 1` fixed). Continuous :math:`y_{eu} \\in [0,1]` = both ends of 4-neighbour edge
:math:`e=(i,j)` have use :math:`u`; :math:`v_{ck} \\in [0,1]` = home :math:`c` has no job cell within
band :math:`r_k`.

.. math::

   \\min \\; & \\sum_{c,u} k_{cu} x_{cu} + w_e\\Big(|E| - \\sum_{e,u} y_{eu}\\Big)
            + w_j\\tfrac{\\delta}{1000} \\sum_{c,k} v_{ck} \\\\
   \\text{s.t. } & \\textstyle\\sum_u x_{cu} = 1 \\quad \\forall c \\\\
   & \\textstyle\\sum_c x_{cu} = n_u \\;(u \\in \\{\\text{support, housing, road}\\} \\cup S),
     \\quad \\sum_c x_{c,\\text{ind}} = n_{ind} \\\\
   & \\textstyle\\sum_c (x_{c,\\text{green kept}} + x_{c,\\text{green new}}) \\ge G_{min} \\\\
   & x_{c,\\text{res}} \\le \\textstyle\\sum_{j: d_{cj} \\le L} x_{js} \\quad \\forall c, s \\in S
     \\quad \\text{(walking coverage, network distance } d) \\\\
   & x_{i,\\text{ind}} + \\textstyle\\sum_{u \\in \\text{sens}} x_{ju} \\le 1
     \\quad \\forall \\|i-j\\| \\le b \\quad \\text{(pollution buffer, if polluting)} \\\\
   & y_{eu} \\le x_{iu},\\; y_{eu} \\le x_{ju} \\\\
   & v_{ck} \\ge x_{c,\\text{res}} - \\textstyle\\sum_{j: d_{cj} \\le r_k} (x_{j,\\text{ind}} + x_{j,\\text{sup}})

The objective value equals :func:`~xiaozhen.design._model.evaluate_objective` of the solution.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse import csgraph

from xiaozhen._highs import INF
from xiaozhen._highs import solve_milp as solve_highs
from xiaozhen.design._model import N_USES, DesignProblem
from xiaozhen.design._rules import SENSITIVE_USES, SERVICE_USES, Use

__all__ = ["MilpResult", "solve_milp"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MilpResult:
    """Raw solver outcome (``uses`` is ``None`` when no solution was found)."""

    uses: npt.NDArray[np.int64] | None
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    n_vars: int
    n_rows: int


class _Rows:
    """Accumulate sparse rows (COO) with bounds."""

    def __init__(self) -> None:
        self.r: list[npt.NDArray[np.int64]] = []
        self.c: list[npt.NDArray[np.int64]] = []
        self.v: list[npt.NDArray[np.float64]] = []
        self.lo: list[npt.NDArray[np.float64]] = []
        self.hi: list[npt.NDArray[np.float64]] = []
        self.m = 0

    def add(
        self,
        row_local: npt.NDArray[np.int64],
        cols: npt.NDArray[np.int64],
        vals: npt.NDArray[np.float64] | float,
        lo: npt.NDArray[np.float64] | float,
        hi: npt.NDArray[np.float64] | float,
        n_rows: int,
    ) -> None:
        self.r.append(row_local.astype(np.int64) + self.m)
        self.c.append(cols.astype(np.int64))
        self.v.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), cols.shape).copy())
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n_rows,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n_rows,)).copy())
        self.m += n_rows


def solve_milp(
    problem: DesignProblem, *, relax: bool = False, time_limit_s: float | None = None
) -> MilpResult:
    """Build the MILP with scipy.sparse and solve it with HiGHS (or its LP relaxation)."""
    t0 = time.perf_counter()
    rules, prog, n = problem.rules, problem.program, problem.n
    w = rules.weights
    inf = INF
    allowed = problem.allowed
    xid = np.full((n, N_USES), -1, dtype=np.int64)
    cu = np.argwhere(allowed)
    xid[cu[:, 0], cu[:, 1]] = np.arange(cu.shape[0])
    nx = cu.shape[0]
    cost = [problem.cost[cu[:, 0], cu[:, 1]]]
    lower = [np.zeros(nx)]
    upper = [np.ones(nx)]
    fixed = problem.fixed >= 0
    lower[0][xid[np.flatnonzero(fixed), problem.fixed[fixed]]] = 1.0
    rows = _Rows()
    # one use per cell
    rows.add(cu[:, 0], np.arange(nx), 1.0, 1.0, 1.0, n)
    # counts
    counts: dict[Use, tuple[float, float]] = {
        Use.INDUSTRY: (prog.industry_min, prog.industry_min),
        Use.SUPPORT: (prog.support, prog.support),
        Use.RESIDENTIAL: (prog.residential, prog.residential),
        Use.ROAD: (prog.road, prog.road),
    }
    for use, k in prog.services.items():
        counts[use] = (k, k)
    for use, (lo, hi) in counts.items():
        cols = xid[:, use][xid[:, use] >= 0]
        rows.add(np.zeros(cols.size, dtype=np.int64), cols, 1.0, lo, hi, 1)
    green = np.concatenate([xid[:, u][xid[:, u] >= 0] for u in (Use.GREEN_KEPT, Use.GREEN_NEW)])
    rows.add(np.zeros(green.size, dtype=np.int64), green, 1.0, prog.green_min, inf, 1)
    res_cells = np.flatnonzero(allowed[:, Use.RESIDENTIAL])
    # walking distances from cells that can hold homes to cells that can hold services or jobs
    other = np.flatnonzero(allowed[:, [*SERVICE_USES, Use.INDUSTRY, Use.SUPPORT]].any(axis=1))
    targets = np.union1d(res_cells, other)
    dfull = _pairwise_rows(problem, res_cells, targets)
    x_res = xid[res_cells, Use.RESIDENTIAL]
    for s in SERVICE_USES:
        ok = (dfull <= rules.walk_max_m + 1e-6) & (xid[targets, s] >= 0)[None, :]
        rr, cc = np.nonzero(ok)
        m = res_cells.size
        rows.add(
            np.concatenate([np.arange(m), rr]),
            np.concatenate([x_res, xid[targets[cc], s]]),
            np.concatenate([np.ones(m), -np.ones(rr.size)]),
            -inf,
            0.0,
            m,
        )
    # pollution buffer
    if rules.polluting_industry and rules.pollution_buffer_m > 0:
        ind = np.flatnonzero(allowed[:, Use.INDUSTRY])
        sens = np.flatnonzero(allowed[:, list(SENSITIVE_USES)].any(axis=1))
        rr_, cc_ = np.divmod(problem.cells, problem.site.shape[1])
        dx = (cc_[ind][:, None] - cc_[sens][None, :]) * rules.cell_size_m
        dy = (rr_[ind][:, None] - rr_[sens][None, :]) * rules.cell_size_m
        close = (np.hypot(dx, dy) <= rules.pollution_buffer_m + 1e-6) & (
            ind[:, None] != sens[None, :]
        )
        pi, pj = np.nonzero(close)
        npairs = pi.size
        rcols = [xid[ind[pi], Use.INDUSTRY]]
        rrows = [np.arange(npairs)]
        for u in SENSITIVE_USES:
            cols = xid[sens[pj], u]
            ok = cols >= 0
            rcols.append(cols[ok])
            rrows.append(np.arange(npairs)[ok])
        rows.add(np.concatenate(rrows), np.concatenate(rcols), 1.0, -inf, 1.0, npairs)
    # compactness: y_eu <= x_iu, y_eu <= x_ju
    ei, ej = problem.edges[:, 0], problem.edges[:, 1]
    both = allowed[ei] & allowed[ej]
    eu = np.argwhere(both)
    ny = eu.shape[0]
    y0 = nx
    ycols = y0 + np.arange(ny)
    for end in (ei, ej):
        xcols = xid[end[eu[:, 0]], eu[:, 1]]
        rows.add(
            np.concatenate([np.arange(ny), np.arange(ny)]),
            np.concatenate([ycols, xcols]),
            np.concatenate([np.ones(ny), -np.ones(ny)]),
            -inf,
            0.0,
            ny,
        )
    cost.append(np.full(ny, -w.compact_per_edge))
    lower.append(np.zeros(ny))
    upper.append(np.ones(ny))
    # jobs bands: -v_ck + x_c,res - sum_{d<=r_k} (x_j,ind + x_j,sup) <= 0
    bands = problem.job_bands()
    v0 = y0 + ny
    nv = res_cells.size * bands.size
    step_cost = w.jobs_per_km * w.jobs_step_m / 1000.0
    if nv and step_cost > 0:
        for k, r in enumerate(bands):
            vcols = v0 + k * res_cells.size + np.arange(res_cells.size)
            m = res_cells.size
            parts_r = [np.arange(m), np.arange(m)]
            parts_c = [vcols, x_res]
            parts_v = [-np.ones(m), np.ones(m)]
            for u in (Use.INDUSTRY, Use.SUPPORT):
                ok = (dfull <= r + 1e-6) & (xid[targets, u] >= 0)[None, :]
                rr, cc = np.nonzero(ok)
                parts_r.append(rr)
                parts_c.append(xid[targets[cc], u])
                parts_v.append(-np.ones(rr.size))
            rows.add(
                np.concatenate(parts_r),
                np.concatenate(parts_c),
                np.concatenate(parts_v),
                -inf,
                0.0,
                m,
            )
        cost.append(np.full(nv, step_cost))
        lower.append(np.zeros(nv))
        upper.append(np.ones(nv))
    else:
        nv = 0
    ncol = nx + ny + nv
    a = sparse.csc_matrix(
        (np.concatenate(rows.v), (np.concatenate(rows.r), np.concatenate(rows.c))),
        shape=(rows.m, ncol),
    )
    a.sum_duplicates()
    integer = None
    if not relax:
        integer = np.zeros(ncol, dtype=bool)
        integer[:nx] = True
    build_s = time.perf_counter() - t0
    out = solve_highs(
        np.concatenate(cost),
        a,
        np.concatenate(rows.lo),
        np.concatenate(rows.hi),
        np.concatenate(lower),
        np.concatenate(upper),
        integer,
        offset=float(w.compact_per_edge * problem.edges.shape[0]),
        time_limit=float(time_limit_s or rules.time_limit_s),
        mip_rel_gap=1e-6,
        mip_abs_gap=None,
        threads=1,
        random_seed=0,
    )
    seconds = time.perf_counter() - t0
    name = out.highs_status
    uses: npt.NDArray[np.int64] | None = None
    objective, bound, gap = out.objective, float("nan"), float("nan")
    if out.x is not None:
        bound = out.bound
        if not relax:
            chosen = out.x[:nx] > 0.5
            uses = np.full(n, -1, dtype=np.int64)
            uses[cu[chosen, 0]] = cu[chosen, 1]
            gap = out.gap
    logger.info(
        "design MILP%s: %d vars, %d rows (built in %.2f s), status %s, objective %.3f, bound %.3f, "
        "%.2f s",
        " relaxation" if relax else "",
        ncol,
        rows.m,
        build_s,
        name,
        objective,
        bound,
        seconds,
    )
    return MilpResult(uses, name, objective, bound, gap, seconds, ncol, rows.m)


def _pairwise_rows(
    problem: DesignProblem, rows_local: npt.NDArray[np.int64], cols_local: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Walking distances (m) from ``rows_local`` cells to ``cols_local`` cells."""
    g = problem.graph
    src = g.node_of_cell[problem.cells[rows_local]]
    dst = g.node_of_cell[problem.cells[cols_local]]
    out = np.full((rows_local.size, cols_local.size), np.inf)
    ok_dst = dst >= 0
    if src.size:
        full = csgraph.dijkstra(g.matrix, directed=False, indices=src)
        out[:, ok_dst] = full[:, dst[ok_dst]]
    return out


def relaxation_bound(problem: DesignProblem) -> tuple[float, str]:
    """A valid lower bound on the optimum for sites too large for the full MILP.

    Sum of (a) the optimum of the assignment LP with the programme counts and green cover but
    without coverage, buffer, compactness and jobs terms (a transportation problem, integral at
    its vertices) and (b) a compactness bound: a region of :math:`k` cells has at least
    :math:`p(k) = 2\\lceil 2\\sqrt{k}\\rceil` cell sides (Harary & Harborth 1976), of which at most
    the site's outer perimeter :math:`P_s` lies on the site edge, and every internal side between
    two uses is counted by both, so the boundary is at least
    :math:`(\\sum_u p(n_u) - P_s)/2` over the construction uses with exact counts.
    """
    prog, n = problem.program, problem.n
    allowed = problem.allowed
    cu = np.argwhere(allowed)
    nx = cu.shape[0]
    xid = np.full((n, N_USES), -1, dtype=np.int64)
    xid[cu[:, 0], cu[:, 1]] = np.arange(nx)
    rows = _Rows()
    rows.add(cu[:, 0], np.arange(nx), 1.0, 1.0, 1.0, n)
    counts = {
        Use.INDUSTRY: prog.industry_min,
        Use.SUPPORT: prog.support,
        Use.RESIDENTIAL: prog.residential,
        Use.ROAD: prog.road,
        **prog.services,
    }
    for use, k in counts.items():
        cols = xid[:, use][xid[:, use] >= 0]
        rows.add(np.zeros(cols.size, dtype=np.int64), cols, 1.0, float(k), float(k), 1)
    green = np.concatenate([xid[:, u][xid[:, u] >= 0] for u in (Use.GREEN_KEPT, Use.GREEN_NEW)])
    rows.add(
        np.zeros(green.size, dtype=np.int64),
        green,
        1.0,
        float(prog.green_min),
        INF,
        1,
    )
    a = sparse.csc_matrix(
        (np.concatenate(rows.v), (np.concatenate(rows.r), np.concatenate(rows.c))),
        shape=(rows.m, nx),
    )
    lo = np.zeros(nx)
    fixed = problem.fixed >= 0
    lo[xid[np.flatnonzero(fixed), problem.fixed[fixed]]] = 1.0
    lp = solve_highs(
        problem.cost[cu[:, 0], cu[:, 1]],
        a,
        np.concatenate(rows.lo),
        np.concatenate(rows.hi),
        lo,
        np.ones(nx),
        None,
        time_limit=INF,
        mip_rel_gap=None,
        mip_abs_gap=None,
        threads=1,
    )
    linear = lp.objective
    # site outer perimeter in cell sides
    site = problem.site.in_site
    padded = np.pad(site, 1)
    outer = sum(
        int(np.count_nonzero(padded[1:-1, 1:-1] & ~np.roll(padded, s, axis=ax)[1:-1, 1:-1]))
        for ax in (0, 1)
        for s in (1, -1)
    )
    perim = sum(2 * int(np.ceil(2 * np.sqrt(k))) for k in counts.values() if k > 0)
    compact = problem.rules.weights.compact_per_edge * max(0.0, (perim - outer) / 2.0)
    return linear + compact, "assignment LP + perimeter bound (coverage, buffer and jobs relaxed)"
