r"""The town-planning model as the solvers see it: pre-checks, evaluation and the MILP.

The data, its validation and the demand aggregation live in :class:`PlanningProblem`
(:mod:`xiaozhen.layout._problem`, with the formulation). This module holds what the solver
stages share; they import it, it imports none of them:

* the implied town-count limits and the spacing pairs (k-d tree);
* :func:`precheck_planning`, which finds infeasibility before solving and names the numbers, and
  :func:`infeasible_after_solving`, the message when HiGHS proves (or times out on) a combination;
* :func:`evaluate_planning`, the objective and resource use of a chosen set;
* :func:`build_planning_milp`, the MILP as sparse blocks (:class:`PlanningMilp`, solved by HiGHS
  through :mod:`xiaozhen._highs`), and :func:`start_vector`, a chosen set as a MILP start.

The Lagrangian bound (:mod:`~xiaozhen.layout._planning_bound`), the greedy and interchange search
(:mod:`~xiaozhen.layout._planning_search`) and the solver driver
(:mod:`~xiaozhen.layout._planning`) build on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from xiaozhen._highs import MilpOutcome, solve_milp
from xiaozhen.errors import InfeasibleError
from xiaozhen.layout._problem import PlanningProblem


def _yuan(x: float) -> str:
    return f"{x / 1e9:,.4g}-billion-yuan" if abs(x) >= 1e8 else f"{x:,.6g}-yuan"


def count_limits(problem: PlanningProblem) -> tuple[int, int]:
    """Smallest and largest admissible number of towns implied by the count and group limits."""
    m = problem.n_candidates
    lo = max(
        problem.n_towns or 0,
        problem.min_towns or 0,
        len(problem.fixed),
        int(sum(problem.group_min.values())),
    )
    hi = min(
        problem.n_towns if problem.n_towns is not None else m,
        problem.max_towns if problem.max_towns is not None else m,
    )
    return lo, hi


def spacing_pairs(problem: PlanningProblem) -> NDArray[np.int64]:
    """Pairs ``(j, k)``, ``j < k``, of candidates closer than ``min_spacing_m`` (k-d tree)."""
    if problem.min_spacing_m <= 0 or problem.xy is None:
        return np.empty((0, 2), dtype=np.int64)
    xy = problem.xy
    pairs = cKDTree(xy).query_pairs(r=problem.min_spacing_m, output_type="ndarray")
    if pairs.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    d = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    return np.asarray(pairs[d < problem.min_spacing_m], dtype=np.int64)


def precheck_planning(problem: PlanningProblem) -> None:
    """Detect infeasibility before solving and say which constraint fails and by how much.

    Checks the town count against fixed towns and group minima, the budget and land quota against
    the cheapest way to meet every minimum, group limits, spacing among fixed towns, and the
    balance share against the number of (affordable) fringe candidates.

    Raises
    ------
    InfeasibleError
        With every failed check, each with its numbers.
    """
    fixed = problem.fixed_mask
    fringe = problem.fringe
    assert fringe is not None
    assert problem.investment is not None
    invest = problem.investment_needed
    land = problem.land_needed
    msgs: list[str] = []
    lo, hi = count_limits(problem)
    if problem.n_towns is not None:
        if problem.min_towns is not None and problem.min_towns > problem.n_towns:
            msgs.append(f"min_towns={problem.min_towns} exceeds n_towns={problem.n_towns}")
        if problem.max_towns is not None and problem.max_towns < problem.n_towns:
            msgs.append(f"max_towns={problem.max_towns} is below n_towns={problem.n_towns}")
    if len(problem.fixed) > hi:
        msgs.append(
            f"{len(problem.fixed)} existing towns are fixed but at most {hi} towns are allowed "
            "(n_towns / max_towns); raise the limit or drop fixed towns"
        )
    if sum(problem.group_min.values()) > hi:
        msgs.append(
            f"the group minima add up to {sum(problem.group_min.values())} towns but at most {hi} "
            "towns are allowed"
        )
    need_new = max(0, lo - int(fixed.sum()))
    # per-group checks
    group_need = 0
    group_cost = 0.0
    group_land = 0.0
    if problem.group is not None:
        g = problem.group
        for label, gmin in problem.group_min.items():
            in_g = g == label
            n_g = int(in_g.sum())
            gmax = problem.group_max.get(label)
            if gmax is not None and gmin > gmax:
                msgs.append(f"group {label!r}: group_min {gmin} > group_max {gmax}")
            if n_g < gmin:
                msgs.append(
                    f"group {label!r} needs at least {gmin} towns but has only {n_g} candidates"
                )
                continue
            extra = max(0, gmin - int((in_g & fixed).sum()))
            cheapest = np.sort(invest[in_g & ~fixed])[:extra]
            group_need += extra
            group_cost += float(cheapest.sum())
            group_land += float(np.sort(land[in_g & ~fixed])[:extra].sum())
        for label, gmax in problem.group_max.items():
            n_fixed_g = int(((g == label) & fixed).sum())
            if n_fixed_g > gmax:
                msgs.append(
                    f"group {label!r} allows at most {gmax} towns but has {n_fixed_g} existing "
                    "(fixed) towns"
                )
    cheapest_all = np.sort(invest[~fixed])
    land_all = np.sort(land[~fixed])
    if problem.budget is not None:
        need_cost = max(float(cheapest_all[:need_new].sum()), group_cost)
        if need_cost > problem.budget * (1 + 1e-12):
            msgs.append(
                f"at least {max(need_new, group_need)} new towns are required (count / group minima) "
                f"and the cheapest of them cost {_yuan(need_cost)}, more than the "
                f"{_yuan(problem.budget)} budget"
            )
    if problem.land_quota is not None:
        need_land = max(float(land_all[:need_new].sum()), group_land)
        if need_land > problem.land_quota * (1 + 1e-12) + 1e-12:
            msgs.append(
                f"at least {max(need_new, group_need)} new towns are required and they need at "
                f"least {need_land:g} km² of new land net of idle land, more than the land quota "
                f"of {problem.land_quota:g} km²"
            )
    pairs = spacing_pairs(problem)
    if pairs.size:
        both = fixed[pairs[:, 0]] & fixed[pairs[:, 1]]
        if both.any():
            j, k = pairs[both][0]
            msgs.append(
                f"existing towns {j} and {k} are closer than min_spacing_m={problem.min_spacing_m:g}"
                f" ({int(both.sum())} such pairs); lower the spacing or unfix one of them"
            )
    s = problem.balance_share
    if s > 0 and problem.balance_on == "towns":
        k_nf = int((fixed & ~fringe).sum())
        need_f = math.ceil(s * lo - 1e-9)
        if s >= 1.0 and k_nf > 0:
            msgs.append(
                f"the balance share {s:g} requires every town to be in a fringe area but {k_nf} "
                "existing (fixed) towns are not"
            )
        elif k_nf > 0:
            need_f = max(need_f, math.ceil(s * k_nf / (1 - s) - 1e-9))
        n_fringe = int(fringe.sum())
        if need_f > n_fringe:
            msgs.append(
                f"the balance share {s:g} needs {need_f} towns in fringe areas but only "
                f"{n_fringe} candidates are flagged fringe"
            )
        else:
            ff = int((fixed & fringe).sum())
            extra = max(0, need_f - ff)
            cost_f = np.sort(invest[fringe & ~fixed])
            land_f = np.sort(land[fringe & ~fixed])
            if problem.budget is not None and float(cost_f[:extra].sum()) > problem.budget * (
                1 + 1e-12
            ):
                affordable = ff + int(np.searchsorted(np.cumsum(cost_f), problem.budget, "right"))
                msgs.append(
                    f"the balance share {s:g} needs {need_f} towns in fringe areas but only "
                    f"{affordable} fringe candidates are affordable within the "
                    f"{_yuan(problem.budget)} budget"
                )
            if problem.land_quota is not None and float(
                land_f[:extra].sum()
            ) > problem.land_quota * (1 + 1e-12):
                fits = ff + int(np.searchsorted(np.cumsum(land_f), problem.land_quota, "right"))
                msgs.append(
                    f"the balance share {s:g} needs {need_f} towns in fringe areas but only {fits} "
                    f"fringe candidates fit within the land quota of {problem.land_quota:g} km²"
                )
            if need_f > hi:
                msgs.append(
                    f"the balance share {s:g} needs {need_f} fringe towns but at most {hi} towns are allowed"
                )
    if (
        s > 0
        and problem.balance_on == "rural_population"
        and problem.coverage is not None
        and lo > 0
    ):
        cov = problem.coverage
        assert problem.rural_weight is not None
        fringe_rural = float(problem.rural_weight @ (cov[:, fringe].sum(axis=1) > 0))
        if fringe_rural <= 0 and float(problem.rural_weight @ (cov.sum(axis=1) > 0)) > 0:
            # at least one town is required and every candidate covering rural people is not fringe
            nonfringe_cover = np.asarray(cov.T @ problem.rural_weight) > 0
            if nonfringe_cover[~fringe].all():
                msgs.append(
                    f"the balance share {s:g} of covered rural population must come from fringe "
                    "towns, but no fringe candidate covers any rural population while every town "
                    "covers some"
                )
    if msgs:
        raise InfeasibleError("infeasible planning problem: " + "; ".join(msgs))


@dataclass(frozen=True)
class PlanningMetrics:
    """Recomputed quantities of a chosen set (used by the solver, the checker and the frontier)."""

    objective: float
    benefit: float
    covered_weight: float
    rural_covered: float
    rural_covered_fringe: float
    investment: float
    land: float
    n_towns: int
    n_fringe: int


def evaluate_planning(problem: PlanningProblem, selected: NDArray[np.int64]) -> PlanningMetrics:
    """Recompute objective and resource use of a chosen set from the problem data."""
    m = problem.n_candidates
    y = np.zeros(m, dtype=bool)
    y[np.asarray(selected, dtype=np.int64)] = True
    assert problem.benefit is not None
    assert problem.investment is not None
    assert problem.fringe is not None
    fixed = problem.fixed_mask
    benefit = float(problem.benefit[y].sum())
    covered_w = rural = rural_f = 0.0
    if problem.coverage is not None:
        assert problem.demand_weight is not None
        assert problem.rural_weight is not None
        cov = problem.coverage
        covered = np.asarray(cov @ y.astype(np.float64)) > 0
        covered_f = np.asarray(cov @ (y & problem.fringe).astype(np.float64)) > 0
        covered_w = float(problem.demand_weight[covered].sum())
        rural = float(problem.rural_weight[covered].sum())
        rural_f = float(problem.rural_weight[covered_f].sum())
    return PlanningMetrics(
        objective=problem.coverage_value * covered_w + benefit,
        benefit=benefit,
        covered_weight=covered_w,
        rural_covered=rural,
        rural_covered_fringe=rural_f,
        investment=float(problem.investment[y & ~fixed].sum()),
        land=float(problem.net_land[y & ~fixed].sum()),
        n_towns=int(y.sum()),
        n_fringe=int((y & problem.fringe).sum()),
    )


@dataclass(frozen=True)
class PlanningMilp:
    """The planning model as HiGHS takes it: ``max cost @ x`` s.t. ``row_lo <= a x <= row_hi``,
    ``col_lo <= x <= col_hi``; columns are the candidates, then the aggregated demand rows."""

    cost: NDArray[np.float64]
    a: sp.csr_array
    row_lo: NDArray[np.float64]
    row_hi: NDArray[np.float64]
    col_lo: NDArray[np.float64]
    col_hi: NDArray[np.float64]
    integer: NDArray[np.bool_]
    n_agg: int

    def solve(
        self,
        *,
        time_limit: float,
        relax: bool = False,
        gap: float = 0.0,
        start: NDArray[np.float64] | None = None,
        target: float | None = None,
    ) -> MilpOutcome:
        """Solve with HiGHS (the LP relaxation with ``relax``); stop at objective ``target``."""
        return solve_milp(
            self.cost,
            self.a,
            self.row_lo,
            self.row_hi,
            self.col_lo,
            self.col_hi,
            np.zeros_like(self.integer) if relax else self.integer,
            maximize=True,
            time_limit=max(0.05, time_limit),
            mip_rel_gap=gap,
            mip_abs_gap=1e-9,
            start=start,
            target=target,
        )


def build_planning_milp(problem: PlanningProblem) -> PlanningMilp:
    """Assemble objective, constraint matrix and bounds with scipy.sparse blocks (no entry loops)."""
    m = problem.n_candidates
    assert problem.benefit is not None
    assert problem.investment is not None
    assert problem.fringe is not None
    fixed = problem.fixed_mask
    s = problem.balance_share
    rural_balance = problem.balance_on == "rural_population" and s > 0
    blocks: list[sp.csr_array] = []
    lows: list[NDArray[np.float64]] = []
    highs: list[NDArray[np.float64]] = []
    n_agg = 0
    cost_parts = [problem.benefit.copy()]
    if problem.coverage is not None:
        assert problem.demand_weight is not None
        assert problem.rural_weight is not None
        agg, w, r = problem.aggregated_demand
        n_agg = agg.shape[0]
        a = sp.csr_array(agg, dtype=np.float64)
        eye = sp.eye_array(n_agg, format="csr")
        n_v = n_agg if rural_balance else 0
        zeros_v = sp.csr_array((n_agg, n_v))
        # u_i - sum_{j in N_i} y_j <= 0
        blocks.append(sp.hstack([-a, eye, zeros_v], format="csr"))
        lows.append(np.full(n_agg, -np.inf))
        highs.append(np.zeros(n_agg))
        cost_parts.append(problem.coverage_value * w)
        if rural_balance:
            coo = agg.tocoo()
            k = coo.nnz
            # u_i - y_j >= 0 for every (i, j) in N: u is the true coverage
            rows = np.arange(k)
            blk = sp.csr_array(
                (
                    np.concatenate([-np.ones(k), np.ones(k)]),
                    (np.concatenate([rows, rows]), np.concatenate([coo.col, m + coo.row])),
                ),
                shape=(k, m + 2 * n_agg),
            )
            blocks.append(blk)
            lows.append(np.zeros(k))
            highs.append(np.full(k, np.inf))
            a_f = a @ sp.diags_array(problem.fringe.astype(np.float64))
            blocks.append(sp.hstack([-a_f, sp.csr_array((n_agg, n_agg)), eye], format="csr"))
            lows.append(np.full(n_agg, -np.inf))
            highs.append(np.zeros(n_agg))
            row = np.concatenate([np.zeros(m), -s * r, r])[None, :]
            blocks.append(sp.csr_array(row))
            lows.append(np.zeros(1))
            highs.append(np.full(1, np.inf))
            cost_parts.append(np.zeros(n_agg))
    n_col = m + n_agg * (2 if rural_balance else 1)

    def add_row(coef_y: NDArray[np.float64], lo: float, hi: float) -> None:
        row = np.zeros(n_col)
        row[:m] = coef_y
        blocks.append(sp.csr_array(row[None, :]))
        lows.append(np.array([lo]))
        highs.append(np.array([hi]))

    # budget and land rows divided by their right-hand sides: yuan (1e9-1e11) next to 0/1
    # coefficients would leave HiGHS a badly scaled model
    if problem.budget is not None:
        b_scale = problem.budget if problem.budget > 0 else 1.0
        add_row(problem.investment_needed / b_scale, -np.inf, problem.budget / b_scale)
    if problem.land_quota is not None:
        l_scale = problem.land_quota if problem.land_quota > 0 else 1.0
        add_row(problem.land_needed / l_scale, -np.inf, problem.land_quota / l_scale)
    if s > 0 and problem.balance_on == "towns":
        add_row(problem.fringe.astype(np.float64) - s, 0.0, np.inf)
    lo, hi = count_limits(problem)
    if lo > 0 or hi < m:
        add_row(np.ones(m), float(lo), float(hi))
    if problem.group is not None and (problem.group_min or problem.group_max):
        labels = sorted(set(problem.group_min) | set(problem.group_max), key=str)
        lab_idx = {lab: i for i, lab in enumerate(labels)}
        g_of = np.array([lab_idx.get(x, -1) for x in problem.group.tolist()])
        ok = g_of >= 0
        gm = sp.csr_array(
            (np.ones(int(ok.sum())), (g_of[ok], np.flatnonzero(ok))), shape=(len(labels), n_col)
        )
        blocks.append(gm)
        lows.append(np.array([float(problem.group_min.get(lab, 0)) for lab in labels]))
        highs.append(np.array([float(problem.group_max.get(lab, np.inf)) for lab in labels]))
    pairs = spacing_pairs(problem)
    if pairs.size:
        k = pairs.shape[0]
        rows = np.repeat(np.arange(k), 2)
        blocks.append(sp.csr_array((np.ones(2 * k), (rows, pairs.reshape(-1))), shape=(k, n_col)))
        lows.append(np.full(k, -np.inf))
        highs.append(np.ones(k))
    if not blocks:
        add_row(np.zeros(m), -np.inf, np.inf)
    a_all = sp.vstack(blocks, format="csr")
    cost = np.concatenate(cost_parts)
    col_lo = np.zeros(n_col)
    col_lo[:m] = fixed.astype(np.float64)
    col_hi = np.ones(n_col)
    integer = np.zeros(n_col, dtype=bool)
    integer[:m] = True
    return PlanningMilp(
        cost, a_all, np.concatenate(lows), np.concatenate(highs), col_lo, col_hi, integer, n_agg
    )


def infeasible_after_solving(
    problem: PlanningProblem, *, timed_out: bool = False
) -> InfeasibleError:
    """The error for a problem that passed :func:`precheck_planning` but has no plan: HiGHS
    proved the constraints infeasible together, or (``timed_out``) found no plan in time; it
    lists the active constraints and what to relax."""
    active = []
    if problem.budget is not None:
        active.append(f"budget {_yuan(problem.budget)}")
    if problem.land_quota is not None:
        active.append(f"land quota {problem.land_quota:g} km²")
    if problem.balance_share > 0:
        active.append(f"balance share {problem.balance_share:g} on {problem.balance_on}")
    if problem.min_spacing_m > 0:
        active.append(f"min spacing {problem.min_spacing_m:g} m")
    if problem.group_min or problem.group_max:
        active.append("group limits")
    lo, hi = count_limits(problem)
    active.append(f"town count {lo}..{hi}")
    if problem.fixed:
        active.append(f"{len(problem.fixed)} fixed towns")
    if timed_out:
        return InfeasibleError(
            "no feasible layout was found within the time limit (each constraint passed its own "
            f"pre-check; active: {', '.join(active)}); raise time_limit or relax a constraint"
        )
    return InfeasibleError(
        "the MILP solver proved that no layout satisfies all constraints together, although each "
        f"passed its own pre-check (active: {', '.join(active)}); relax one of them, e.g. lower "
        "min_spacing_m or the balance share, or raise the budget"
    )


def start_vector(
    problem: PlanningProblem, sel: NDArray[np.int64], model: PlanningMilp
) -> NDArray[np.float64]:
    """The chosen set ``sel`` as a full column vector of ``model`` (a MILP start): candidates,
    then each aggregated demand row covered, then (rural balance) covered by a fringe town."""
    m = problem.n_candidates
    n_col, n_agg = model.cost.size, model.n_agg
    x = np.zeros(n_col)
    x[sel] = 1.0
    if problem.coverage is not None and n_agg:
        assert problem.demand_weight is not None
        assert problem.rural_weight is not None
        agg = problem.aggregated_demand[0]
        u = np.asarray(sp.csr_array(agg, dtype=np.float64) @ x[:m]) > 0
        x[m : m + n_agg] = u
        if n_col > m + n_agg:
            assert problem.fringe is not None
            yf = x[:m] * problem.fringe
            x[m + n_agg :] = np.asarray(sp.csr_array(agg, dtype=np.float64) @ yf) > 0
    return x
