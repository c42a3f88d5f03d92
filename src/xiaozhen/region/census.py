"""County census tables (2010 and 2020) joined to today's 90 county-level units.

The census yearbook tables (7th census 2020, 6th census 2010; GitHub leiii/census, MIT) use the
administrative divisions of their year. Zhejiang has re-drawn several units since, so each table is
mapped onto the post-2021 divisions through an explicit crosswalk (``data/census_crosswalk.csv``):

* renamed or upgraded units (富阳市 → 富阳区, 绍兴县 → 柯桥区, ...) map 1:1;
* merged units are **aggregated** (下城 → 拱墅; 江东 → 鄞州; 温州经济技术开发区, which has no code,
  → 龙湾区 whose streets it administers);
* split units are **apportioned** by population share: the 2021 Hangzhou re-districting uses the
  populations the Hangzhou statistics bureau published for the new divisions from the same census
  (the apportioned 2020 totals are therefore exact); 2010 uses the same shares; 苍南 2010 is split
  with 龙港 by their 2020 populations.

Count columns are apportioned and summed; rate columns (shares, averages, ratios) are averaged with
population weights. :func:`census_join_report` lists every target unit, its sources and the rule.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from xiaozhen.errors import InputDataError
from xiaozhen.region._bundled import bundled_path

__all__ = ["CensusYear", "census_join_report", "census_table"]

logger = logging.getLogger(__name__)

CensusYear = Literal[2010, 2020]

_FILES = {2020: "census2020_county.csv", 2010: "census2010_county.csv"}
_CODE_COLUMN = {2020: "区划代码", 2010: "区划代码"}
_NAME_COLUMN = {2020: "区县", 2010: "地区"}
_TOTAL_COLUMN = {2020: "人口数_合计", 2010: "合计"}
#: Substrings that mark a column as a rate (averaged with population weights, not summed).
_RATE_MARKERS = ("比", "%", "‰", "平均", "人均", "户规模", "率")


def _is_rate(column: str) -> bool:
    return any(marker in column for marker in _RATE_MARKERS)


@lru_cache(maxsize=1)
def _crosswalk() -> pd.DataFrame:
    table = pd.read_csv(bundled_path("census_crosswalk.csv"), dtype=str, keep_default_na=False)
    table["fraction"] = [float(Fraction(text)) for text in table["fraction"]]
    table["census_year"] = table["census_year"].astype(int)
    return table


@lru_cache(maxsize=2)
def _raw(year: CensusYear) -> pd.DataFrame:
    raw = pd.read_csv(bundled_path(_FILES[year]))
    name_col, code_col = _NAME_COLUMN[year], _CODE_COLUMN[year]
    raw = raw[raw[name_col].notna()].copy()
    code = raw[code_col]
    raw["source_code"] = np.where(code.notna(), code.fillna(0).astype("int64").astype(str), "")
    raw["source_name"] = raw[name_col].astype(str)
    # Keep county-level rows: drop the province (xx0000) and prefecture (xxxx00) totals.
    is_county = ~raw["source_code"].str.endswith("00")
    return raw[is_county].reset_index(drop=True)


def _mapping(year: CensusYear, counties: pd.Index) -> pd.DataFrame:
    """Rows (source_code, source_name, target_adcode, fraction, rule) covering every source row."""
    raw = _raw(year)
    walk = _crosswalk()
    walk = walk[walk["census_year"] == year]
    explicit_codes = set(walk["source_code"]) - {""}
    explicit_names = set(walk.loc[walk["source_code"] == "", "source_name"])
    rows = [
        walk[["source_code", "source_name", "target_adcode", "target_name", "fraction", "rule"]]
    ]
    ident = raw[~raw["source_code"].isin(explicit_codes) & ~raw["source_name"].isin(explicit_names)]
    rows.append(
        pd.DataFrame(
            {
                "source_code": ident["source_code"],
                "source_name": ident["source_name"],
                "target_adcode": ident["source_code"],
                "target_name": ident["source_name"],
                "fraction": 1.0,
                "rule": "same code (1:1)",
            }
        )
    )
    mapping = pd.concat(rows, ignore_index=True)
    unknown = sorted(set(mapping["target_adcode"]) - set(counties))
    if unknown:
        raise InputDataError(
            f"census {year}: units {unknown} map to no county of the bundled boundaries; "
            "add them to region/data/census_crosswalk.csv"
        )
    missing = sorted(set(counties) - set(mapping["target_adcode"]))
    if missing:
        raise InputDataError(
            f"census {year}: counties {missing} receive no census row; "
            "add them to region/data/census_crosswalk.csv"
        )
    return mapping


def census_table(year: CensusYear, counties: pd.Index) -> pd.DataFrame:
    """The census ``year`` table on the given post-2021 county codes (index ``adcode``).

    Parameters
    ----------
    year
        2010 or 2020.
    counties
        The 6-digit adcodes of the target units (the bundled 90).

    Returns
    -------
    pandas.DataFrame
        One row per adcode, the census's own (Chinese) column names; counts apportioned and
        summed, rates population-weighted.
    """
    if year not in _FILES:
        raise InputDataError(f"census year: received {year!r}; use 2010 or 2020")
    raw = _raw(year)
    mapping = _mapping(year, counties)
    key = np.where(raw["source_code"] != "", raw["source_code"], raw["source_name"])
    numeric = raw.drop(columns=[_CODE_COLUMN[year], "source_code", "source_name"]).apply(
        pd.to_numeric, errors="coerce"
    )
    numeric = numeric.loc[:, numeric.notna().any()]
    numeric.index = pd.Index(key)
    mkey = np.where(mapping["source_code"] != "", mapping["source_code"], mapping["source_name"])
    frac = mapping["fraction"].to_numpy()
    source = numeric.loc[mkey].to_numpy(dtype=float)
    total_col = numeric.columns.get_loc(_TOTAL_COLUMN[year])
    rate = np.array([_is_rate(c) for c in numeric.columns])
    # The yearbooks leave zero counts blank (e.g. no rural population in a core district).
    source = np.where(np.isnan(source) & ~rate, 0.0, source)
    # counts: apportion then sum; rates: weight by apportioned population then divide.
    pop = source[:, total_col] * frac
    contrib = np.where(rate, source * pop[:, None], source * frac[:, None])
    target = mapping["target_adcode"].to_numpy()
    frame = pd.DataFrame(contrib, columns=numeric.columns).groupby(target).sum(min_count=1)
    weights = pd.Series(pop).groupby(target).sum()
    frame.loc[:, rate] = frame.loc[:, rate].div(weights, axis=0)
    frame.index.name = "adcode"
    logger.info("census %d: %d source rows -> %d counties", year, len(raw), len(frame))
    return frame.loc[list(counties)]


def census_join_report(counties: pd.Index) -> pd.DataFrame:
    """How every county was joined to each census: sources, fractions, rule and status.

    ``status`` is ``1:1`` (one source, whole), ``aggregated`` (several sources), or
    ``apportioned`` (a share of a source that was split).
    """
    frames = []
    for year in (2010, 2020):
        mapping = _mapping(year, counties).copy()
        mapping.insert(0, "census_year", year)
        n_sources = mapping.groupby("target_adcode")["source_name"].transform("size")
        mapping["status"] = np.select(
            [mapping["fraction"] < 1.0, n_sources > 1], ["apportioned", "aggregated"], "1:1"
        )
        frames.append(mapping)
    report = pd.concat(frames, ignore_index=True)
    return report.sort_values(["census_year", "target_adcode", "source_code"]).reset_index(
        drop=True
    )
