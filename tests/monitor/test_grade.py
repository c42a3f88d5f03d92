"""The assessment rule and its consequences, each against numbers worked by hand."""

from __future__ import annotations

import pytest

from xiaozhen.errors import InputDataError
from xiaozhen.monitor import AssessmentRules, grade_distribution, grade_portfolio

from .conftest import portfolio

RULES = AssessmentRules()

#: An equipment town in 德清县 (T = 5 bn, F = 1 bn, P = 3), three reported years.
Y2015 = {
    "year": 2015,
    "fai_total_bn_yuan": 1.2,
    "fai_characteristic_bn_yuan": 1.0,
    "fai_private_bn_yuan": 0.8,
    "new_quota_km2": 0.1,
    "tax_bn_yuan": 0.01,
}
Y2016 = {
    "year": 2016,
    "fai_total_bn_yuan": 1.0,
    "fai_characteristic_bn_yuan": 0.9,
    "fai_private_bn_yuan": 0.5,
    "output_bn_yuan": 2.0,
    "tax_bn_yuan": 0.13,
    "visitors": 240_000,
    "construction_land_km2": 0.5,
    "new_quota_km2": 0.2,
    "scenic_level": 3,
}
Y2017 = {
    **Y2016,
    "year": 2017,
    "fai_total_bn_yuan": 1.5,
    "fai_characteristic_bn_yuan": 1.2,
    "fai_private_bn_yuan": 1.0,
    "new_quota_km2": 0.25,
}


def _row(result, year, town="T1"):
    g = result.grades
    return g[(g["year"] == year) & (g["town_id"] == town)].iloc[0]


def _cons(result, year, town="T1"):
    c = result.consequences
    return c[(c["year"] == year) & (c["town_id"] == town)].iloc[0]


def test_creation_year_scores_investment_and_shares_only():
    result = grade_portfolio(portfolio(Y2015), RULES, 2015)
    row = _row(result, 2015)
    # due at age 0: F = 1.0 bn; 1.2 / 1.0 capped at 1 → 35 points
    assert row["due_bn_yuan"] == pytest.approx(1.0)
    assert row["investment_points"] == pytest.approx(35.0)
    # characteristic 1.0 / 1.2 = 0.833 ≥ 0.70 → 15; private 0.8 / 1.2 = 0.6667 of 0.682 → 9.7752
    assert row["characteristic_share_value"] == pytest.approx(1.0 / 1.2)
    assert row["private_share_points"] == pytest.approx(10 * (0.8 / 1.2) / 0.682)
    # results (output, tax, visitors, scenic level) do not apply at age 0: 60 points possible
    assert row["visitors_max"] != row["visitors_max"]  # NaN
    assert row["score"] == pytest.approx(100 * (35 + 15 + 10 * (0.8 / 1.2) / 0.682) / 60)
    assert row["grade"] == "excellent"
    assert row["grade_zh"] == "优秀"


def test_second_year_breakdown_by_hand():
    result = grade_portfolio(portfolio(Y2015, Y2016), RULES, 2016)
    row = _row(result, 2016)
    # due at age 1: 1 + (5 - 1) × 1/2 = 3 bn; cumulative 2.2 → 35 × 2.2/3 = 25.667
    assert row["due_bn_yuan"] == pytest.approx(3.0)
    assert row["investment_value"] == pytest.approx(2.2)
    assert row["investment_points"] == pytest.approx(35 * 2.2 / 3)
    # characteristic (1.0 + 0.9) / 2.2 = 0.864 → 15; private 1.3 / 2.2 = 0.5909 → 10 × 0.5909/0.682
    assert row["characteristic_share_points"] == pytest.approx(15.0)
    assert row["private_share_points"] == pytest.approx(10 * (1.3 / 2.2) / 0.682)
    # 0.5 km² = 750 mu: output 2e9 / 750 = 2.667 M yuan/mu of 7.81 M; tax 173,333 of 520,000
    assert row["output_per_mu_value"] == pytest.approx(2e9 / 750)
    assert row["output_per_mu_points"] == pytest.approx(10 * (2e9 / 750) / 7.81e6)
    assert row["tax_per_mu_points"] == pytest.approx(10 * (0.13e9 / 750) / 5.2e5)
    assert row["visitors_points"] == pytest.approx(8.0)  # 240,000 of 300,000
    assert row["scenic_level_points"] == pytest.approx(10.0)  # AAA
    total = (
        35 * 2.2 / 3
        + 15
        + 10 * (1.3 / 2.2) / 0.682
        + 10 * (2e9 / 750) / 7.81e6
        + 10 * (0.13e9 / 750) / 5.2e5
        + 8
        + 10
    )
    assert row["score"] == pytest.approx(total)  # 74.08 of 100
    assert row["grade"] == "pass"  # 60 ≤ 74.08 < 75


def test_quota_reward_and_fiscal_return_by_hand():
    result = grade_portfolio(portfolio(Y2015, Y2016), RULES, 2016)
    c = _cons(result, 2016)
    # equipment is a priority industry: 60 % of the 0.2 km² new quota used = 0.12 km² = 180 mu
    assert c["meets_annual_targets"]
    assert c["quota_reward_share"] == pytest.approx(0.6)
    assert c["quota_reward_km2"] == pytest.approx(0.12)
    assert c["quota_reward_mu"] == pytest.approx(180.0)
    # age 1: 100 % of the provincial share (20 %) of 0.13 bn tax = 0.026 bn
    assert c["fiscal_return_share"] == pytest.approx(1.0)
    assert c["fiscal_return_bn_yuan"] == pytest.approx(0.026)
    # a fashion town gets 50 %
    fashion = grade_portfolio(
        portfolio({**Y2015, "industry": "fashion"}, {**Y2016, "industry": "fashion"}), RULES, 2016
    )
    assert _cons(fashion, 2016)["quota_reward_km2"] == pytest.approx(0.5 * 0.2)


def test_fiscal_return_is_full_for_three_years_then_half_for_two():
    rows = [{"year": y, "tax_bn_yuan": 1.0, "fai_total_bn_yuan": 2.0} for y in range(2015, 2022)]
    result = grade_portfolio(portfolio(*rows), RULES, 2021)
    shares = [_cons(result, y)["fiscal_return_share"] for y in range(2015, 2022)]
    assert shares == [1.0, 1.0, 1.0, 0.5, 0.5, 0.0, 0.0]
    returned = [_cons(result, y)["fiscal_return_bn_yuan"] for y in range(2015, 2022)]
    assert returned == pytest.approx([0.2, 0.2, 0.2, 0.1, 0.1, 0.0, 0.0])


def test_cultivation_towns_get_no_incentives():
    rows = [{**Y2015, "tier": "cultivation"}, {**Y2016, "tier": "cultivation"}]
    c = _cons(grade_portfolio(portfolio(*rows), RULES, 2016), 2016)
    assert c["grade"] == "pass"
    assert not c["meets_annual_targets"]
    assert c["quota_reward_km2"] == 0.0
    assert c["fiscal_return_bn_yuan"] == 0.0


def test_reward_min_grade_good_withholds_the_reward_of_a_pass():
    rules = AssessmentRules(reward_min_grade="good")
    c = _cons(grade_portfolio(portfolio(Y2015, Y2016), rules, 2016), 2016)
    assert c["grade"] == "pass"
    assert c["quota_reward_km2"] == 0.0


def test_schedules_of_less_developed_and_relaxed_towns():
    # 淳安县 (less developed), equipment: T 5, F 0.6, P 5 → 0.6, 1.7, 2.8, 3.9, 5.0, 5.0
    chunan = [{"year": y, "county": "330127", "fai_total_bn_yuan": 1.0} for y in range(2015, 2021)]
    result = grade_portfolio(portfolio(*chunan), RULES, 2020)
    due = [_row(result, y)["due_bn_yuan"] for y in range(2015, 2021)]
    assert due == pytest.approx([0.6, 1.7, 2.8, 3.9, 5.0, 5.0])
    assert _row(result, 2015)["period_years"] == 5
    # digital in 德清县: T 3, F 0.6, P 3 → 0.6, 1.8, 3.0
    digital = [
        {"year": y, "industry": "digital", "fai_total_bn_yuan": 1.0} for y in (2015, 2016, 2017)
    ]
    result = grade_portfolio(portfolio(*digital), RULES, 2017)
    assert [_row(result, y)["due_bn_yuan"] for y in (2015, 2016, 2017)] == pytest.approx(
        [0.6, 1.8, 3.0]
    )
    # a classic_<x> industry takes the relaxed target too
    for key in ("classic_tea", "classic_writing"):  # in the catalogue, and a user's classic key
        classic = grade_portfolio(portfolio({**Y2015, "industry": key}), RULES, 2015)
        assert _row(classic, 2015)["target_bn_yuan"] == pytest.approx(3.0)


def _only_investment(tier="creation", provenance="reported", fai=5.0):
    """Age 1, investment on schedule (≥ 3 bn), nothing else reported."""
    return portfolio(
        {"year": 2015, "tier": tier, "provenance": provenance, "fai_total_bn_yuan": 1.0},
        {"year": 2016, "tier": tier, "provenance": provenance, "fai_total_bn_yuan": fai},
    )


def test_not_reported_scores_zero_on_reported_rows_and_is_left_out_on_simulated_rows():
    reported = _row(grade_portfolio(_only_investment(), RULES, 2016), 2016)
    # 35 of 100 points: every other criterion applies at age 1 and scores 0 → 35 → demoted
    assert reported["score"] == pytest.approx(35.0)
    assert reported["grade"] == "demoted"
    assert "visitors" in reported["notes"]
    simulated = _row(grade_portfolio(_only_investment(provenance="simulated"), RULES, 2016), 2016)
    assert simulated["score"] == pytest.approx(100.0)  # 35 of the 35 that apply
    zero = AssessmentRules(missing="zero")
    forced = _row(grade_portfolio(_only_investment(provenance="simulated"), zero, 2016), 2016)
    assert forced["score"] == pytest.approx(35.0)


def test_lowest_grade_by_tier_and_what_follows():
    demoted = grade_portfolio(_only_investment(), RULES, 2016)
    assert _cons(demoted, 2016)["next_tier"] == "cultivation"
    eliminated = grade_portfolio(_only_investment(tier="cultivation"), RULES, 2016)
    assert _row(eliminated, 2016)["grade"] == "eliminated"
    assert _row(eliminated, 2016)["grade_zh"] == "淘汰"
    assert _cons(eliminated, 2016)["next_tier"] == "removed"
    named = grade_portfolio(_only_investment(tier="named"), RULES, 2016)
    assert _row(named, 2016)["grade"] == "not_assessed"
    assert _cons(named, 2016)["next_tier"] == "named"


def test_bands_are_configurable():
    loose = AssessmentRules(
        bands={"excellent_min": 95, "good_min": 70, "pass_min": 50, "warning_min": 30}
    )
    assert _row(grade_portfolio(portfolio(Y2015, Y2016), loose, 2016), 2016)["grade"] == "good"
    strict_points = AssessmentRules(points={"investment": 100, "characteristic_share": 0,
                                            "private_share": 0, "output_per_mu": 0,
                                            "tax_per_mu": 0, "visitors": 0, "scenic_level": 0})  # fmt: skip
    row = _row(grade_portfolio(portfolio(Y2015, Y2016), strict_points, 2016), 2016)
    assert row["score"] == pytest.approx(100 * 2.2 / 3)  # investment alone


def test_consecutive_warnings_demote_when_the_rule_is_on():
    # from age 1: investment on schedule (35) and characteristic share (15), every other
    # criterion reported as 0 → 50 points → warning; 2018 is not reported (a gap year)
    zeros = {"fai_private_bn_yuan": 0.0, "output_bn_yuan": 0.0, "tax_bn_yuan": 0.0,
             "construction_land_km2": 0.5, "visitors": 0, "scenic_level": 0}  # fmt: skip
    rows = [
        {**zeros, "year": y, "fai_total_bn_yuan": f, "fai_characteristic_bn_yuan": f}
        for y, f in ((2015, 1.0), (2016, 2.0), (2017, 2.0), (2019, 0.0))
    ]
    plain = grade_portfolio(portfolio(*rows), RULES, 2019)
    assert [_row(plain, y)["grade"] for y in (2016, 2017, 2019)] == ["warning"] * 3
    rules = AssessmentRules(warnings_to_demote=2)
    ruled = grade_portfolio(portfolio(*rows), rules, 2019)
    # 2016 first warning; 2017 second in a row → demoted; 2019 follows a gap year → a warning
    assert [_row(ruled, y)["grade"] for y in (2016, 2017, 2019)] == [
        "warning",
        "demoted",
        "warning",
    ]


def _complete(year, fai):
    return {**Y2016, "year": year, "fai_total_bn_yuan": fai, "fai_characteristic_bn_yuan": 0.8 * fai,
            "fai_private_bn_yuan": 0.7 * fai, "visitors": 400_000, "output_bn_yuan": 6.0,
            "tax_bn_yuan": 0.4}  # fmt: skip


def test_naming_is_proposed_at_the_end_of_the_creation_period_when_every_target_is_met():
    rows = [_complete(2015, 1.5), _complete(2016, 1.5), _complete(2017, 2.5)]
    result = grade_portfolio(portfolio(*rows), RULES, 2017)
    assert _cons(result, 2016)["naming"] == ""  # still in the period
    c = _cons(result, 2017)  # age 2 = P - 1; cumulative 5.5 ≥ 5
    assert c["naming"] == "proposed"
    assert c["next_tier"] == "named"
    short = [_complete(2015, 1.5), _complete(2016, 1.5), _complete(2017, 1.0)]  # 4.0 < 5
    c = _cons(grade_portfolio(portfolio(*short), RULES, 2017), 2017)
    assert c["naming"].startswith("not yet: missed investment target")
    assert c["next_tier"] == "creation"


def test_simulated_tiers_follow_the_consequences_reported_tiers_stay():
    rows = [_complete(2015, 1.5), _complete(2016, 1.5), _complete(2017, 2.5), _complete(2018, 1.0)]
    reported = grade_portfolio(portfolio(*rows), RULES, 2018)
    assert _row(reported, 2018)["tier"] == "creation"  # as reported
    simulated = grade_portfolio(
        portfolio(*[{**r, "provenance": "simulated"} for r in rows]), RULES, 2018
    )
    row, c = _row(simulated, 2018), _cons(simulated, 2018)
    assert row["tier"] == "named"
    assert row["grade"] == "not_assessed"
    assert c["fiscal_return_share"] == pytest.approx(0.5)  # age 3, named towns keep the schedule


def test_double_clawback_gives_back_twice_the_reward_of_the_period():
    rows = [Y2015, Y2016, Y2017]  # cumulative 3.7 < 5 at the end of the period (2017)
    off = grade_portfolio(portfolio(*rows), RULES, 2017)
    c = _cons(off, 2017)
    assert c["missed_period_target"]
    assert c["clawback_km2"] == 0.0
    on = grade_portfolio(portfolio(*rows), AssessmentRules(double_clawback=True), 2017)
    rewards = on.consequences["quota_reward_km2"].to_numpy()
    # 2015: excellent, 0.6 × 0.1; 2016: pass, 0.6 × 0.2; 2017: its grade decides
    assert rewards[:2] == pytest.approx([0.06, 0.12])
    assert _cons(on, 2017)["clawback_km2"] == pytest.approx(2 * rewards.sum())
    met = grade_portfolio(
        portfolio(Y2015, Y2016, {**Y2017, "fai_total_bn_yuan": 3.0}),
        AssessmentRules(double_clawback=True),
        2017,
    )
    assert _cons(met, 2017)["clawback_km2"] == 0.0  # 5.2 ≥ 5: nothing clawed back


def test_grade_distribution_against_the_published_2018_shares():
    rows = [
        {**Y2015, "town_id": "A"},  # 99.6 → excellent
        {**Y2015, "town_id": "B"},
        {"town_id": "C", "year": 2015, "fai_total_bn_yuan": 0.5},  # 17.5 of 60 = 29.2 → demoted
    ]
    result = grade_portfolio(portfolio(*rows), RULES, 2015)
    table = grade_distribution(result.grades_of()).set_index(["tier", "grade"])
    assert table.loc[("creation", "excellent"), "towns"] == 2
    assert table.loc[("creation", "excellent"), "share"] == pytest.approx(2 / 3)
    assert table.loc[("creation", "excellent"), "published_2018_share"] == pytest.approx(25 / 115)
    assert table.loc[("creation", "demoted"), "share"] == pytest.approx(1 / 3)
    assert table.loc[("cultivation", "eliminated"), "published_2018"] == 6
    assert table.xs("creation")["published_2018"].sum() == 115


def test_a_year_without_reports_is_refused():
    with pytest.raises(InputDataError, match=r"no report for 2020; its years are 2015"):
        grade_portfolio(portfolio(Y2015), RULES, 2020)
