"""The bundled province: 90 units, census totals, crosswalk, land cover, distances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xiaozhen.region import (
    LESS_DEVELOPED_COUNTIES,
    PROVINCE_POPULATION,
    census_join_report,
    census_table,
    load_counties,
)
from xiaozhen.region.crs import EQUAL_AREA_CRS


def test_ninety_units_with_unique_codes(counties):
    assert len(counties) == 90
    assert counties.index.is_unique
    assert counties.crs == EQUAL_AREA_CRS
    # post-2021 divisions: new units present, abolished ones absent
    assert {"330113", "330114", "330383"} <= set(counties.index)
    assert not {"330103", "330104"} & set(counties.index)


@pytest.mark.parametrize("year", [2010, 2020])
def test_population_sums_to_census_province_total(counties, year):
    assert counties[f"pop_{year}"].sum() == pytest.approx(PROVINCE_POPULATION[year], abs=0.5)
    urban_rural = counties[f"urban_pop_{year}"] + counties[f"rural_pop_{year}"]
    np.testing.assert_allclose(urban_rural, counties[f"pop_{year}"], rtol=1e-9)


def test_hangzhou_redistricting_matches_published_new_division_totals(counties):
    # 杭州市第七次人口普查主要数据公报, populations by the 2021 divisions
    published = {
        "330102": 1_323_467,  # 上城 = 上城 + most of 江干
        "330105": 1_120_985,  # 拱墅 = 拱墅 + 下城
        "330109": 2_011_699,
        "330110": 1_226_673,
        "330113": 1_175_841,
        "330114": 769_150,
    }
    for adcode, pop in published.items():
        assert counties.loc[adcode, "pop_2020"] == pytest.approx(pop, abs=0.5), adcode


def test_wenzhou_development_zone_is_aggregated_into_longwan(counties):
    raw = pd.read_csv(
        __import__("xiaozhen.region._bundled", fromlist=["x"]).bundled_path("census2020_county.csv")
    )
    zone = raw.loc[raw["区县"] == "温州经济技术开发区", "人口数_合计"].item()
    longwan = raw.loc[raw["区划代码"] == 330303, "人口数_合计"].item()
    assert counties.loc["330303", "pop_2020"] == pytest.approx(zone + longwan)


def test_join_report_accounts_for_every_unit(counties):
    report = census_join_report(counties.index)
    for year in (2010, 2020):
        part = report[report["census_year"] == year]
        assert set(part["target_adcode"]) == set(counties.index)
        # fractions of every split source sum to one: nothing appears or vanishes
        sums = part.groupby(["source_code", "source_name"])["fraction"].sum()
        np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-12)
    assert set(report["status"]) == {"1:1", "aggregated", "apportioned"}


def test_rates_are_population_weighted_not_summed(counties):
    c20 = census_table(2020, counties.index)
    # 拱墅 (new) = 拱墅 + 下城: mean schooling must lie between the two sources
    years = c20.loc["330105", "平均受教育年限_合计"]
    assert 10.0 < years < 16.0


def test_areas_sum_to_province_polygon(counties):
    union = counties.geometry.union_all().area / 1e6
    assert counties["area_km2"].sum() == pytest.approx(union, rel=0.005)
    assert counties["area_km2"].sum() == pytest.approx(107_251, rel=0.01)


def test_landcover_shares_are_proper_fractions(counties):
    cols = ["lc_forest", "lc_cropland", "lc_urban", "lc_water", "lc_grass", "lc_other"]
    shares = counties[cols]
    assert (shares >= 0).all().all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-9)
    # the mountain south-west is forest; the Hangzhou core is urban
    assert counties.loc["330127", "lc_forest"] > 0.8  # 淳安
    assert counties.loc["330102", "lc_urban"] > 0.8  # 上城


def test_location_quotients_average_to_one_weighted_by_employment(counties):
    emp = counties["emp_manufacturing_2020"]
    total = counties.filter(regex=r"^emp_.*_2020$").sum(axis=1)
    # Σ_i E_i · LQ_ij / Σ_i E_i = 1 by construction of the LQ
    assert (counties["lq_manufacturing_2020"] * total).sum() / total.sum() == pytest.approx(1.0)
    assert emp.sum() > 0


def test_distances_from_seats(counties):
    assert counties.loc["330102", "dist_hangzhou_km"] == 0.0
    assert counties.loc["330212", "dist_ningbo_km"] == 0.0
    # Hangzhou–Ningbo is about 150 km in a straight line
    assert 130 < counties.loc["330212", "dist_hangzhou_km"] < 170
    seats = counties[counties["prefecture_seat"]]
    assert (seats["dist_prefecture_km"] == 0).all()
    assert len(seats) == 11


def test_less_developed_flags(counties):
    assert counties["less_developed"].sum() == 26 == len(LESS_DEVELOPED_COUNTIES)
    names = counties.loc[list(LESS_DEVELOPED_COUNTIES), "name"]
    assert list(names) == list(LESS_DEVELOPED_COUNTIES.values())


def test_no_missing_values(counties):
    assert not counties.drop(columns="geometry").isna().any().any()


def test_wgs84_output():
    geo = load_counties(4326)
    assert geo.crs.to_epsg() == 4326
    assert 118 < geo.total_bounds[0] < geo.total_bounds[2] < 123.5
