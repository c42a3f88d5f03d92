"""Industry positioning: hand-worked fit, uniqueness rule, explanations, county and site tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.assess.conftest import make_grid

from xiaozhen.assess import sites_from_suitability, suitability_from_layers
from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.position import (
    INDUSTRY_DRIVERS,
    position_counties,
    position_sites,
    positioning_from_drivers,
    write_positioning,
)
from xiaozhen.region import load_counties

W = {"a": {"x": 1.0}, "b": {"x": 0.5, "y": 0.5}}


def test_hand_worked_fit_and_penalty() -> None:
    # percentiles of x = (1, 2, 3) -> (1/3, 2/3, 1); y = (3, 1, 2) -> (1, 1/3, 2/3)
    # fit a = q_x = (.333, .667, 1); fit b = (q_x + q_y)/2 = (.667, .5, .833)
    drivers = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [3.0, 1.0, 2.0]}, index=["u", "v", "w"])
    none = [np.array([], dtype=np.int64)] * 3
    res = positioning_from_drivers(drivers, none, weights=W, penalty=0.5)
    np.testing.assert_allclose(res.fit["a"], [1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(res.fit["b"], [2 / 3, 0.5, 5 / 6])
    assert list(res.table["best_industry"]) == ["b", "a", "a"]
    # all neighbours: order by best fit = w (1.0), u (.667), v (.667, stable order after u)
    # w takes a; u: a .333-.5, b .667 -> b; v: a .667-.5=.167, b .5-.5=0 -> a (penalised but best)
    full = [np.array([1, 2]), np.array([0, 2]), np.array([0, 1])]
    res2 = positioning_from_drivers(drivers, full, weights=W, penalty=0.5)
    assert list(res2.table["best_industry"]) == ["b", "a", "a"]
    np.testing.assert_allclose(res2.table.loc["v", "adjusted_score"], 2 / 3 - 0.5)
    # the penalty counts neighbours already holding the industry: v has one with 'a' (w)
    assert res2.table.loc["v", "neighbours_same"] == 1


def test_uniqueness_moves_a_neighbour() -> None:
    # two identical neighbours: without penalty both take 'a'; with it the second takes 'b'
    drivers = pd.DataFrame({"x": [5.0, 5.0, 1.0], "y": [1.0, 1.0, 1.0]}, index=["p", "q", "r"])
    w = {"a": {"x": 1.0}, "b": {"x": 0.8, "y": 0.2}}
    nb = [np.array([1]), np.array([0]), np.array([], dtype=np.int64)]
    assert list(
        positioning_from_drivers(drivers, nb, weights=w, penalty=0).table.best_industry[:2]
    ) == ["a", "a"]
    res = positioning_from_drivers(drivers, nb, weights=w, penalty=0.3)
    assert sorted(res.table.best_industry[:2]) == ["a", "b"]
    moved = res.table[res.table.best_industry == "b"].iloc[0]
    assert moved.raw_best == "a"
    assert "taken by a neighbour" in moved.drivers


def test_counties_positioning_real(tmp_path) -> None:  # type: ignore[no-untyped-def]
    counties = load_counties()
    res = position_counties(counties)
    t = res.table
    assert len(t) == 90
    assert {f"fit_{k}" for k in INDUSTRY_DRIVERS} <= set(t.columns)
    assert (t["score"] >= t["runner_up_score"] - 1.0).all()
    assert (t["best_industry"] != t["runner_up"]).all()
    # recompute one fit by hand from percentile ranks of the drivers
    digital = sum(w * res.percentiles[d] for d, w in INDUSTRY_DRIVERS["digital"].items())
    np.testing.assert_allclose(t["fit_digital"], digital, atol=1e-12)

    # the uniqueness rule reduces same-industry adjacent pairs compared with no penalty
    def pairs(table: pd.DataFrame) -> int:
        from xiaozhen.position import county_neighbours

        nb = county_neighbours(counties)
        lab = table["best_industry"].to_numpy()
        return sum(int((lab[n] == lab[i]).sum()) for i, n in enumerate(nb))

    assert pairs(t) < pairs(position_counties(counties, penalty=0).table)
    assert t["best_industry"].nunique() >= 6
    assert t["drivers"].str.contains(r" p\d+ ").all()
    path = write_positioning(res, tmp_path / "positioning.csv")
    back = pd.read_csv(path, dtype={"adcode": str})
    assert back.columns[0] == "adcode"
    assert len(back) == 90


def test_sites_positioning() -> None:
    counties = load_counties()
    grid = make_grid()
    suit = suitability_from_layers(grid)
    sites = sites_from_suitability(grid, suit, county="330127")
    res = position_sites(sites, counties, radius_km=5)
    assert len(res.table) == len(sites)
    assert res.table.index.equals(sites.index)
    with pytest.raises(InputDataError, match="not in the counties frame"):
        position_sites(sites.assign(county="999999"), counties)


def test_bad_inputs() -> None:
    drivers = pd.DataFrame({"x": [1.0, np.nan], "y": [1.0, 2.0]})
    nb = [np.array([], dtype=np.int64)] * 2
    with pytest.raises(InputDataError, match="NaN"):
        positioning_from_drivers(drivers, nb, weights=W)
    ok = drivers.fillna(0)
    with pytest.raises(ConfigError, match="sum to 1"):
        positioning_from_drivers(ok, nb, weights={"a": {"x": 0.7}})
    with pytest.raises(ConfigError, match="unknown drivers"):
        positioning_from_drivers(ok, nb, weights={"a": {"gdp": 1.0}})
    with pytest.raises(InputDataError, match="one per unit"):
        positioning_from_drivers(ok, nb[:1], weights=W)


def test_site_county_drivers_keep_their_province_percentile() -> None:
    counties = load_counties()
    grid = make_grid()
    suit = suitability_from_layers(grid)
    sites = sites_from_suitability(grid, suit, county="330782")
    res = position_sites(sites, counties, radius_km=5)
    county_q = counties["lq_wholesale_retail_2020"].rank(pct=True)
    np.testing.assert_allclose(res.percentiles["lq_commerce"], county_q.loc["330782"])
    assert res.percentiles["forest"].nunique() > 1  # ranked among the sites
