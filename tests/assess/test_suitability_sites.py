"""Suitability overlay and candidate sites on a seeded county grid; each rule checked on output."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import rasterio
from pymcdm.methods import WSM
from pymcdm.normalizations import minmax_normalization
from scipy import ndimage
from tests.assess.conftest import make_grid, make_layers

from xiaozhen.assess import (
    CONSTRAINT_BITS,
    SiteRules,
    sites_from_suitability,
    suitability_from_layers,
    write_suitability_geotiff,
)
from xiaozhen.errors import ConfigError, InputDataError


def test_constraints_zero_suitability_and_match_layers(county_grid) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    s = res.suitability.values
    valid = county_grid.mask
    assert np.isnan(s[~valid]).all()
    assert np.isfinite(s[valid]).all()
    code = res.constraints.values
    lay = county_grid.layers
    for name in ("water", "eco_redline", "basic_farmland"):
        bit = CONSTRAINT_BITS[name]
        np.testing.assert_array_equal((code & bit) > 0, lay[name].values & valid)
    np.testing.assert_array_equal(
        (code & CONSTRAINT_BITS["steep_slope"]) > 0, (lay["slope_pct"].values > 25) & valid
    )
    assert ((code & CONSTRAINT_BITS["urban_core"]) > 0).sum() > 0
    assert (s[valid & (code > 0)] == 0).all()
    assert (s[valid & (code == 0)] >= 0).all()
    assert (s[valid] <= 1).all()


def test_overlay_equals_pymcdm_wsm_on_county_cells(county_grid) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    valid = county_grid.mask
    names = list(res.weights.index)
    table = np.column_stack([res.raw[n].values[valid].astype(np.float64) for n in names])
    types = np.array([1 if res.directions[n] == "benefit" else -1 for n in names])
    expected = WSM(minmax_normalization)(table, res.weights.to_numpy(), types)
    free = res.constraints.values[valid] == 0
    np.testing.assert_allclose(res.suitability.values[valid][free], expected[free], atol=1e-5)


def test_road_distance_is_euclidean_and_reach_is_box_sum(county_grid) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    roads = county_grid.layers["road_class"].values > 0
    d = res.raw["road_distance_m"].values
    assert (d[roads] == 0).all()
    # a cell 7 rows from the horizontal road and far from vertical ones is 700 m away
    iy, _ix = np.nonzero(roads)
    r0 = int(np.bincount(iy).argmax())
    col = 5
    assert d[r0 + 7, col] == pytest.approx(700.0)
    pop = county_grid.layers["population"].values.astype(np.float64)
    side = round(np.sqrt(np.pi) * 5000 / 100) | 1
    i, j = 60, 70
    h = side // 2
    assert res.raw["population_reach"].values[i, j] == pytest.approx(
        pop[i - h : i + h + 1, j - h : j + h + 1].sum(), rel=1e-4
    )


def test_missing_travel_time_uses_documented_proxy(county_grid) -> None:  # type: ignore[no-untyped-def]
    layers = county_grid.layers.drop_vars(["tt_county_seat_min", "tt_prefecture_min"])
    grid = dataclasses.replace(county_grid, layers=layers)
    res = suitability_from_layers(grid)
    assert any("straight-line distance to the county_seat" in n for n in res.notes)
    assert any("tt_prefecture_min: no layer" in n for n in res.notes)
    assert "tt_prefecture_min" not in res.weights.index
    assert res.weights.sum() == pytest.approx(1.0)
    seat = grid.settlements[grid.settlements.kind == "county_seat"].geometry.iloc[0]
    tt = res.raw["tt_county_seat_min"]
    near = tt.sel(x=seat.x, y=seat.y, method="nearest").item()
    assert near == pytest.approx(0.0, abs=1e-3)


def test_dataset_input_and_entropy_weights() -> None:
    layers = make_layers(60, 70)
    res = suitability_from_layers(layers, weights="entropy")
    assert res.weights_method == "entropy"
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.valid.all()


def test_bad_grid_inputs(county_grid) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputDataError, match=r"missing layers \['water'\]"):
        suitability_from_layers(county_grid.layers.drop_vars("water"))
    bad = county_grid.layers.copy()
    bad["slope_pct"] = bad["slope_pct"].where(bad["x"] != bad["x"][70])
    with pytest.raises(InputDataError, match=r"NaN inside the county in \{'slope_pct'"):
        suitability_from_layers(dataclasses.replace(county_grid, layers=bad))
    with pytest.raises(ConfigError, match="unknown factors"):
        suitability_from_layers(county_grid, weights={"gdp": 1.0})


def test_geotiff_roundtrip_and_byte_identical(county_grid, tmp_path) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    a = write_suitability_geotiff(res, tmp_path / "a.tif")
    b = write_suitability_geotiff(res, tmp_path / "b.tif")
    assert a.read_bytes() == b.read_bytes()
    with rasterio.open(a) as src:
        assert src.count == 2
        np.testing.assert_array_equal(src.read(1), res.suitability.values)
        assert src.transform == county_grid.transform
        assert src.crs.is_projected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tif", "b.tif"]  # no temp files left


# ------------------------------------------------------------------------------ sites


def _window_of(site, grid):  # type: ignore[no-untyped-def]
    """Rows/cols of the grid cells whose centres lie in the site's bounding box."""
    x = grid.layers["x"].values
    y = grid.layers["y"].values
    x0, y0, x1, y1 = site.geometry.bounds
    cols = np.flatnonzero((x > x0) & (x < x1))
    rows = np.flatnonzero((y > y0) & (y < y1))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def test_every_site_meets_every_rule_independently(county_grid) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    rules = SiteRules()
    sites = sites_from_suitability(county_grid, res, rules=rules, county="339999")
    assert len(sites) >= 5
    lay = county_grid.layers
    valid = county_grid.mask
    cell_km2 = 0.01
    dev = res.raw["developable"].values
    for _, site in sites.iterrows():
        r, c = _window_of(site, county_grid)
        v = valid[r, c]
        area = v.sum() * cell_km2
        assert rules.min_area_km2 <= area <= rules.max_area_km2
        assert site.area_km2 == pytest.approx(area)
        assert site.geometry.area / 1e6 == pytest.approx(area, rel=0.15)
        assert dev[r, c].sum() * cell_km2 >= rules.min_developable_km2
        farm = (lay["basic_farmland"].values[r, c] & v).sum() * cell_km2
        assert farm <= rules.max_farmland_share * area + 1e-9
        red = (lay["eco_redline"].values[r, c] & v).sum() * cell_km2
        assert red <= rules.max_redline_share * area + 1e-9
        core = res.raw["urban_core"].values[r, c].sum() * cell_km2
        assert core <= rules.max_urban_core_share * area + 1e-9
        idle = (lay["idle_construction"].values[r, c] & dev[r, c]).sum() * cell_km2
        assert site.idle_reused_km2 == pytest.approx(min(idle, rules.target_construction_km2))
        tt = lay["tt_county_seat_min"].values[r, c][v].mean()
        assert site.tt_county_seat_min == pytest.approx(tt, rel=1e-5)
        assert site.fringe == (10 <= tt <= 40 and core == 0)
        assert site.suitability == pytest.approx(np.nanmean(res.suitability.values[r, c]), rel=1e-5)
    # no two sites overlap
    geoms = sites.geometry.to_numpy()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert geoms[i].intersection(geoms[j]).area < 1e-6
    assert sites["suitability"].is_monotonic_decreasing
    assert sites.index[0] == "339999-0001"


def test_each_rule_binds_when_tightened(county_grid) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    base = sites_from_suitability(county_grid, res)
    strict_farm = sites_from_suitability(county_grid, res, rules=SiteRules(max_farmland_share=0.0))
    assert (strict_farm.farmland_km2 == 0).all()
    assert (base.farmland_km2 > 0).any()
    strict_dev = sites_from_suitability(county_grid, res, rules=SiteRules(min_developable_km2=2.85))
    assert (strict_dev.developable_km2 >= 2.85).all()
    assert len(strict_dev) < len(base)


def test_population_and_villages_nearby(county_grid) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    sites = sites_from_suitability(county_grid, res, rules=SiteRules(village_radius_m=4000))
    site = sites.iloc[0]
    c = site.geometry.centroid
    v = county_grid.settlements[county_grid.settlements.kind == "village"]
    expected = int((np.hypot(v.geometry.x - c.x, v.geometry.y - c.y) <= 4000).sum())
    assert abs(site.villages_nearby - expected) <= 1  # centroid of a clipped polygon may shift
    assert (sites.pop_30min >= sites.pop_15min).all()


def test_site_size_outside_limits_is_an_error(county_grid) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    with pytest.raises(ConfigError, match=r"target_area_km2 = 6 km² is outside 1.0–5.0"):
        sites_from_suitability(county_grid, res, rules=SiteRules(target_area_km2=6))
    with pytest.raises(ConfigError, match=r"min_area_km2 = 0\.5"):
        sites_from_suitability(county_grid, res, rules=SiteRules(min_area_km2=0.5))


def test_tiny_grid_is_an_error() -> None:
    grid = make_grid(10, 10)
    res = suitability_from_layers(grid)
    with pytest.raises(InputDataError, match="smaller than one site"):
        sites_from_suitability(grid, res)


def test_urban_core_definition(county_grid) -> None:  # type: ignore[no-untyped-def]
    res = suitability_from_layers(county_grid)
    built = county_grid.layers["built_up"].values
    share = ndimage.uniform_filter(built.astype(np.float32), size=11, mode="constant")
    np.testing.assert_array_equal(
        res.raw["urban_core"].values, built & (share >= 0.5) & county_grid.mask
    )
