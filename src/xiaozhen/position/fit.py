r"""Characteristic-industry positioning: fit scores, uniqueness among neighbours, explanations.

Each unit (county or candidate site) gets a fit score per industry type,

.. math:: F_{u,k} = \sum_d w_{k,d}\, q_{u,d},

where :math:`q_{u,d}\in[0,1]` is the percentile rank of driver *d* among the units assessed
(robust to the skew of location quotients) and :math:`w_{k,d}` the documented driver weights of
industry *k* (:data:`INDUSTRY_DRIVERS`, each row summing to 1). Drivers come from the census
(location quotients, education, ageing, urbanisation), MODIS land cover (forest, water, cropland)
and straight-line access to Hangzhou / Ningbo; for sites, land cover, access and population are
replaced by the site's own values. **Heritage is not in the bundled data**: the classic industries
(tea, silk, yellow wine, medicine, celadon, carving) are proxied by their resource and labour
base unless the user passes a ``heritage`` table, and their scores must be read as such.

Uniqueness (the programme's best-known failure is copy-cat towns): units are assigned in order
of their best fit; a unit's score for industry *k* is reduced by ``penalty`` for every
neighbour already assigned *k* (adjacent counties; sites within ``radius_km``), and it takes the
best adjusted score. The weights are set from the creation guideline's description of each
industry (浙特镇办〔2015〕9号 §2(1)), not fitted to any list of real towns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from xiaozhen._io import write_text_atomic
from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.industries import INDUSTRY_KEYS
from xiaozhen.region.crs import require_projected_metres

__all__ = [
    "DRIVER_DESCRIPTIONS",
    "INDUSTRIES",
    "INDUSTRY_DRIVERS",
    "SITE_LEVEL_DRIVERS",
    "PositioningResult",
    "county_drivers",
    "county_neighbours",
    "position_counties",
    "position_sites",
    "positioning_from_drivers",
    "site_drivers",
    "site_neighbours",
    "write_positioning",
]

logger = logging.getLogger(__name__)

#: Driver -> (source, direction): +1 more is better, -1 less is better.
DRIVER_DESCRIPTIONS: dict[str, str] = {
    "talent": "mean percentile of tertiary-educated share and mean years of schooling (census 2020)",
    "hangzhou_access": "nearness to Hangzhou (straight line from the county seat; sites: county value)",
    "metro_access": "nearness to Hangzhou or Ningbo (sites: travel time to the prefecture city)",
    "urbanisation": "urban share of residents (census 2020)",
    "rurality": "1 - urbanisation: rural hinterland and village economy",
    "market": "residents (county: population 2020; sites: residents within 30 min)",
    "ageing": "share aged 65+ (demand for health and elderly care)",
    "labour_inflow": "share of residents registered elsewhere (migrant labour)",
    "forest": "forest share (MODIS IGBP 2019; sites: ecological PLE share)",
    "water": "water share (MODIS; sites: water cells in the site)",
    "cropland": "cropland share (MODIS IGBP 2019)",
    "lq_manufacturing": "manufacturing location quotient (census 2020 employment)",
    "lq_commerce": "wholesale and retail LQ",
    "lq_hospitality": "accommodation and catering LQ",
    "lq_agriculture": "agriculture, forestry, animal husbandry and fishery LQ",
    "lq_ict": "information transmission, software and IT services LQ",
    "lq_finance": "finance LQ",
    "lq_business": "leasing and business services LQ",
    "lq_research": "scientific research and technical services LQ",
    "lq_health": "health and social work LQ",
    "lq_culture": "culture, sports and entertainment LQ",
    "lq_environment": "water conservancy, environment and public facilities LQ",
    "lq_utilities": "electricity, heat, gas and water supply LQ",
}

#: Industry -> driver weights (sum 1). Keys follow docs/HELPERS_CONTRACT.md.
INDUSTRY_DRIVERS: dict[str, dict[str, float]] = {
    "digital": {"lq_ict": 0.30, "talent": 0.30, "lq_research": 0.15, "hangzhou_access": 0.15,
                "urbanisation": 0.10},
    "finance": {"lq_finance": 0.35, "talent": 0.20, "hangzhou_access": 0.20, "lq_business": 0.15,
                "urbanisation": 0.10},
    "equipment": {"lq_manufacturing": 0.40, "lq_research": 0.15, "metro_access": 0.15,
                  "talent": 0.10, "labour_inflow": 0.10, "market": 0.10},
    "fashion": {"lq_commerce": 0.30, "lq_manufacturing": 0.25, "lq_business": 0.15,
                "metro_access": 0.15, "talent": 0.15},
    "environmental": {"lq_environment": 0.30, "lq_utilities": 0.20, "forest": 0.15, "water": 0.05,
                      "lq_manufacturing": 0.15, "lq_research": 0.15},
    "health": {"lq_health": 0.30, "ageing": 0.20, "forest": 0.20, "water": 0.10,
               "metro_access": 0.10, "lq_hospitality": 0.10},
    "tourism": {"lq_hospitality": 0.30, "forest": 0.20, "water": 0.15, "lq_culture": 0.15,
                "metro_access": 0.10, "rurality": 0.10},
    "classic_tea": {"lq_agriculture": 0.35, "forest": 0.35, "rurality": 0.15,
                    "lq_hospitality": 0.15},
    "classic_silk": {"lq_manufacturing": 0.30, "lq_commerce": 0.25, "cropland": 0.25,
                     "lq_agriculture": 0.20},
    "classic_yellow_wine": {"cropland": 0.30, "water": 0.25, "lq_manufacturing": 0.25,
                            "lq_hospitality": 0.20},
    "classic_medicine": {"forest": 0.30, "lq_agriculture": 0.25, "lq_health": 0.25,
                         "rurality": 0.20},
    "classic_celadon": {"lq_manufacturing": 0.30, "lq_culture": 0.30, "forest": 0.20,
                        "rurality": 0.20},
    "classic_carving": {"forest": 0.35, "lq_culture": 0.30, "lq_manufacturing": 0.20,
                        "rurality": 0.15},
}  # fmt: skip

INDUSTRIES: tuple[str, ...] = tuple(INDUSTRY_DRIVERS)
if set(INDUSTRIES) != set(INDUSTRY_KEYS):  # the one catalogue names every industry
    raise RuntimeError(
        f"position: driver weights for {sorted(set(INDUSTRIES) ^ set(INDUSTRY_KEYS))} do not "
        "match the industry catalogue (xiaozhen.industries)"
    )

#: Weight of a user heritage score in a classic industry's fit (the rest scaled by 1 − this).
HERITAGE_WEIGHT = 0.4

_LQ = {
    "lq_manufacturing": "lq_manufacturing_2020",
    "lq_commerce": "lq_wholesale_retail_2020",
    "lq_hospitality": "lq_hospitality_2020",
    "lq_agriculture": "lq_agriculture_2020",
    "lq_ict": "lq_ict_2020",
    "lq_finance": "lq_finance_2020",
    "lq_business": "lq_business_services_2020",
    "lq_research": "lq_research_2020",
    "lq_health": "lq_health_social_2020",
    "lq_culture": "lq_culture_sports_2020",
    "lq_environment": "lq_environment_public_2020",
    "lq_utilities": "lq_utilities_2020",
}


def county_drivers(counties: pd.DataFrame) -> pd.DataFrame:
    """Raw driver values per county (higher = stronger driver), from ``load_counties`` columns."""
    try:
        d = pd.DataFrame(index=counties.index)
        d["talent"] = (
            counties["tertiary_share_2020"].rank(pct=True)
            + counties["edu_years_2020"].rank(pct=True)
        ) / 2
        d["hangzhou_access"] = -counties["dist_hangzhou_km"].astype(float)
        d["metro_access"] = -counties[["dist_hangzhou_km", "dist_ningbo_km"]].min(axis=1)
        d["urbanisation"] = counties["urbanisation_2020"].astype(float)
        d["rurality"] = 1.0 - counties["urbanisation_2020"].astype(float)
        d["market"] = counties["pop_2020"].astype(float)
        d["ageing"] = counties["age65_share_2020"].astype(float)
        d["labour_inflow"] = (
            counties["migrant_intra_province_share_2020"]
            + counties["migrant_inter_province_share_2020"]
        )
        d["forest"] = counties["lc_forest"].astype(float)
        d["water"] = counties["lc_water"].astype(float)
        d["cropland"] = counties["lc_cropland"].astype(float)
        for key, col in _LQ.items():
            d[key] = counties[col].astype(float)
    except KeyError as exc:
        raise InputDataError(
            f"counties: column {exc.args[0]!r} is missing; pass xiaozhen.region.load_counties()."
        ) from exc
    return d


#: Drivers measured at the site itself (ranked among the sites); the others are the county's,
#: ranked among all counties.
SITE_LEVEL_DRIVERS = ("forest", "water", "metro_access", "market")


def site_drivers(sites: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    """Raw drivers per site: the county's socio-economic drivers with site-level land, access, market.

    Site columns used: ``county``, ``eco_share``, ``water_share``, ``tt_prefecture_min``,
    ``pop_30min`` (from :func:`xiaozhen.assess.sites_from_suitability`).
    """
    missing = sorted({"county", "eco_share", "water_share", "tt_prefecture_min", "pop_30min"}
                     - set(sites.columns))  # fmt: skip
    if missing:
        raise InputDataError(f"sites: columns {missing} are missing (see sites_from_suitability).")
    unknown = sorted(set(sites["county"].astype(str)) - set(counties.index.astype(str)))
    if unknown:
        raise InputDataError(
            f"sites: counties {unknown} are not in the counties frame; pass the frame that holds "
            "each site's county (index adcode)."
        )
    base = county_drivers(counties)
    base.index = base.index.astype(str)
    d = base.loc[sites["county"].astype(str).tolist()].set_index(sites.index)
    d["forest"] = sites["eco_share"].astype(float).fillna(0.0)
    d["water"] = sites["water_share"].astype(float)
    d["metro_access"] = (
        -sites["tt_prefecture_min"].astype(float).fillna(sites["tt_prefecture_min"].max())
    )
    d["market"] = sites["pop_30min"].astype(float)
    return d


@dataclass(frozen=True)
class PositioningResult:
    """Positioning of every unit.

    Attributes
    ----------
    table
        One row per unit: ``best_industry``, ``score`` (fit of the assigned industry),
        ``adjusted_score``, ``runner_up``, ``runner_up_score``, ``raw_best`` (before uniqueness),
        ``neighbours_same``, ``drivers`` (explanation), ``fit_<industry>`` per industry.
    fit
        Fit scores (units × industries).
    percentiles
        Driver percentiles q (units × drivers).
    weights
        Driver weights (industries × drivers).
    """

    table: pd.DataFrame
    fit: pd.DataFrame
    percentiles: pd.DataFrame
    weights: pd.DataFrame


def _raw_text(driver: str, value: float) -> str:
    """Raw driver value for the explanation; access drivers are stored as negative distances."""
    if driver.endswith("_access"):
        return f"{abs(value):.3g} km or min away"
    return f"raw {value:.3g}"


def _weights_frame(
    drivers: pd.DataFrame, weights: Mapping[str, Mapping[str, float]]
) -> pd.DataFrame:
    w = pd.DataFrame(weights).T.fillna(0.0)
    unknown = sorted(set(w.columns) - set(drivers.columns))
    if unknown:
        raise ConfigError(
            f"industry weights: unknown drivers {unknown}; use {list(drivers.columns)}."
        )
    sums = w.sum(axis=1)
    bad = sums[(sums - 1.0).abs() > 1e-6]
    if len(bad) or (w.to_numpy() < 0).any():
        raise ConfigError(
            f"industry weights: each industry's driver weights must be >= 0 and sum to 1; "
            f"got sums {bad.round(4).to_dict()}."
        )
    return w.reindex(columns=drivers.columns, fill_value=0.0)


def positioning_from_drivers(
    drivers: pd.DataFrame,
    neighbours: list[npt.NDArray[np.int64]],
    *,
    weights: Mapping[str, Mapping[str, float]] = INDUSTRY_DRIVERS,
    penalty: float = 0.15,
    heritage: pd.DataFrame | None = None,
    n_explain: int = 3,
    percentiles: pd.DataFrame | None = None,
) -> PositioningResult:
    r"""Fit scores, greedy unique assignment and explanations from a raw driver table.

    Parameters
    ----------
    drivers
        Raw driver values (units × drivers; higher = stronger). Converted to percentile ranks.
    neighbours
        For each unit (row position), the row positions of its neighbours.
    weights
        Industry → driver → weight (each industry sums to 1).
    penalty
        Score reduction per already-assigned neighbour with the same industry (0 disables).
    heritage
        Optional table (same index) with columns ``classic_<x>`` in [0, 1], e.g. counts of listed
        heritage items scaled by the user: mixed into that industry's fit with weight
        :data:`HERITAGE_WEIGHT`.
    percentiles
        Optional precomputed percentiles q in [0, 1] (same index) for some driver columns, used
        instead of ranking those drivers among ``drivers``' units. Sites use it so that
        county-level drivers keep their rank among all counties of the province.
    """
    if len(drivers) < 2:
        raise InputDataError(f"drivers: {len(drivers)} unit(s); at least 2 are needed to rank.")
    if drivers.isna().any().any():
        cols = drivers.columns[drivers.isna().any()].tolist()
        raise InputDataError(f"drivers: NaN in {cols}; fill or drop those units.")
    if penalty < 0:
        raise ConfigError(f"penalty: must be >= 0, got {penalty}.")
    if len(neighbours) != len(drivers):
        raise InputDataError(
            f"neighbours: {len(neighbours)} lists for {len(drivers)} units; give one per unit."
        )
    q = drivers.rank(pct=True, method="average")
    if percentiles is not None:
        unknown = sorted(set(percentiles.columns) - set(drivers.columns))
        pv = percentiles.to_numpy(dtype=np.float64)
        if (
            unknown
            or not percentiles.index.equals(drivers.index)
            or not (np.isfinite(pv).all() and (pv >= 0).all() and (pv <= 1).all())
        ):
            raise InputDataError(
                "percentiles: columns must be drivers, the index must match the units and "
                f"values must lie in [0, 1] (unknown columns: {unknown})."
            )
        q[list(percentiles.columns)] = percentiles
    w = _weights_frame(drivers, weights)
    fit = pd.DataFrame(q.to_numpy() @ w.to_numpy().T, index=drivers.index, columns=w.index)
    if heritage is not None:
        extra = sorted(set(heritage.columns) - set(fit.columns))
        if extra or not heritage.index.equals(drivers.index):
            raise InputDataError(
                f"heritage: columns must be industry keys ({extra} are not) and the index must "
                "match the units."
            )
        h = heritage.astype(float)
        if h.isna().any().any() or (h < 0).any().any() or (h > 1).any().any():
            raise InputDataError("heritage: values must be in [0, 1] without NaN.")
        for col in h.columns:
            fit[col] = (1 - HERITAGE_WEIGHT) * fit[col] + HERITAGE_WEIGHT * h[col]
    f = fit.to_numpy()
    n, k = f.shape
    order = np.argsort(-f.max(axis=1), kind="stable")
    assigned = np.full(n, -1, dtype=np.int64)
    same = np.zeros(n, dtype=np.int64)
    adjusted = np.zeros(n)
    for u in order.tolist():  # one step per unit (counties or sites), not per cell
        nb = assigned[neighbours[u]]
        counts = np.bincount(nb[nb >= 0], minlength=k)
        adj = f[u] - penalty * counts
        best = int(np.argmax(adj))
        assigned[u], adjusted[u], same[u] = best, adj[best], counts[best]
    industries = list(fit.columns)
    raw_best = f.argmax(axis=1)
    masked = f.copy()
    masked[np.arange(n), assigned] = -np.inf
    runner = masked.argmax(axis=1)
    contrib = q.to_numpy()[:, None, :] * w.to_numpy()[None, :, :]  # (units, industries, drivers)
    explain = []
    drv = [str(c) for c in drivers.columns]
    qv = q.to_numpy(dtype=np.float64)
    dv = drivers.to_numpy(dtype=np.float64)
    wv = w.to_numpy(dtype=np.float64)
    for u in range(n):
        c = contrib[u, assigned[u]]
        top = np.argsort(-c)[:n_explain]
        parts = [
            f"{drv[d]} p{100 * qv[u, d]:.0f} ({_raw_text(drv[d], float(dv[u, d]))}, "
            f"w {wv[assigned[u], d]:.2f})"
            for d in top
            if c[d] > 0
        ]
        text = "; ".join(parts)
        if assigned[u] != raw_best[u]:
            text += (
                f" | {industries[raw_best[u]]} ({f[u, raw_best[u]]:.3f}) was taken by a neighbour"
            )
        explain.append(text)
    table = pd.DataFrame(
        {
            "best_industry": [industries[i] for i in assigned],
            "score": f[np.arange(n), assigned],
            "adjusted_score": adjusted,
            "runner_up": [industries[i] for i in runner],
            "runner_up_score": f[np.arange(n), runner],
            "raw_best": [industries[i] for i in raw_best],
            "neighbours_same": same,
            "drivers": explain,
        },
        index=drivers.index,
    )
    table = pd.concat([table, fit.add_prefix("fit_")], axis=1)
    logger.info(
        "positioned %d units: %s; %d moved by the uniqueness rule",
        n,
        table["best_industry"].value_counts().to_dict(),
        int((assigned != raw_best).sum()),
    )
    return PositioningResult(table=table, fit=fit, percentiles=q, weights=w)


def county_neighbours(
    counties: gpd.GeoDataFrame, *, tolerance_m: float = 100.0
) -> list[npt.NDArray[np.int64]]:
    """Row positions of counties whose polygons touch (within ``tolerance_m``)."""
    geoms = counties.geometry.buffer(tolerance_m).to_numpy()
    tree = gpd.GeoSeries(geoms).sindex
    pairs = tree.query(geoms, predicate="intersects")
    out: list[list[int]] = [[] for _ in range(len(counties))]
    for a, b in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        if a != b:
            out[a].append(b)
    return [np.asarray(x, dtype=np.int64) for x in out]


def site_neighbours(sites: gpd.GeoDataFrame, *, radius_km: float) -> list[npt.NDArray[np.int64]]:
    """Row positions of sites whose centroids lie within ``radius_km`` of each other."""
    if radius_km <= 0:
        raise ConfigError(f"radius_km: must be > 0, got {radius_km}.")
    c = sites.geometry.centroid
    tree = cKDTree(np.column_stack([c.x, c.y]))
    lists = tree.query_ball_point(np.column_stack([c.x, c.y]), r=radius_km * 1000.0)
    return [np.asarray([j for j in lst if j != i], dtype=np.int64) for i, lst in enumerate(lists)]


def position_counties(
    counties: gpd.GeoDataFrame,
    *,
    penalty: float = 0.15,
    weights: Mapping[str, Mapping[str, float]] = INDUSTRY_DRIVERS,
    heritage: pd.DataFrame | None = None,
) -> PositioningResult:
    """Position every county; neighbours are adjacent counties (shared border)."""
    drivers = county_drivers(counties)
    return positioning_from_drivers(
        drivers, county_neighbours(counties), weights=weights, penalty=penalty, heritage=heritage
    )


def position_sites(
    sites: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    radius_km: float = 15.0,
    penalty: float = 0.15,
    weights: Mapping[str, Mapping[str, float]] = INDUSTRY_DRIVERS,
    heritage: pd.DataFrame | None = None,
) -> PositioningResult:
    """Position every candidate site; neighbours are sites within ``radius_km``.

    County-level drivers keep the county's percentile among all counties; the site-level ones
    (:data:`SITE_LEVEL_DRIVERS`) are ranked among the sites. Sites must be in a projected CRS in
    metres.
    """
    require_projected_metres(sites.crs, parameter="sites")
    drivers = site_drivers(sites, counties)
    county_q = county_drivers(counties).rank(pct=True, method="average")
    county_q.index = county_q.index.astype(str)
    inherited = [c for c in county_q.columns if c not in SITE_LEVEL_DRIVERS]
    q = county_q.loc[sites["county"].astype(str).tolist(), inherited].set_index(sites.index)
    return positioning_from_drivers(
        drivers,
        site_neighbours(sites, radius_km=radius_km),
        weights=weights,
        penalty=penalty,
        heritage=heritage,
        percentiles=q,
    )


def write_positioning(result: PositioningResult, path: str | Path) -> Path:
    """Write ``positioning.csv`` (one row per unit, index as the first column) atomically."""
    frame = result.table.copy()
    frame.index = frame.index.astype(str)
    label = str(frame.index.name) if frame.index.name is not None else "unit"
    return write_text_atomic(path, frame.to_csv(index_label=label))
