"""Hand-worked values for Theil, grades, and an end-to-end write / compare of two runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xiaozhen.errors import InputDataError
from xiaozhen.evaluate import assessment_grades, theil_index
from xiaozhen.evaluate.compare import compare_runs
from xiaozhen.evaluate.outputs import OUTPUT_FILES, write_simulation_outputs
from xiaozhen.simulate import ModelParameters, programme_from_counties, simulate, synthetic_counties


def test_theil_hand_values():
    assert theil_index(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(0.0)
    # two equal-sized groups, one with all the income: T = ln 2
    assert theil_index(np.array([1.0, 0.0]), np.array([1.0, 1.0])) == pytest.approx(np.log(2))
    # incomes 1 and 3 for equal groups: s = (0.25, 0.75): T = .25 ln .5 + .75 ln 1.5
    expected = 0.25 * np.log(0.5) + 0.75 * np.log(1.5)
    assert theil_index(np.array([1.0, 3.0]), np.array([5.0, 5.0])) == pytest.approx(expected)


def test_grades_follow_2018_distribution_and_floors():
    score = np.linspace(1.5, 1.01, 115)  # all above target: floors cap nothing below pass
    g = assessment_grades(score, np.ones(115, bool))
    counts = np.bincount(g, minlength=5)
    # ranks map onto 25/45/31/9/5, but towns meeting every target are at least "pass"
    assert counts.tolist() == [25, 45, 45, 0, 0]
    low = assessment_grades(np.array([0.9, 0.4, 1.2]), np.ones(3, bool))
    assert low[1] == 4  # below half the targets: demoted
    assert low[0] >= 2  # below target: at best pass
    assert assessment_grades(np.array([1.0]), np.array([False]))[0] == -1


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    c = synthetic_counties(20, seed=2)
    p = ModelParameters()
    base = tmp_path_factory.mktemp("runs")
    for lay in ("suburbs", "balanced"):
        t = programme_from_counties(c, layout=lay, n_towns=6)
        r = simulate(c, t, params=p, years=6, draws=12, seed=3)
        write_simulation_outputs(r, base / lay)
    return base


def test_outputs_written_and_conserved(two_runs):
    import json

    for name in OUTPUT_FILES:
        assert (two_runs / "balanced" / name).is_file()
    meta = json.loads((two_runs / "balanced" / "simulation.json").read_text())
    assert meta["conservation"]["people_rel"] < 1e-5
    assert meta["conservation"]["land_rel"] < 1e-12
    assert meta["conservation"]["money_rel"] < 1e-12
    ind = pd.read_csv(two_runs / "balanced" / "indicators.csv")
    ratio = ind[(ind.indicator == "income_ratio")]
    assert (ratio.p05 <= ratio.p50).all()
    assert (ratio.p50 <= ratio.p95).all()


def test_compare_paired(two_runs, tmp_path):
    table = compare_runs(two_runs / "suburbs", two_runs / "balanced", tmp_path)
    assert (tmp_path / "comparison.png").stat().st_size > 10_000
    row = table[(table.indicator == "town_residents") & (table.year == table.year.max())].iloc[0]
    assert row["diff_p50"] == pytest.approx(row["B_p50"] - row["A_p50"])
    assert "paired_diff_p50" in table.columns
    pop = table[(table.indicator == "population") & (table.year == table.year.min())].iloc[0]
    assert pop["paired_diff_p50"] == pytest.approx(0.0, abs=1e-3)  # same base year state
    with pytest.raises(InputDataError, match=r"no indicators\.csv"):
        compare_runs(tmp_path / "nope", two_runs / "balanced", tmp_path)
