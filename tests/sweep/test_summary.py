"""Summary maths against independent oracles: Pareto fronts by brute force, Sobol on Ishigami."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaozhen.sweep import (
    TASK_SECONDS,
    ResultStore,
    pareto_front,
    sobol_indices,
    sweep_from_mapping,
    sweep_scenarios,
    write_sweep_report,
)

from .conftest import tiny_sweep


def _brute_force(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-dominated points for (min x, max y), O(n²); of identical points the first is kept."""
    n = len(x)
    keep = np.zeros(n, dtype=bool)
    for i in range(n):
        if not (np.isfinite(x[i]) and np.isfinite(y[i])):
            continue
        dominated = False
        for j in range(n):
            if j == i or not (np.isfinite(x[j]) and np.isfinite(y[j])):
                continue
            better_or_equal = x[j] <= x[i] and y[j] >= y[i]
            strictly = x[j] < x[i] or y[j] > y[i]
            identical_before = x[j] == x[i] and y[j] == y[i] and j < i
            if (better_or_equal and strictly) or identical_before:
                dominated = True
                break
        keep[i] = not dominated
    return keep


def test_pareto_front_hand_worked() -> None:
    cost = [1.0, 2.0, 3.0, 2.0, 4.0, np.nan]
    gain = [10.0, 30.0, 20.0, 25.0, 40.0, 99.0]
    # (1,10) cheapest; (2,30) beats (2,25) and (3,20); (4,40) best gain; NaN never on the front
    assert pareto_front(cost, gain).tolist() == [True, True, False, False, True, False]
    # both minimised: only the cheapest-and-lowest point survives
    assert pareto_front(cost, gain, senses=("min", "min")).tolist() == [
        True,
        False,
        False,
        False,
        False,
        False,
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6)),
        min_size=1,
        max_size=30,
    )
)
def test_pareto_front_equals_brute_force(points: list[tuple[int, int]]) -> None:
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    assert pareto_front(x, y).tolist() == _brute_force(x, y).tolist()


def test_pareto_front_rejects_unequal_lengths() -> None:
    with pytest.raises(ValueError, match="equal length"):
        pareto_front([1.0, 2.0], [1.0])


def test_sobol_indices_reproduce_the_ishigami_values() -> None:
    """Ishigami (1990) with a=7, b=0.1: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244)."""
    paths = ["policy.quota_reward_share", "policy.basic_farmland_share", "policy.eco_redline_share"]
    spec = sweep_from_mapping(
        tiny_sweep(
            [{"path": p, "low": 0.0, "high": 1.0} for p in paths], kind="sobol", n=1024, seed=1
        )
    )
    expanded = sweep_scenarios(spec)
    # the Ishigami inputs are the design rows, in design order, mapped to [-π, π]
    x = -np.pi + 2 * np.pi * expanded.design[paths].to_numpy(float)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    table = sobol_indices(spec, expanded, y, seed=0)
    var = 0.5 + 7**2 / 8 + 0.1 * np.pi**4 / 5 + 0.1**2 * np.pi**8 / 18
    s1 = np.array([0.5 * (1 + 0.1 * np.pi**4 / 5) ** 2, 7**2 / 8, 0.0]) / var
    st_ = np.array([s1[0] + 0.1**2 * np.pi**8 * (1 / 18 - 1 / 50) / var, s1[1], 0.0])
    st_[2] = 0.1**2 * np.pi**8 * (1 / 18 - 1 / 50) / var
    np.testing.assert_allclose(table["S1"], s1, atol=0.05)
    np.testing.assert_allclose(table["ST"], st_, atol=0.05)
    assert (table["S1_conf"] > 0).all()
    assert list(table.index) == paths


def test_report_of_a_sobol_sweep_from_stored_results(tmp_path: Path) -> None:
    """An additive output y = 2·a + b on uniform a, b has S1 = ST = (4/5, 1/5)."""
    paths = ["policy.quota_reward_share", "policy.basic_farmland_share"]
    spec = sweep_from_mapping(
        tiny_sweep([{"path": p, "low": 0.0, "high": 1.0} for p in paths], kind="sobol", n=256)
    )
    expanded = sweep_scenarios(spec)
    store = ResultStore.in_folder(tmp_path)
    for digest, scenario in expanded.scenarios.items():
        a, b = scenario.policy.quota_reward_share, scenario.policy.basic_farmland_share
        store.write(
            {
                "digest": digest,
                "status": "ok",
                "rural_income_vs_no_towns": 2 * a + b,
                "fiscal_cost_total_bn_yuan": a + b,
                "price_of_balance": 0.0,
                TASK_SECONDS: 0.1,
            }
        )
    summary = write_sweep_report(spec, tmp_path)
    sens = summary.sensitivity.set_index(["indicator", "parameter"])
    gain = sens.loc["rural_income_vs_no_towns"]
    np.testing.assert_allclose(gain["S1"], [0.8, 0.2], atol=0.03)
    np.testing.assert_allclose(gain["ST"], [0.8, 0.2], atol=0.03)
    # the Pareto front of gain (max) vs cost (min): more a for the same cost is always better,
    # so every front point has b small relative to a; check against brute force on the table
    table = summary.table
    front = summary.fronts["rural_income_vs_no_towns vs fiscal_cost_total_bn_yuan"]
    mask = _brute_force(
        table["fiscal_cost_total_bn_yuan"].to_numpy(), table["rural_income_vs_no_towns"].to_numpy()
    )
    assert sorted(front.index) == sorted(table.index[mask])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Sobol" in html
    assert "data:image/png;base64," in html  # the S1/ST bar chart
    assert (tmp_path / "sensitivity.csv").read_text(encoding="utf-8").startswith("indicator,")
