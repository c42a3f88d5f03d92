"""spopt's published San Francisco results, reproduced exactly (BSD-3 test data copied from spopt)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from xiaozhen.layout import (
    LocationProblem,
    check_solution,
    solve_lscp,
    solve_mclp,
    solve_pcenter,
    solve_pmedian,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "spopt_sf"


@pytest.fixture(scope="module")
def sf() -> tuple[LocationProblem, list[str]]:
    dist = pd.read_csv(
        DATA / "SF_network_distance_candidateStore_16_censusTract_205_new.csv",
        dtype={"DestinationName": str},
    )
    demand = pd.read_csv(DATA / "SF_demand_205_centroid_uniform_weight.csv", dtype={"NAME": str})
    stores = pd.read_csv(DATA / "SF_store_site_16_longlat.csv")
    mat = dist.pivot(index="DestinationName", columns="name", values="distance")
    mat = mat.loc[demand["NAME"], stores["NAME"]]
    assert mat.shape == (205, 16)
    assert not mat.isna().any().any()
    prob = LocationProblem(mat.to_numpy(), demand["POP2000"].to_numpy(dtype=float))
    return prob, list(stores["NAME"])


def test_pmedian(sf: tuple[LocationProblem, list[str]]) -> None:
    prob, names = sf
    res = solve_pmedian(prob, 4)
    assert res.status == "optimal"
    assert res.info["mean_cost"] == pytest.approx(2982.1268579890657, rel=1e-12)
    assert [names[i] for i in res.selected] == ["Store_2", "Store_11", "Store_12", "Store_15"]
    assert check_solution(prob, res).ok


def test_mclp(sf: tuple[LocationProblem, list[str]]) -> None:
    prob, _ = sf
    res = solve_mclp(prob, 4, 5000.0)
    assert res.status == "optimal"
    assert res.info["covered_count"] == 184
    assert 100 * res.info["covered_share"] == pytest.approx(89.7561, abs=1e-4)
    assert check_solution(prob, res).ok


def test_lscp(sf: tuple[LocationProblem, list[str]]) -> None:
    prob, _ = sf
    res = solve_lscp(prob, 5000.0)
    assert res.status == "optimal"
    assert res.objective == 8
    assert res.n_selected == 8
    assert check_solution(prob, res).ok


def test_pcenter(sf: tuple[LocationProblem, list[str]]) -> None:
    prob, _ = sf
    res = solve_pcenter(prob, 4)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(7403.06, abs=0.01)
    assert check_solution(prob, res).ok
