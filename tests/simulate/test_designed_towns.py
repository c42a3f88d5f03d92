"""Designed towns: jobs_designed, residents_designed and construction_km2 drive the simulation."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.simulate import (
    ModelParameters,
    PolicyPackage,
    build_zones,
    draw_parameters,
    programme_from_counties,
    simulate,
    synthetic_counties,
)
from xiaozhen.simulate._context import DrawnParameters, build_context
from xiaozhen.simulate._zones import validate_towns
from xiaozhen.simulate.parameters import UNCERTAIN_PARAMETERS, industry_profile

PARAMS = ModelParameters()
COUNTIES = synthetic_counties(20, seed=4)
TOWNS = programme_from_counties(COUNTIES, n_towns=6, start_year=2021)


def _run(towns: pd.DataFrame):  # type: ignore[no-untyped-def]
    return simulate(COUNTIES, towns, params=PARAMS, years=12, draws=4, seed=2)


@pytest.fixture(scope="module")
def plain():  # type: ignore[no-untyped-def]
    return _run(TOWNS)


def _profile_jobs(towns: pd.DataFrame) -> np.ndarray:
    """Designed jobs matching the profile: industry jobs of the planned investment at the
    profile's capital per job, plus the service jobs of 10,000 residents (ρ* × 1 km²)."""
    kappa = [industry_profile(i)["capital_per_job"] for i in towns["industry"]]
    service = PARAMS.service_jobs_per_resident * PARAMS.reference_density * 1.0
    return towns["investment_yuan"].to_numpy(float) / np.array(kappa) + service


def _with(column: str, values: dict[int, float]) -> pd.DataFrame:
    out = TOWNS.assign(**{column: np.nan})
    for row, v in values.items():
        out.loc[row, column] = v
    return out


def _context(towns: pd.DataFrame):  # type: ignore[no-untyped-def]
    zones = build_zones(COUNTIES, towns, params=PARAMS)
    drawn = draw_parameters(PARAMS, 1, np.random.default_rng(0))
    return build_context(zones, PARAMS, drawn, PolicyPackage(), start_year=2020, draws=1)


# --- the mapping, by hand ------------------------------------------------------------------


def test_jobs_designed_sets_capital_per_job_to_investment_over_industry_jobs():
    towns = _with("jobs_designed", {0: 12_000.0, 1: 0.0, 2: 12_000.0, 3: 800.0}).assign(
        residents_designed=[5_000.0, np.nan, np.nan, 10_000.0, np.nan, np.nan]
    )
    kappa = _context(towns).towns.capital_per_job
    inv = TOWNS["investment_yuan"].to_numpy(float)
    s_j = PARAMS.service_jobs_per_resident  # 0.1 local service jobs per resident
    # industry jobs = designed jobs - service jobs of the build-out residents
    assert kappa[0] == inv[0] / (12_000.0 - s_j * 5_000.0)  # 3 bn / 11,500
    assert kappa[1] == np.inf  # no jobs designed
    # no residents design: build-out residents = ρ* × 1 km² = 10,000
    assert kappa[2] == inv[2] / (12_000.0 - s_j * PARAMS.reference_density * 1.0)
    assert kappa[3] == np.inf  # 800 jobs < 1,000 service jobs of 10,000 residents
    profile = [industry_profile(i)["capital_per_job"] for i in TOWNS["industry"][4:]]
    np.testing.assert_array_equal(kappa[4:], profile)


def test_construction_and_residents_designed_set_cap_and_reference_density():
    towns = _with("construction_km2", {0: 0.5, 1: 0.3}).assign(
        residents_designed=[5_000.0, np.nan, 40_000.0, 0.0, np.nan, np.nan]
    )
    ctx = _context(towns)
    tw = ctx.towns
    cap = PolicyPackage().construction_cap_km2  # 1 km²
    np.testing.assert_array_equal(tw.construction_cap_km2, [0.5, 0.3, cap, cap, cap, cap])
    # ρ*_T = max(R, 1) / L^d: 5,000 / 0.5; the parameter; 40,000 / 1; 1 / 1 (no residents)
    rho = PARAMS.reference_density
    np.testing.assert_array_equal(tw.reference_density, [10_000.0, rho, 40_000.0, 1.0, rho, rho])
    np.testing.assert_array_equal(ctx.reference_density[tw.zone], tw.reference_density)
    assert (ctx.reference_density[: 2 * COUNTIES.shape[0]] == rho).all()


# --- behaviour -----------------------------------------------------------------------------


def test_nan_design_columns_behave_like_no_columns(plain):
    nan = TOWNS.assign(jobs_designed=np.nan, residents_designed=np.nan, construction_km2=None)
    r = _run(nan)
    for name in ("population", "income", "jobs", "land", "congestion", "housing_cost"):
        assert np.array_equal(getattr(r, name), getattr(plain, name)), name
    for name, v in plain.town.items():
        assert np.array_equal(r.town[name], v), name


def test_profile_matching_design_reproduces_the_profile(plain):
    towns = _with("jobs_designed", {0: _profile_jobs(TOWNS)[0]})
    kappa = industry_profile(TOWNS["industry"][0])["capital_per_job"]
    assert _context(towns).towns.capital_per_job[0] == pytest.approx(kappa, rel=1e-12)
    r = _run(towns)
    np.testing.assert_allclose(r.town["jobs"], plain.town["jobs"], rtol=1e-9)


def test_twice_the_industry_jobs_gives_more_jobs_and_leaves_other_counties_alone(plain):
    service = PARAMS.service_jobs_per_resident * PARAMS.reference_density
    jobs = 2 * (_profile_jobs(TOWNS) - service) + service  # industry part doubled
    towns = _with("jobs_designed", {0: jobs[0]})
    kappa = industry_profile(TOWNS["industry"][0])["capital_per_job"]
    assert _context(towns).towns.capital_per_job[0] == pytest.approx(kappa / 2, rel=1e-12)
    r = _run(towns)
    end, end0 = r.town["industry_jobs"][-1], plain.town["industry_jobs"][-1]
    assert (end[:, 0] > 1.2 * end0[:, 0]).all()  # every draw; labour limits the doubling
    assert (r.town["jobs"][-1][:, 0] > plain.town["jobs"][-1][:, 0]).all()
    # towns in other counties see the same economy up to the province-wide feedbacks
    np.testing.assert_allclose(end[:, 2:], end0[:, 2:], rtol=1e-2)


def test_zero_designed_jobs_means_no_industry_jobs(plain):
    r = _run(_with("jobs_designed", {0: 0.0}))
    assert (r.town["industry_jobs"][:, :, 0] == 0).all()
    assert (plain.town["industry_jobs"][-1, :, 0] > 1000).all()


def test_construction_km2_caps_the_towns_construction_land(plain):
    r = _run(_with("construction_km2", {0: 0.3, 1: 1.2}))
    c = r.town["construction"]
    assert c[:, :, 0].max() <= 0.3 + 1e-12
    assert c[-1, :, 0] == pytest.approx(0.3)  # reached: idle land + quota exceed it
    assert (plain.town["construction"] <= 1.0 + 1e-12).all()  # the policy's 1 km² boundary
    assert (c[-1, :, 1] > 1.0 + 1e-3).all()  # a larger design builds beyond it
    np.testing.assert_allclose(  # still every km² from idle land or new quota
        c, np.cumsum(r.town["idle_reused"] + r.town["new_quota_used"], axis=0), atol=1e-12
    )


def test_more_designed_residents_attract_more_residents(plain):
    r = _run(_with("residents_designed", {0: 40_000.0, 1: 0.0}))
    res, res0 = r.town["residents"][-1], plain.town["residents"][-1]
    assert (res[:, 0] > res0[:, 0]).all()  # housing for 40,000 instead of 10,000 per km²
    assert (res[:, 1] < 0.1 * res0[:, 1]).all()  # no housing designed: almost nobody moves in
    # cheaper housing at the same density: the town's housing cost per head is lower
    tz = r.zones.town_zone[0]
    assert (r.housing_cost[-1, :, tz] < plain.housing_cost[-1, :, tz]).all()


def test_conservation_holds_with_designed_towns():
    jobs = _profile_jobs(TOWNS)
    towns = TOWNS.assign(
        jobs_designed=2 * jobs,
        residents_designed=[40_000.0, 0.0, 8_000.0, np.nan, 15_000.0, 3_000.0],
        construction_km2=[0.3, 1.2, np.nan, 0.6, 0.8, 0.5],
    )
    r = _run(towns)
    total = r.population.astype(float).sum(axis=(2, 3))
    np.testing.assert_allclose(total[1:], total[:-1] + r.external_inflow[1:], rtol=1e-5)
    area = r.land.sum(axis=2)
    np.testing.assert_allclose(area, np.broadcast_to(r.zones.area_km2, area.shape), rtol=1e-12)
    assert (r.land >= -1e-12).all()
    assert np.isfinite(r.income).all()
    assert np.isfinite(r.housing_cost).all()


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("jobs_designed", -5.0),
        ("residents_designed", "many"),
        ("construction_km2", np.inf),
    ],
)
def test_bad_design_values_raise_naming_column_and_town(column, value):
    towns = TOWNS.assign(**{column: np.nan}).astype({column: object})
    towns.loc[2, column] = value
    town_id = TOWNS["town_id"][2]
    with pytest.raises(InputDataError, match=rf"{column} must be a finite number ≥ 0.*{town_id}"):
        validate_towns(towns, COUNTIES)


def test_designed_jobs_without_investment_raise():
    towns = _with("jobs_designed", {1: 500.0})
    towns.loc[1, "investment_yuan"] = 0.0
    with pytest.raises(
        InputDataError, match=rf"jobs_designed > 0 needs investment_yuan > 0.*{TOWNS['town_id'][1]}"
    ):
        validate_towns(towns, COUNTIES)


def test_construction_above_area_raises_and_problems_are_collected():
    towns = _with("construction_km2", {0: 3.5}).assign(jobs_designed=-1.0)
    with pytest.raises(InputDataError) as err:
        validate_towns(towns, COUNTIES)
    msg = str(err.value)
    assert "construction_km2 cannot exceed area_km2" in msg
    assert TOWNS["town_id"][0] in msg
    assert "jobs_designed must be a finite number" in msg


def test_design_columns_stay_absent_when_absent():
    out = validate_towns(TOWNS, COUNTIES)
    assert not {"jobs_designed", "residents_designed", "construction_km2"} & set(out.columns)
    out = validate_towns(TOWNS.assign(jobs_designed="1200"), COUNTIES)
    assert out["jobs_designed"].dtype == float
    assert (out["jobs_designed"] == 1200.0).all()


# --- typed parameters ----------------------------------------------------------------------


def test_drawn_parameters_mirror_model_parameters():
    assert {f.name for f in fields(DrawnParameters)} == set(ModelParameters.model_fields)
    assert DrawnParameters.drawn_names() == set(UNCERTAIN_PARAMETERS)
    drawn = draw_parameters(PARAMS, 3, np.random.default_rng(1))
    par = DrawnParameters.from_draws(PARAMS, drawn)
    assert par.mobility.shape == (3, 1)
    assert par.participation == PARAMS.participation


def test_drawn_parameters_need_every_uncertain_parameter():
    drawn = draw_parameters(PARAMS, 2, np.random.default_rng(1))
    del drawn["mobility"]
    with pytest.raises(ConfigError, match=r"missing \['mobility'\].*draw_parameters"):
        DrawnParameters.from_draws(PARAMS, drawn)
    with pytest.raises(ConfigError, match=r"not drawn by the model \['participation'\]"):
        DrawnParameters.from_draws(
            PARAMS, {**drawn, "mobility": np.ones(2), "participation": np.ones(2)}
        )
