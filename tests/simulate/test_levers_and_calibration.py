"""Signs of the policy levers (paired draws), the income-ratio path and the 2010 covariates."""

from __future__ import annotations

import numpy as np
import pytest

from xiaozhen.simulate import (
    LEVERS,
    PolicyPackage,
    calibrated_parameters,
    programme_from_counties,
    simulate,
    synthetic_counties,
)
from xiaozhen.simulate._economy import wage_gap_closing
from xiaozhen.simulate.calibrate import (
    INCOME_RATIO_PATH,
    INCOME_RATIO_PUBLISHED,
    cross_validate,
    with_census_2010_covariates,
)
from xiaozhen.simulate.parameters import industry_profile

# Levers whose purpose is not investment: switching them off may change capital only through
# second-order channels (the quota reward is earned on new quota, so using idle land first
# earns slightly less reward); allowed a relative change of 1e-4 either way.
_NEUTRAL = {"idle_land_first", "quota_reward"}


@pytest.fixture(scope="module")
def lever_runs():
    counties = synthetic_counties(30, seed=3)
    towns = programme_from_counties(counties, layout="balanced", n_towns=10, start_year=2021)
    cpj = np.array([industry_profile(k)["capital_per_job"] for k in towns["industry"]])
    runs = {"on": simulate(counties, towns, PolicyPackage(), years=12, draws=24, seed=5)}
    for lever in LEVERS:
        runs[lever] = simulate(
            counties, towns, PolicyPackage().without(lever), years=12, draws=24, seed=5
        )
    return runs, cpj


@pytest.mark.parametrize("lever", [lv for lv in LEVERS if lv != "public_services"])
def test_lever_off_never_raises_investment_driven_jobs(lever_runs, lever):
    runs, cpj = lever_runs
    on = (runs["on"].town["capital"] / cpj).sum(axis=2)  # (Y+1, D) paired by seed
    off = (runs[lever].town["capital"] / cpj).sum(axis=2)
    tol = 1e-4 * on if lever in _NEUTRAL else 1e-6 * on
    assert (off <= on + tol).all(), (lever, float((off - on).max()))


@pytest.mark.parametrize("lever", ["fiscal_return", "leverage", "decentralisation"])
def test_capital_levers_raise_investment(lever_runs, lever):
    runs, _ = lever_runs
    on = runs["on"].town["investment"].sum(axis=(0, 2))
    off = runs[lever].town["investment"].sum(axis=(0, 2))
    # where returns beat the hurdle private capital makes good missing debt exactly
    assert (on >= off - 1e-6 * on).all()
    assert (on > off).mean() > 0.5


def test_private_capital_never_exceeds_the_public_gap(lever_runs):
    r = lever_runs[0]["leverage"]
    t = r.town
    towns = r.zones.towns
    period = np.where(r.zones.less_developed[r.zones.town_county], 5, 3)
    age = r.years[:, None] - towns["start_year"].to_numpy()[None, :]
    creation = (age >= 0) & (age < period[None, :])
    gap = t["planned"] - t["public_budget"] - t["debt"]
    assert (
        t["private"][:, :, :][np.broadcast_to(creation[:, None, :], gap.shape)]
        <= (gap[np.broadcast_to(creation[:, None, :], gap.shape)] + 1e-3)
    ).all()


def test_public_services_trade_capital_for_residents(lever_runs):
    """Service capacity is paid from the public budget: switching it off moves that money into
    capital (at most the diverted budget), and the towns hold fewer residents."""
    runs, cpj = lever_runs
    on, off = runs["on"], runs["public_services"]
    assert (off.town["service_spend"] == 0).all()
    extra_jobs = ((off.town["capital"] - on.town["capital"]) / cpj).sum(axis=2)
    diverted_jobs = (np.cumsum(on.town["service_spend"], axis=0) / cpj).sum(axis=2)
    assert (extra_jobs <= diverted_jobs + 1e-6).all()
    res_on = on.town["residents"][-1].sum(axis=1)
    res_off = off.town["residents"][-1].sum(axis=1)
    assert (res_on > res_off).all()


def test_idle_land_first_uses_less_new_quota(lever_runs):
    runs, _ = lever_runs
    # towns reach the 1 km² cap either way by the horizon; idle land first uses less new quota
    # (less conversion of farmland / ecological land) in every year
    new_on = np.cumsum(runs["on"].town["new_quota_used"].sum(axis=2), axis=0)
    new_off = np.cumsum(runs["idle_land_first"].town["new_quota_used"].sum(axis=2), axis=0)
    assert (new_on <= new_off + 1e-12).all()
    assert (new_on < new_off - 1e-3).any()


def test_income_ratio_path_is_on_one_survey_basis():
    # old-basis 2.37 (2012) converts to ≈ 2.10 on the new basis: the published 2.37 → 2.07
    # fall of 2012 → 2015 is mostly the change of definition
    assert INCOME_RATIO_PUBLISHED[2012] == (2.37, "old")
    assert INCOME_RATIO_PATH[2012] == pytest.approx(2.37 * 0.999 / 1.127, abs=1e-3)
    assert INCOME_RATIO_PATH[2014] == pytest.approx(40_393 / 19_373, abs=1e-3)
    assert 2013 not in INCOME_RATIO_PATH  # old and new basis both exist; only new kept
    values = [INCOME_RATIO_PATH[y] for y in sorted(INCOME_RATIO_PATH)]
    assert (np.diff(values) < 0).all()


def test_wage_gap_closes_and_slows():
    # d(2010) = 0.8, d(2020) = 1 - 0.2 e^-1
    assert wage_gap_closing(0.8, 0.1, base_year=2010, year=2020) == pytest.approx(
        (1 - 0.2 * np.exp(-1)) / 0.8
    )
    step = [wage_gap_closing(0.8, 0.1, base_year=y, year=y + 1) - 1 for y in (2010, 2020, 2030)]
    assert step[0] > step[1] > step[2] > 0
    assert wage_gap_closing(0.8, 0.0, base_year=2020, year=2040) == pytest.approx(1.0)


def test_forward_baseline_income_ratio_declines_slowly():
    """Bundled calibration, real province, no towns: the ratio declines, and more slowly later."""
    from xiaozhen.evaluate.indicators import province_indicators
    from xiaozhen.region import load_counties

    r = simulate(load_counties(), None, years=20, draws=1, seed=0)
    ratio = province_indicators(r)["income_ratio"][:, 0]
    assert ratio[0] == pytest.approx(1.96, abs=0.02)  # 2020 calibrated start
    assert (np.diff(ratio) < 0).all()
    first, last = ratio[0] - ratio[10], ratio[10] - ratio[20]
    assert last < first  # catch-up slows: no compounding
    assert 1.55 < ratio[-1] < 1.9


def test_2010_covariates_from_the_census():
    from xiaozhen.region import load_counties

    c = with_census_2010_covariates(load_counties())
    assert (c["tertiary_share_2010"] < c["tertiary_share_2020"]).mean() > 0.95
    assert (c["edu_years_2010"] < c["edu_years_2020"]).mean() > 0.95
    emp = c[[k for k in c.columns if k.startswith("emp_") and k.endswith("_2010")]]
    assert emp.shape[1] == 19
    agri = c["emp_agriculture_2010"].sum() / emp.to_numpy().sum()
    assert 0.10 < agri < 0.20  # Zhejiang census 2010: 14.7 % of sampled workers in farming
    # a synthetic table has no census match and is returned unchanged
    s = synthetic_counties(5)
    assert with_census_2010_covariates(s).columns.equals(s.columns)


def test_bundled_calibration_records_cross_validation():
    _, record = calibrated_parameters()
    cv = record["cross_validation"]
    assert cv["folds"] == 5
    assert {r["target"] for r in cv["summary"]} == {
        "log population 2020 (RMSE)",
        "urbanisation 2020 (RMSE, share)",
    }
    assert record["covariate_year"] == 2010


def test_cross_validation_on_model_generated_data_beats_baseline():
    from test_calibrate import _model_generated

    counties = _model_generated()
    cv = cross_validate(counties, folds=3, seed=0, max_evaluations=120)
    assert len(cv.folds) == 6
    pop = cv.summary.set_index("target").loc["log population 2020 (RMSE)"]
    assert pop["model_mean"] < 0.5 * pop["baseline_mean"]
    assert pop["folds_won"] == 3
