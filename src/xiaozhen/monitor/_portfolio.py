"""A portfolio of towns and their yearly reports: the template, reading CSV / XLSX, validation.

A portfolio file has one row per town and year (:data:`PORTFOLIO_COLUMNS`, the template of
``xiaozhen monitor template FILE``): the town's identity (id, name, county, industry, areas,
creation year), the tier it held that year and what it reported. Blank indicator cells mean
"not reported". Reading collects every problem before raising: each bad row gets one message
with its spreadsheet row number (the header is row 1), e.g. ``row 7 (德清地理信息小镇, 2017):
negative fai_total_bn_yuan (-3)``.
"""

from __future__ import annotations

import difflib
import io
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from xiaozhen._io import write_text_atomic, write_with
from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.industries import industry
from xiaozhen.monitor._rules import TIER_LABELS_ZH, TIERS
from xiaozhen.region import load_counties

__all__ = [
    "INDICATOR_COLUMNS",
    "PORTFOLIO_COLUMNS",
    "Column",
    "Portfolio",
    "portfolio_from_bytes",
    "portfolio_from_frame",
    "read_portfolio",
    "template_columns",
    "write_portfolio_template",
]

logger = logging.getLogger(__name__)

Kind = Literal["text", "int", "number", "tier", "county", "industry", "provenance"]


@dataclass(frozen=True)
class Column:
    """One column of the portfolio template: name, kind, whether every row needs a value,
    unit, and what it means."""

    name: str
    kind: Kind
    required: bool
    unit: str
    description: str


#: The columns of a portfolio file, in template order.
PORTFOLIO_COLUMNS: tuple[Column, ...] = (
    Column("town_id", "text", True, "", "identifier of the town, the same on all its rows"),
    Column("name", "text", False, "", "the town's name, e.g. 德清地理信息小镇 (default: town_id)"),
    Column("tier", "tier", True, "", "tier held that year: cultivation / creation / named (培育 / 创建 / 命名)"),
    Column("county", "county", True, "", "county: 6-digit adcode of today's divisions or its name (330521 or 德清县)"),
    Column("industry", "industry", True, "", "characteristic industry: digital, finance, equipment, fashion, environmental, health, tourism or classic_<x> (classic_tea …)"),
    Column("planned_area_km2", "number", True, "km²", "planned area (about 3 km², BRIEF §4.1)"),
    Column("construction_area_km2", "number", True, "km²", "planned construction area (about 1 km², BRIEF §4.1)"),
    Column("creation_year", "int", True, "year", "year the town entered the list"),
    Column("year", "int", True, "year", "the year reported"),
    Column("fai_total_bn_yuan", "number", False, "bn yuan", "fixed-asset investment in the year, excluding housing and commercial complexes"),
    Column("fai_characteristic_bn_yuan", "number", False, "bn yuan", "of which in the characteristic industry"),
    Column("fai_private_bn_yuan", "number", False, "bn yuan", "of which private"),
    Column("output_bn_yuan", "number", False, "bn yuan", "output (revenue) of the town's firms in the year"),
    Column("tax_bn_yuan", "number", False, "bn yuan", "tax paid in the year"),
    Column("firms", "number", False, "firms", "firms registered in the town at year end"),
    Column("high_tech_firms", "number", False, "firms", "of which high-tech firms"),
    Column("jobs", "number", False, "jobs", "jobs in the town at year end"),
    Column("visitors", "number", False, "persons/yr", "visitors in the year"),
    Column("construction_land_km2", "number", False, "km²", "construction land in use at year end"),
    Column("new_quota_km2", "number", False, "km²", "new construction-land quota used in the year (base of the quota reward)"),
    Column("scenic_level", "int", False, "A", "A-level of the town as a scenic area, 0–5 (3 = AAA)"),
    Column("provenance", "provenance", False, "", "reported (default) or simulated"),
)  # fmt: skip
_BY_NAME = {c.name: c for c in PORTFOLIO_COLUMNS}
#: Columns describing the town (the same on all its rows).
TOWN_COLUMNS = (
    "name",
    "county",
    "industry",
    "planned_area_km2",
    "construction_area_km2",
    "creation_year",
)
#: The yearly indicators (blank = not reported).
INDICATOR_COLUMNS: tuple[str, ...] = tuple(
    c.name
    for c in PORTFOLIO_COLUMNS[PORTFOLIO_COLUMNS.index(_BY_NAME["fai_total_bn_yuan"]) :]
    if c.name != "provenance"
)
_TIER_ALIASES = {**{t: t for t in TIERS}, **{zh: t for t, zh in TIER_LABELS_ZH.items()}}
_YEARS = (1990, 2100)
_MAX_MESSAGES = 60


@dataclass(frozen=True)
class Portfolio:
    """Towns and their yearly reports, validated.

    Attributes
    ----------
    towns
        One row per town, indexed by ``town_id``: ``name``, ``adcode``, ``county`` (name),
        ``industry``, ``planned_area_km2``, ``construction_area_km2``, ``creation_year``.
    reports
        One row per town and year, sorted: ``town_id``, ``year``, ``tier``, the
        :data:`INDICATOR_COLUMNS` (NaN = not reported), ``provenance`` and ``row`` (the row
        number in the source file).
    source
        Where it was read from (a file name, ``upload``, a run folder).
    """

    towns: pd.DataFrame
    reports: pd.DataFrame
    source: str

    @property
    def years(self) -> tuple[int, ...]:
        """The years reported, ascending."""
        return tuple(int(y) for y in sorted(self.reports["year"].unique()))

    @property
    def provenance(self) -> str:
        """``reported``, ``simulated`` or ``mixed``."""
        kinds = set(self.reports["provenance"])
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def to_frame(self) -> pd.DataFrame:
        """The portfolio in the template's columns (one row per town and year)."""
        towns = self.towns.drop(columns=["county"]).rename(columns={"adcode": "county"})
        frame = self.reports.drop(columns=["row"]).join(towns, on="town_id")
        return frame[[c.name for c in PORTFOLIO_COLUMNS]]


# ----------------------------------------------------------------------------- lookups
@lru_cache(maxsize=1)
def _county_names() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """adcode -> name, name -> adcode, short name (suffix dropped) -> adcode (unique ones)."""
    counties = load_counties()
    by_code = {str(k): str(v) for k, v in counties["name"].items()}
    by_name = {v: k for k, v in by_code.items()}
    short: dict[str, list[str]] = {}
    for code, name in by_code.items():
        short.setdefault(_short(name), []).append(code)
    return by_code, by_name, {k: v[0] for k, v in short.items() if len(v) == 1}


def _short(name: str) -> str:
    return re.sub(r"(畲族自治县|自治县|县|市|区)$", "", name.strip())


def _county(value: str) -> tuple[str | None, str]:
    """``(adcode, "")`` or ``(None, problem)`` for a county cell."""
    by_code, by_name, short = _county_names()
    text = value.strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]  # a number cell of a spreadsheet
    if text in by_code:
        return text, ""
    if text in by_name:
        return by_name[text], ""
    if _short(text) in short:
        return short[_short(text)], ""
    close = sorted(
        difflib.get_close_matches(text, list(by_name), n=5, cutoff=0.5),
        key=lambda name: (name[:1] != text[:1], -difflib.SequenceMatcher(None, text, name).ratio()),
    )
    hint = f" (did you mean {close[0]}, {by_name[close[0]]}?)" if close else ""
    return None, (
        f"unknown county {value!r}{hint}: use the adcode or name of one of today's 90 "
        "county-level units (a division merged since 2015 goes under today's, e.g. 江干区 → 上城区)"
    )


def _industry(value: str) -> str:
    """The problem with an industry cell ('' if none), from the one industry catalogue."""
    try:
        industry(value)
    except ConfigError as exc:
        return str(exc).removeprefix("industry: ").replace("unknown key", "unknown industry", 1)
    return ""


# ----------------------------------------------------------------------------- reading
def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a stripped string; blank, None and NaN as ''."""
    out = frame.astype(object).where(frame.notna(), "")
    return out.map(lambda v: str(v).strip())


def _header_problems(columns: list[str]) -> list[str]:
    problems = []
    for name in columns:
        if name not in _BY_NAME:
            close = difflib.get_close_matches(name, list(_BY_NAME), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else "; remove it"
            problems.append(f"unknown column {name!r}{hint}")
    seen = set()
    for name in columns:
        if name in seen:
            problems.append(f"column {name!r} appears twice; keep one")
        seen.add(name)
    missing = [c.name for c in PORTFOLIO_COLUMNS if c.required and c.name not in columns]
    if missing:
        problems.append(
            f"missing column(s) {', '.join(missing)}; start from `xiaozhen monitor template FILE`"
        )
    return problems


class _Problems:
    """Problems per row (index of the frame), in the order found."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[str]] = {}

    def add(self, mask: pd.Series | np.ndarray, message: str | pd.Series) -> None:
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        for i in rows:
            text = message if isinstance(message, str) else str(message.iloc[i])
            self.by_row.setdefault(int(i), []).append(text)


def _numbers(cells: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """The number and whole-number columns as floats (NaN = blank), problems recorded."""
    out = {}
    for column in PORTFOLIO_COLUMNS:
        if column.kind not in ("number", "int") or column.name not in cells:
            continue
        text = cells[column.name]
        blank = text == ""
        values = pd.to_numeric(text.where(~blank, None), errors="coerce").astype(float)
        bad = ~blank & values.isna()
        problems.add(bad, text.map(lambda v, n=column.name: f"{n} is not a number ({v!r})"))
        finite = np.isfinite(values.to_numpy()) | values.isna().to_numpy()
        problems.add(~finite, f"{column.name} is not finite; write a number")
        values = values.where(finite)
        if column.kind == "int":
            fractional = values.notna() & (values != values.round())
            problems.add(
                fractional,
                values.map(lambda v, n=column.name: f"{n} must be a whole number ({v:g})"),
            )
        negative = values < 0
        problems.add(
            negative,
            values.map(
                lambda v, n=column.name: (
                    f"negative {n} ({v:g}); write 0, or leave it blank if not reported"
                )
            ),
        )
        if column.required:
            problems.add(blank, f"missing {column.name}; every row needs one")
        out[column.name] = values
    return pd.DataFrame(out, index=cells.index)


def _row_labels(cells: pd.DataFrame) -> list[str]:
    ids = cells["town_id"] if "town_id" in cells else pd.Series("", index=cells.index)
    names = cells["name"].where(cells["name"] != "", ids) if "name" in cells else ids
    years = cells["year"] if "year" in cells else pd.Series("", index=cells.index)
    labels = []
    for i, (name, year) in enumerate(zip(names, years, strict=True)):
        what = ", ".join(p for p in (name, year.removesuffix(".0")) if p)
        labels.append(f"row {i + 2}" + (f" ({what})" if what else ""))
    return labels


def _town_consistency(frame: pd.DataFrame, problems: _Problems) -> None:
    """A town's descriptive columns must be the same on all its rows."""
    for column in TOWN_COLUMNS:
        values = frame[column]
        first = values.groupby(frame["town_id"]).transform("first")
        first_row = frame["row"].groupby(frame["town_id"]).transform("first")
        differs = (values != first) & values.notna() & first.notna()  # blanks are flagged already
        problems.add(
            differs,
            pd.Series(
                [
                    f"{column} {v!r} differs from {f!r} on row {r:.0f} (a town's name, county, "
                    "industry, areas and creation year are the same on all its rows)"
                    for v, f, r in zip(values, first, first_row, strict=True)
                ],
                index=frame.index,
            ),
        )


def _duplicates(frame: pd.DataFrame, problems: _Problems) -> None:
    """One row per town and year; a town holds one tier a year."""
    key = frame[["town_id", "year"]]
    dup = key.duplicated(keep="first") & frame["year"].notna()
    if not dup.any():
        return
    first_row = frame.groupby(["town_id", "year"])["row"].transform("first")
    first_tier = frame.groupby(["town_id", "year"])["tier"].transform("first")
    messages = []
    for tier, t0, r0, year in zip(frame["tier"], first_tier, first_row, frame["year"], strict=True):
        if tier != t0:
            messages.append(
                f"the town is in two tiers in {year:.0f}: {t0} on row {r0:.0f} and {tier} here; a "
                "town holds one tier a year — keep the row of the tier it held"
            )
        else:
            messages.append(
                f"the town has a second row for {year:.0f} (first on row {r0:.0f}); keep one"
            )
    problems.add(dup, pd.Series(messages, index=frame.index))


def portfolio_from_frame(raw: pd.DataFrame, *, source: str = "portfolio") -> Portfolio:
    """Validate a table in the template's columns and return the :class:`Portfolio`.

    Raises
    ------
    InputDataError
        Listing every bad row, one message per row with its row number (the header is row 1),
        or the problems of the header (unknown or missing columns).
    """
    raw = raw.rename(columns=lambda c: str(c).strip())
    raw = raw.loc[:, [c for c in raw.columns if not c.startswith("Unnamed:")]]
    header = _header_problems(list(raw.columns))
    if header:
        raise InputDataError(f"{source}: " + "; ".join(header))
    cells = _cells(raw.reset_index(drop=True))
    keep = (cells != "").any(axis=1)  # fully blank rows (spreadsheet padding) are skipped
    problems = _Problems()
    for column in PORTFOLIO_COLUMNS:
        if column.name not in cells:
            cells[column.name] = ""
    numbers = _numbers(cells, problems)
    problems.add((cells["town_id"] == "") & keep, "missing town_id; every row names its town")
    tier = cells["tier"].map(_TIER_ALIASES)
    problems.add(
        (cells["tier"] != "") & tier.isna(),
        cells["tier"].map(
            lambda v: f"unknown tier {v!r}: use cultivation, creation or named (培育, 创建, 命名)"
        ),
    )
    problems.add((cells["tier"] == "") & keep, "missing tier; write cultivation, creation or named")
    resolved = cells["county"].map(lambda v: _county(v) if v else (None, ""))
    adcode = resolved.map(lambda r: r[0])
    problems.add((cells["county"] != "") & adcode.isna(), resolved.map(lambda r: r[1]))
    problems.add((cells["county"] == "") & keep, "missing county; write its adcode or name")
    industry_problem = cells["industry"].map(lambda v: _industry(v) if v else "")
    problems.add(industry_problem != "", industry_problem)
    problems.add((cells["industry"] == "") & keep, "missing industry")
    provenance = cells["provenance"].replace("", "reported")
    problems.add(
        provenance == "example",
        "this is an example row of the template; replace it with your towns' reports",
    )
    problems.add(
        ~provenance.isin(["reported", "simulated", "example"]),
        provenance.map(lambda v: f"unknown provenance {v!r}: use reported or simulated"),
    )
    frame = pd.DataFrame(
        {
            "town_id": cells["town_id"],
            "name": cells["name"].where(cells["name"] != "", cells["town_id"]),
            "tier": tier,
            "adcode": adcode,
            "industry": cells["industry"],
            "provenance": provenance,
            "row": cells.index + 2,
        }
    ).join(numbers)
    year, created = frame["year"], frame["creation_year"]
    out_of_range = (year < _YEARS[0]) | (year > _YEARS[1])
    problems.add(out_of_range, year.map(lambda v: f"year {v:g} is out of range {_YEARS}"))
    problems.add(
        year < created,
        pd.Series(
            [
                f"year {y:g} is before the creation year {c:g}"
                for y, c in zip(year, created, strict=True)
            ],
            index=frame.index,
        ),
    )
    problems.add(
        frame["planned_area_km2"] == 0,
        "planned_area_km2 is 0; write the planned area (about 3 km²)",
    )
    problems.add(
        frame["construction_area_km2"] > frame["planned_area_km2"],
        "construction_area_km2 is larger than planned_area_km2",
    )
    for part in ("fai_characteristic_bn_yuan", "fai_private_bn_yuan"):
        problems.add(
            frame[part] > frame["fai_total_bn_yuan"] * (1 + 1e-9),
            f"{part} is larger than fai_total_bn_yuan (it is a part of it)",
        )
    problems.add(frame["high_tech_firms"] > frame["firms"], "high_tech_firms is larger than firms")
    problems.add(frame["scenic_level"] > 5, "scenic_level is at most 5 (AAAAA)")
    _town_consistency(frame.assign(county=frame["adcode"]), problems)
    _duplicates(frame, problems)
    bad = {i: p for i, p in problems.by_row.items() if keep.iloc[i]}
    if bad:
        labels = _row_labels(cells)
        lines = [f"{labels[i]}: {'; '.join(p)}" for i, p in sorted(bad.items())]
        more = len(lines) - _MAX_MESSAGES
        shown = lines[:_MAX_MESSAGES] + ([f"… and {more} more bad rows"] if more > 0 else [])
        raise InputDataError(
            f"{source}: {len(lines)} bad row(s); nothing was graded or written:\n  "
            + "\n  ".join(shown)
        )
    frame = frame[keep.to_numpy()]
    if frame.empty:
        raise InputDataError(
            f"{source}: no rows; add one row per town and year (see `xiaozhen monitor template`)"
        )
    by_code = _county_names()[0]
    towns = (
        frame.groupby("town_id", sort=False)[
            [
                "name",
                "adcode",
                "industry",
                "planned_area_km2",
                "construction_area_km2",
                "creation_year",
            ]
        ]
        .first()
        .assign(county=lambda t: t["adcode"].map(by_code))
    )
    towns["creation_year"] = towns["creation_year"].astype(int)
    reports = (
        frame[["town_id", "year", "tier", *INDICATOR_COLUMNS, "provenance", "row"]]
        .astype({"year": int})
        .sort_values(["town_id", "year"], kind="stable")
        .reset_index(drop=True)
    )
    logger.info(
        "portfolio %s: %d towns, %d reports, years %s", source, len(towns), len(reports),
        sorted(reports["year"].unique().tolist()),
    )  # fmt: skip
    return Portfolio(towns=towns, reports=reports, source=source)


def _read_table(data: bytes | Path, kind: str, source: str) -> pd.DataFrame:
    handle = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        if kind == "xlsx":
            sheets = pd.read_excel(handle, sheet_name=None, dtype=object, engine="openpyxl")
            name = "portfolio" if "portfolio" in sheets else next(iter(sheets))
            return sheets[name]
        return pd.read_csv(handle, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, KeyError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        what = "an XLSX workbook" if kind == "xlsx" else "a UTF-8 CSV file"
        raise InputDataError(f"{source}: cannot be read as {what} ({exc})") from None
    except Exception as exc:  # zipfile.BadZipFile and openpyxl's own errors for a corrupt file
        if kind != "xlsx":
            raise
        raise InputDataError(f"{source}: not a readable XLSX workbook ({exc})") from None


def _kind_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise InputDataError(
        f"portfolio {name!r}: unknown file type {suffix or '(none)'}; use .csv or .xlsx"
    )


def read_portfolio(path: str | os.PathLike[str]) -> Portfolio:
    """Read and validate a portfolio CSV (UTF-8) or XLSX file (sheet ``portfolio``, else the
    first sheet).

    Raises
    ------
    InputDataError
        If the file is missing or unreadable, or with every bad row listed.
    """
    file = Path(path)
    kind = _kind_of(file.name)
    if not file.is_file():
        raise InputDataError(
            f"portfolio: file {str(file)!r} not found; write one from `xiaozhen monitor template FILE`"
        )
    return portfolio_from_frame(_read_table(file, kind, file.name), source=file.name)


def portfolio_from_bytes(data: bytes, *, filename: str) -> Portfolio:
    """A portfolio from the bytes of an uploaded file; its type from ``filename``'s suffix."""
    kind = _kind_of(filename)
    return portfolio_from_frame(_read_table(data, kind, filename), source=filename)


# ----------------------------------------------------------------------------- template
def _example_rows() -> pd.DataFrame:
    rows = []
    for year, fai, char, priv, out, tax, firms, ht, jobs, vis, land, quota, level in (
        (2015, 1.2, 1.0, 0.8, 0.5, 0.02, 120, 8, 900, 150_000, 0.25, 0.10, 2),
        (2016, 1.9, 1.5, 1.4, 2.1, 0.11, 310, 21, 2400, 320_000, 0.45, 0.15, 3),
    ):
        rows.append(
            {
                "town_id": "EXAMPLE-1", "name": "示例小镇 (example)", "tier": "creation",
                "county": "330521", "industry": "digital", "planned_area_km2": 3.0,
                "construction_area_km2": 1.0, "creation_year": 2015, "year": year,
                "fai_total_bn_yuan": fai, "fai_characteristic_bn_yuan": char,
                "fai_private_bn_yuan": priv, "output_bn_yuan": out, "tax_bn_yuan": tax,
                "firms": firms, "high_tech_firms": ht, "jobs": jobs, "visitors": vis,
                "construction_land_km2": land, "new_quota_km2": quota, "scenic_level": level,
                "provenance": "example",
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=[c.name for c in PORTFOLIO_COLUMNS])


def template_columns() -> pd.DataFrame:
    """The documentation of every column: name, required, unit, description."""
    return pd.DataFrame(
        {
            "column": [c.name for c in PORTFOLIO_COLUMNS],
            "required": ["yes" if c.required else "no (blank = not reported)" for c in PORTFOLIO_COLUMNS],
            "unit": [c.unit for c in PORTFOLIO_COLUMNS],
            "description": [c.description for c in PORTFOLIO_COLUMNS],
        }
    )  # fmt: skip


def write_portfolio_template(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write the portfolio template: the columns and two example rows (``provenance=example``,
    refused when graded until replaced). An ``.xlsx`` file also has a ``columns`` sheet
    documenting every column; a ``.csv`` file gets ``<name>.columns.csv`` beside it.

    Raises
    ------
    ConfigError
        If the suffix is neither ``.csv`` nor ``.xlsx``, or the file exists without ``force``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ConfigError(f"FILE: {target.name!r} — use a .csv or .xlsx file name")
    if target.exists() and not force:
        raise ConfigError(f"FILE: {str(target)!r} exists; pass --force to overwrite it")
    example, columns = _example_rows(), template_columns()
    if suffix == ".xlsx":

        def write(tmp: Path) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                example.to_excel(writer, sheet_name="portfolio", index=False)
                columns.to_excel(writer, sheet_name="columns", index=False)

        write_with(target, write)
    else:
        write_text_atomic(target, example.to_csv(index=False))
        write_text_atomic(target.with_suffix(".columns.csv"), columns.to_csv(index=False))
    logger.info("wrote the portfolio template %s", target)
    return target
