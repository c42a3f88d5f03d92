"""Province scale: indicators, suitability score and urban–rural coupling of every county.

The indicator table is built from the columns of :func:`xiaozhen.region.load_counties` (2020 and
2010 census, MODIS land cover, straight-line access). **There is no county GDP or disposable
income in the bundled data**: the economic and industrial base is proxied by census employment
structure (location quotients of manufacturing and of modern services), population size and
growth, and the education of the population. Every indicator carries its direction and a
description (:data:`COUNTY_INDICATORS`), written beside the results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen._io import write_gpkg, write_text_atomic
from xiaozhen.assess.coupling import coupling_coordination
from xiaozhen.assess.mcda import topsis, weighted_sum
from xiaozhen.assess.weights import AHPResult, critic_weights, entropy_weights, fixed_weights
from xiaozhen.errors import ConfigError, InputDataError

__all__ = [
    "COUNTY_INDICATORS",
    "RURAL_INDICATORS",
    "URBAN_INDICATORS",
    "CountyAssessment",
    "Indicator",
    "assess_counties",
    "county_indicators",
    "write_county_outputs",
]

logger = logging.getLogger(__name__)

Method = Literal["topsis", "weighted_sum"]
WeightsSpec = Literal["entropy", "critic", "equal"] | Mapping[str, float] | AHPResult

#: Modern-service sectors whose pooled location quotient measures the commercial/service base.
SERVICE_SECTORS = ("wholesale_retail", "hospitality", "ict", "finance", "business_services",
                   "research")  # fmt: skip


@dataclass(frozen=True)
class Indicator:
    """One indicator: name, direction, description and how it is computed from county columns."""

    name: str
    direction: Literal["benefit", "cost"]
    description: str
    compute: Callable[[pd.DataFrame], pd.Series]


def _col(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    def get(df: pd.DataFrame) -> pd.Series:
        return df[name].astype(float)

    return get


def _pooled_lq(sectors: tuple[str, ...]) -> Callable[[pd.DataFrame], pd.Series]:
    """LQ of a group of sectors: (E_group,i / E_i) / (E_group / E) (Isard 1960)."""

    def get(df: pd.DataFrame) -> pd.Series:
        emp = df[[f"emp_{s}_2020" for s in sectors]].astype(float).sum(axis=1)
        total = df["employed_sample_2020"].astype(float)
        lq: pd.Series = (emp / total) / (float(emp.sum()) / float(total.sum()))
        return lq

    return get


def _rural_retention(df: pd.DataFrame) -> pd.Series:
    r10 = df["rural_pop_2010"].astype(float)
    r20 = df["rural_pop_2020"].astype(float)
    return pd.Series(np.where(r10 > 0, r20 / r10.where(r10 > 0, 1.0), 1.0), index=df.index)


def _urban_growth(df: pd.DataFrame) -> pd.Series:
    return df["urban_pop_2020"].astype(float) / df["urban_pop_2010"].astype(float) - 1.0


#: Indicators of the county suitability for characteristic towns (economic base, talent,
#: demography, access, land). Proxies are named as such.
COUNTY_INDICATORS: tuple[Indicator, ...] = (
    Indicator("manufacturing_lq", "benefit",
              "Manufacturing location quotient, 2020 census long-form employment (industrial base; "
              "proxy for industrial output, no county GDP available)",
              _col("lq_manufacturing_2020")),
    Indicator("services_lq", "benefit",
              "Pooled LQ of wholesale/retail, hospitality, ICT, finance, business services and "
              "research employment (commercial/service base)",
              _pooled_lq(SERVICE_SECTORS)),
    Indicator("population_2020", "benefit",
              "Resident population 2020 (labour pool and market size)", _col("pop_2020")),
    Indicator("population_ratio", "benefit",
              "Population 2020 / 2010 (attractiveness; census; a ratio so that it stays positive "
              "for vector normalisation)",
              lambda d: d["pop_2020"].astype(float) / d["pop_2010"].astype(float)),
    Indicator("urbanisation", "benefit", "Urban share of residents 2020",
              _col("urbanisation_2020")),
    Indicator("tertiary_share", "benefit",
              "Share of residents aged 6+ with junior college or higher education (talent)",
              _col("tertiary_share_2020")),
    Indicator("edu_years", "benefit", "Mean years of schooling 2020 (human capital)",
              _col("edu_years_2020")),
    Indicator("migrant_share", "benefit",
              "Residents registered in another county of Zhejiang or another province (inflow)",
              lambda d: d["migrant_intra_province_share_2020"].astype(float)
              + d["migrant_inter_province_share_2020"].astype(float)),
    Indicator("age65_share", "cost", "Share of residents aged 65+ (ageing)",
              _col("age65_share_2020")),
    Indicator("metro_distance_km", "cost",
              "Straight-line distance from the county seat to Hangzhou or Ningbo, whichever is "
              "nearer (access to the metropolitan cores)",
              lambda d: d[["dist_hangzhou_km", "dist_ningbo_km"]].astype(float).min(axis=1)),
    Indicator("eco_assets", "benefit",
              "Forest + water share of county area (MODIS IGBP 2019; ecological and scenic assets)",
              lambda d: d["lc_forest"].astype(float) + d["lc_water"].astype(float)),
    Indicator("built_up_share", "benefit",
              "Urban/built-up share of county area (MODIS IGBP 2019; existing construction base)",
              _col("lc_urban")),
)  # fmt: skip

#: Urban subsystem U_urban: size, growth and quality of the urban economy.
URBAN_INDICATORS: tuple[Indicator, ...] = (
    Indicator("urbanisation", "benefit", "Urban share of residents 2020", _col("urbanisation_2020")),
    Indicator("urban_pop_growth", "benefit", "Urban population change 2010–2020", _urban_growth),
    Indicator("services_lq", "benefit", "Pooled modern-services LQ", _pooled_lq(SERVICE_SECTORS)),
    Indicator("tertiary_share", "benefit", "Tertiary-educated share", _col("tertiary_share_2020")),
)  # fmt: skip

#: Rural subsystem U_rural: retention, agricultural base, demographic vitality, living conditions.
#: The census county tables are not split urban/rural for most items, so ageing, housing space
#: and car ownership are county-wide values used as proxies of rural living conditions.
RURAL_INDICATORS: tuple[Indicator, ...] = (
    Indicator("rural_retention", "benefit",
              "Rural population 2020 / 2010 (1 where there was no rural population in 2010)",
              _rural_retention),
    Indicator("agriculture_lq", "benefit", "Agriculture location quotient (agricultural base)",
              _col("lq_agriculture_2020")),
    Indicator("age65_share", "cost", "Share aged 65+ (hollowing-out of villages; county-wide)",
              _col("age65_share_2020")),
    Indicator("rural_land", "benefit", "Cropland + forest share of area (rural resource base)",
              lambda d: d["lc_cropland"].astype(float) + d["lc_forest"].astype(float)),
    Indicator("housing_m2", "benefit", "Housing floor space per person (county-wide)",
              _col("housing_m2_per_person_2020")),
    Indicator("car_share", "benefit", "Households owning a car (county-wide living standard)",
              _col("car_share_2020")),
)  # fmt: skip


def county_indicators(
    counties: pd.DataFrame, indicators: tuple[Indicator, ...] = COUNTY_INDICATORS
) -> pd.DataFrame:
    """Compute the indicator table (one row per county, one column per indicator).

    Raises
    ------
    InputDataError
        Missing source columns (all listed) or NaN in a computed indicator.
    """
    values: dict[str, pd.Series] = {}
    missing: set[str] = set()
    for ind in indicators:
        try:
            values[ind.name] = ind.compute(counties)
        except KeyError as exc:
            missing.add(str(exc.args[0]))
    if missing:
        raise InputDataError(
            f"counties: columns {sorted(missing)} are missing; pass the frame from "
            "xiaozhen.region.load_counties() or add them (docs/HELPERS_CONTRACT.md)."
        )
    table = pd.DataFrame(values, index=counties.index)
    finite = np.isfinite(table.to_numpy(dtype=float)).all(axis=0)
    bad = [c for c, ok in zip(table.columns, finite, strict=True) if not ok]
    if bad:
        raise InputDataError(f"counties: indicators {bad} have NaN/infinite values for some units.")
    return table


def _weights_for(
    table: pd.DataFrame, types: Sequence[str], spec: WeightsSpec
) -> tuple[pd.Series, str]:
    names = list(table.columns)
    if isinstance(spec, AHPResult):
        if list(spec.labels) != names:
            raise ConfigError(
                f"weights: the AHP matrix is labelled {list(spec.labels)}; it must compare the "
                f"indicators {names} in that order."
            )
        return pd.Series(spec.weights, index=names), f"AHP (CR = {spec.cr:.3f})"
    if isinstance(spec, Mapping):
        return pd.Series(fixed_weights(spec, names), index=names), "fixed"
    if spec == "entropy":
        return entropy_weights(table, types), "entropy"
    if spec == "critic":
        return critic_weights(table, types), "CRITIC"
    if spec == "equal":
        return pd.Series(np.full(len(names), 1 / len(names)), index=names), "equal"
    raise ConfigError(
        f"weights: unknown method {spec!r}; use 'entropy', 'critic', 'equal', a mapping "
        "indicator -> weight, or an AHPResult from ahp_weights()."
    )


def _subsystem_index(counties: pd.DataFrame, indicators: tuple[Indicator, ...]) -> pd.Series:
    """Entropy-weighted sum of min–max normalised indicators, in [0, 1]."""
    table = county_indicators(counties, indicators)
    types = [i.direction for i in indicators]
    w = entropy_weights(table, types)
    return pd.Series(weighted_sum(table, w, types, normalization="minmax"), index=table.index)


@dataclass(frozen=True)
class CountyAssessment:
    """Result of :func:`assess_counties`.

    Attributes
    ----------
    counties
        GeoDataFrame (index adcode): name, city, indicator values, ``score`` (0–1), ``rank``
        (1 = best), ``U_urban``, ``U_rural``, ``coupling_C``, ``development_T``,
        ``coordination_D``, ``coordination_class``, ``coordination_zh``, ``coordination_en``,
        ``lag``, geometry.
    indicators
        Indicator metadata: name, direction, weight, description.
    method, weights_method
        Scoring method and how the weights were obtained.
    """

    counties: gpd.GeoDataFrame
    indicators: pd.DataFrame
    method: str
    weights_method: str

    @property
    def weights(self) -> pd.Series:
        """Weight per indicator."""
        return self.indicators["weight"]


def assess_counties(
    counties: gpd.GeoDataFrame,
    *,
    method: Method = "topsis",
    weights: WeightsSpec = "entropy",
    indicators: tuple[Indicator, ...] = COUNTY_INDICATORS,
    coupling_alphas: tuple[float, float] = (0.5, 0.5),
) -> CountyAssessment:
    r"""Score and rank counties for characteristic towns; urban–rural coupling per county.

    1. Indicator table from :data:`COUNTY_INDICATORS` (directions and descriptions recorded).
    2. Weights: entropy (default, BRIEF §4.6), CRITIC, equal, fixed mapping or AHP result.
    3. Score: TOPSIS closeness with vector normalisation (default) or min–max weighted sum;
       rank 1 = best.
    4. Urban–rural coupling: :math:`U_{urban}` and :math:`U_{rural}` are entropy-weighted
       min–max indices of :data:`URBAN_INDICATORS` and :data:`RURAL_INDICATORS` across the
       counties; then :math:`C = 2\sqrt{U_1U_2}/(U_1+U_2)`, :math:`T = \alpha U_1 + \beta U_2`,
       :math:`D = \sqrt{CT}` (:func:`~xiaozhen.assess.coupling_coordination`). Indices are relative
       to the set of counties assessed.

    Parameters
    ----------
    counties
        Frame from :func:`xiaozhen.region.load_counties` (or with the same columns).
    method
        ``"topsis"`` or ``"weighted_sum"``.
    weights
        ``"entropy"``, ``"critic"``, ``"equal"``, a mapping indicator → weight (sum 1), or an
        :class:`~xiaozhen.assess.AHPResult` labelled with the indicator names.
    coupling_alphas
        Contributions (α, β) of the urban and rural subsystems to T.
    """
    if method not in ("topsis", "weighted_sum"):
        raise ConfigError(f"method: use 'topsis' or 'weighted_sum', got {method!r}.")
    if len(counties) < 3:
        raise InputDataError(f"counties: {len(counties)} row(s); at least 3 are needed to compare.")
    table = county_indicators(counties, indicators)
    types = [i.direction for i in indicators]
    w, weights_method = _weights_for(table, types, weights)
    if method == "topsis":
        score = topsis(table, w, types, normalization="vector")
    else:
        score = weighted_sum(table, w, types, normalization="minmax")
    u = pd.DataFrame(
        {
            "urban": _subsystem_index(counties, URBAN_INDICATORS),
            "rural": _subsystem_index(counties, RURAL_INDICATORS),
        }
    )
    coupling = coupling_coordination(u, alphas=list(coupling_alphas)).to_frame()
    keep = [c for c in ("name", "city", "less_developed") if c in counties.columns]
    out = pd.concat([counties[keep], table], axis=1)
    out["score"] = np.asarray(score, dtype=float)
    out["rank"] = out["score"].rank(ascending=False, method="min").astype(int)
    out = pd.concat([out, coupling], axis=1)
    gdf = gpd.GeoDataFrame(out, geometry=counties.geometry, crs=counties.crs)
    meta = pd.DataFrame(
        {
            "direction": [i.direction for i in indicators],
            "weight": w.to_numpy(),
            "description": [i.description for i in indicators],
        },
        index=pd.Index([i.name for i in indicators], name="indicator"),
    )
    logger.info(
        "assessed %d counties with %s and %s weights; best %s",
        len(gdf),
        method,
        weights_method,
        gdf["score"].idxmax(),
    )
    return CountyAssessment(gdf, meta, method, weights_method)


def write_county_outputs(result: CountyAssessment, folder: str | Path) -> dict[str, Path]:
    """Write ``counties.csv``, ``counties.gpkg`` and ``county_indicators.csv`` atomically.

    The GeoPackage timestamp is pinned (``OGR_CURRENT_DATE``) so reruns are byte-identical.
    """
    folder = Path(folder)
    frame = result.counties
    csv = pd.DataFrame(frame.drop(columns="geometry"))
    csv.insert(0, "adcode", csv.index.astype(str))
    csv["method"] = result.method
    csv["weights_method"] = result.weights_method
    paths = {
        "counties.csv": write_text_atomic(folder / "counties.csv", csv.to_csv(index=False)),
        "county_indicators.csv": write_text_atomic(
            folder / "county_indicators.csv", result.indicators.to_csv()
        ),
    }
    gdf = frame.reset_index(names="adcode")
    gdf["adcode"] = gdf["adcode"].astype(str)

    paths["counties.gpkg"] = write_gpkg(gdf, folder / "counties.gpkg", layer="counties")
    logger.info("wrote county assessment to %s", folder)
    return paths
