"""The county stage of one plan: the province's towns are sited and designed, or say why not."""

from __future__ import annotations

import math

import pytest

from xiaozhen.assess import SiteRules
from xiaozhen.design import (
    CountyTown,
    DesignRules,
    SitingRules,
    plan_county,
    stand_in_profile,
)
from xiaozhen.layout import evaluate_planning
from xiaozhen.position import position_sites
from xiaozhen.region import load_counties, synth_county

CELADON = CountyTown("330523-classic_celadon", "classic_celadon", 3e9)
TOURISM = CountyTown("330523-tourism", "tourism", 3e9)


@pytest.fixture(scope="module")
def grid():
    return synth_county("330523", seed=1, cell_size_m=200.0)


@pytest.fixture(scope="module")
def counties():
    return load_counties()


def _rules(spacing_m: float = 5000.0) -> SitingRules:
    return SitingRules(
        site_rules=SiteRules(),
        site_radius_km=15.0,
        neighbour_penalty=0.15,
        coverage_radius_m=10_000.0,
        min_spacing_m=spacing_m,
        fringe_share=0.0,
        time_limit_s=30.0,
    )


@pytest.fixture(scope="module")
def two_towns(grid, counties):
    return plan_county(
        grid, counties, "330523", (CELADON, TOURISM), _rules(), DesignRules(), seed=3
    )


def test_every_town_keeps_the_province_industry_on_its_own_site(two_towns, counties):
    plan = two_towns
    assert [s.town_id for s in plan.sitings] == [CELADON.town_id, TOURISM.town_id]
    assert all(s.decision == "sited" for s in plan.sitings)
    assert list(plan.chosen["town_id"]) == [CELADON.town_id, TOURISM.town_id]
    assert list(plan.chosen["industry"]) == ["classic_celadon", "tourism"]
    assert plan.chosen.index.is_unique
    a, b = plan.chosen.geometry.centroid
    assert a.distance(b) >= 5000.0 - 1e-6
    for site_id, design in zip(plan.chosen.index, plan.designs, strict=True):
        assert design.site_id == site_id
        assert design.feasible
        assert plan.design_of(str(plan.chosen.loc[site_id, "town_id"])) is design
    # the fit shown for a town is its site's fit for the town's industry (not the site's own best)
    base = plan.sites.drop(columns=["best_industry", "site_best_fit", "runner_up", "drivers"])
    fit = position_sites(base, counties, radius_km=15.0, penalty=0.15).fit
    for site_id, row in plan.chosen.iterrows():
        assert row["fit"] == pytest.approx(fit.loc[site_id, row["industry"]], rel=1e-12)


def test_each_town_gets_the_best_site_for_its_industry_when_sites_do_not_compete(grid, counties):
    # one town alone: its site maximises the pair benefit plus coverage among all sites
    plan = plan_county(grid, counties, "330523", (TOURISM,), _rules(), DesignRules(), seed=3)
    assert plan.layout is not None
    problem, result = plan.layout.problem, plan.layout.result
    assert result.status == "optimal"
    best = max(evaluate_planning(problem, [j]).objective for j in range(problem.n_candidates))
    assert result.objective == pytest.approx(best, rel=1e-9)


def test_towns_that_do_not_fit_the_spacing_are_dropped_with_the_numbers(grid, counties):
    plan = plan_county(
        grid,
        counties,
        "330523",
        (CELADON, TOURISM),
        _rules(spacing_m=500_000.0),
        DesignRules(),
        seed=3,
    )
    decisions = {s.town_id: s for s in plan.sitings}
    assert sorted(s.decision for s in decisions.values()) == ["dropped", "sited"]
    dropped = next(s for s in decisions.values() if s.decision == "dropped")
    assert dropped.site_id is None
    assert "500 km spacing" in dropped.reason
    assert len(plan.chosen) == 1 == len(plan.designs)
    assert any("dropped" in w for w in plan.warnings)


def test_a_site_that_cannot_be_designed_is_substituted_or_the_town_dropped(grid, counties):
    # industry on slopes ≤ 4 % only: the first sites fail their design (CJJ 83-99 allows 10 %)
    rules = DesignRules(slope_max_industry_pct=4.0)
    plan = plan_county(grid, counties, "330523", (CELADON, TOURISM), _rules(), rules, seed=3)
    by_town = {s.town_id: s for s in plan.sitings}
    substituted = by_town[CELADON.town_id]
    assert substituted.decision == "substituted"
    assert substituted.site_id != substituted.first_site_id
    assert "slope" in substituted.reason
    assert f"substituted by site {substituted.site_id}" in substituted.reason
    dropped = by_town[TOURISM.town_id]
    assert dropped.decision == "dropped"
    assert "alternative site(s) tried, none could be designed" in dropped.reason
    assert list(plan.chosen.index) == [substituted.site_id]
    assert list(plan.chosen["industry"]) == ["classic_celadon"]
    assert all(d.feasible for d in plan.designs)
    # the failed first attempts are kept, with their reason
    failed_sites = {f.site_id for f in plan.failed}
    assert {substituted.first_site_id, dropped.first_site_id} <= failed_sites


def test_no_town_for_the_county_is_said(grid, counties):
    plan = plan_county(grid, counties, "330523", (), _rules(), DesignRules(), seed=3)
    assert plan.sitings == ()
    assert plan.designs == ()
    assert len(plan.chosen) == 0
    assert "placed no town" in plan.warnings[0]
    assert len(plan.sites) > 0


def test_stand_in_profile_by_hand():
    # 1 km² at 50 m cells = 400 cells: residential ⌊0.24·400⌋ = 96, support 40, roads 60, one
    # cell for each of the 10 services, industry 400 − 96 − 40 − 60 − 10 = 194 cells.
    p = stand_in_profile(DesignRules())
    assert p.construction_km2 == pytest.approx(1.0)
    assert p.residential_km2 == pytest.approx(96 * 2500 / 1e6)
    assert p.residents == pytest.approx(96 * 0.25 * 200)  # 4,800 at 200 per ha
    assert p.industry_km2 == pytest.approx(194 * 2500 / 1e6)
    assert p.jobs == pytest.approx(194 * 0.25 * 80 + 40 * 0.25 * 60 + 10 * 0.25 * 50)
    denser = stand_in_profile(DesignRules(residents_per_ha=300.0))
    assert denser.residents == pytest.approx(1.5 * p.residents)
    assert math.isclose(denser.construction_km2, p.construction_km2)
