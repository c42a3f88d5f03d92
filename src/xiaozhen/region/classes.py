"""Land-cover class tables and their production–living–ecological (PLE, 三生) classes.

Three schemes ship with the package (``xiaozhen/region/data/classes``, documented in its
README): the national land-use classification GB/T 21010-2017 used by the third national land
survey (三调), MODIS MCD12 IGBP and ESA WorldCover. Each table maps an integer class code to a
PLE class and to one of the six land-cover groups of the county table (``lc_forest`` ...
``lc_other``). A user may pass the path of their own CSV with the same columns.

PLE assignment after 时振钦, 邓伟 & 张少尧 (2018), 地理研究 37(3):607 (BRIEF §4.6): production =
cropland, orchards, tea, industrial, mining, storage, transport, scenic facilities; living = urban,
town, village, homestead, parks; ecological = forest, grassland, water, wetland, bare land.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.region._bundled import bundled_path

__all__ = [
    "CLASS_SCHEMES",
    "LANDCOVER_GROUPS",
    "PLE_CODES",
    "ClassScheme",
    "class_table",
    "class_table_path",
    "group_of_codes",
    "group_shares",
    "ple_of_codes",
]

logger = logging.getLogger(__name__)

ClassScheme = Literal["gbt21010", "modis_igbp", "esa_worldcover"]

#: Scheme name -> bundled CSV file name.
CLASS_SCHEMES: dict[str, str] = {
    "gbt21010": "gbt21010_2017.csv",
    "modis_igbp": "modis_igbp.csv",
    "esa_worldcover": "esa_worldcover.csv",
}

#: PLE class name -> code stored in the ``ple`` layer (0 = unknown / outside the county).
PLE_CODES: dict[str, int] = {"production": 1, "living": 2, "ecological": 3}

#: The six land-cover groups of the county table, in column order.
LANDCOVER_GROUPS: tuple[str, ...] = ("forest", "cropland", "urban", "water", "grass", "other")

_COLUMNS = ("code", "name_zh", "name_en", "ple", "group")


def class_table_path(scheme: str | Path) -> Path:
    """Path of the class table for a bundled scheme name or a user CSV path."""
    if isinstance(scheme, str) and scheme in CLASS_SCHEMES:
        return bundled_path(f"classes/{CLASS_SCHEMES[scheme]}")
    path = Path(scheme)
    if not path.is_file():
        raise ConfigError(
            f"classes: {str(scheme)!r} is neither a bundled scheme ({', '.join(CLASS_SCHEMES)}) "
            "nor an existing CSV file. Name a bundled scheme or give the path of a CSV with "
            f"columns {', '.join(_COLUMNS)}."
        )
    return path


@lru_cache(maxsize=16)
def _read_table(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"code": "int64"})
    missing = [c for c in ("code", "ple", "group") if c not in table.columns]
    problems = []
    if missing:
        problems.append(f"missing columns {missing}")
    else:
        bad_ple = sorted(set(table["ple"]) - set(PLE_CODES))
        bad_group = sorted(set(table["group"]) - set(LANDCOVER_GROUPS))
        if bad_ple:
            problems.append(f"ple values {bad_ple} not in {list(PLE_CODES)}")
        if bad_group:
            problems.append(f"group values {bad_group} not in {list(LANDCOVER_GROUPS)}")
        dupes = sorted(table.loc[table["code"].duplicated(), "code"].tolist())
        if dupes:
            problems.append(f"duplicate codes {dupes}")
    if problems:
        raise InputDataError(f"class table {path}: " + "; ".join(problems) + ". Fix the CSV.")
    return table.set_index("code")


def class_table(scheme: str | Path) -> pd.DataFrame:
    """The class table of a scheme, indexed by integer ``code``.

    Parameters
    ----------
    scheme
        ``"gbt21010"`` (三调 / GB/T 21010-2017), ``"modis_igbp"``, ``"esa_worldcover"`` or the
        path of a CSV with columns ``code, name_zh, name_en, ple, group``.
    """
    return _read_table(class_table_path(scheme)).copy()


def _lookup(
    codes: npt.ArrayLike,
    scheme: str | Path,
    column: str,
    values: dict[str, int],
    *,
    nodata: int | None,
    parameter: str,
) -> npt.NDArray[np.int8]:
    arr = np.asarray(codes)
    table = _read_table(class_table_path(scheme))
    valid = np.ones(arr.shape, dtype=bool) if nodata is None else arr != nodata
    present = np.unique(arr[valid]).astype(np.int64)
    unknown = np.setdiff1d(present, table.index.to_numpy())
    if unknown.size:
        raise InputDataError(
            f"{parameter}: class codes {unknown.tolist()} are not in the {scheme!s} class table. "
            f"Add them to {class_table_path(scheme)} (or a copy named with `classes = ...` in the "
            "import TOML), or declare the layer's nodata value."
        )
    out = np.zeros(arr.shape, dtype=np.int8)
    if present.size:
        lut_codes = table.index.to_numpy()
        lut_vals = table[column].map(values).to_numpy().astype(np.int8)
        order = np.argsort(lut_codes)
        pos = np.searchsorted(lut_codes[order], arr[valid].astype(np.int64))
        out[valid] = lut_vals[order][pos]
    return out


def ple_of_codes(
    codes: npt.ArrayLike,
    scheme: str | Path,
    *,
    nodata: int | None = None,
    parameter: str = "landcover",
) -> npt.NDArray[np.int8]:
    """PLE class (1 production, 2 living, 3 ecological; 0 for ``nodata``) of every code.

    Raises
    ------
    InputDataError
        If a code is missing from the table; the message lists the codes and the file to edit.
    """
    return _lookup(codes, scheme, "ple", PLE_CODES, nodata=nodata, parameter=parameter)


def group_of_codes(
    codes: npt.ArrayLike,
    scheme: str | Path,
    *,
    nodata: int | None = None,
    parameter: str = "landcover",
) -> npt.NDArray[np.int8]:
    """Index into :data:`LANDCOVER_GROUPS` plus one (0 for ``nodata``) of every code."""
    values = {g: i + 1 for i, g in enumerate(LANDCOVER_GROUPS)}
    return _lookup(codes, scheme, "group", values, nodata=nodata, parameter=parameter)


def group_shares(
    codes: npt.ArrayLike,
    scheme: str | Path,
    *,
    mask: npt.ArrayLike | None = None,
    nodata: int | None = None,
) -> dict[str, float]:
    """Share of each land-cover group among the valid cells (inside ``mask``), keys ``lc_<group>``."""
    groups = group_of_codes(codes, scheme, nodata=nodata)
    inside = groups > 0 if mask is None else (groups > 0) & np.asarray(mask, dtype=bool)
    counts = np.bincount(groups[inside], minlength=len(LANDCOVER_GROUPS) + 1)[1:]
    total = counts.sum()
    if total == 0:
        raise InputDataError("landcover: no valid cells to compute shares from.")
    return {f"lc_{g}": float(c / total) for g, c in zip(LANDCOVER_GROUPS, counts, strict=True)}
