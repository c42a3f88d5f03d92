"""Solve the town-planning model: pre-checks, demand aggregation, MILP (HiGHS) or greedy + LP bound."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from xiaozhen.errors import InfeasibleError
from xiaozhen.layout._highs import MilpOutcome, solve_milp
from xiaozhen.layout._problem import PlanningProblem
from xiaozhen.layout._result import LayoutResult, Method, Status, relative_gap

if TYPE_CHECKING:
    from xiaozhen.layout._planning_bound import PlanningBound

logger = logging.getLogger(__name__)

PlanningMethod = Literal["auto", "milp", "heuristic"]

AUTO_MILP_MAX_NNZ = 4_000_000
"""Above this many coverage + spacing nonzeros (after aggregation) ``auto`` uses the heuristic."""

GREEDY_RESOURCE_WEIGHTS = (1.0, 3.0, 10.0, 30.0, 1e4)
"""Weights of budget and land use in the greedy's score, one greedy run each (the best is kept):
which works best depends on how tight the budget is."""

CORE_SIZE = 100
"""Candidates of an improving core MILP in the kernel search: the best by Lagrangian bound, plus
those open in the LP solution."""

KERNEL_MAX = 400
"""Largest candidate set the kernel search solves as its final, proving MILP."""

CORE_TIME_SHARE = 0.9
"""Share of the remaining time given to an improving core MILP (it stops earlier once its plan
proves the requested gap). On the benchmark county with a 120-billion-yuan budget (seeds 1 and 3)
0.5 left the plan 1.33 % and 1.01 % from the bound, 0.95 left 0.76 % and 0.82 %: the full MILP
that got the rest made no progress on a model of 1.9 M nonzeros."""

FULL_MILP_MIN_SHARE = 0.2
FULL_MILP_MAX_NNZ = 1_000_000
"""After the kernel search the full MILP runs only if this share of the time limit is left and the
model has at most this many nonzeros: on the benchmark county (1.9 M nonzeros, 3.8 M with a balance
on rural residents) it made no progress in 24 s, and its setup alone overran a 60 s limit by 5 s."""

LAST_TIME_SHARE = 0.9
"""Share of the remaining time given to the last MILP of the kernel search; the rest covers
building the restricted model and HiGHS's setup, which overran a 60 s limit by 5 s without it."""

CORE_GAP = 0.002
"""Relative gap at which an improving core MILP stops."""

LAGRANGIAN_ABOVE_NNZ = 500_000
"""From this many nonzeros the MILP is preceded by the Lagrangian bound (seconds, where the MILP's
own root LP takes minutes); the heuristic always uses it when it applies."""


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
    invest = np.where(fixed, 0.0, problem.investment)
    land = np.where(fixed, 0.0, problem.net_land)
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


def _build_milp(problem: PlanningProblem) -> PlanningMilp:
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
        add_row(
            np.where(fixed, 0.0, problem.investment) / b_scale, -np.inf, problem.budget / b_scale
        )
    if problem.land_quota is not None:
        l_scale = problem.land_quota if problem.land_quota > 0 else 1.0
        add_row(
            np.where(fixed, 0.0, problem.net_land) / l_scale, -np.inf, problem.land_quota / l_scale
        )
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
    invest = np.where(fixed, 0.0, problem.investment)
    land = np.where(fixed, 0.0, problem.net_land)
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
    return sel if _satisfies(problem, sel) else None


def _satisfies(problem: PlanningProblem, selected: NDArray[np.int64]) -> bool:
    from xiaozhen.layout._check import planning_violations

    return not planning_violations(problem, selected)


def solve_planning(
    problem: PlanningProblem,
    *,
    method: PlanningMethod = "auto",
    time_limit: float = 60.0,
    gap: float = 0.0,
) -> LayoutResult:
    """Choose the towns: maximise coverage benefit plus per-candidate benefit under all constraints.

    Parameters
    ----------
    problem
        The :class:`PlanningProblem`.
    method
        ``"milp"`` (exact HiGHS branch-and-cut), ``"heuristic"`` (greedy and interchange search;
        bound from the Lagrangian relaxation of coverage, or the LP relaxation where it does not
        apply) or ``"auto"`` (MILP up to ``AUTO_MILP_MAX_NNZ`` nonzeros after demand aggregation,
        else heuristic). Every method starts from the greedy variants + interchange
        (:mod:`xiaozhen.layout._planning_search`); from ``LAGRANGIAN_ABOVE_NNZ`` nonzeros the
        MILP is preceded by the Lagrangian bound (:mod:`xiaozhen.layout._planning_bound`) and
        returns at once (method ``"lagrangian"``) when that bound already proves ``gap``; else
        a kernel search (:func:`_kernel_search`: exact MILPs over the candidates the bound cannot
        rule out) returns (method ``"lagrangian-kernel"``) once it proves ``gap``, and the full
        MILP gets whatever time is left.
    time_limit
        Seconds for the solver.
    gap
        Requested relative gap for the MILP (0 for proven optimality).

    Returns
    -------
    LayoutResult
        ``status`` is ``"optimal"`` only when proven, ``"gap_limit"`` when stopped at ``gap``,
        ``"time_limit"`` with the incumbent and its proven bound otherwise.

    Raises
    ------
    InfeasibleError
        Before solving, with the numbers, when a pre-check fails; after solving when HiGHS proves
        a combination of constraints infeasible.
    """
    from xiaozhen.layout._planning_bound import lagrangian_planning_bound

    t0 = time.perf_counter()
    precheck_planning(problem)
    model = _build_milp(problem)
    m = problem.n_candidates
    size = model.a.nnz
    chosen_method: Method
    if method == "auto":
        method = "milp" if size <= AUTO_MILP_MAX_NNZ else "heuristic"
    info: dict[str, float] = {"aggregated_demand": float(model.n_agg), "milp_nnz": float(size)}
    incumbent, inc_value = _heuristic_start(problem, 0.1 * time_limit, info)
    start = None
    lag = None
    if incumbent is not None:
        start = _start_vector(problem, incumbent, model)
        if method == "heuristic" or size > LAGRANGIAN_ABOVE_NNZ:
            lag = lagrangian_planning_bound(problem, inc_value, time_limit=0.25 * time_limit)
        if lag is not None:
            info["lagrangian_bound"] = lag.bound
            info["lagrangian_seconds"] = lag.seconds
            lag_gap = relative_gap(inc_value, max(lag.bound, inc_value), maximize=True)
            if method == "milp" and lag_gap <= gap:
                status_lag: Status = "optimal" if lag_gap <= 1e-9 else "gap_limit"
                return _result(
                    problem,
                    incumbent,
                    inc_value,
                    max(lag.bound, inc_value),
                    status_lag,
                    "lagrangian",
                    t0,
                    info,
                )
    if method == "heuristic":
        chosen_method = "heuristic"
        if incumbent is None:
            logger.info("greedy heuristic got stuck; falling back to the MILP")
            method = "milp"
        else:
            if lag is not None:
                bound = max(lag.bound, inc_value)
            else:
                lp = model.solve(time_limit=time_limit - (time.perf_counter() - t0), relax=True)
                if lp.status == "infeasible":
                    raise _post_infeasible(problem)
                bound = lp.objective if lp.status == "optimal" else math.inf
            gp = relative_gap(inc_value, bound, maximize=True)
            status: Status = "optimal" if gp <= 1e-9 else "gap_limit"
            return _result(problem, incumbent, inc_value, bound, status, chosen_method, t0, info)
    bound = math.inf
    if lag is not None and incumbent is not None:
        bound = lag.bound
        # a large model: the full MILP rarely gets past its root LP, so the time goes first to
        # exact solves over the candidates the Lagrangian bound cannot rule out
        incumbent, inc_value, bound = _kernel_search(
            problem, lag, incumbent, inc_value, gap, t0 + time_limit, info
        )
        start = _start_vector(problem, incumbent, model)
        kernel_gap = relative_gap(inc_value, max(bound, inc_value), maximize=True)
        proven = kernel_gap <= max(gap, 1e-9)
        left = time_limit - (time.perf_counter() - t0)
        if proven or left < FULL_MILP_MIN_SHARE * time_limit or size > FULL_MILP_MAX_NNZ:
            status_k: Status = "time_limit"
            if proven:
                status_k = "optimal" if kernel_gap <= 1e-9 else "gap_limit"
            return _result(
                problem,
                incumbent,
                inc_value,
                max(bound, inc_value),
                status_k,
                "lagrangian-kernel",
                t0,
                info,
            )
    chosen_method = "milp"
    out = model.solve(time_limit=time_limit - (time.perf_counter() - t0), gap=gap, start=start)
    if out.status == "infeasible":
        raise _post_infeasible(problem)
    if out.x is None:
        if incumbent is None:
            raise _post_infeasible(problem, timed_out=True)
        sel = incumbent
    else:
        sel = np.flatnonzero(out.x[:m] > 0.5).astype(np.int64)
        if incumbent is not None and inc_value > evaluate_planning(problem, sel).objective:
            sel = incumbent  # HiGHS stopped before it found the start's value again
    metrics = evaluate_planning(problem, sel)
    out_bound = max(out.bound, metrics.objective) if math.isfinite(out.bound) else math.inf
    bound = max(metrics.objective, min(bound, out_bound))
    status = out.status if out.status in ("optimal", "gap_limit", "time_limit") else "time_limit"
    if status == "time_limit" and relative_gap(metrics.objective, bound, maximize=True) <= gap:
        status = "gap_limit"
    if status == "optimal":
        bound = max(metrics.objective, min(bound, metrics.objective + 1e-9 * max(1.0, abs(bound))))
    return _result(problem, sel, metrics.objective, bound, status, chosen_method, t0, info)


def _heuristic_start(
    problem: PlanningProblem, time_limit: float, info: dict[str, float]
) -> tuple[NDArray[np.int64] | None, float]:
    """Best of the greedy variants (one per ``GREEDY_RESOURCE_WEIGHTS``), each improved by the
    interchange search, and its objective; ``(None, -inf)`` when every greedy gets stuck."""
    from xiaozhen.layout._planning_search import interchange_planning

    t0 = time.perf_counter()
    best, best_value, best_greedy = None, -math.inf, -math.inf
    for k in GREEDY_RESOURCE_WEIGHTS:
        sel = greedy_planning(problem, k)
        if sel is None:
            continue
        best_greedy = max(best_greedy, evaluate_planning(problem, sel).objective)
        left = time_limit - (time.perf_counter() - t0)
        sel = interchange_planning(problem, sel, time_limit=max(0.0, left))
        value = evaluate_planning(problem, sel).objective
        if value > best_value:
            best, best_value = sel, value
    if best is not None:
        info["greedy_objective"] = best_greedy
        info["search_objective"] = best_value
    return best, best_value


def _kernel_search(
    problem: PlanningProblem,
    lag: PlanningBound,
    incumbent: NDArray[np.int64],
    value: float,
    gap: float,
    deadline: float,
    info: dict[str, float],
) -> tuple[NDArray[np.int64], float, float]:
    """Exact solves over the candidates the Lagrangian bound cannot rule out, from ``incumbent``
    of objective ``value``; returns (plan, its objective, proven bound).

    ``lag.with_candidate[j]`` bounds every plan that opens ``j``. Solving the model restricted to
    the ``k`` candidates with the largest such bounds (plus the incumbent's and the fixed towns)
    proves ``max(B_core, with_candidate of the (k+1)-th)``: a plan inside the core is bounded by
    the core MILP's bound, a plan outside it opens a candidate bounded by the second value
    (reduced-cost fixing in a kernel search; Angelelli, Mansini & Speranza 2010). When more than
    ``KERNEL_MAX`` candidates lie above ``incumbent * (1 + gap / 2)``, the best ``CORE_SIZE`` are
    solved first to improve the incumbent, which rules more of them out; then the candidates
    still above the line are solved to the requested gap, or, when there are still more than
    ``KERNEL_MAX``, the best ``KERNEL_MAX`` with the time left (a better plan and bound, no
    promise of the gap).
    """
    m = problem.n_candidates
    order = np.argsort(-lag.with_candidate, kind="stable")
    ranked = np.append(lag.with_candidate[order], -math.inf)
    bound = max(lag.bound, value)
    for first in (True, False):
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        alive = int(np.count_nonzero(ranked[:m] > value + 0.5 * gap * abs(value)))
        target = None
        if alive <= KERNEL_MAX:  # one MILP over every candidate not ruled out settles the gap
            key, size, limit, core_gap = (
                "kernel_prove",
                alive,
                LAST_TIME_SHARE * remaining,
                0.9 * gap,
            )
            keep = order[:size]
        elif first:  # improve the plan, which rules more candidates out
            key, size, core_gap = "kernel_improve", min(CORE_SIZE, m), CORE_GAP
            limit = CORE_TIME_SHARE * remaining
            keep = np.union1d(order[:size], lag.support)
            # it stops once its plan proves the gap against the bound in hand
            target = bound / (1.0 + gap) if gap > 0 else None
        elif KERNEL_MAX > CORE_SIZE:  # the widest set one MILP takes, for a better plan and bound
            key, size, core_gap = "kernel_widen", min(KERNEL_MAX, m), 0.9 * gap
            limit = LAST_TIME_SHARE * remaining
            keep = np.union1d(order[:size], lag.support)
        else:
            break
        info[f"{key}_candidates"] = float(size)
        out = _solve_core(problem, keep, incumbent, limit, gap=core_gap, target=target)
        if out is not None:
            sel, core_bound, core_optimal = out
            new_value = evaluate_planning(problem, sel).objective
            if core_optimal:  # within HiGHS's tolerances: the plan's own value
                core_bound = min(core_bound, new_value + 1e-9 * max(1.0, abs(new_value)))
            bound = min(bound, max(core_bound, float(ranked[size])))
            if new_value > value:
                incumbent, value = sel, new_value
            bound = max(bound, value)
            info[f"{key}_objective"] = value
        logger.info(
            "kernel search, %s: %d candidates, objective %.8g, bound %.8g, %.1f s left",
            key,
            size,
            value,
            bound,
            deadline - time.perf_counter(),
        )
        if key != "kernel_improve" or relative_gap(value, bound, maximize=True) <= gap:
            break
    return incumbent, value, bound


def _solve_core(
    problem: PlanningProblem,
    keep: NDArray[np.int64],
    incumbent: NDArray[np.int64],
    time_limit: float,
    *,
    gap: float,
    target: float | None = None,
) -> tuple[NDArray[np.int64], float, bool] | None:
    """Solve the model restricted to ``keep`` plus the incumbent's and the fixed towns (so the
    restriction is feasible); returns a plan feasible for the full model, the restricted model's
    proven bound and whether HiGHS proved the plan optimal for it, or ``None`` without a plan."""
    m = problem.n_candidates
    keep = np.union1d(keep, incumbent)
    keep = np.union1d(keep, np.asarray(problem.fixed, dtype=np.int64))
    local = np.full(m, -1, dtype=np.int64)
    local[keep] = np.arange(keep.size)
    present = set(problem.group[keep].tolist()) if problem.group is not None else set()
    sub = dataclasses.replace(
        problem,
        n_candidates=int(keep.size),
        coverage=None if problem.coverage is None else problem.coverage[:, keep],
        benefit=None if problem.benefit is None else problem.benefit[keep],
        investment=None if problem.investment is None else problem.investment[keep],
        land=None if problem.land is None else problem.land[keep],
        idle_land=None if problem.idle_land is None else problem.idle_land[keep],
        fringe=None if problem.fringe is None else problem.fringe[keep],
        group=None if problem.group is None else problem.group[keep],
        group_min={k: v for k, v in problem.group_min.items() if k in present},
        group_max={k: v for k, v in problem.group_max.items() if k in present},
        xy=None if problem.xy is None else problem.xy[keep],
        fixed=tuple(int(local[j]) for j in problem.fixed),
    )
    sub_model = _build_milp(sub)
    out = sub_model.solve(
        time_limit=time_limit,
        gap=gap,
        start=_start_vector(sub, local[incumbent], sub_model),
        target=target,
    )
    if out.x is None:
        return None
    sel = keep[np.flatnonzero(out.x[: keep.size] > 0.5)].astype(np.int64)
    if not _satisfies(problem, sel):
        return None
    trusted = out.status in ("optimal", "gap_limit", "time_limit") and math.isfinite(out.bound)
    return sel, out.bound if trusted else math.inf, out.status == "optimal"


def _post_infeasible(problem: PlanningProblem, *, timed_out: bool = False) -> InfeasibleError:
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


def _start_vector(
    problem: PlanningProblem, sel: NDArray[np.int64], model: PlanningMilp
) -> NDArray[np.float64]:
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


def _result(
    problem: PlanningProblem,
    sel: NDArray[np.int64],
    objective: float,
    bound: float,
    status: Status,
    method: Method,
    t0: float,
    info: dict[str, float],
) -> LayoutResult:
    metrics = evaluate_planning(problem, sel)
    info = {
        **info,
        "covered_weight": metrics.covered_weight,
        "rural_covered": metrics.rural_covered,
        "rural_covered_fringe": metrics.rural_covered_fringe,
        "investment": metrics.investment,
        "land": metrics.land,
        "n_fringe": float(metrics.n_fringe),
        "benefit": metrics.benefit,
    }
    seconds = time.perf_counter() - t0
    res = LayoutResult(
        model="planning",
        selected=tuple(int(i) for i in np.sort(sel)),
        assignment=None,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound, maximize=True),
        status=status,
        method=method,
        seconds=seconds,
        maximize=True,
        info=info,
    )
    logger.info(
        "planning: %d towns (%d fringe), objective %.6g, bound %.6g, %s by %s in %.2f s",
        res.n_selected,
        metrics.n_fringe,
        objective,
        bound,
        status,
        method,
        seconds,
    )
    return res
