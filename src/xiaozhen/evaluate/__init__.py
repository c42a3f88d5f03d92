"""Stage 7 — evaluate: indicators, assessment grades, scenario comparison of simulation runs."""

from __future__ import annotations

from xiaozhen.evaluate.indicators import (
    GRADES,
    NATIONAL_THRESHOLDS_2021,
    assessment_grades,
    province_indicators,
    summarise,
    theil_index,
    town_indicators,
)

__all__ = [
    "GRADES",
    "NATIONAL_THRESHOLDS_2021",
    "assessment_grades",
    "province_indicators",
    "summarise",
    "theil_index",
    "town_indicators",
]
