"""Conservation of people, land and money in every year and draw, plus model mechanics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.simulate import (
    ModelParameters,
    PolicyPackage,
    programme_from_counties,
    simulate,
    synthetic_counties,
)
from xiaozhen.simulate._context import Kernel
from xiaozhen.simulate._zones import build_zones

PARAMS = ModelParameters()


@pytest.fixture(scope="module")
def run():
    counties = synthetic_counties(30, seed=3)
    towns = programme_from_counties(counties, layout="balanced", n_towns=12, start_year=2021)
    return simulate(counties, towns, params=PARAMS, years=12, draws=16, seed=7)


def test_people_balance_every_year(run):
    total = run.population.astype(float).sum(axis=(2, 3))  # (Y+1, D)
    expected = total[:-1] + run.external_inflow[1:]
    np.testing.assert_allclose(total[1:], expected, rtol=1e-5)  # float32 storage
    assert (run.population >= -1e-3).all()


def test_people_balance_exact_in_float64():
    counties = synthetic_counties(20, seed=5)
    towns = programme_from_counties(counties, n_towns=6)
    params = PARAMS.model_copy(update={"external_inflow_rate": 0.0})
    zones = build_zones(counties, towns, params=params)
    from xiaozhen.simulate.model import draw_parameters, run_zones

    drawn = draw_parameters(params, 4, np.random.default_rng(0))
    out = run_zones(
        zones,
        params,
        drawn,
        PolicyPackage(),
        start_year=2020,
        years=8,
        inflow_rate=np.zeros(8),
        draws=4,
        record=False,
    )
    tot = out.county_pop.sum(axis=2)
    np.testing.assert_allclose(tot, np.broadcast_to(tot[0], tot.shape), rtol=1e-12)


def test_land_balance_each_zone(run):
    area = run.land.sum(axis=2)  # (Y+1, D, Z)
    np.testing.assert_allclose(area, np.broadcast_to(run.zones.area_km2, area.shape), rtol=1e-12)
    assert (run.land >= -1e-12).all()
    # town construction land (a stock starting at 0) = cumulative idle reused + new quota used
    t = run.town
    np.testing.assert_allclose(
        t["construction"], np.cumsum(t["idle_reused"] + t["new_quota_used"], axis=0), atol=1e-12
    )


def test_control_lines_hold(run):
    zones = run.zones
    pol = run.policy
    farm0 = zones.land[:, 2]
    eco0 = zones.land[:, 3]
    assert (run.land[:, :, 2, :] >= pol.basic_farmland_share * farm0 - 1e-9).all()
    assert (run.land[:, :, 3, :] >= pol.eco_redline_share * eco0 - 1e-9).all()
    assert (run.town["construction"] <= pol.construction_cap_km2 + 1e-12).all()


def test_money_balance_each_town_year(run):
    t = run.town
    sources = t["public_budget"] + t["debt"] + t["private"] + t["fiscal_return_in"]
    uses = t["investment"] + t["service_spend"] + t["unspent"]
    np.testing.assert_allclose(sources, uses, rtol=1e-12, atol=1e-3)
    np.testing.assert_allclose(
        t["tax"], t["tax_county"] + t["tax_provincial_kept"] + t["tax_returned"], rtol=1e-12
    )
    # what the province returns in year k is reinvested in year k + 1
    np.testing.assert_allclose(t["fiscal_return_in"][2:], t["tax_returned"][1:-1], rtol=1e-12)


def test_fiscal_return_schedule_100_then_50_percent(run):
    t = run.town
    towns = run.zones.towns
    age = run.years[:, None] - towns["start_year"].to_numpy()[None, :]
    prov = t["tax"] * run.policy.provincial_tax_share
    share = np.where(age < 3, 1.0, np.where(age < 5, 0.5, 0.0))
    share = np.where(age >= 0, share, 0.0)
    np.testing.assert_allclose(t["tax_returned"][1:], (prov * share[:, None, :])[1:], rtol=1e-12)


def test_kernel_sum_equals_dense_matrix():
    counties = synthetic_counties(12, seed=2)
    towns = programme_from_counties(counties, n_towns=5)
    zones = build_zones(counties, towns, params=PARAMS)
    f = lambda d: np.exp(-2.0 - 1.3 * d / 100.0)  # noqa: E731
    kern = Kernel(zones, f)
    c = zones.county
    dense = f(zones.county_dist_km[c][:, c])
    same = c[:, None] == c[None, :]
    dense = np.where(same, f(zones.within_dist_km[c])[:, None], dense)
    np.fill_diagonal(dense, 1.0)
    x = np.random.default_rng(0).random((3, 2, zones.n_zones))
    np.testing.assert_allclose(kern(x), x @ dense, rtol=1e-12)


def test_seed_reproducible_and_draws_differ():
    counties = synthetic_counties(15, seed=1)
    towns = programme_from_counties(counties, n_towns=4)
    a = simulate(counties, towns, params=PARAMS, years=5, draws=8, seed=11)
    b = simulate(counties, towns, params=PARAMS, years=5, draws=8, seed=11)
    np.testing.assert_array_equal(a.population, b.population)
    assert np.ptp(a.population[-1].sum(axis=1)[:, 0]) > 0  # draws differ


def test_no_towns_means_no_town_flows():
    counties = synthetic_counties(10, seed=4)
    r = simulate(counties, None, params=PARAMS, years=4, draws=2, seed=0)
    assert r.town["investment"].shape[-1] == 0
    assert r.population.shape[-1] == 20


def test_towns_closed_before_start_and_fill_after():
    counties = synthetic_counties(10, seed=4)
    towns = programme_from_counties(counties, n_towns=3, start_year=2024, batches=1)
    r = simulate(counties, towns, params=PARAMS, years=10, draws=1, seed=0)
    res = r.town["residents"][:, 0, :]
    assert (res[r.years <= 2024] == 0).all()
    assert (res[-1] > 0).all()
    assert (r.town["investment"][r.years < 2024] == 0).all()


def test_hukou_priority_raises_migrants_in_towns():
    counties = synthetic_counties(15, seed=8)
    towns = programme_from_counties(counties, n_towns=6)
    on = simulate(counties, towns, PolicyPackage(), params=PARAMS, years=8, draws=1)
    off = simulate(
        counties, towns, PolicyPackage().without("hukou_priority"), params=PARAMS, years=8, draws=1
    )
    tz = on.zones.town_zone
    mig_on = on.population[-1, 0][[1, 3]][:, tz].sum()
    mig_off = off.population[-1, 0][[1, 3]][:, tz].sum()
    assert mig_on > mig_off


def test_errors_name_the_problem():
    counties = synthetic_counties(5, seed=0)
    with pytest.raises(InputDataError, match="missing columns"):
        simulate(counties.drop(columns=["pop_2020"]), years=2)
    bad = pd.DataFrame(
        {
            "town_id": ["a"],
            "county": ["999999"],
            "industry": ["digital"],
            "start_year": [2021],
            "investment_yuan": [1e9],
        }
    )
    with pytest.raises(InputDataError, match="county adcodes not in the county table"):
        simulate(counties, bad, years=2)
    bad2 = bad.assign(county=counties.index[0], industry="rockets")
    with pytest.raises(InputDataError, match="unknown industries"):
        simulate(counties, bad2, years=2)
    with pytest.raises(ConfigError, match="years and draws"):
        simulate(counties, years=0)
    with pytest.raises(ConfigError, match=r"unknown 'nope'"):
        PolicyPackage().without("nope")
