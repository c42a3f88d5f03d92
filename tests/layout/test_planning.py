"""Planning model: hand-worked cases, brute-force oracle, invariants, and every error path."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xiaozhen.layout._planning as pl
import xiaozhen.layout._planning_bound as pb
from xiaozhen.errors import ConfigError, InfeasibleError, InputDataError
from xiaozhen.layout import (
    LocationProblem,
    PlanningProblem,
    balance_frontier,
    check_solution,
    evaluate_planning,
    layout_from_candidates,
    solve_lscp,
    solve_mclp,
    solve_pcenter,
    solve_planning,
    solve_pmedian,
)
from xiaozhen.layout._check import planning_violations
from xiaozhen.layout._planning_bound import _bound_with_each, lagrangian_planning_bound
from xiaozhen.layout._planning_model import build_planning_milp
from xiaozhen.layout._planning_search import greedy_planning, interchange_planning


def hand_problem(**kw: object) -> PlanningProblem:
    """Four candidates on a line at 0, 10, 20, 30 km; five villages; worked by hand below.

    Coverage (radius 6 km): village weights 100 @0 km, 50 @5 km, 80 @12 km, 200 @21 km, 30 @29 km.
    Candidate 0 covers villages {0, 1} = 150; candidate 1 covers {1, 2} = 130;
    candidate 2 covers {3} = 200; candidate 3 covers {4} = 30.
    """
    xs = np.array([0.0, 10_000.0, 20_000.0, 30_000.0])
    vx = np.array([0.0, 5_000.0, 12_000.0, 21_000.0, 29_000.0])
    cov = sp.csr_array(np.abs(vx[:, None] - xs[None, :]) <= 6_000.0)
    base: dict[str, object] = {
        "n_candidates": 4,
        "coverage": cov,
        "demand_weight": np.array([100.0, 50.0, 80.0, 200.0, 30.0]),
        "investment": np.array([3e9, 2e9, 4e9, 1e9]),
        "land": np.array([1.0, 1.0, 1.0, 1.0]),
        "idle_land": np.array([0.0, 0.5, 0.0, 0.0]),
        "fringe": np.array([False, False, False, True]),
        "xy": np.column_stack([xs, np.zeros(4)]),
    }
    base.update(kw)
    return PlanningProblem(**base)  # type: ignore[arg-type]


def test_hand_budget() -> None:
    # budget 6e9: {2 (4e9), 1 (2e9)} covers 200 + 130 = 330; {0, 3} = 180; {0, 1} = 180 (shared 50)
    res = solve_planning(hand_problem(budget=6e9))
    assert res.selected == (1, 2)
    assert res.objective == 330.0
    assert res.status == "optimal"
    assert check_solution(hand_problem(budget=6e9), res).ok


def test_hand_balance_share() -> None:
    # one town must be fringe (share 0.5 of 2 towns): the fringe town 3 + best other = 2 (200) -> 230
    prob = hand_problem(n_towns=2, balance_share=0.5)
    res = solve_planning(prob)
    assert res.selected == (2, 3)
    assert res.objective == 230.0


def test_hand_land_quota_net_of_idle() -> None:
    # quota 1.5 km² net: candidate 1 needs 0.5 net, others 1.0 -> {1, 2} uses 1.5 -> 330
    prob = hand_problem(land_quota=1.5)
    res = solve_planning(prob)
    assert res.selected == (1, 2)
    assert res.info["land"] == pytest.approx(1.5)


def test_hand_spacing() -> None:
    # spacing 15 km forbids neighbours: best is {0, 2} (150 + 200 = 350) vs {1, 3} (160)
    prob = hand_problem(min_spacing_m=15_000.0)
    res = solve_planning(prob)
    assert res.selected == (0, 2)
    assert res.objective == 350.0


def test_hand_fixed_existing_town_uses_no_budget() -> None:
    # town 0 exists (sunk); budget 4e9 buys town 2 -> 150 + 200 = 350
    prob = hand_problem(fixed=(0,), budget=4e9)
    res = solve_planning(prob)
    assert res.selected == (0, 2)
    assert res.info["investment"] == 4e9


def test_hand_group_limits() -> None:
    prob = hand_problem(
        group=np.array(["a", "a", "b", "b"]), group_max={"b": 0}, group_min={"a": 2}
    )
    res = solve_planning(prob)
    assert res.selected == (0, 1)
    assert res.objective == 230.0


def test_hand_rural_population_balance() -> None:
    # rural weights: the fringe town 3 covers 30 rural; require 10 % of covered rural from fringe
    # ({0, 1} would tie at 230 if village 0 had no rural residents: 0 >= 10 % of 0)
    prob = hand_problem(
        rural_weight=np.array([10.0, 0.0, 0.0, 200.0, 30.0]),
        balance_share=0.1,
        balance_on="rural_population",
        n_towns=2,
    )
    res = solve_planning(prob)
    # without town 3, covered rural from fringe is 0 < 10 %; so 3 + best other (2: 200)
    assert res.selected == (2, 3)
    assert res.info["rural_covered_fringe"] == 30.0
    assert check_solution(prob, res).ok


def test_balance_message_names_affordable_fringe() -> None:
    # 30 towns at share 0.4 need 12 fringe towns; fringe towns cost 6.5e9 each, so only
    # 9 (58.5e9) fit in a 60e9 budget
    prob = PlanningProblem(
        n_candidates=40,
        benefit=np.ones(40),
        investment=np.concatenate([np.full(15, 6.5e9), np.full(25, 0.1e9)]),
        fringe=np.arange(40) < 15,
        balance_share=0.4,
        n_towns=30,
        budget=60e9,
    )
    with pytest.raises(
        InfeasibleError,
        match=r"the balance share 0\.4 needs 12 towns in fringe areas but only 9 fringe "
        r"candidates are affordable within the 60-billion-yuan budget",
    ):
        solve_planning(prob)
    # without the budget the same problem is feasible and meets the share
    res = solve_planning(PlanningProblem(**{**prob.__dict__, "budget": None}))
    assert res.n_selected == 30
    assert res.info["n_fringe"] >= 12


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (
            {"budget": 1e9, "n_towns": 2},
            "cheapest of them cost 3-billion-yuan, more than the 1-billion-yuan budget",
        ),
        ({"land_quota": 0.4, "n_towns": 1}, r"at least 0\.5 km² of new land"),
        ({"fixed": (0, 1, 2), "max_towns": 2}, "3 existing towns are fixed but at most 2"),
        ({"fixed": (0, 1), "min_spacing_m": 15_000.0}, "existing towns 0 and 1 are closer"),
        (
            {"balance_share": 0.6, "n_towns": 3},
            "needs 2 towns in fringe areas but only 1 candidates are flagged fringe",
        ),
        ({"balance_share": 1.0, "fixed": (0,)}, "every town to be in a fringe area but 1 existing"),
        ({"n_towns": 2, "min_towns": 3}, "min_towns=3 exceeds n_towns=2"),
        ({"n_towns": 2, "max_towns": 1}, "max_towns=1 is below n_towns=2"),
        (
            {"group": np.array(["a", "a", "b", "b"]), "group_min": {"a": 3}},
            "group 'a' needs at least 3 towns but has only 2",
        ),
        (
            {"group": np.array(["a", "a", "b", "b"]), "group_max": {"a": 1}, "fixed": (0, 1)},
            "allows at most 1 towns but has 2 existing",
        ),
        (
            {"group": np.array(["a", "a", "b", "b"]), "group_min": {"a": 2}, "group_max": {"a": 1}},
            "group_min 2 > group_max 1",
        ),
        (
            {
                "group": np.array(["a", "a", "b", "b"]),
                "group_min": {"a": 2, "b": 2},
                "max_towns": 3,
            },
            "group minima add up to 4",
        ),
        (
            {"balance_share": 0.5, "n_towns": 2, "budget": 2e9},
            "fringe candidates are affordable|cheapest of them",
        ),
        (
            {
                "balance_share": 0.5,
                "n_towns": 2,
                "land_quota": 0.9,
                "land": np.array([0.1, 0.1, 0.1, 1.0]),
            },
            "fringe candidates fit within the land quota",
        ),
    ],
)
def test_infeasible_before_solving(kw: dict[str, object], match: str) -> None:
    with pytest.raises(InfeasibleError, match=match):
        solve_planning(hand_problem(**kw))


def test_infeasible_proven_by_solver() -> None:
    # spacing leaves at most 2 towns; 3 are required: only the MILP can see it
    with pytest.raises(InfeasibleError, match="MILP solver proved that no layout"):
        solve_planning(hand_problem(min_spacing_m=15_000.0, n_towns=3))


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"balance_share": 1.5}, r"balance_share must be in \[0, 1\], got 1\.5"),
        ({"balance_on": "people"}, "balance_on must be 'towns' or 'rural_population'"),
        ({"budget": -1.0}, "budget must be a finite number >= 0"),
        ({"investment": np.array([1.0, np.nan, 1.0, 1.0])}, "investment holds 1 NaN"),
        ({"investment": np.array([1.0, 2.0])}, "investment has 2 values but 4 were expected"),
        ({"land": np.array([1.0, -1.0, 1.0, 1.0])}, "land holds negative values"),
        ({"min_spacing_m": 10.0, "xy": None}, "needs candidate coordinates xy"),
        ({"fixed": (7,)}, r"fixed holds indices \[7\] outside 0\.\.3"),
        ({"n_towns": 9}, "n_towns must be in 0..4"),
        ({"group_min": {"a": 1}}, "without a per-candidate group label"),
        ({"group": np.array(["a", "a", "b", "b"]), "group_min": {"z": 1}}, "names groups"),
        ({"coverage": sp.csr_array(np.ones((5, 3), dtype=bool))}, "coverage has 3 columns"),
        ({"fringe": np.array([True])}, "fringe has 1 values"),
    ],
)
def test_config_errors(kw: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        hand_problem(**kw)


def brute_force(problem: PlanningProblem, must: int | None = None) -> float:
    """Best objective over every subset, or every subset holding ``must`` (oracle for tiny
    problems); ``-inf`` when none is feasible."""
    best = -np.inf
    m = problem.n_candidates
    for k in range(m + 1):
        for combo in itertools.combinations(range(m), k):
            sel = np.array(combo, dtype=np.int64)
            if must is not None and must not in combo:
                continue
            if not planning_violations(problem, sel):
                best = max(best, evaluate_planning(problem, sel).objective)
    return float(best)


@st.composite
def random_problems(draw: st.DrawFn) -> PlanningProblem:
    m = draw(st.integers(3, 7))
    n = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10_000, (m, 2))
    dxy = rng.uniform(0, 10_000, (n, 2))
    dist = np.hypot(*(dxy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    inv = rng.integers(1, 6, m) * 1e9
    return PlanningProblem(
        n_candidates=m,
        coverage=sp.csr_array(dist <= 3_000),
        demand_weight=rng.integers(1, 100, n).astype(float),
        rural_weight=rng.integers(0, 100, n).astype(float),
        benefit=rng.integers(0, 30, m).astype(float),
        investment=inv,
        land=rng.uniform(0.2, 1.5, m),
        idle_land=rng.uniform(0, 0.5, m),
        budget=draw(st.sampled_from([None, 3e9, 6e9, 10e9])),
        land_quota=draw(st.sampled_from([None, 1.0, 2.5])),
        fringe=rng.random(m) < 0.5,
        balance_share=draw(st.sampled_from([0.0, 0.3, 0.5])),
        balance_on=draw(st.sampled_from(["towns", "rural_population"])),
        xy=xy,
        min_spacing_m=draw(st.sampled_from([0.0, 2_000.0, 4_000.0])),
        max_towns=draw(st.sampled_from([None, 2, 3])),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_milp_matches_brute_force_and_checker(problem: PlanningProblem) -> None:
    oracle = brute_force(problem)
    try:
        res = solve_planning(problem, method="milp")
    except InfeasibleError:
        assert oracle == -np.inf
        return
    check = check_solution(problem, res)
    assert check.ok, check.violations  # budgets never exceeded, balance and spacing met
    assert res.status == "optimal"
    assert res.objective == pytest.approx(oracle, abs=1e-6)
    heur = solve_planning(problem, method="heuristic")
    assert check_solution(problem, heur).ok
    assert heur.objective <= oracle + 1e-6 <= heur.bound + 2e-6


@settings(max_examples=25, deadline=None)
@given(random_problems(), st.integers(0, 2**31 - 1))
def test_adding_a_candidate_never_worsens_optimum(problem: PlanningProblem, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = problem.n_candidates
    assert problem.coverage is not None
    extra_cov = sp.csr_array(rng.random((problem.coverage.shape[0], 1)) < 0.3)

    def grow(a: np.ndarray | None, v: float) -> np.ndarray:
        assert a is not None
        return np.append(a, v)

    bigger = PlanningProblem(
        n_candidates=m + 1,
        coverage=sp.hstack([problem.coverage, extra_cov], format="csr"),
        demand_weight=problem.demand_weight,
        rural_weight=problem.rural_weight,
        benefit=grow(problem.benefit, float(rng.integers(0, 30))),
        investment=grow(problem.investment, float(rng.integers(1, 6)) * 1e9),
        land=grow(problem.land, 0.5),
        idle_land=grow(problem.idle_land, 0.0),
        budget=problem.budget,
        land_quota=problem.land_quota,
        fringe=grow(problem.fringe, bool(rng.random() < 0.5)).astype(bool),
        balance_share=problem.balance_share,
        balance_on=problem.balance_on,
        xy=np.vstack([problem.xy, rng.uniform(0, 10_000, (1, 2))]),
        min_spacing_m=problem.min_spacing_m,
        max_towns=problem.max_towns,
    )
    try:
        small = solve_planning(problem).objective
    except InfeasibleError:
        return
    assert solve_planning(bigger).objective >= small - 1e-6


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 7), st.integers(3, 15), st.integers(0, 2**31 - 1))
def test_classic_models_match_brute_force(m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = rng.integers(1, 50, (n, m)).astype(float)
    w = rng.integers(1, 10, n).astype(float)
    prob = LocationProblem(d, w)
    p = int(rng.integers(1, m + 1))
    subsets = [np.array(c) for c in itertools.combinations(range(m), p)]
    med = min(float((w * d[:, s].min(axis=1)).sum()) for s in subsets)
    cen = min(float(d[:, s].min(axis=1).max()) for s in subsets)
    r = 25.0
    mcl = max(float(w[d[:, s].min(axis=1) <= r].sum()) for s in subsets)
    res = solve_pmedian(prob, p)
    assert res.objective == pytest.approx(med)
    assert res.status == "optimal"
    assert check_solution(prob, res).ok
    assert solve_pcenter(prob, p).objective == cen
    assert solve_mclp(prob, p, r).objective == pytest.approx(mcl)
    if (d.min(axis=1) <= r).all():
        best = min(
            k
            for k in range(1, m + 1)
            for c in itertools.combinations(range(m), k)
            if (d[:, list(c)].min(axis=1) <= r).all()
        )
        assert solve_lscp(prob, r).objective == best
    else:
        with pytest.raises(InfeasibleError, match="have no candidate within the radius"):
            solve_lscp(prob, r)


def test_location_problem_errors() -> None:
    with pytest.raises(InputDataError, match="2-D"):
        LocationProblem(np.ones(3))
    with pytest.raises(InputDataError, match="NaN or negative"):
        LocationProblem(np.array([[1.0, -2.0]]))
    with pytest.raises(InputDataError, match="weights has 3 values but 1 were expected"):
        LocationProblem(np.ones((1, 2)), np.ones(3))
    with pytest.raises(ConfigError, match=r"p must be in 1\.\.2"):
        solve_pmedian(LocationProblem(np.ones((3, 2))), 3)
    with pytest.raises(InputDataError, match="need every pair"):
        solve_pmedian(LocationProblem(sp.csr_array(np.array([[1.0, 0.0], [2.0, 3.0]]))), 1)


def test_frontier_is_monotone_and_reports_infeasible() -> None:
    prob = hand_problem(n_towns=2)
    df = balance_frontier(prob, [0.0, 0.5, 1.0])
    assert list(df["status"]) == ["optimal", "optimal", "infeasible"]
    assert df["objective"].iloc[0] >= df["objective"].iloc[1]
    assert df["price_of_balance"].iloc[1] == pytest.approx(
        1 - 230 / 350
    )  # {0, 2} = 350 unconstrained
    assert "needs 2 towns in fringe areas" in df["message"].iloc[2]


def test_layout_from_candidates() -> None:
    cands = pd.DataFrame(
        {
            "benefit": [0.0, 0.0, 0.0, 0.0],
            "investment": [3e9, 2e9, 4e9, 1e9],
            "land": [1.0, 1.0, 1.0, 1.0],
            "idle_reused_km2": [0.0, 0.5, 0.0, 0.0],
            "fringe": [False, False, False, True],
            "county": ["330100", "330100", "330200", "330200"],
            "x": [0.0, 10_000.0, 20_000.0, 30_000.0],
            "y": [0.0, 0.0, 0.0, 0.0],
        },
        index=pd.Index(["s0", "s1", "s2", "s3"], name="site_id"),
    )
    demand = pd.DataFrame(
        {
            "x": [0.0, 5_000.0, 12_000.0, 21_000.0, 29_000.0],
            "y": [0.0] * 5,
            "population": [100.0, 50.0, 80.0, 200.0, 30.0],
        }
    )
    plan = layout_from_candidates(
        cands, demand=demand, service_radius_m=6_000.0, budget=6e9, frontier_shares=[0.0, 0.5]
    )
    assert list(plan.chosen.index) == ["s1", "s2"]  # hand-worked: 330
    assert plan.result.objective == 330.0
    assert plan.frontier is not None
    assert len(plan.frontier) == 2
    assert check_solution(plan.problem, plan.result).ok
    with pytest.raises(InputDataError, match="candidates lacks investment"):
        layout_from_candidates(cands.drop(columns="investment"), demand=demand)
    with pytest.raises(InputDataError, match="not in the candidate index"):
        layout_from_candidates(cands, demand=demand, fixed=["zz"])
    # the candidate at x=0 covers the village at exactly distance 0
    plan0 = layout_from_candidates(
        cands, demand=demand, service_radius_m=1.0, n_towns=1, frontier_shares=None
    )
    assert plan0.result.objective == 100.0


def test_coverage_leaves_the_sparse_cost_and_callers_matrix_intact() -> None:
    """Regression: eliminate_zeros on a matrix sharing index arrays rewrote the caller's matrix."""
    cost = sp.csr_array(np.array([[1.0, 9.0], [9.0, 2.0], [3.0, 9.0]]))
    before = (cost.data.copy(), cost.indices.copy(), cost.indptr.copy())
    prob = LocationProblem(cost)
    cov = prob.coverage(5.0)
    assert cov.nnz == 3
    for got, want in zip((cost.data, cost.indices, cost.indptr), before, strict=True):
        np.testing.assert_array_equal(got, want)
    user_cov = sp.csr_array(
        (np.array([True, False, True]), np.array([0, 1, 0]), np.array([0, 1, 2, 3])), shape=(3, 2)
    )
    kept = user_cov.indptr.copy()
    PlanningProblem(n_candidates=2, coverage=user_cov, demand_weight=np.ones(3))
    np.testing.assert_array_equal(user_cov.indptr, kept)


# --- interchange search and Lagrangian bound ---


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_search_never_worse_and_feasible_bound_valid(problem: PlanningProblem) -> None:
    start = greedy_planning(problem)
    if start is None:
        return
    better = interchange_planning(problem, start)
    assert not planning_violations(problem, better)
    before = evaluate_planning(problem, start).objective
    after = evaluate_planning(problem, better).objective
    assert after >= before - 1e-9
    oracle = brute_force(problem)
    assert after <= oracle + 1e-9
    lag = lagrangian_planning_bound(problem, after)
    assert lag is not None
    assert lag.bound >= oracle - 1e-6  # a proven bound
    for j in range(problem.n_candidates):  # and a proven bound on every plan opening j
        assert lag.with_candidate[j] >= brute_force(problem, must=j) - 1e-6


def test_bound_with_each_by_hand() -> None:
    """max 3 y0 + 2 y1 + y2 s.t. y0 + y1 + y2 <= 1: with the exact dual 3 the bounds with each
    candidate open are its own value; any other dual gives weaker, still valid bounds."""
    value = np.array([3.0, 2.0, 1.0])
    a = sp.csr_array(np.ones((1, 3)))
    lo, hi = np.array([-np.inf]), np.array([1.0])
    zeros, ones = np.zeros(3), np.ones(3)
    total, each = _bound_with_each(value, np.array([3.0]), a, lo, hi, zeros, ones)
    assert total == 3.0
    np.testing.assert_array_equal(each, [3.0, 2.0, 1.0])
    total, each = _bound_with_each(value, np.array([0.0]), a, lo, hi, zeros, ones)
    assert total == 6.0
    np.testing.assert_array_equal(each, [6.0, 6.0, 6.0])
    # a dual of the wrong sign for a row without a lower bound is dropped, not trusted
    total, each = _bound_with_each(value, np.array([-5.0]), a, lo, hi, zeros, ones)
    assert total == 6.0
    # y2 fixed open: its bound is the total, the others pay for the room it takes
    total, each = _bound_with_each(value, np.array([1.0]), a, lo, hi, np.array([0, 0, 1.0]), ones)
    assert total == 1.0 + 2.0 + 1.0 + 0.0
    np.testing.assert_array_equal(each, [4.0, 4.0, 4.0])


def _medium(seed: int, m: int = 60, n: int = 3_000) -> PlanningProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40_000, (m, 2))
    dxy = rng.uniform(0, 40_000, (n, 2))
    dist = np.hypot(*(dxy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return PlanningProblem(
        n_candidates=m,
        coverage=sp.csr_array(dist <= 6_000),
        demand_weight=rng.lognormal(3, 1, n),
        benefit=rng.uniform(0, 50, m),
        investment=rng.uniform(2e9, 6e9, m),
        land=rng.uniform(0.5, 1.5, m),
        idle_land=rng.uniform(0, 0.4, m),
        budget=30e9,
        land_quota=6.0,
        fringe=rng.random(m) < 0.4,
        balance_share=0.3,
        group=(xy[:, 0] // 20_000).astype(int),
        group_max={0: 4, 1: 4},
        xy=xy,
        min_spacing_m=3_000.0,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lagrangian_bound_converges_to_the_lp_bound(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """L(mu) >= LP bound of the model without spacing for every mu; the column generation,
    started from 10 of the 60 candidates, prices in the rest it needs and reaches the LP bound."""
    monkeypatch.setattr(pb, "COLUMNS", 10)
    monkeypatch.setattr(pb, "COLUMNS_ADDED", 5)
    problem = _medium(seed)
    no_spacing = dataclasses.replace(problem, min_spacing_m=0.0)
    lp = build_planning_milp(no_spacing).solve(time_limit=60.0, relax=True)
    assert lp.status == "optimal"
    start = greedy_planning(problem)
    assert start is not None
    inc = evaluate_planning(problem, start).objective
    lag = lagrangian_planning_bound(problem, inc, time_limit=30.0)
    assert lag is not None
    assert lag.bound >= lp.objective * (1 - 1e-9)
    assert lag.bound <= lp.objective * (1 + 1e-5)
    assert lag.support.size > 0


def test_solver_stops_at_the_lagrangian_bound_when_it_proves_the_gap() -> None:
    problem = _medium(4)
    exact = solve_planning(problem, method="milp", time_limit=60.0)
    assert exact.status == "optimal"
    loose = solve_planning(problem, method="milp", gap=0.5, time_limit=60.0)
    assert loose.method in ("lagrangian", "milp")
    assert check_solution(problem, loose).ok
    assert loose.objective <= exact.objective + 1e-6 <= loose.bound + 2e-6
    assert loose.gap <= 0.5
    heur = solve_planning(problem, method="heuristic")
    assert "lagrangian_bound" in heur.info
    assert heur.objective <= exact.objective + 1e-6 <= heur.bound + 2e-6


def test_infeasible_still_reported_before_search() -> None:
    problem = dataclasses.replace(_medium(5), budget=1e9, min_towns=3)
    with pytest.raises(InfeasibleError, match=r"budget|fringe"):
        solve_planning(problem, method="heuristic")


@pytest.mark.parametrize("seed", [6, 7, 8])
@pytest.mark.parametrize("gap", [0.0, 0.003])
def test_kernel_search_proves_what_it_claims(
    monkeypatch: pytest.MonkeyPatch, seed: int, gap: float
) -> None:
    """With the thresholds lowered, the medium instances take the large-model path: Lagrangian
    bound, an improving core, then one MILP over the candidates the bound cannot rule out. Its
    bound must hold against the exact optimum and its claimed gap must be true."""
    problem = _medium(seed)
    exact = solve_planning(problem, method="milp", time_limit=60.0)
    assert exact.status == "optimal"
    monkeypatch.setattr(pl, "LAGRANGIAN_ABOVE_NNZ", 0)
    monkeypatch.setattr(pl, "CORE_SIZE", 10)
    monkeypatch.setattr(pl, "KERNEL_MAX", 45)
    res = solve_planning(problem, method="milp", time_limit=60.0, gap=gap)
    assert "lagrangian_bound" in res.info
    kernel = "kernel_prove_candidates" in res.info or "kernel_improve_candidates" in res.info
    assert kernel or res.info["lagrangian_bound"] <= res.objective * (1 + gap)  # returned early
    assert check_solution(problem, res).ok
    assert res.objective <= exact.objective + 1e-6 <= res.bound + 2e-6
    assert res.status in ("optimal", "gap_limit")
    assert res.gap <= gap + 1e-9
    if gap == 0.0:
        assert res.objective == pytest.approx(exact.objective, rel=1e-9)


@pytest.mark.parametrize(("core", "widest"), [(10, 0), (5, 12)])
def test_kernel_search_then_the_full_milp(
    monkeypatch: pytest.MonkeyPatch, core: int, widest: int
) -> None:
    """Too many candidates survive the Lagrangian test: after the improving core (and, when the
    widest set is larger than the core, a MILP over it) the full MILP finishes the proof."""
    problem = _medium(6)
    exact = solve_planning(problem, method="milp", time_limit=60.0)
    monkeypatch.setattr(pl, "LAGRANGIAN_ABOVE_NNZ", 0)
    monkeypatch.setattr(pl, "CORE_SIZE", core)
    monkeypatch.setattr(pl, "KERNEL_MAX", widest)
    res = solve_planning(problem, method="milp", time_limit=60.0)
    assert res.info["kernel_improve_candidates"] == core
    assert res.info.get("kernel_widen_candidates", 0) == (widest if widest > core else 0)
    assert check_solution(problem, res).ok
    assert res.method == "milp"
    assert res.status == "optimal"
    assert res.objective == pytest.approx(exact.objective, rel=1e-9)


def test_greedy_variants_never_worse_than_the_classical_weight() -> None:
    problem = _medium(9)
    classical = greedy_planning(problem, 1.0)
    assert classical is not None
    res = solve_planning(problem, method="heuristic")
    assert res.info["search_objective"] >= evaluate_planning(problem, classical).objective - 1e-9


def test_milp_stops_at_an_objective_target_with_a_true_bound() -> None:
    """HiGHS's objective target ends the solve early; the status says so and the bound holds."""
    problem = _medium(7)
    model = build_planning_milp(problem)
    exact = model.solve(time_limit=60.0)
    assert exact.status == "optimal"
    early = model.solve(time_limit=60.0, target=0.9 * exact.objective)
    assert early.status == "gap_limit"
    assert early.x is not None
    assert 0.9 * exact.objective <= early.objective <= exact.objective + 1e-6
    assert early.bound >= exact.objective - 1e-6


@pytest.mark.parametrize("share", [0.5, 0.7])
def test_rural_balance_on_a_large_model(monkeypatch: pytest.MonkeyPatch, share: float) -> None:
    """A balance on covered rural residents: the greedy finds a plan that keeps it, the bound
    (computed without that balance) and the kernel search still hold against the exact optimum."""
    rng = np.random.default_rng(5)
    base = _medium(10)
    assert base.demand_weight is not None
    problem = dataclasses.replace(
        base,
        rural_weight=base.demand_weight * rng.uniform(0.1, 0.9, base.demand_weight.size),
        balance_on="rural_population",
        balance_share=share,
    )
    start = greedy_planning(problem, 10.0)
    assert start is not None
    assert not planning_violations(problem, start)
    exact = solve_planning(problem, method="milp", time_limit=60.0)
    assert exact.status == "optimal"
    unbalanced = solve_planning(dataclasses.replace(problem, balance_share=0.0), time_limit=60.0)
    assert exact.objective < unbalanced.objective  # the balance binds
    monkeypatch.setattr(pl, "LAGRANGIAN_ABOVE_NNZ", 0)
    monkeypatch.setattr(pl, "CORE_SIZE", 10)
    res = solve_planning(problem, method="milp", time_limit=60.0, gap=0.01)
    assert "lagrangian_bound" in res.info
    assert check_solution(problem, res).ok
    assert res.objective <= exact.objective + 1e-6 <= res.bound + 2e-6
    assert res.info["rural_covered_fringe"] >= share * res.info["rural_covered"] - 1e-6
