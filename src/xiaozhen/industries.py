"""The one catalogue of the programme's characteristic industries (特色产业).

Every stage that names an industry takes its keys, labels and programme rules from here: the
positioning drivers (:mod:`xiaozhen.position`), the simulation's economic profiles
(:mod:`xiaozhen.simulate`), the province layout's creation investment (:mod:`xiaozhen.layout`) and
the annual assessment (:mod:`xiaozhen.monitor`). Models keep their own numbers per industry (driver
weights, capital and output per job); their key sets are checked against :data:`INDUSTRY_KEYS`.

Sources: the seven emerging industries and the classic industries of 浙政发〔2015〕8号 and
浙特镇办〔2015〕9号 §2(1) (BRIEF §4.1); creation investment ≥ 5 billion yuan in 3 years, ≥ 3 billion
for information-economy, finance, tourism and classic towns (9号 §2(3)); land-quota reward 50 % of
the new construction-land quota used, 60 % for information-economy, environmental and high-end
equipment towns (BRIEF §4.2).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from xiaozhen.errors import ConfigError

__all__ = [
    "CLASSIC_PREFIX",
    "INDUSTRY_CATALOGUE",
    "INDUSTRY_KEYS",
    "Industry",
    "industry",
    "quota_reward_share",
    "town_investment_yuan",
]

#: Keys of classic (历史经典) industries start with this prefix (``classic_tea`` …).
CLASSIC_PREFIX = "classic_"

#: Creation investment over 3 years (yuan): the rule and its relaxed form (9号 §2(3)).
_INVESTMENT_YUAN = 5e9
_INVESTMENT_RELAXED_YUAN = 3e9
#: Land-quota reward shares (BRIEF §4.2).
_QUOTA_REWARD = 0.5
_QUOTA_REWARD_PRIORITY = 0.6


@dataclass(frozen=True)
class Industry:
    """One characteristic industry of the programme.

    Attributes
    ----------
    key
        Machine key (``digital``, ``classic_celadon`` …).
    label_en, label_zh
        Names for people (the Chinese one as the province's documents write it).
    group
        ``"emerging"`` (the seven new industries) or ``"classic"`` (历史经典产业).
    relaxed_investment
        Whether the 3-billion-yuan creation threshold applies instead of 5 billion.
    priority_reward
        Whether the 60 % land-quota reward applies instead of 50 %.
    """

    key: str
    label_en: str
    label_zh: str
    group: Literal["emerging", "classic"]
    relaxed_investment: bool
    priority_reward: bool

    @property
    def creation_investment_yuan(self) -> float:
        """Fixed-asset investment required over the 3-year creation (9号 §2(3))."""
        return _INVESTMENT_RELAXED_YUAN if self.relaxed_investment else _INVESTMENT_YUAN

    @property
    def quota_reward_share(self) -> float:
        """Share of the new construction-land quota used that is given back (BRIEF §4.2)."""
        return _QUOTA_REWARD_PRIORITY if self.priority_reward else _QUOTA_REWARD

    @property
    def label(self) -> str:
        """``English · 中文``."""
        return f"{self.label_en} · {self.label_zh}"


def _emerging(key: str, en: str, zh: str, *, relaxed: bool, priority: bool) -> Industry:
    return Industry(key, en, zh, "emerging", relaxed, priority)


def _classic(key: str, en: str, zh: str) -> Industry:
    return Industry(CLASSIC_PREFIX + key, en, zh, "classic", True, False)


#: Every industry key the programme uses, in the province's order (emerging, then classic).
INDUSTRY_CATALOGUE: dict[str, Industry] = {
    i.key: i
    for i in (
        _emerging(
            "digital", "information (digital) economy", "信息经济", relaxed=True, priority=True
        ),
        _emerging(
            "environmental", "environmental protection", "环保", relaxed=False, priority=True
        ),
        _emerging("health", "health", "健康", relaxed=False, priority=False),
        _emerging("tourism", "tourism", "旅游", relaxed=True, priority=False),
        _emerging("fashion", "fashion", "时尚", relaxed=False, priority=False),
        _emerging("finance", "finance", "金融", relaxed=True, priority=False),
        _emerging(
            "equipment",
            "high-end equipment manufacturing",
            "高端装备制造",
            relaxed=False,
            priority=True,
        ),
        _classic("tea", "tea", "茶叶"),
        _classic("silk", "silk", "丝绸"),
        _classic("yellow_wine", "yellow wine", "黄酒"),
        _classic("medicine", "Chinese medicine", "中药"),
        _classic("celadon", "celadon", "青瓷"),
        _classic("carving", "wood, root and stone carving", "木雕·根雕·石雕"),
    )
}
INDUSTRY_KEYS: tuple[str, ...] = tuple(INDUSTRY_CATALOGUE)


def industry(key: str) -> Industry:
    """The catalogue record of ``key``.

    A ``classic_<x>`` key outside the catalogue (a classic industry a user adds, e.g.
    ``classic_writing`` for writing implements) is a classic industry with the classic rules.

    Raises
    ------
    ConfigError
        For an unknown key, with the closest known key and the list.
    """
    found = INDUSTRY_CATALOGUE.get(key)
    if found is not None:
        return found
    if key.startswith(CLASSIC_PREFIX) and len(key) > len(CLASSIC_PREFIX):
        name = key[len(CLASSIC_PREFIX) :].replace("_", " ")
        return Industry(key, name, name, "classic", True, False)
    close = difflib.get_close_matches(key, INDUSTRY_KEYS, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(
        f"industry: unknown key {key!r}{hint}; use one of {list(INDUSTRY_KEYS)} or "
        f"'{CLASSIC_PREFIX}<name>' for another classic industry"
    )


def town_investment_yuan(key: str) -> float:
    """Creation investment of a town of industry ``key`` over 3 years (yuan, 9号 §2(3))."""
    return industry(key).creation_investment_yuan


def quota_reward_share(key: str) -> float:
    """Land-quota reward share of a town of industry ``key`` (BRIEF §4.2)."""
    return industry(key).quota_reward_share
