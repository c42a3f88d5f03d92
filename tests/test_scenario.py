"""Scenario files: defaults, round trip, and every problem reported at once."""

from __future__ import annotations

import tomllib

import pytest

from xiaozhen.errors import ConfigError
from xiaozhen.scenario import (
    LayoutConfig,
    Scenario,
    default_scenario_toml,
    load_scenario,
    scenario_problems,
    scenario_toml,
)


def test_default_toml_loads_back_to_the_default():
    scenario, problems = scenario_problems(tomllib.loads(default_scenario_toml()))
    assert problems == []
    assert scenario == Scenario()


def test_every_field_is_documented():
    text = default_scenario_toml()
    for section in ("region", "assess", "position", "layout", "design", "policy", "simulate"):
        assert f"[{section}]" in text
        model = type(getattr(Scenario(), section))
        for name, info in model.model_fields.items():
            assert info.description, f"{section}.{name} has no description"


def test_round_trip_of_a_changed_scenario():
    changed = Scenario(seed=7, layout=LayoutConfig(n_towns=12, balance_share=0.5))
    again, problems = scenario_problems(tomllib.loads(scenario_toml(changed)))
    assert problems == []
    assert again == changed
    assert again.digest() == changed.digest() != Scenario().digest()


def test_all_problems_reported_at_once_with_suggestions():
    data = {
        "seeed": 1,
        "layout": {"balance_shar": 0.2, "n_towns": -1},
        "region": {"focus_counties": ["999999"]},
    }
    scenario, problems = scenario_problems(data)
    assert scenario is None
    text = "\n".join(problems)
    assert len(problems) == 4
    assert "did you mean 'seed'" in text
    assert "did you mean 'balance_share'" in text
    assert "layout.n_towns" in text
    assert "received -1" in text
    assert "unknown county code(s) ['999999']" in text


def test_design_bounds_are_checked():
    _, problems = scenario_problems(
        {"design": {"construction_min_km2": 2.0, "construction_max_km2": 1.0}}
    )
    assert any("construction_min_km2" in p for p in problems)


def test_load_scenario_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenario(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(bad)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("[layout]\nbalance_share = 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"layout.balance_share.*received 1.5"):
        load_scenario(wrong)


def test_scenario_is_frozen():
    with pytest.raises(Exception, match="frozen"):
        Scenario().seed = 3  # type: ignore[misc]


def test_a_boolean_where_a_number_belongs_is_refused():
    """Pydantic would read ``true`` as 1.0; found by the schemathesis test of the web API."""
    _, problems = scenario_problems(
        {"policy": {"quota_reward_share": True}, "assess": {"min_developable_km2": True}}
    )
    text = " ".join(problems)
    assert "policy.quota_reward_share: expected a number, received True (a boolean)" in text
    assert "assess.min_developable_km2: expected a number, received True (a boolean)" in text
    _, fine = scenario_problems({"policy": {"hukou_priority": True}})  # a real boolean lever
    assert fine == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # the frontier's shares were only refused by the planning model, after the first solves
        (
            {"layout": {"frontier_shares": [0.0, 1.2]}},
            r"layout\.frontier_shares\[1\]: .*less than or equal to 1 \(received 1\.2\); use a "
            r"value ≥ 0\.0 and ≤ 1\.0",
        ),
        ({"layout": {"frontier_shares": []}}, r"layout\.frontier_shares: .*at least 1 item"),
        # 0 km passed the scenario and failed in the county stage (site_neighbours needs > 0)
        (
            {"position": {"site_radius_km": 0}},
            r"position\.site_radius_km: .*greater than 0 \(received 0\); use a value > 0\.0",
        ),
    ],
)
def test_ranges_the_stages_need_are_checked_by_the_scenario(data, message):
    scenario, problems = scenario_problems(data)
    assert scenario is None
    with pytest.raises(ConfigError, match=message):
        raise ConfigError("\n".join(problems))
