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
    towns = pd.read_csv(run / "layout" / "province_towns.csv", dtype={"county": str})
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
    province = pd.read_csv(run / "layout" / "province_towns.csv", dtype={"county": str})
    siting = pd.read_csv(folder / "siting.csv", keep_default_na=False)
    # one decision per town the province chose for the county, and a site for every kept one
    assert sorted(siting["town_id"]) == sorted(province.loc[province["county"] == code, "town_id"])
    assert len(chosen) == int((siting["decision"] != "dropped").sum()) >= 1
    assert set(chosen["town_id"]) == set(siting.loc[siting["decision"] != "dropped", "town_id"])
    assert chosen.crs.is_projected
    area = chosen.geometry.area / 1e6
    assert ((area >= 1.0 - 1e-6) & (area <= 5.0 + 1e-6)).all()
    centroids = chosen.geometry.centroid
    gaps = [a.distance(b) for i, a in enumerate(centroids) for b in centroids[i + 1 :]]
    assert not gaps or min(gaps) >= scenario.layout.min_spacing_km * 1000 - 1e-6
    designs = pd.read_csv(folder / "designs.csv")
    designed = designs[designs["status"] != "infeasible"]
    assert (designed["hard_checks_failed"] == "none").all()
    for site in designed["site"]:
        checks = pd.read_csv(folder / "towns" / site / "checks.csv")
        assert checks.loc[checks["hard"], "passed"].all()


def test_one_plan_from_province_to_town_to_simulation(run, scenario):
    """The issue's definition of one plan: the three scales tell one story."""
    towns = pd.read_csv(run / "towns.csv", dtype={"adcode": str}, keep_default_na=False)
    province = pd.read_csv(run / "layout" / "province_towns.csv", dtype={"county": str})
    dropped = set()
    for code in scenario.region.focus_counties:
        siting = pd.read_csv(run / "counties" / code / "siting.csv", keep_default_na=False)
        dropped |= set(siting.loc[siting["decision"] == "dropped", "town_id"])
    # towns.csv = the province's towns less the dropped ones, in the province's order
    assert list(towns["town_id"]) == [t for t in province["town_id"] if t not in dropped]
    assert (
        towns.set_index("town_id")["industry"]
        == province.set_index("town_id")["industry"].loc[towns["town_id"]]
    ).all()
    # every focus-county town is designed, with the same industry, in its own design folder
    focus = towns[towns["adcode"].isin(scenario.region.focus_counties)]
    assert len(focus) >= 1
    assert (focus["source"] == "designed").all()
    assert (
        towns.loc[~towns["adcode"].isin(scenario.region.focus_counties), "source"] == "profile"
    ).all()
    for town in focus.itertuples():
        folder = run / "counties" / town.adcode / "towns" / town.site_id
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert summary["town_id"] == town.town_id
        assert summary["industry"] == town.industry
        metrics = pd.read_csv(folder / "metrics.csv").set_index("metric")["value"]
        assert town.residents_designed == pytest.approx(metrics["residents"], rel=1e-5)
        assert town.jobs_designed == pytest.approx(metrics["jobs"], rel=1e-5)
        assert town.construction_km2 == pytest.approx(metrics["construction_km2"], rel=1e-5)
    # the simulation's towns are exactly the rows of towns.csv, with the designed numbers
    sim = json.loads((run / "simulate" / "programme" / "simulation.json").read_text("utf-8"))
    simulated = pd.DataFrame(sim["towns"])
    assert list(simulated["town_id"]) == list(towns["town_id"])
    assert list(simulated["industry"]) == list(towns["industry"])
    assert simulated["investment_yuan"].to_numpy() == pytest.approx(
        towns["investment_bn_yuan"].to_numpy() * 1e9
    )
    assert simulated["jobs_designed"].to_numpy() == pytest.approx(towns["jobs_designed"].to_numpy())
    assert simulated["residents_designed"].to_numpy() == pytest.approx(
        towns["residents_designed"].to_numpy()
    )
    end = scenario.simulate.start_year + scenario.simulate.years
    for column in (f"residents_{end}", f"jobs_{end}", f"tax_bn_yuan_{end}"):
        assert column in towns.columns
        assert (towns[column] >= 0).all()
    per_town = pd.read_csv(run / "simulate" / "programme" / "towns.csv")
    last = per_town[per_town["year"] == end].set_index("town_id")
    assert towns.set_index("town_id")[f"jobs_{end}"].to_numpy() == pytest.approx(
        last.loc[towns["town_id"], "jobs"].to_numpy(), rel=1e-5
    )
    layers = {name for name, _ in pyogrio.list_layers(run / "towns.gpkg")}
    assert layers == {"towns"}
    points = pyogrio.read_dataframe(run / "towns.gpkg", layer="towns")
    assert list(points["town_id"]) == list(towns["town_id"])


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
        "county-330521",
        "simulate",
    ):
        assert f'id="{section}"' in html
    assert "德清县" in html
    scenario_copy = tomllib.loads((run / "scenario.toml").read_text(encoding="utf-8"))
    assert scenario_copy["seed"] == 7


def test_one_name_one_meaning_for_the_two_balance_shares():
    """The province's less-developed share and the county's fringe share are two keys."""
    from xiaozhen.plan import layout_rules, siting_rules
    from xiaozhen.scenario import Scenario

    scenario = Scenario.model_validate(
        {"layout": {"balance_share": 0.45, "county_fringe_share": 0.2}}
    )
    assert layout_rules(scenario).balance_share == 0.45
    assert siting_rules(scenario).fringe_share == 0.2
    focus = Scenario.model_validate(
        {"region": {"focus_counties": ["330523", "330127"]},
         "layout": {"min_towns_per_focus_county": 1}}
    )  # fmt: skip
    assert dict(layout_rules(focus).county_min) == {"330523": 1, "330127": 1}
