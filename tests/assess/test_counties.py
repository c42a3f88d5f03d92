"""Province-scale assessment on the bundled Zhejiang counties and on a small fake frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pymcdm.methods import TOPSIS
from pymcdm.normalizations import vector_normalization

from xiaozhen.assess import (
    COUNTY_INDICATORS,
    ahp_weights,
    assess_counties,
    county_indicators,
    coupling_coordination,
    entropy_weights,
    write_county_outputs,
)
from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.region import load_counties


@pytest.fixture(scope="module")
def counties():  # type: ignore[no-untyped-def]
    return load_counties()


def test_score_is_pymcdm_topsis_with_entropy_weights(counties) -> None:  # type: ignore[no-untyped-def]
    res = assess_counties(counties)
    table = county_indicators(counties)
    types = np.array([1 if i.direction == "benefit" else -1 for i in COUNTY_INDICATORS])
    w = entropy_weights(table, types)
    expected = TOPSIS(vector_normalization)(table.to_numpy(), w.to_numpy(), types)
    np.testing.assert_allclose(res.counties["score"].to_numpy(), expected, atol=1e-9)
    assert res.counties["rank"].min() == 1
    assert res.counties.loc[res.counties["score"].idxmax(), "rank"] == 1
    assert res.weights.sum() == pytest.approx(1.0)
    assert set(res.indicators["direction"]) == {"benefit", "cost"}
    assert res.method == "topsis"
    assert res.weights_method == "entropy"
    assert len(res.counties) == 90


def test_coupling_columns_follow_the_formula(counties) -> None:  # type: ignore[no-untyped-def]
    res = assess_counties(counties).counties
    u1, u2 = res["U_urban"].to_numpy(), res["U_rural"].to_numpy()
    assert (u1 >= 0).all()
    assert (u2 <= 1).all()
    c = 2 * np.sqrt(u1 * u2) / (u1 + u2)
    np.testing.assert_allclose(res["coupling_C"], c, atol=1e-12)
    np.testing.assert_allclose(res["coordination_D"], np.sqrt(c * (u1 + u2) / 2), atol=1e-12)
    again = coupling_coordination(res[["U_urban", "U_rural"]], names=["urban", "rural"])
    assert list(res["lag"]) == list(again.lag)


def test_other_methods_and_weights(counties) -> None:  # type: ignore[no-untyped-def]
    names = [i.name for i in COUNTY_INDICATORS]
    fixed = dict.fromkeys(names, 1 / len(names))
    a = assess_counties(counties, method="weighted_sum", weights=fixed)
    b = assess_counties(counties, method="weighted_sum", weights="equal")
    np.testing.assert_allclose(a.counties["score"], b.counties["score"], atol=1e-12)
    c = assess_counties(counties, weights="critic")
    assert c.weights_method == "CRITIC"
    ahp = ahp_weights(np.ones((len(names), len(names))), labels=names)
    d = assess_counties(counties, weights=ahp)
    assert d.weights_method.startswith("AHP")
    with pytest.raises(ConfigError, match="unknown method"):
        assess_counties(counties, weights="magic")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="method"):
        assess_counties(counties, method="vikor")  # type: ignore[arg-type]


def test_missing_columns_and_nan_are_named(counties) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputDataError, match=r"columns \['lq_manufacturing_2020'\] are missing"):
        assess_counties(counties.drop(columns="lq_manufacturing_2020"))
    bad = counties.copy()
    bad.loc[bad.index[3], "edu_years_2020"] = np.nan
    with pytest.raises(InputDataError, match=r"\['edu_years'\] have NaN"):
        assess_counties(bad)


def test_outputs_are_written_and_byte_identical(counties, tmp_path) -> None:  # type: ignore[no-untyped-def]
    res = assess_counties(counties)
    p1 = write_county_outputs(res, tmp_path / "a")
    p2 = write_county_outputs(res, tmp_path / "b")
    for name in p1:
        assert p1[name].read_bytes() == p2[name].read_bytes(), name
    csv = pd.read_csv(p1["counties.csv"], dtype={"adcode": str})
    assert len(csv) == 90
    assert csv["adcode"].str.len().eq(6).all()
    assert {"score", "rank", "coordination_zh", "lag", "weights_method"} <= set(csv.columns)
