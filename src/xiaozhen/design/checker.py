"""Independent re-verification of a finished town layout.

:func:`check_layout` shares no code with the optimisers: it recomputes areas, shares, slope
conformity, control lines, the pollution buffer, service capacity and — by its own walking-distance
code, a vectorised Bellman–Ford relaxation over the 8 grid directions rather than scipy's
Dijkstra — the walking distance from every home to each service. Every check reports its value,
limit and slack (≥ 0 when met for "at most"/"at least" thresholds, ``> 0`` for the strict buffer).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from xiaozhen.design._rules import SERVICE_KEYS, DesignRules, Use
from xiaozhen.design._site import SiteGrid

__all__ = ["Check", "check_layout", "walking_distance_relaxation"]

logger = logging.getLogger(__name__)

_CONSTRUCTION = np.array(
    [
        Use.INDUSTRY,
        Use.SUPPORT,
        Use.RESIDENTIAL,
        Use.SCHOOL,
        Use.CLINIC,
        Use.ELDERLY,
        Use.CULTURE,
        Use.MARKET,
        Use.TRANSIT,
        Use.ROAD,
    ]
)
_SENSITIVE = np.array([Use.RESIDENTIAL, Use.SCHOOL, Use.CLINIC, Use.ELDERLY])
_PUBLIC = np.array([Use.SCHOOL, Use.CLINIC, Use.ELDERLY, Use.CULTURE, Use.MARKET, Use.TRANSIT])


@dataclass(frozen=True)
class Check:
    """One constraint check: ``passed`` iff ``slack`` satisfies the rule (see module docstring)."""

    name: str
    passed: bool
    value: float
    limit: float
    slack: float
    unit: str
    hard: bool
    source: str


def walking_distance_relaxation(
    sources: npt.NDArray[np.bool_], walkable: npt.NDArray[np.bool_], cell_size_m: float
) -> npt.NDArray[np.float64]:
    """Walking distance (m) to the nearest source cell by repeated 8-direction relaxation.

    :math:`d \\leftarrow \\min(d, d_{\\text{shift}} + \\ell)` for the 8 shifts (:math:`\\ell = h`
    or :math:`h\\sqrt 2`), both cells walkable and, diagonally, both rook cells walkable, until no
    distance changes (Bellman–Ford on the grid graph). Non-walkable cells stay ``inf``.
    """
    rows, cols = walkable.shape
    d = np.where(sources & walkable, 0.0, np.inf)
    pad_w = np.zeros((rows + 2, cols + 2), dtype=bool)
    pad_w[1:-1, 1:-1] = walkable
    moves = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    masks = []
    for dr, dc in moves:
        nbr = pad_w[1 + dr : 1 + dr + rows, 1 + dc : 1 + dc + cols]
        ok = walkable & nbr
        if dr and dc:
            ok = (
                ok
                & pad_w[1 + dr : 1 + dr + rows, 1 : 1 + cols]
                & pad_w[1 : 1 + rows, 1 + dc : 1 + dc + cols]
            )
        masks.append((dr, dc, ok, cell_size_m * (math.sqrt(2.0) if dr and dc else 1.0)))
    for _ in range(rows * cols + 1):
        pad_d = np.full((rows + 2, cols + 2), np.inf)
        pad_d[1:-1, 1:-1] = d
        new = d.copy()
        for dr, dc, ok, step in masks:
            cand = pad_d[1 + dr : 1 + dr + rows, 1 + dc : 1 + dc + cols] + step
            new = np.where(ok & (cand < new), cand, new)
        if np.array_equal(new, d):
            break
        d = new
    return d


def _check(
    name: str,
    value: float,
    limit: float,
    *,
    at_most: bool,
    unit: str,
    source: str,
    hard: bool = True,
) -> Check:
    slack = (limit - value) if at_most else (value - limit)
    return Check(
        name, bool(slack >= -1e-9), float(value), float(limit), float(slack), unit, hard, source
    )


def check_layout(
    layout_grid: npt.NDArray[np.integer], layers: SiteGrid, rules: DesignRules
) -> tuple[Check, ...]:
    """Re-verify every hard constraint (and the soft national checks) of a finished layout.

    Parameters
    ----------
    layout_grid
        2-D array of :class:`~xiaozhen.design.Use` codes on the design grid (0 outside the site).
    layers
        The site's layers on the same grid (:class:`~xiaozhen.design.SiteGrid`).
    rules
        The design rules to check against.
    """
    u = np.asarray(layout_grid).astype(np.int64)
    if u.shape != layers.shape:
        raise ValueError(
            f"layout_grid: shape {u.shape} differs from the site grid {layers.shape}; pass the "
            "layout of this site."
        )
    a = layers.cell_size_m**2
    km2 = a / 1e6
    site = layers.in_site
    checks: list[Check] = []
    outside_wrong = int(np.count_nonzero((u != Use.OUTSIDE) != site))
    checks.append(
        _check(
            "covers_site",
            outside_wrong,
            0,
            at_most=True,
            unit="cells",
            source="every site cell has one use",
        )
    )
    constr = np.isin(u, _CONSTRUCTION) & site
    c_km2 = constr.sum() * km2
    checks.append(
        _check(
            "construction_area_min",
            c_km2,
            rules.construction_min_km2,
            at_most=False,
            unit="km2",
            source="发改规划〔2021〕1383号",
        )
    )
    checks.append(
        _check(
            "construction_area_max",
            c_km2,
            rules.construction_max_km2,
            at_most=True,
            unit="km2",
            source="浙特镇办〔2015〕9号 (about 1 km²)",
        )
    )
    res = (u == Use.RESIDENTIAL) & site
    share = res.sum() / max(int(constr.sum()), 1)
    checks.append(
        _check(
            "residential_share_max",
            share,
            rules.residential_share_max,
            at_most=True,
            unit="share",
            source="1383号: ≤ 30 %",
        )
    )
    water = layers.water & site
    red = layers.redline & site & ~water
    bf = layers.basic_farmland & site & ~water & ~red
    denom = int(site.sum() - water.sum() - bf.sum())
    green = np.isin(u, [Use.GREEN_KEPT, Use.GREEN_NEW]) & site
    checks.append(
        _check(
            "green_cover_min",
            green.sum() / max(denom, 1),
            rules.green_cover_min,
            at_most=False,
            unit="share",
            source="1383号: ≥ 30 % (of site less water and basic farmland)",
        )
    )
    checks.append(
        _check(
            "water_untouched",
            int(np.count_nonzero(water & (u != Use.WATER))),
            0,
            at_most=True,
            unit="cells",
            source="国办发〔2020〕33号 control lines",
        )
    )
    checks.append(
        _check(
            "redline_untouched",
            int(np.count_nonzero(red & (u != Use.GREEN_KEPT))),
            0,
            at_most=True,
            unit="cells",
            source="ecological red line 生态保护红线",
        )
    )
    checks.append(
        _check(
            "farmland_untouched",
            int(np.count_nonzero(bf & (u != Use.FARMLAND))),
            0,
            at_most=True,
            unit="cells",
            source="permanent basic farmland 永久基本农田",
        )
    )
    slope = layers.slope_pct
    groups = (
        ("slope_industry", np.isin(u, [Use.INDUSTRY, Use.SUPPORT]), rules.slope_max_industry_pct),
        ("slope_residential", u == Use.RESIDENTIAL, rules.slope_max_residential_pct),
        ("slope_public", np.isin(u, _PUBLIC), rules.slope_max_public_pct),
        ("slope_road", (u == Use.ROAD) & ~layers.road, rules.slope_max_road_pct),
    )
    for name, mask, limit in groups:
        worst = float(slope[mask & site].max()) if np.any(mask & site) else 0.0
        checks.append(_check(name, worst, limit, at_most=True, unit="pct", source="CJJ 83-99"))
    if rules.require_urban_boundary:
        outside_ub = int(np.count_nonzero(constr & ~layers.urban_boundary & ~layers.road))
        checks.append(
            _check(
                "urban_boundary", outside_ub, 0, at_most=True, unit="cells", source="城镇开发边界"
            )
        )
    if rules.polluting_industry and rules.pollution_buffer_m > 0:
        ind = (u == Use.INDUSTRY) & site
        sens = np.isin(u, _SENSITIVE) & site
        if ind.any() and sens.any():
            dist = ndimage.distance_transform_edt(~ind) * layers.cell_size_m
            closest = float(dist[sens].min())
        else:
            closest = math.inf
        slack = closest - rules.pollution_buffer_m
        checks.append(
            Check(
                "pollution_buffer",
                bool(slack > 1e-6),
                closest,
                rules.pollution_buffer_m,
                slack,
                "m",
                True,
                "buffer from polluting production to homes, schools, clinics, elderly care",
            )
        )
    walkable = site & ~water & ~red
    residents = res.sum() * a / 1e4 * rules.residents_per_ha
    for key, use in SERVICE_KEYS.items():
        svc = (u == use) & site
        dist = walking_distance_relaxation(svc, walkable, layers.cell_size_m)
        worst = float(dist[res].max()) if res.any() else 0.0
        checks.append(
            _check(
                f"walk_{key}",
                worst,
                rules.walk_max_m,
                at_most=True,
                unit="m",
                source="GB 50180-2018 life circles (network walk)",
            )
        )
        std = rules.services[key]
        demand = residents * std.per_1000 * std.served_share / 1000.0
        need_m2 = max(std.min_land_m2, demand * std.land_m2_per_unit)
        checks.append(
            _check(
                f"capacity_{key}",
                svc.sum() * a,
                need_m2,
                at_most=False,
                unit="m2",
                source=std.source,
            )
        )
    # soft national checks
    checks.append(
        _check(
            "residential_share_encouraged",
            share,
            rules.residential_share_encouraged,
            at_most=True,
            unit="share",
            source="1383号: < 25 % encouraged",
            hard=False,
        )
    )
    jobs = (
        np.count_nonzero((u == Use.INDUSTRY) & site) * a / 1e4 * rules.jobs_per_ha_industry
        + np.count_nonzero((u == Use.SUPPORT) & site) * a / 1e4 * rules.jobs_per_ha_support
        + np.count_nonzero(np.isin(u, _PUBLIC) & site) * a / 1e4 * rules.jobs_per_ha_services
    )
    checks.append(
        _check(
            "jobs_min",
            jobs,
            rules.jobs_min,
            at_most=False,
            unit="jobs",
            source="1383号: ≥ 2,000 jobs",
            hard=False,
        )
    )
    site_km2 = site.sum() * km2
    checks.append(
        _check(
            "planned_area_min",
            site_km2,
            1.0,
            at_most=False,
            unit="km2",
            source="1383号: 1–5 km²",
            hard=False,
        )
    )
    checks.append(
        _check(
            "planned_area_max",
            site_km2,
            5.0,
            at_most=True,
            unit="km2",
            source="1383号: 1–5 km²",
            hard=False,
        )
    )
    failed = [c.name for c in checks if c.hard and not c.passed]
    logger.info(
        "check_layout %s: %d checks, hard failures %s",
        layers.site_id,
        len(checks),
        failed or "none",
    )
    return tuple(checks)
