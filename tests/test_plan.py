"""The main job end to end: every stage's outputs exist and respect the scenario's constraints."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from xiaozhen.plan import run_plan
from xiaozhen.scenario import load_scenario

SMALL = Path(__file__).parent / "data" / "small_scenario.toml"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return run_plan(load_scenario(SMALL), tmp_path_factory.mktemp("plan") / "run")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SMALL)


def test_province_layout_respects_budget_land_balance_and_caps(run, scenario):
    towns = pd.read_csv(run / "layout" / "towns.csv", dtype={"county": str})
    cfg = scenario.layout
    assert len(towns) == cfg.n_towns
    assert towns["investment_yuan"].sum() <= cfg.capital_budget_billion_yuan * 1e9 + 1e-6
    assert len(towns) * 1.0 <= cfg.land_quota_km2 + 1e-9  # 1 km² per town
    assert towns["fringe"].mean() >= cfg.balance_share - 1e-9
    assert towns.groupby("county").size().max() <= cfg.max_towns_per_county
    # two towns in one county never carry the same industry
    assert not towns.duplicated(["county", "industry"]).any()
    solution = json.loads((run / "layout" / "solution.json").read_text())
    assert solution["status"] == "optimal"


def test_balance_frontier_is_monotone(run):
    frontier = pd.read_csv(run / "layout" / "balance_frontier.csv")
    feasible = frontier[frontier["status"] == "optimal"].sort_values("balance_share")
    assert len(feasible) >= 2
    # a tighter balance constraint can never raise the optimum
    assert feasible["objective"].is_monotonic_decreasing
    assert (feasible["n_fringe"] >= feasible["balance_share"] * feasible["n_towns"] - 1e-9).all()


def test_sites_and_designs(run, scenario):
    code = scenario.region.focus_counties[0]
    folder = run / "counties" / code
    layers = {name for name, _ in pyogrio.list_layers(folder / "sites.gpkg")}
    assert layers == {"candidate_sites", "chosen_sites"}
    chosen = pyogrio.read_dataframe(folder / "sites.gpkg", layer="chosen_sites")
    assert len(chosen) == scenario.layout.towns_per_focus_county
    assert chosen.crs.is_projected
    area = chosen.geometry.area / 1e6
    assert ((area >= 1.0 - 1e-6) & (area <= 5.0 + 1e-6)).all()
    centroids = chosen.geometry.centroid
    gaps = [a.distance(b) for i, a in enumerate(centroids) for b in centroids[i + 1 :]]
    assert min(gaps) >= scenario.layout.min_spacing_km * 1000 - 1e-6
    designs = pd.read_csv(folder / "designs.csv")
    designed = designs[designs["status"] != "infeasible"]
    assert (designed["hard_checks_failed"] == "none").all()
    for site in designed["site"]:
        checks = pd.read_csv(folder / "towns" / site / "checks.csv")
        assert checks.loc[checks["hard"], "passed"].all()


def test_simulation_outputs_and_comparisons(run, scenario):
    sim = run / "simulate"
    for programme in ("programme", "suburbs_only", "no_towns"):
        ind = pd.read_csv(sim / programme / "indicators.csv")
        years = scenario.simulate.years
        assert ind["year"].max() == scenario.simulate.start_year + years
        assert {"income_ratio", "theil", "town_jobs"} <= set(ind["indicator"])
    none = pd.read_csv(sim / "no_towns" / "indicators.csv")
    assert (none.loc[none["indicator"] == "town_jobs", "p95"] == 0).all()
    comparison = pd.read_csv(sim / "compare_balanced_vs_suburbs_only" / "comparison.csv")
    assert len(comparison) > 0


def test_report_has_every_stage(run):
    html = (run / "report.html").read_text(encoding="utf-8")
    for section in (
        "overview",
        "region",
        "assess",
        "position",
        "layout",
        "county-330523",
        "simulate",
    ):
        assert f'id="{section}"' in html
    assert "安吉县" in html
    scenario_copy = tomllib.loads((run / "scenario.toml").read_text(encoding="utf-8"))
    assert scenario_copy["seed"] == 7
