"""Zones of the province model: each county split into urban core, rural area and its towns.

Inputs are the county table of :func:`xiaozhen.region.load_counties` (HELPERS_CONTRACT) and a
town table (one row per town: ``town_id``, ``county`` adcode, ``industry``, ``start_year``,
``investment_yuan``; optional ``area_km2``, ``idle_land_km2`` and the town's design from the
county stage, :data:`DESIGN_COLUMNS`). Zones are ordered ``[cores (C), rural areas (C), towns (T)]``.

Geometry (documented simplification): the zones of one county are ``d_in = 0.5 √area`` km from one
another (the mean distance in a square is ≈ 0.52 × side); zones of different counties are at the
seat-to-seat distance. This nesting lets every gravity / moving-cost sum be computed in
O(draws × (zones + counties²)) instead of O(draws × zones²) (see ``_context.Kernel``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from xiaozhen.errors import InputDataError
from xiaozhen.simulate.parameters import ModelParameters, PolicyPackage, industry_profile

__all__ = [
    "DESIGN_COLUMNS",
    "PROVINCE_INCOME_2020",
    "REQUIRED_COLUMNS",
    "SECTORS",
    "Zones",
    "build_zones",
    "county_incomes",
    "covariate_year",
    "programme_from_counties",
    "synthetic_counties",
    "validate_counties",
    "validate_towns",
]

logger = logging.getLogger(__name__)

F = NDArray[np.float64]

#: Zhejiang per-capita disposable income 2020, yuan: urban 62,699, rural 31,930 (BRIEF §4.5).
PROVINCE_INCOME_2020 = {"urban": 62_699.0, "rural": 31_930.0}

#: Census employment sectors (HELPERS_CONTRACT) grouped into the model's sectors.
SECTORS = ("agriculture", "manufacturing", "services", "town_industry")
_CENSUS_SECTORS = (
    "agriculture",
    "mining",
    "manufacturing",
    "utilities",
    "construction",
    "wholesale_retail",
    "transport",
    "hospitality",
    "ict",
    "finance",
    "real_estate",
    "business_services",
    "research",
    "environment_public",
    "resident_services",
    "education",
    "health_social",
    "culture_sports",
    "public_admin",
)
_INDUSTRIAL = ("mining", "manufacturing", "utilities", "construction")

REQUIRED_COLUMNS = (
    "name",
    "area_km2",
    "pop_2010",
    "urban_pop_2010",
    "rural_pop_2010",
    "pop_2020",
    "urban_pop_2020",
    "rural_pop_2020",
    "lc_forest",
    "lc_cropland",
    "lc_urban",
    "lc_water",
    "lc_grass",
    "lc_other",
    "less_developed",
    "seat_x",
    "seat_y",
    "dist_hangzhou_km",
    "dist_ningbo_km",
    "dist_prefecture_km",
    "edu_years_2020",
    "tertiary_share_2020",
    "migrant_intra_province_share_2020",
    "migrant_inter_province_share_2020",
    *(f"emp_{s}_2020" for s in _CENSUS_SECTORS),
)

TOWN_COLUMNS = ("town_id", "county", "industry", "start_year", "investment_yuan")
#: Optional columns of a designed town (its build-out from the design stage): industry jobs,
#: residents housed and construction land, km². NaN (or an empty cell) = not designed: the
#: industry profile and the policy apply (see ``_context.TownConstants`` for the mapping).
DESIGN_COLUMNS = ("jobs_designed", "residents_designed", "construction_km2")


def validate_counties(counties: pd.DataFrame) -> pd.DataFrame:
    """Check the county table and return it with a string index.

    Raises
    ------
    InputDataError
        Listing every missing column, NaN column and non-positive population or area.
    """
    problems: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in counties.columns]
    if missing:
        problems.append(f"missing columns {missing} (see docs/HELPERS_CONTRACT.md, load_counties)")
    present = [c for c in REQUIRED_COLUMNS if c in counties.columns and c != "name"]
    nan_cols = [c for c in present if counties[c].isna().any()]
    if nan_cols:
        problems.append(f"NaN values in {nan_cols}; fill or drop those counties")
    for col in ("area_km2", "pop_2010", "pop_2020"):
        if col in counties.columns and (counties[col] <= 0).any():
            bad = list(counties.index[counties[col] <= 0][:5])
            problems.append(f"{col} must be > 0; received non-positive values for {bad}")
    if len(counties) < 2:
        problems.append(f"need at least 2 counties; received {len(counties)}")
    if problems:
        raise InputDataError("counties: " + "; ".join(problems))
    out = counties.copy()
    out.index = out.index.astype(str)
    return out


def validate_towns(towns: pd.DataFrame | None, counties: pd.DataFrame) -> pd.DataFrame:
    """Check the town table against the counties; fill optional columns with defaults.

    Defaults: ``area_km2`` 3.0 (BRIEF §4.1 planning area), ``idle_land_km2`` 0.2 (assumption).
    The design columns :data:`DESIGN_COLUMNS` (``jobs_designed``, ``residents_designed``,
    ``construction_km2``) are optional and stay absent when absent; where present they must be
    finite numbers ≥ 0 or NaN ("not designed"), and are returned as floats.

    Raises
    ------
    InputDataError
        Listing missing columns, unknown counties, unknown industries, bad years or investments,
        and bad design values with the column and the town ids: negative, infinite or
        non-numeric values; ``jobs_designed`` > 0 with ``investment_yuan`` 0 (the designed
        jobs are those the planned investment supports); ``construction_km2`` above
        ``area_km2``.
    """
    if towns is None or len(towns) == 0:
        return pd.DataFrame(
            {
                "town_id": pd.Series([], dtype=str),
                "county": pd.Series([], dtype=str),
                "industry": pd.Series([], dtype=str),
                "start_year": pd.Series([], dtype=int),
                "investment_yuan": pd.Series([], dtype=float),
                "area_km2": pd.Series([], dtype=float),
                "idle_land_km2": pd.Series([], dtype=float),
            }
        )
    problems: list[str] = []
    missing = [c for c in TOWN_COLUMNS if c not in towns.columns]
    if missing:
        raise InputDataError(
            f"towns: missing columns {missing}; a town table needs {list(TOWN_COLUMNS)} "
            f"(optional: area_km2, idle_land_km2, {', '.join(DESIGN_COLUMNS)})"
        )
    out = towns.copy().reset_index(drop=True)
    out["county"] = out["county"].astype(str)
    out["town_id"] = out["town_id"].astype(str)
    unknown = sorted(set(out["county"]) - set(counties.index))
    if unknown:
        problems.append(f"county adcodes not in the county table: {unknown[:10]}")
    bad_ind = []
    for key in out["industry"].astype(str):
        try:
            industry_profile(key)
        except ValueError:
            bad_ind.append(key)
    if bad_ind:
        problems.append(f"unknown industries {sorted(set(bad_ind))}")
    if out["town_id"].duplicated().any():
        problems.append(
            f"duplicate town_id {sorted(out.loc[out['town_id'].duplicated(), 'town_id'])[:5]}"
        )
    inv = pd.to_numeric(out["investment_yuan"], errors="coerce")
    if inv.isna().any() or (inv < 0).any():
        problems.append(
            "investment_yuan must be a number ≥ 0 (planned fixed-asset investment in yuan)"
        )
    yr = pd.to_numeric(out["start_year"], errors="coerce")
    if yr.isna().any():
        problems.append("start_year must be an integer year")
    if "area_km2" not in out.columns:
        out["area_km2"] = 3.0
    if "idle_land_km2" not in out.columns:
        out["idle_land_km2"] = 0.2
    if (out["area_km2"] <= 0).any() or (out["idle_land_km2"] < 0).any():
        problems.append("area_km2 must be > 0 and idle_land_km2 ≥ 0")
    if (out["idle_land_km2"] > out["area_km2"]).any():
        problems.append("idle_land_km2 cannot exceed area_km2")
    problems += _design_problems(out, inv)
    if problems:
        raise InputDataError("towns: " + "; ".join(problems))
    out["investment_yuan"] = inv.astype(float)
    out["start_year"] = yr.astype(int)
    return out


def _design_problems(out: pd.DataFrame, investment: pd.Series) -> list[str]:
    """Check the design columns present in ``out`` and convert them to floats (in place)."""
    problems: list[str] = []

    def ids(mask: pd.Series) -> list[str]:
        return list(out.loc[mask, "town_id"][:5])

    for col in DESIGN_COLUMNS:
        if col not in out.columns:
            continue
        raw = out[col]
        vals = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = (raw.notna() & vals.isna()) | np.isinf(vals) | (vals < 0)
        if bad.any():
            problems.append(
                f"{col} must be a finite number ≥ 0, or NaN / empty for a town without a design; "
                f"received {list(raw[bad][:5])} for town_id {ids(bad)}; correct the design "
                "values or leave the cells empty"
            )
        out[col] = vals
    if "jobs_designed" in out.columns:
        no_money = (out["jobs_designed"] > 0) & (investment == 0)
        if no_money.any():
            problems.append(
                "jobs_designed > 0 needs investment_yuan > 0 (a town's industry jobs are those "
                f"its capital supports); received investment_yuan 0 for town_id "
                f"{ids(no_money)}; give the planned investment or leave jobs_designed empty"
            )
    if "construction_km2" in out.columns:
        area = pd.to_numeric(out["area_km2"], errors="coerce")
        too_big = out["construction_km2"] > area
        if too_big.any():
            problems.append(
                f"construction_km2 cannot exceed area_km2 (the town's land); received "
                f"{list(out.loc[too_big, 'construction_km2'][:5])} km² on "
                f"{list(area[too_big][:5])} km² for town_id {ids(too_big)}; enlarge area_km2 "
                "or correct the design"
            )
    return problems


def _covariate(counties: pd.DataFrame, name: str, year: int) -> pd.Series:
    """Column ``<name>_<year>`` when the table has it, else the 2020 census column."""
    col = f"{name}_{year}"
    return counties[col] if col in counties.columns else counties[f"{name}_2020"]


def covariate_year(counties: pd.DataFrame, year: int) -> int:
    """The census year of the covariates :func:`build_zones` will use for ``year`` (2010 or 2020)."""
    needed = ["edu_years", "tertiary_share", *(f"emp_{s}" for s in _CENSUS_SECTORS)]
    return year if all(f"{n}_{year}" in counties.columns for n in needed) else 2020


def county_incomes(
    counties: pd.DataFrame, *, education_return: float = 0.08, year: int = 2020
) -> pd.DataFrame:
    """Estimate 2020 urban and rural per-capita disposable income of each county.

    No county income series is openly available (BRIEF §5), so the provincial 2020 values
    (urban 62,699, rural 31,930 yuan, BRIEF §4.5) are spread over counties with a Mincer-type
    index of documented proxies:

    .. math::

        \\ln a_c = r_e (E_c - \\bar E) + 0.5 (n_c - \\bar n),\\qquad
        y^u_c = Y^u \\frac{a_c}{\\sum_c w^u_c a_c},\\quad
        y^r_c = Y^r \\frac{a_c^{0.5}}{\\sum_c w^r_c a_c^{0.5}}

    with :math:`E_c` the mean years of schooling (2020 census), :math:`r_e` the return to a year of
    schooling (default 0.08), :math:`n_c` the non-agricultural share of employment (census long
    form) and :math:`w_c` urban (rural) population weights, so that the population-weighted means
    equal the provincial values exactly. Rural incomes get the square root of the index
    (assumption: rural incomes vary less across counties than urban ones).

    With ``year=2010`` the 2010 covariates (``edu_years_2010``, ``emp_<sector>_2010``) and
    weights are used when the table has them (see :func:`xiaozhen.simulate.calibrate.
    with_census_2010_covariates`); the level is still the 2020 provincial one (only relative
    incomes matter to the model; calibration runs rescale rural incomes).

    Returns
    -------
    pandas.DataFrame
        Columns ``urban_income``, ``rural_income`` (yuan per person per year), ``productivity_index``.
    """
    yr = covariate_year(counties, year)
    emp = np.stack(
        [_covariate(counties, f"emp_{s}", yr).to_numpy(float) for s in _CENSUS_SECTORS], axis=1
    )
    total = np.maximum(emp.sum(axis=1), 1.0)
    nonagri = 1.0 - emp[:, 0] / total
    edu = _covariate(counties, "edu_years", yr).to_numpy(float)
    pw = year if year in (2010, 2020) else 2020
    w = counties[f"pop_{pw}"].to_numpy(float)
    log_a = education_return * (edu - np.average(edu, weights=w)) + 0.5 * (
        nonagri - np.average(nonagri, weights=w)
    )
    a = np.exp(log_a)
    wu = counties[f"urban_pop_{pw}"].to_numpy(float)
    wr = counties[f"rural_pop_{pw}"].to_numpy(float)
    urban = PROVINCE_INCOME_2020["urban"] * a / np.average(a, weights=np.maximum(wu, 1.0))
    rural = (
        PROVINCE_INCOME_2020["rural"]
        * np.sqrt(a)
        / np.average(np.sqrt(a), weights=np.maximum(wr, 1.0))
    )
    return pd.DataFrame(
        {"urban_income": urban, "rural_income": rural, "productivity_index": a},
        index=counties.index,
    )


@dataclass(frozen=True)
class Zones:
    """Static description of the zones and their initial state (one base year)."""

    zone_id: tuple[str, ...]
    kind: NDArray[np.int8]  # 0 core, 1 rural, 2 town
    county: NDArray[np.int64]  # county index 0..C-1
    county_adcode: tuple[str, ...]
    county_name: tuple[str, ...]
    county_dist_km: F  # (C, C) seat-to-seat
    within_dist_km: F  # (C,)
    less_developed: NDArray[np.bool_]  # (C,)
    area_km2: F  # (Z,)
    amenity: F  # (Z,)
    pop_groups: F  # (Z, 4): hi-local, hi-migrant, lo-local, lo-migrant
    land: F  # (Z, 4): construction, idle, farmland, ecological (km²)
    urban_income: F  # (C,) per capita, yuan, base year
    rural_income: F  # (C,)
    farm_worker_share: F  # (C,) share of rural workers in farming at the base year
    sector_share: F  # (C, 3) agriculture, industry, services shares of employment
    # towns
    towns: pd.DataFrame
    town_zone: NDArray[np.int64]  # (T,) zone index of each town
    town_county: NDArray[np.int64]  # (T,)
    base_year: int

    @property
    def n_counties(self) -> int:
        """Number of counties C."""
        return len(self.county_adcode)

    @property
    def n_zones(self) -> int:
        """Number of zones Z = 2C + T."""
        return len(self.zone_id)


def build_zones(
    counties: pd.DataFrame,
    towns: pd.DataFrame | None,
    *,
    base_year: Literal[2010, 2020] = 2020,
    params: ModelParameters | None = None,
    policy: PolicyPackage | None = None,
) -> Zones:
    """Split each county into core, rural and town zones with their base-year state.

    Population: core = census urban population, rural = rural population of ``base_year``.
    Covariates (schooling, tertiary and migrant shares, sector mix) are those of ``base_year``
    when the table carries ``<name>_<base_year>`` columns, else the 2020 census values.
    Tertiary share by zone: the county share ``τ`` split so that the core share is
    3.3 × the rural share (assumption) and the county total is kept. Migrant share (intra- plus
    inter-province migrants, 2020 census) split 2:1 between core and rural likewise.
    Land (km²): core construction = max(lc_urban × area, urban_pop / ρ*); the core zone also holds
    an equal area of fringe land (farmland / ecological by the county's land-cover mix) into which
    it can expand. Rural construction = rural_pop × 150 m², 10 % of it idle (hollowed villages;
    assumption). Each town zone takes ``area_km2`` from the rural area: ``idle_land_km2`` of idle
    construction land and the rest farmland / ecological in the county's mix.

    Raises
    ------
    InputDataError
        If the towns need more land than a county's rural area.
    """
    params = params or ModelParameters()
    counties = validate_counties(counties)
    towns = validate_towns(towns, counties)
    n_c = len(counties)
    yr = base_year
    urban = counties[f"urban_pop_{yr}"].to_numpy(float)
    rural = counties[f"rural_pop_{yr}"].to_numpy(float)
    pop = urban + rural
    area = counties["area_km2"].to_numpy(float)
    cov = covariate_year(counties, yr)
    if cov != yr:
        logger.info("base year %d: no %d covariates in the table; using the 2020 census", yr, yr)
    tau = np.clip(_covariate(counties, "tertiary_share", cov).to_numpy(float), 0.0, 0.9)
    mig = np.clip(
        _covariate(counties, "migrant_intra_province_share", cov).to_numpy(float)
        + _covariate(counties, "migrant_inter_province_share", cov).to_numpy(float),
        0.0,
        0.95,
    )

    def split(share: F, ratio: float) -> tuple[F, F]:
        core = np.minimum(0.95, share * pop / np.maximum(urban + rural / ratio, 1.0))
        rur = (share * pop - core * urban) / np.maximum(rural, 1.0)
        return core, np.clip(rur, 0.0, 0.95)

    tau_core, tau_rur = split(tau, 3.3)
    mig_core, mig_rur = split(mig, 2.0)

    def groups(n: F, t: F, m: F) -> F:
        return np.stack(
            [n * t * (1 - m), n * t * m, n * (1 - t) * (1 - m), n * (1 - t) * m], axis=1
        )

    inc = county_incomes(counties, education_return=params.education_return, year=yr)
    emp = np.stack(
        [_covariate(counties, f"emp_{s}", cov).to_numpy(float) for s in _CENSUS_SECTORS], axis=1
    )
    emp_tot = np.maximum(emp.sum(axis=1), 1.0)
    agri = emp[:, 0] / emp_tot
    ind_idx = [_CENSUS_SECTORS.index(s) for s in _INDUSTRIAL]
    industry = emp[:, ind_idx].sum(axis=1) / emp_tot
    sector_share = np.stack([agri, industry, 1.0 - agri - industry], axis=1)
    farm_share = np.clip(agri * pop / np.maximum(rural, 1.0), 0.05, 0.9)

    lc = counties[["lc_cropland", "lc_forest", "lc_grass", "lc_water", "lc_other"]].to_numpy(float)
    crop_frac = lc[:, 0] / np.maximum(lc.sum(axis=1), 1e-9)
    crop_frac = np.where(lc.sum(axis=1) > 0, crop_frac, 0.5)
    amen = np.clip(
        counties["lc_forest"].to_numpy(float) + counties["lc_water"].to_numpy(float), 0, 1
    )

    core_built = np.maximum(
        counties["lc_urban"].to_numpy(float) * area, urban / params.reference_density
    )
    core_built = np.minimum(core_built, 0.45 * area)
    core_fringe = np.minimum(core_built, 0.45 * area - core_built + 1e-9)
    core_fringe = np.maximum(core_fringe, 0.0)
    core_area = core_built + core_fringe

    adcodes = list(counties.index)
    county_of_town = np.array([adcodes.index(c) for c in towns["county"]], dtype=np.int64)
    t_area = towns["area_km2"].to_numpy(float)
    t_idle = towns["idle_land_km2"].to_numpy(float)
    town_area_by_county = np.bincount(county_of_town, weights=t_area, minlength=n_c)
    rural_area = area - core_area - town_area_by_county
    if (rural_area <= 0).any():
        bad = [adcodes[i] for i in np.flatnonzero(rural_area <= 0)]
        raise InputDataError(
            f"towns: total town area exceeds the rural area of counties {bad}; reduce area_km2 "
            "or the number of towns there"
        )
    rural_built = np.minimum(rural * params.homestead_km2_per_resident, 0.3 * rural_area)
    rural_idle = 0.1 * rural_built
    rural_open = rural_area - rural_built

    land_core = np.stack(
        [core_built, np.zeros(n_c), core_fringe * crop_frac, core_fringe * (1 - crop_frac)], axis=1
    )
    land_rural = np.stack(
        [
            rural_built - rural_idle,
            rural_idle,
            rural_open * crop_frac,
            rural_open * (1 - crop_frac),
        ],
        axis=1,
    )
    t_open = t_area - t_idle
    land_town = np.stack(
        [
            np.zeros(len(towns)),
            t_idle,
            t_open * crop_frac[county_of_town],
            t_open * (1 - crop_frac[county_of_town]),
        ],
        axis=1,
    )

    seat = counties[["seat_x", "seat_y"]].to_numpy(float)
    dist = np.sqrt(((seat[:, None, :] - seat[None, :, :]) ** 2).sum(-1)) / 1000.0
    names = counties["name"].astype(str).tolist()
    zone_id = (
        [f"{a}:core" for a in adcodes]
        + [f"{a}:rural" for a in adcodes]
        + [f"{a}:town:{t}" for a, t in zip(towns["county"], towns["town_id"], strict=True)]
    )
    n_t = len(towns)
    zones = Zones(
        zone_id=tuple(zone_id),
        kind=np.concatenate([np.zeros(n_c), np.ones(n_c), np.full(n_t, 2)]).astype(np.int8),
        county=np.concatenate([np.arange(n_c), np.arange(n_c), county_of_town]).astype(np.int64),
        county_adcode=tuple(adcodes),
        county_name=tuple(names),
        county_dist_km=dist,
        within_dist_km=0.5 * np.sqrt(area),
        less_developed=counties["less_developed"].to_numpy(bool),
        area_km2=np.concatenate([core_area, rural_area, t_area]),
        amenity=np.concatenate([0.5 * amen, amen, amen[county_of_town]]),
        pop_groups=np.concatenate(
            [groups(urban, tau_core, mig_core), groups(rural, tau_rur, mig_rur), np.zeros((n_t, 4))]
        ),
        land=np.concatenate([land_core, land_rural, land_town]),
        urban_income=inc["urban_income"].to_numpy(float),
        rural_income=inc["rural_income"].to_numpy(float),
        farm_worker_share=farm_share,
        sector_share=sector_share,
        towns=towns,
        town_zone=np.arange(2 * n_c, 2 * n_c + n_t, dtype=np.int64),
        town_county=county_of_town,
        base_year=int(base_year),
    )
    logger.info(
        "built %d zones (%d counties, %d towns) for base year %d", zones.n_zones, n_c, n_t, yr
    )
    return zones


Layout = Literal["balanced", "suburbs", "fringe"]


def programme_from_counties(
    counties: pd.DataFrame,
    *,
    layout: Layout = "balanced",
    n_towns: int = 30,
    start_year: int = 2021,
    batches: int = 3,
) -> pd.DataFrame:
    """A stand-in town programme when the layout stage's output is not given.

    One town per county (two where ``n_towns`` exceeds the eligible counties), started in
    ``batches`` yearly batches from ``start_year``. Counties are ranked by a *suburban score*
    ``urbanisation_2020 − dist_prefecture_km / 100``:

    * ``"suburbs"``: the top ``n_towns`` (well-developed suburbs of the cities);
    * ``"fringe"``: less-developed counties first, then the lowest suburban scores;
    * ``"balanced"``: half from each list (suburbs first), no county twice.

    Industry = argmax of simple county fit scores (``lq_ict`` → digital, ``lq_finance`` →
    finance, ``lq_manufacturing`` → equipment, 2 × forest share + ``lq_hospitality``/2 → tourism,
    ``lq_agriculture`` → classic_tea, ``lq_health_social`` → health); LQ columns missing from the
    table count as 1. This is a documented stand-in for the position stage. Planned investment =
    the industry's 3-year creation target (BRIEF §4.1): 5 bn yuan, 3 bn for digital, finance,
    tourism and classic towns.

    Raises
    ------
    InputDataError
        If ``n_towns`` is not positive or exceeds twice the number of counties.
    """
    counties = validate_counties(counties)
    if n_towns < 1 or n_towns > 2 * len(counties):
        raise InputDataError(
            f"n_towns: received {n_towns}; use 1..{2 * len(counties)} for {len(counties)} counties"
        )
    urb = counties["urban_pop_2020"] / counties["pop_2020"]
    score = (urb - counties["dist_prefecture_km"] / 100.0).to_numpy(float)
    order_sub = list(np.argsort(-score, kind="stable"))
    fringe_key = np.where(counties["less_developed"].to_numpy(bool), score - 10.0, score)
    order_fringe = list(np.argsort(fringe_key, kind="stable"))
    if layout == "suburbs":
        chosen = order_sub[:n_towns]
    elif layout == "fringe":
        chosen = order_fringe[:n_towns]
    elif layout == "balanced":
        chosen = []
        half = (n_towns + 1) // 2
        chosen = order_sub[:half]
        for idx in order_fringe:
            if len(chosen) >= n_towns:
                break
            if idx not in chosen:
                chosen.append(idx)
    else:
        raise InputDataError(f"layout: unknown {layout!r}; use 'balanced', 'suburbs' or 'fringe'")
    if len(chosen) < n_towns:  # second town in the best counties
        order = order_sub if layout != "fringe" else order_fringe
        chosen += order[: n_towns - len(chosen)]

    def col(name: str) -> NDArray[np.float64]:
        return (
            counties[name].to_numpy(float) if name in counties.columns else np.ones(len(counties))
        )

    fit = np.stack(
        [
            col("lq_ict_2020"),
            col("lq_finance_2020"),
            col("lq_manufacturing_2020"),
            2 * counties["lc_forest"].to_numpy(float) + col("lq_hospitality_2020") / 2,
            col("lq_agriculture_2020"),
            col("lq_health_social_2020"),
        ],
        axis=1,
    )
    keys = ("digital", "finance", "equipment", "tourism", "classic_tea", "health")
    rows = []
    seen: dict[str, int] = {}
    for k, idx in enumerate(chosen):
        adcode = str(counties.index[idx])
        seen[adcode] = seen.get(adcode, 0) + 1
        ind = keys[int(np.argmax(fit[idx]))]
        rows.append(
            {
                "town_id": f"T{adcode}{seen[adcode]}",
                "county": adcode,
                "industry": ind,
                "start_year": start_year + (k * batches) // n_towns,
                "investment_yuan": industry_profile(ind)["target"],
            }
        )
    out = pd.DataFrame(rows)
    logger.info(
        "programme '%s': %d towns in %d counties", layout, len(out), out["county"].nunique()
    )
    return out


def synthetic_counties(n: int = 90, *, seed: int = 0) -> pd.DataFrame:
    """A seeded synthetic county table with every column the model reads (tests, benchmarks).

    Values are drawn to resemble Zhejiang's ranges (populations 0.1–3 M, urbanisation 0.4–0.95,
    schooling 8–13 years); seats on a 450 × 350 km rectangle; the first county is the "capital".
    """
    rng = np.random.default_rng(seed)
    pop2010 = np.exp(rng.normal(np.log(6e5), 0.6, n))
    urb2010 = np.clip(rng.beta(5, 3, n), 0.3, 0.95)
    growth = np.exp(rng.normal(0.1, 0.15, n))
    pop2020 = pop2010 * growth
    urb2020 = np.clip(urb2010 + rng.uniform(0.02, 0.15, n), 0.35, 0.98)
    area = np.exp(rng.normal(np.log(1200), 0.5, n))
    x = rng.uniform(0, 450_000, n)
    y = rng.uniform(0, 350_000, n)
    d_cap = np.hypot(x - x[0], y - y[0]) / 1000
    lc = rng.dirichlet([3, 6, 1, 1, 0.5, 0.5], n)  # cropland, forest, urban, water, grass, other
    emp = rng.dirichlet(np.full(len(_CENSUS_SECTORS), 2.0), n) * 1e4
    emp[:, 0] *= rng.uniform(0.5, 4, n)
    emp[:, 2] *= rng.uniform(2, 6, n)
    data: dict[str, object] = {
        "name": [f"县{i:03d}" for i in range(n)],
        "city": [f"市{i % 11:02d}" for i in range(n)],
        "area_km2": area,
        "pop_2010": pop2010,
        "urban_pop_2010": pop2010 * urb2010,
        "rural_pop_2010": pop2010 * (1 - urb2010),
        "pop_2020": pop2020,
        "urban_pop_2020": pop2020 * urb2020,
        "rural_pop_2020": pop2020 * (1 - urb2020),
        "urbanisation_2010": urb2010,
        "urbanisation_2020": urb2020,
        "lc_cropland": lc[:, 0],
        "lc_forest": lc[:, 1],
        "lc_urban": lc[:, 2],
        "lc_water": lc[:, 3],
        "lc_grass": lc[:, 4],
        "lc_other": lc[:, 5],
        "less_developed": rng.random(n) < 0.29,
        "seat_x": x,
        "seat_y": y,
        "dist_hangzhou_km": d_cap,
        "dist_ningbo_km": np.hypot(x - 400_000, y - 200_000) / 1000,
        "dist_prefecture_km": rng.uniform(0, 80, n),
        "edu_years_2020": rng.uniform(8, 13, n),
        "tertiary_share_2020": rng.uniform(0.05, 0.4, n),
        "migrant_intra_province_share_2020": rng.uniform(0.02, 0.2, n),
        "migrant_inter_province_share_2020": rng.uniform(0.0, 0.4, n),
    }
    for j, s in enumerate(_CENSUS_SECTORS):
        data[f"emp_{s}_2020"] = emp[:, j]
        share = emp[:, j] / emp.sum(axis=1)
        data[f"lq_{s}_2020"] = share / (emp[:, j].sum() / emp.sum())
    index = pd.Index([f"{330100 + i:06d}" for i in range(n)], name="adcode")
    return pd.DataFrame(data, index=index)
