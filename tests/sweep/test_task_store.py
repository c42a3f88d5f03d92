"""One task's record (constraints of the layout hold, deterministic) and the result store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from xiaozhen.evaluate import province_indicators
from xiaozhen.region import load_counties
from xiaozhen.scenario import Scenario
from xiaozhen.simulate import simulate
from xiaozhen.sweep import TASK_SECONDS, ResultStore, _task, run_scenario

from .conftest import TINY_BASE


def _scenario(**layout: Any) -> Scenario:
    data = {**TINY_BASE, "layout": {**TINY_BASE["layout"], **layout}}
    return Scenario.model_validate(data)


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    a, b = dict(a), dict(b)
    a.pop(TASK_SECONDS)
    b.pop(TASK_SECONDS)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k], k


@pytest.fixture(scope="module")
def balanced() -> dict[str, Any]:
    return run_scenario(_scenario(balance_share=0.5), years=(2022,))


def test_record_respects_the_layout_constraints(balanced: dict[str, Any]) -> None:
    r = balanced
    assert r["status"] == "ok"
    assert r["towns"] == 20
    assert r["fringe_towns"] >= 0.5 * 20
    assert r["fringe_share"] == pytest.approx(r["fringe_towns"] / 20)
    assert r["investment_bn_yuan"] <= 90.0 + 1e-9
    assert r["land_km2"] <= 20.0 + 1e-9
    # a balance constraint can only cost objective: price of balance in [0, 1)
    assert r["objective"] <= r["objective_balance_0"] + 1e-6
    assert r["price_of_balance"] == pytest.approx(1 - r["objective"] / r["objective_balance_0"])
    assert 0.0 <= r["price_of_balance"] < 1.0
    assert r["final_year"] == 2024
    assert r["income_ratio_p05"] <= r["income_ratio"] <= r["income_ratio_p95"]
    assert "income_ratio@2022" in r
    assert "income_ratio@2023" not in r
    assert r["digest"] == _scenario(balance_share=0.5).digest()
    assert Scenario.model_validate_json(r["scenario_json"]).digest() == r["digest"]


def test_no_balance_has_no_price(balanced: dict[str, Any]) -> None:
    r = run_scenario(_scenario(balance_share=0.0))
    assert r["price_of_balance"] == 0.0
    assert r["objective"] >= balanced["objective"]


def test_paired_difference_against_an_independent_no_towns_run(balanced: dict[str, Any]) -> None:
    """``*_vs_no_towns`` is the median per-draw difference with a no-towns run on the same seed."""
    scenario = _scenario(balance_share=0.5)
    counties = load_counties()
    base = province_indicators(
        simulate(counties, None, scenario.policy, years=4, draws=2, seed=scenario.seed)
    )
    # with 2 draws the median is the mean, which is linear: median(a - b) = median(a) - median(b)
    baseline_final = base["rural_income"][-1]
    assert np.median(baseline_final) == pytest.approx(
        balanced["rural_income"] - balanced["rural_income_vs_no_towns"], rel=1e-12
    )
    assert balanced["rural_income_vs_no_towns"] != 0.0


def test_records_are_deterministic_and_independent_of_the_cache(
    balanced: dict[str, Any],
) -> None:
    _task._CACHE.assessments.clear()
    _task._CACHE.positionings.clear()
    _task._CACHE.region = None
    _same(run_scenario(_scenario(balance_share=0.5), years=(2022,)), balanced)
    # the scenario may also arrive as its JSON mapping (how workers receive it)
    as_json = _scenario(balance_share=0.5).model_dump(mode="json")
    _same(run_scenario(as_json, years=(2022,)), balanced)


def test_infeasible_layout_is_a_result_not_a_crash() -> None:
    r = run_scenario(_scenario(capital_budget_billion_yuan=10.0))
    assert r["status"] == "infeasible"
    assert "more than the 10-billion-yuan budget" in r["message"]
    assert "income_ratio" not in r


def test_store_writes_atomically_and_lists_finished(tmp_path: Path) -> None:
    store = ResultStore.in_folder(tmp_path)
    digest = "a" * 64
    path = store.write({"digest": digest, "x": 1.5, "status": "ok"})
    assert path.name == f"{digest}.parquet"
    assert store.finished() == {digest}
    # a half-written file of a killed process is hidden, never listed, and cleaned
    (store.folder / f".{digest}.tmp123.parquet").write_bytes(b"partial")
    (store.folder / "notes.parquet").write_bytes(b"not a result")
    assert store.finished() == {digest}
    assert store.clean_temporary() == 1
    assert not list(store.folder.glob(".*"))
    store.write({"digest": "b" * 64, "y": 2.0, "status": "ok"})
    table = store.read()
    assert list(table.index) == [digest, "b" * 64]
    assert table.loc[digest, "x"] == 1.5
    assert np.isnan(table.loc["b" * 64, "x"])
    assert store.read(["b" * 64]).index.tolist() == ["b" * 64]
    assert store.read([]).empty
    with pytest.raises(ValueError, match="64 hex digits"):
        store.write({"digest": "../evil"})


def test_store_write_failure_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ResultStore.in_folder(tmp_path)

    def boom(self: pd.DataFrame, *args: Any, **kwargs: Any) -> None:
        Path(args[0]).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        store.write({"digest": "c" * 64})
    assert list(store.folder.iterdir()) == []
