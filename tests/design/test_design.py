"""End-to-end design: MILP optimum, heuristic, infeasibility, determinism, parallel runs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from tests.design.conftest import make_layers, site_box

from xiaozhen.design import (
    DesignRules,
    Infeasible,
    TownLayout,
    Use,
    check_layout,
    design_town,
    design_towns,
    try_design_town,
)
from xiaozhen.design._model import build_problem, evaluate_objective
from xiaozhen.design._site import site_grid_from_layers
from xiaozhen.errors import CRSError, InfeasibleError, InputDataError

SMALL = DesignRules(
    cell_size_m=100.0,
    construction_min_km2=0.2,
    construction_target_km2=0.25,
    construction_max_km2=0.25,
    time_limit_s=60,
)


@pytest.fixture(scope="module")
def county() -> xr.Dataset:
    return make_layers(30, 30, 100.0)


@pytest.fixture(scope="module")
def milp_and_heuristic(county: xr.Dataset) -> tuple[TownLayout, TownLayout]:
    site = site_box(county, 1, 10, 9, 18)  # 8 x 8 cells of 100 m, half cropland, half forest
    exact = design_town(county, site, SMALL, method="milp")
    heur = design_town(county, site, SMALL, method="heuristic", seed=1)
    return exact, heur


def test_milp_is_optimal_and_feasible(milp_and_heuristic: tuple[TownLayout, TownLayout]) -> None:
    exact, _ = milp_and_heuristic
    assert exact.method == "milp"
    assert exact.status == "Optimal"
    assert exact.feasible
    assert exact.bound == pytest.approx(exact.objective, rel=1e-6)
    # the solver's objective equals the independent evaluation of the returned layout
    problem = build_problem(exact.site, SMALL)
    assert not isinstance(problem, Infeasible)
    flat = exact.use.astype(np.int64).ravel()[problem.cells]
    assert evaluate_objective(problem, flat)["total"] == pytest.approx(exact.objective)


def test_heuristic_feasible_and_not_better_than_optimum(
    milp_and_heuristic: tuple[TownLayout, TownLayout],
) -> None:
    exact, heur = milp_and_heuristic
    assert heur.method == "heuristic"
    assert heur.feasible, [c for c in heur.checks if c.hard and not c.passed]
    assert heur.objective >= exact.objective - 1e-6
    assert heur.bound <= exact.objective + 1e-6  # the heuristic's bound is a valid lower bound
    assert heur.objective <= 1.5 * exact.objective  # and it is not far off on this site


def test_programme_and_conservation(milp_and_heuristic: tuple[TownLayout, TownLayout]) -> None:
    for lay in milp_and_heuristic:
        m = lay.metrics
        uses_km2 = sum(v for k, v in m.items() if k.startswith("area_"))
        assert uses_km2 == pytest.approx(m["site_area_km2"])  # land neither appears nor vanishes
        ple_km2 = m["ple_production_km2"] + m["ple_living_km2"] + m["ple_ecological_km2"]
        assert ple_km2 == pytest.approx(m["site_area_km2"])
        assert m["construction_km2"] == pytest.approx(0.25)
        assert m["residential_share"] <= 0.30
        assert m["residents"] == pytest.approx(6 * 1.0 * 200)  # 6 ha of housing at 200 / ha
        assert m["investment_yuan"] == pytest.approx(0.25e6 / (2000 / 3) * 2e6)
        for key in ("school", "clinic", "elderly", "culture", "market", "transit"):
            assert m[f"{key}_coverage_pct"] == pytest.approx(100.0)
            assert 0 <= m[f"{key}_coverage_pct"] <= 100
        # water and forest kept, PLE of each use as documented
        assert np.all(lay.ple[lay.use == Use.RESIDENTIAL] == 2)
        assert np.all(lay.ple[lay.use == Use.ROAD] == 1)
        assert np.all(lay.ple[lay.use == Use.SCHOOL] == 2)


def test_heuristic_is_deterministic(county: xr.Dataset) -> None:
    site = site_box(county, 1, 10, 9, 18)
    a = design_town(county, site, SMALL, method="heuristic", seed=7)
    b = design_town(county, site, SMALL, method="heuristic", seed=7)
    assert np.array_equal(a.use, b.use)
    assert a.objective == b.objective


def test_redline_infeasibility_is_explained() -> None:
    ds = make_layers(30, 30, 100.0)
    red = np.zeros((30, 30), dtype=bool)
    red[0:30, 0:30] = True
    red[1:4, 10:18] = False  # 24 cells free = 0.24 km² < 0.5
    ds["eco_redline"] = (("y", "x"), red)
    site = site_box(ds, 1, 10, 11, 18)  # 0.8 km²
    rules = DesignRules(cell_size_m=100.0)
    out = try_design_town(ds, site, rules, site_id="A")
    assert isinstance(out, Infeasible)
    assert out.constraint == "construction_area_min"
    assert out.available == pytest.approx(0.24)
    assert out.required == pytest.approx(0.5)
    assert "the ecological red line covers 70%" in out.message
    with pytest.raises(
        InfeasibleError, match=r"leaving 0\.24 km² of developable land; at least 0\.5"
    ):
        design_town(ds, site, rules, site_id="A")


def test_slope_infeasibility_is_explained() -> None:
    ds = make_layers(30, 30, 100.0, slope=15.0)
    site = site_box(ds, 1, 5, 15, 20)
    out = try_design_town(ds, site, DesignRules(cell_size_m=100.0))
    assert isinstance(out, Infeasible)
    assert out.constraint.startswith("slope_")
    assert "≤ 10 %" in out.message


def test_pollution_buffer_respected(county: xr.Dataset) -> None:
    rules = SMALL.model_copy(update={"polluting_industry": True, "pollution_buffer_m": 150.0})
    site = site_box(county, 1, 8, 11, 18)
    for method in ("heuristic",):
        lay = design_town(county, site, rules, method=method)  # type: ignore[arg-type]
        assert lay.check("pollution_buffer").passed
        assert lay.check("pollution_buffer").value > 150.0


def test_river_splitting_site_is_served_on_both_sides() -> None:
    ds = make_layers(40, 40, 50.0)
    water = np.zeros((40, 40), dtype=bool)
    water[:, 20] = True
    ds["water"] = (("y", "x"), water)
    site = site_box(ds, 3, 8, 27, 32)  # 1.2 km x 1.2 km, river down the middle
    rules = DesignRules(cell_size_m=50.0, construction_max_km2=0.6, walk_max_m=500.0)
    lay = design_town(ds, site, rules, method="heuristic")
    assert lay.feasible
    again = check_layout(lay.use, lay.site, rules)
    assert all(c.passed for c in again if c.name.startswith("walk_"))
    assert np.all(lay.use[lay.site.water] == Use.WATER)


def test_design_towns_parallel_equals_serial(county: xr.Dataset) -> None:
    sites = gpd.GeoDataFrame(
        {"county": ["x", "x", "x"]},
        geometry=[
            site_box(county, 1, 10, 9, 18),
            site_box(county, 12, 2, 20, 10),
            site_box(county, 25, 25, 27, 27),
        ],
        index=["a", "b", "tiny"],
        crs=county.attrs["crs"],
    )
    rules = SMALL.model_copy(update={"milp_max_cells": 0})
    serial = design_towns(county, sites, rules, seed=3)
    parallel = design_towns(county, sites, rules, seed=3, workers=2)
    assert isinstance(serial[2], Infeasible)
    assert isinstance(parallel[2], Infeasible)
    for s, p in zip(serial[:2], parallel[:2], strict=True):
        assert isinstance(s, TownLayout)
        assert isinstance(p, TownLayout)
        assert np.array_equal(s.use, p.use)


def test_bad_inputs(county: xr.Dataset) -> None:
    site = site_box(county, 1, 10, 9, 18)
    with pytest.raises(CRSError, match="geographic"):
        try_design_town(county, site, SMALL, crs="EPSG:4326")
    with pytest.raises(InputDataError, match=r"layers \['water'\] are missing"):
        try_design_town(county.drop_vars("water"), site, SMALL)
    far = site_box(county, 25, 25, 35, 35)
    with pytest.raises(InputDataError, match="outside the county grid"):
        site_grid_from_layers(county, far, cell_size_m=100.0)
    with pytest.raises(ValueError, match="residential_share_target"):
        DesignRules(residential_share_target=0.35)
