"""One industry catalogue: every stage's industries are the catalogue's, with its rules."""

from __future__ import annotations

import pytest

from xiaozhen.errors import ConfigError
from xiaozhen.industries import (
    INDUSTRY_CATALOGUE,
    INDUSTRY_KEYS,
    industry,
    quota_reward_share,
    town_investment_yuan,
)
from xiaozhen.position import INDUSTRY_DRIVERS
from xiaozhen.simulate.parameters import INDUSTRIES as PROFILES
from xiaozhen.simulate.parameters import industry_profile


def test_every_stage_uses_the_catalogue_keys():
    assert set(INDUSTRY_DRIVERS) == set(INDUSTRY_KEYS)
    emerging = {k for k, v in INDUSTRY_CATALOGUE.items() if v.group == "emerging"}
    assert set(PROFILES) == emerging | {"classic"}
    assert len(emerging) == 7  # 浙政发〔2015〕8号: seven emerging industries
    for key in INDUSTRY_KEYS:
        base = "classic" if key.startswith("classic_") else key
        assert PROFILES[base]["target"] == town_investment_yuan(key)
        assert bool(PROFILES[base]["priority"]) == (quota_reward_share(key) == 0.6)


@pytest.mark.parametrize(
    ("key", "investment", "reward"),
    [
        ("digital", 3e9, 0.6),  # information economy: relaxed 3 bn, 60 % reward
        ("finance", 3e9, 0.5),
        ("tourism", 3e9, 0.5),
        ("equipment", 5e9, 0.6),
        ("environmental", 5e9, 0.6),
        ("health", 5e9, 0.5),
        ("fashion", 5e9, 0.5),
        ("classic_celadon", 3e9, 0.5),
        ("classic_writing", 3e9, 0.5),  # a classic industry outside the list: classic rules
    ],
)
def test_programme_rules_by_hand(key, investment, reward):
    assert town_investment_yuan(key) == investment
    assert quota_reward_share(key) == reward


def test_labels_and_unknown_keys():
    assert industry("classic_celadon").label == "celadon · 青瓷"
    assert industry("equipment").label_zh == "高端装备制造"
    with pytest.raises(ConfigError, match=r"unknown key 'tourisme' \(did you mean 'tourism'\?\)"):
        industry("tourisme")
    with pytest.raises(ConfigError, match="classic_<name>"):
        industry("classic_")


def test_the_simulation_profiles_follow_the_catalogue():
    """Every catalogue key has a profile (classic ones share one); unknown keys get the
    catalogue's did-you-mean instead of the profile table's own message."""
    for key in INDUSTRY_KEYS:
        group = industry(key).group
        assert industry_profile(key) is PROFILES["classic" if group == "classic" else key]
    assert industry_profile("classic_writing") is PROFILES["classic"]
    with pytest.raises(ConfigError, match=r"unknown key 'digitl' \(did you mean 'digital'\?\)"):
        industry_profile("digitl")
    with pytest.raises(ConfigError, match="unknown key 'classic'"):
        industry_profile("classic")  # the profile's name, not an industry
