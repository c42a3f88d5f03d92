"""Synthetic county: conditioned on the bundled facts, seeded, self-describing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.region import load_counties
from xiaozhen.region.classes import group_shares
from xiaozhen.region.grid import CountyGrid
from xiaozhen.region.synth import largest_remainder, synth_county

# a mountain county, a plain/coastal county with much water, a mixed county
COUNTIES = ("330127", "330424", "330683")


@pytest.fixture(scope="module")
def counties():
    return load_counties()


@pytest.mark.parametrize("adcode", COUNTIES)
def test_totals_match_bundled_facts(adcode: str, counties) -> None:
    grid = synth_county(adcode, seed=7, travel=False)
    row = counties.loc[adcode]
    inside = grid.mask
    cell_km2 = grid.cell_size_m**2 / 1e6
    # area: the real polygon; its cells within 0.5 %
    assert grid.boundary.area / 1e6 == pytest.approx(row["area_km2"], rel=1e-9)
    assert inside.sum() * cell_km2 == pytest.approx(row["area_km2"], rel=0.005)
    # population: urban and rural exactly (whole persons), in the settlements and the raster
    s = grid.settlements
    urban = s.loc[s["kind"].isin(["county_seat", "township"]), "population"].sum()
    rural = s.loc[s["kind"] == "village", "population"].sum()
    assert urban == round(row["urban_pop_2020"])
    assert rural == round(row["rural_pop_2020"])
    pop = grid.layers["population"].values.astype(np.float64)
    assert pop.sum() == urban + rural
    assert pop[~inside].sum() == 0
    # land cover shares within 5 points (in fact to one cell)
    shares = group_shares(grid.layers["landcover"].values, "esa_worldcover", mask=inside, nodata=-1)
    for key, got in shares.items():
        assert abs(got - row[key]) < 0.05, key
        assert abs(got - row[key]) <= 1.0 / inside.sum() + 1e-12, key


def test_same_seed_same_arrays_other_seed_differs() -> None:
    a = synth_county("330683", seed=3, travel=False)
    b = synth_county("330683", seed=3, travel=False)
    c = synth_county("330683", seed=4, travel=False)
    for name in a.layers.data_vars:
        np.testing.assert_array_equal(a.layers[name].values, b.layers[name].values)
    assert not np.array_equal(a.layers["elevation_m"].values, c.layers["elevation_m"].values)


def test_every_output_says_synthetic(tmp_path: Path) -> None:
    grid = synth_county("330424", seed=1)
    assert grid.synthetic
    assert grid.metadata["synthetic"] is True
    for name in grid.layers.data_vars:
        assert grid.sources[name].startswith(("synthetic", "travel time")), name
    back = CountyGrid.load(grid.save(tmp_path / "g"))
    assert back.synthetic
    assert back.metadata["seed"] == 1


def test_structure_is_plausible() -> None:
    grid = synth_county("330683", seed=11)
    L = {k: grid.layers[k].values for k in grid.layers.data_vars}
    inside = grid.mask
    # control lines: farmland is flat cropland outside the urban boundary; red line off built-up
    assert (L["landcover"][L["basic_farmland"]] == 40).all()
    assert (L["slope_pct"][L["basic_farmland"]] < 8).all()
    assert not (L["basic_farmland"] & L["urban_boundary"]).any()
    assert not (L["eco_redline"] & L["built_up"]).any()
    assert (L["built_up"][L["idle_construction"]]).all()
    # cropland is flatter than forest; the seat is reached fastest
    assert np.median(L["slope_pct"][L["landcover"] == 40]) < np.median(
        L["slope_pct"][L["landcover"] == 10]
    )
    tt = L["tt_county_seat_min"]
    assert np.isfinite(tt[inside & ~L["water"]]).mean() > 0.99
    seat = grid.settlements.query("kind == 'county_seat'").geometry.iloc[0]
    t = grid.transform
    assert tt[int((seat.y - t.f) / t.e), int((seat.x - t.c) / t.a)] < 1.0
    # every township and village lies on the road network
    pts = grid.settlements.query("kind in ['township', 'village']").geometry
    cols = ((pts.x - t.c) / t.a).astype(int)
    rows = ((pts.y - t.f) / t.e).astype(int)
    assert (L["road_class"][rows, cols] > 0).all()
    assert (L["tt_nearest_settlement_min"][inside] <= tt[inside] + 1e-3).all()


def test_largest_remainder_exact() -> None:
    out = largest_remainder(10, [1, 1, 1])
    assert out.sum() == 10
    assert sorted(out.tolist()) == [3, 3, 4]
    assert largest_remainder(7, [0, 2, 0]).tolist() == [0, 7, 0]
    with pytest.raises(InputDataError, match="positive sum"):
        largest_remainder(5, [0, 0])


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match=r"adcode '999999' is not a bundled Zhejiang county"):
        synth_county("999999", seed=1)
    with pytest.raises(ConfigError, match="seed: got -1"):
        synth_county("330424", seed=-1)
    with pytest.raises(InputDataError, match="cell_size_m: got 0"):
        synth_county("330424", seed=1, cell_size_m=0)
