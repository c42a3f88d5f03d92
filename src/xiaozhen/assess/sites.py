r"""Candidate sites of 1–5 km² from a suitability grid.

Every site-sized square window on a lattice of stride ≈ half the window is scored at once with
summed-area tables (Crow 1984, *SIGGRAPH* 18(3):207): any window sum costs four look-ups, so a
county of ten million cells gives all candidates in one vectorised pass. Candidates that break a
rule (area, developable land, farmland and red-line overlap, urban core) are removed, and the rest
are chosen greedily in order of mean suitability without overlap (Church & ReVelle's greedy
dispersion heuristic; a lattice lock makes each acceptance O(1)).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from xiaozhen.assess.suitability import SuitabilityResult
from xiaozhen.errors import ConfigError, InputDataError

__all__ = ["SiteRules", "sites_from_suitability"]

logger = logging.getLogger(__name__)

AREA_LIMITS_KM2 = (1.0, 5.0)  # 发改规划〔2021〕1383号: planned area 1–5 km²


@dataclass(frozen=True)
class SiteRules:
    """Rules a candidate site must meet (defaults from BRIEF §4.1 and §4.3).

    Attributes
    ----------
    target_area_km2
        Planned area of a site (about 3 km², 浙特镇办〔2015〕9号).
    min_area_km2, max_area_km2
        Bounds on the area inside the county (1–5 km², 发改规划〔2021〕1383号).
    min_developable_km2
        Developable land (no hard constraint) needed: the construction land ≥ 0.5 km² rule.
    target_construction_km2
        Construction land planned (about 1 km²); idle land is reused first up to this amount.
    max_farmland_share, max_redline_share
        Largest share of the site under permanent basic farmland / the ecological red line
        (kept as open space, never built).
    max_urban_core_share
        Largest share of the site in the existing urban core.
    fringe_tt_min
        Travel-time band (minutes to the county seat) that counts as the urban–rural fringe.
    reach_speed_kmh
        Speed converting 15 / 30 minutes into a straight-line reach for ``pop_15min``/``pop_30min``.
    village_radius_m
        Radius for ``villages_nearby``.
    """

    target_area_km2: float = 3.0
    min_area_km2: float = 1.0
    max_area_km2: float = 5.0
    min_developable_km2: float = 0.5
    target_construction_km2: float = 1.0
    max_farmland_share: float = 0.2
    max_redline_share: float = 0.1
    max_urban_core_share: float = 0.1
    fringe_tt_min: tuple[float, float] = (10.0, 40.0)
    reach_speed_kmh: float = 30.0
    village_radius_m: float = 3000.0

    def check(self) -> None:
        """Raise :class:`ConfigError` listing every rule outside its allowed range."""
        lo, hi = AREA_LIMITS_KM2
        problems = []
        for name in ("target_area_km2", "min_area_km2", "max_area_km2"):
            v = getattr(self, name)
            if not lo <= v <= hi:
                problems.append(
                    f"{name} = {v} km² is outside {lo}–{hi} km² (planned area of a characteristic "
                    "town, 发改规划〔2021〕1383号)"
                )
        if not self.min_area_km2 <= self.target_area_km2 <= self.max_area_km2:
            problems.append("need min_area_km2 <= target_area_km2 <= max_area_km2")
        if self.min_developable_km2 < 0 or self.min_developable_km2 > self.max_area_km2:
            problems.append(f"min_developable_km2 = {self.min_developable_km2} is not feasible")
        for name in ("max_farmland_share", "max_redline_share", "max_urban_core_share"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 0 <= self.fringe_tt_min[0] < self.fringe_tt_min[1]:
            problems.append(
                f"fringe_tt_min must be (low, high) with low < high: {self.fringe_tt_min}"
            )
        if self.reach_speed_kmh <= 0 or self.village_radius_m <= 0:
            problems.append("reach_speed_kmh and village_radius_m must be > 0")
        if problems:
            raise ConfigError("site rules: " + "; ".join(problems) + ".")


def _sat(a: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Summed-area table with a zero first row and column."""
    arr = np.asarray(a, dtype=np.float64)
    out = np.zeros((arr.shape[0] + 1, arr.shape[1] + 1))
    np.cumsum(arr, axis=0, out=out[1:, 1:])
    np.cumsum(out[1:, 1:], axis=1, out=out[1:, 1:])
    return out


def _box_sums(
    a: npt.ArrayLike, i0: npt.NDArray[np.int64], j0: npt.NDArray[np.int64],
    i1: npt.NDArray[np.int64], j1: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:  # fmt: skip
    """Sums of ``a`` over rows [i0, i1) × cols [j0, j1) for many windows at once."""
    s = _sat(a)
    return np.asarray(s[i1, j1] - s[i0, j1] - s[i1, j0] + s[i0, j0])


def sites_from_suitability(
    grid: Any,
    suitability: SuitabilityResult,
    *,
    rules: SiteRules | None = None,
    county: str = "",
    max_sites: int | None = None,
) -> gpd.GeoDataFrame:
    """Choose non-overlapping candidate sites from a suitability grid.

    Parameters
    ----------
    grid
        The :class:`xiaozhen.region.CountyGrid` (or layers Dataset) the suitability came from.
    suitability
        Result of :func:`~xiaozhen.assess.suitability_from_layers`.
    rules
        :class:`SiteRules`; a size outside 1–5 km² is an error.
    county
        Adcode written in the ``county`` column and used in ``site_id``.
    max_sites
        Keep at most this many (best first).

    Returns
    -------
    geopandas.GeoDataFrame
        Contract columns (docs/HELPERS_CONTRACT.md) — ``county``, ``area_km2``,
        ``developable_km2``, ``idle_reused_km2``, ``farmland_km2``, ``redline_km2``,
        ``tt_county_seat_min``, ``tt_prefecture_min``, ``pop_15min``, ``pop_30min``,
        ``villages_nearby``, ``suitability``, ``fringe`` — plus ``idle_km2``, ``urban_core_km2``,
        ``eco_share``, ``water_share``, ``slope_mean_pct``, ``rank``; index ``site_id``, sorted by
        suitability. Means are over the site's cells inside the county.
    """
    rules = rules or SiteRules()
    rules.check()
    layers = getattr(grid, "layers", grid)
    cell = suitability.cell_size_m
    cell_km2 = cell * cell / 1e6
    ny, nx = suitability.valid.shape
    if layers.sizes["y"] != ny or layers.sizes["x"] != nx:
        raise InputDataError(
            f"grid and suitability differ in shape: {(layers.sizes['y'], layers.sizes['x'])} vs "
            f"{(ny, nx)}. Pass the grid the suitability was computed from."
        )
    k = max(1, round(math.sqrt(rules.target_area_km2) * 1000.0 / cell))
    if k * k * cell_km2 > rules.max_area_km2 or k * k * cell_km2 < rules.min_area_km2:
        raise ConfigError(
            f"cell size {cell} m cannot form a square of about {rules.target_area_km2} km² inside "
            f"{rules.min_area_km2}–{rules.max_area_km2} km²; use a finer grid."
        )
    if k > min(ny, nx):
        raise InputDataError(
            f"grid of {ny}×{nx} cells is smaller than one site ({k}×{k} cells of {cell} m)."
        )
    stride = max(1, k // 2)
    li = np.arange(0, ny - k + 1, stride)
    lj = np.arange(0, nx - k + 1, stride)
    gi, gj = np.meshgrid(li, lj, indexing="ij")
    i0, j0 = gi.ravel(), gj.ravel()
    i1, j1 = i0 + k, j0 + k

    valid = suitability.valid
    code = suitability.constraints.values
    raw = suitability.raw
    developable = np.asarray(raw["developable"].values, dtype=bool)

    def box(a: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return _box_sums(a, i0, j0, i1, j1)

    n_valid = box(valid)
    area = n_valid * cell_km2
    dev = box(developable) * cell_km2
    farm = box((code & 4) > 0) * cell_km2
    red = box((code & 2) > 0) * cell_km2
    core = box(np.asarray(raw["urban_core"].values, dtype=bool)) * cell_km2
    suit_sum = box(np.nan_to_num(suitability.suitability.values, nan=0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_suit = np.where(n_valid > 0, suit_sum / np.maximum(n_valid, 1), 0.0)
        ok = (
            (area >= rules.min_area_km2 - 1e-9)
            & (area <= rules.max_area_km2 + 1e-9)
            & (dev >= rules.min_developable_km2 - 1e-9)
            & (farm <= rules.max_farmland_share * area + 1e-9)
            & (red <= rules.max_redline_share * area + 1e-9)
            & (core <= rules.max_urban_core_share * area + 1e-9)
        )
    cand = np.flatnonzero(ok)
    order = cand[np.argsort(-mean_suit[cand], kind="stable")]
    # greedy non-overlap on the lattice: windows overlap iff both lattice offsets < ceil(k/stride)
    reach = -(-k // stride)
    locked = np.zeros((li.size + 2 * reach, lj.size + 2 * reach), dtype=bool)
    lat_i, lat_j = np.divmod(order, lj.size)
    chosen: list[int] = []
    limit = max_sites if max_sites is not None else order.size
    for idx, a, b in zip(order.tolist(), lat_i.tolist(), lat_j.tolist(), strict=True):
        if locked[a + reach, b + reach]:
            continue
        chosen.append(idx)
        locked[a + 1 : a + 2 * reach, b + 1 : b + 2 * reach] = True
        if len(chosen) >= limit:
            break
    sel = np.asarray(chosen, dtype=np.int64)
    logger.info(
        "sites: %d windows of %d×%d cells, %d pass the rules, %d chosen without overlap",
        i0.size, k, k, cand.size, sel.size,
    )  # fmt: skip
    si0, sj0, si1, sj1 = i0[sel], j0[sel], i1[sel], j1[sel]

    def sbox(a: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return _box_sums(a, si0, sj0, si1, sj1)

    def smean(name: str) -> npt.NDArray[np.float64]:
        if name not in raw.data_vars:
            return np.full(sel.size, np.nan)
        vals = np.where(valid, np.asarray(raw[name].values, dtype=np.float64), 0.0)
        return sbox(vals) / np.maximum(n_valid[sel], 1)

    idle = np.asarray(layers["idle_construction"].values, dtype=bool) & developable
    idle_km2 = sbox(idle) * cell_km2
    ple = np.asarray(layers["ple"].values) if "ple" in layers.data_vars else None
    eco = sbox(valid & (ple == 3)) if ple is not None else np.full(sel.size, np.nan)
    water_share = sbox(valid & np.asarray(layers["water"].values, dtype=bool)) / np.maximum(
        n_valid[sel], 1
    )
    x = layers["x"].values.astype(np.float64)
    y = layers["y"].values.astype(np.float64)
    cx = (x[sj0] + x[sj1 - 1]) / 2.0
    cy = (y[si0] + y[si1 - 1]) / 2.0
    pop = np.nan_to_num(np.asarray(layers["population"].values, dtype=np.float64), nan=0.0)
    pop_sat = _sat(pop)

    def reach_sum(minutes: float) -> npt.NDArray[np.float64]:
        # disk of radius speed × time, as the square of equal area centred on the site
        half = round(math.sqrt(math.pi) * rules.reach_speed_kmh * minutes / 60 * 1000 / cell / 2)
        ci, cj = (si0 + si1) // 2, (sj0 + sj1) // 2
        a0, a1 = np.clip(ci - half, 0, ny), np.clip(ci + half + 1, 0, ny)
        b0, b1 = np.clip(cj - half, 0, nx), np.clip(cj + half + 1, 0, nx)
        return np.asarray(pop_sat[a1, b1] - pop_sat[a0, b1] - pop_sat[a1, b0] + pop_sat[a0, b0])

    settlements = getattr(grid, "settlements", None)
    villages = np.zeros(sel.size, dtype=np.int64)
    if settlements is not None and len(settlements):
        v = settlements[settlements["kind"] == "village"]
        if len(v):
            tree = cKDTree(np.column_stack([v.geometry.x, v.geometry.y]))
            villages = np.asarray(
                tree.query_ball_point(np.column_stack([cx, cy]), r=rules.village_radius_m,
                                      return_length=True), dtype=np.int64)  # fmt: skip
    tt_seat = smean("tt_county_seat_min")
    lo, hi = rules.fringe_tt_min
    half_cell = cell / 2.0
    boxes = shapely.box(x[sj0] - half_cell, y[si1 - 1] - half_cell, x[sj1 - 1] + half_cell,
                        y[si0] + half_cell)  # fmt: skip
    boundary = getattr(grid, "boundary", None)
    geoms = shapely.intersection(boxes, boundary) if boundary is not None else boxes
    n = sel.size
    ids = [f"{county or 'site'}-{r + 1:04d}" for r in range(n)]
    frame = gpd.GeoDataFrame(
        {
            "county": [county] * n,
            "area_km2": area[sel],
            "developable_km2": dev[sel],
            "idle_km2": idle_km2,
            "idle_reused_km2": np.minimum(idle_km2, rules.target_construction_km2),
            "farmland_km2": farm[sel],
            "redline_km2": red[sel],
            "urban_core_km2": core[sel],
            "tt_county_seat_min": tt_seat,
            "tt_prefecture_min": smean("tt_prefecture_min"),
            "pop_15min": reach_sum(15.0),
            "pop_30min": reach_sum(30.0),
            "villages_nearby": villages,
            "suitability": mean_suit[sel],
            "fringe": (tt_seat >= lo) & (tt_seat <= hi) & (core[sel] == 0),
            "eco_share": eco / np.maximum(n_valid[sel], 1),
            "water_share": water_share,
            "slope_mean_pct": smean("slope_pct"),
            "rank": np.arange(1, n + 1),
        },
        geometry=geoms,
        crs=suitability.crs_wkt,
        index=pd.Index(ids, name="site_id"),
    )
    return frame
