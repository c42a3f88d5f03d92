"""Portfolios with simulated indicators: a plan's run folder, and the bundled batch-1 example."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from xiaozhen.errors import InputDataError
from xiaozhen.monitor import (
    AssessmentRules,
    batch1_towns,
    example_portfolio,
    grade_portfolio,
    portfolio_from_run,
    simulate_batch1_portfolio,
)
from xiaozhen.region import load_counties

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def plan_run(tmp_path_factory) -> Path:
    """A real run folder of the small scenario (one focus county, 8 years, 16 draws)."""
    from xiaozhen.plan import run_plan
    from xiaozhen.scenario import load_scenario

    out = tmp_path_factory.mktemp("plan") / "run"
    run_plan(load_scenario(DATA / "small_scenario.toml"), out)
    return out


def test_a_plans_towns_become_a_simulated_portfolio(plan_run):
    towns = pd.read_csv(plan_run / "towns.csv", dtype={"adcode": str})
    sim = pd.read_csv(plan_run / "simulate" / "programme" / "towns.csv")
    parsed = portfolio_from_run(plan_run)
    assert sorted(parsed.towns.index) == sorted(towns["town_id"])
    assert parsed.provenance == "simulated"
    assert (parsed.reports["tier"] == "creation").all()
    assert parsed.years == tuple(sorted(sim["year"].unique()))
    first = towns.iloc[0]
    assert parsed.towns.loc[first["town_id"], "creation_year"] == first["start_year"]
    assert parsed.towns.loc[first["town_id"], "adcode"] == first["adcode"]
    row = sim.iloc[0]
    report = parsed.reports.set_index(["town_id", "year"]).loc[(row["town_id"], row["year"])]
    assert report["fai_total_bn_yuan"] == pytest.approx(row["investment_yuan"] / 1e9)
    assert report["tax_bn_yuan"] == pytest.approx(row["tax_yuan"] / 1e9)
    assert report["new_quota_km2"] == pytest.approx(row["new_quota_used_km2"])
    assert report["output_bn_yuan"] == pytest.approx(
        row["productivity_yuan_per_job"] * row["industry_jobs"] / 1e9
    )
    # the model has no characteristic / private split and no scenic level: not reported
    assert parsed.reports["fai_private_bn_yuan"].isna().all()
    result = grade_portfolio(parsed, AssessmentRules(), parsed.years[-1])
    first_year = result.grades_of(parsed.years[0])
    assert len(first_year) == (towns["start_year"] == parsed.years[0]).sum()
    assert set(result.grades["provenance"]) == {"simulated"}
    assert result.grades["private_share_max"].isna().all()  # left out, not scored 0


def test_the_cli_grades_a_plans_towns(plan_run, tmp_path):
    from xiaozhen.cli import main

    out = tmp_path / "assessment"
    main(["monitor", "grade", "--from-run", str(plan_run), "--out", str(out)])
    grades = pd.read_csv(out / "grades.csv")
    assert set(grades["provenance"]) == {"simulated"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "SIMULATED" in html
    assert "published_2018_share" in html
    distribution = pd.read_csv(out / "distribution.csv")
    creation = distribution[distribution["tier"] == "creation"]
    assert creation["published_2018"].tolist() == [25, 45, 31, 9, 5]


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(InputDataError, match=r"towns\.csv' not found; give the folder written by"):
        portfolio_from_run(tmp_path)


def test_the_example_is_the_batch1_towns_marked_simulated():
    towns = batch1_towns()
    assert len(towns) == 37
    counties = load_counties()
    assert towns["adcode"].isin(counties.index).all()
    # today's divisions: 余杭艺尚 in 临平区, 江干丁兰 in 上城区, 景宁 is 景宁畲族自治县
    by_name = towns.set_index("name")
    assert by_name.loc["余杭艺尚小镇", "adcode"] == "330113"
    assert by_name.loc["江干丁兰智慧小镇", "adcode"] == "330102"
    assert by_name.loc["景宁畲乡小镇", "county"] == "景宁畲族自治县"
    example = example_portfolio()
    assert example.provenance == "simulated"
    assert example.years == (2015, 2016, 2017, 2018)
    assert (example.towns["creation_year"] == 2015).all()
    assert sorted(example.towns["name"]) == sorted(towns["name"])
    result = grade_portfolio(example, AssessmentRules(), 2018)
    assert len(result.grades_of(2018)) == 37
    assert result.provenance == "simulated"


def test_the_example_is_rebuilt_by_the_simulation():
    rows = simulate_batch1_portfolio(draws=2, seed=1)
    assert set(rows["provenance"]) == {"simulated"}
    assert sorted(rows["year"].unique()) == [2015, 2016, 2017, 2018]
    assert rows["town_id"].nunique() == 37
    bundled = example_portfolio().to_frame()
    assert list(rows.columns) == list(bundled.columns)
