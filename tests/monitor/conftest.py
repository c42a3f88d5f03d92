"""Helpers for the programme-office tests: portfolios built row by row."""

from __future__ import annotations

from typing import Any

import pandas as pd

from xiaozhen.monitor import PORTFOLIO_COLUMNS, Portfolio, portfolio_from_frame

#: A creation-tier equipment town in 德清县 (not a less-developed county), created in 2015.
TOWN: dict[str, Any] = {
    "town_id": "T1",
    "name": "测试装备小镇",
    "tier": "creation",
    "county": "330521",
    "industry": "equipment",
    "planned_area_km2": 3.0,
    "construction_area_km2": 1.0,
    "creation_year": 2015,
}


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """A portfolio table in the template's columns; each row is ``TOWN`` updated by the dict."""
    records = [{**TOWN, **row} for row in rows]
    return pd.DataFrame(records).reindex(columns=[c.name for c in PORTFOLIO_COLUMNS])


def portfolio(*rows: dict[str, Any]) -> Portfolio:
    return portfolio_from_frame(frame(*rows), source="test")
