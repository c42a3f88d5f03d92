"""Sweeps on a real Dask cluster on loopback: a killed worker loses only its task; resume; report;
per-county planning as Dask tasks gives the serial result."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import geopandas.testing
import pandas as pd
import pytest

from xiaozhen.design import TownLayout
from xiaozhen.plan import (
    plan_assessment,
    plan_counties,
    plan_layout,
    plan_positioning,
    plan_region,
)
from xiaozhen.scenario import Scenario
from xiaozhen.sweep import (
    TASK_SECONDS,
    ResultStore,
    run_scenario,
    run_sweep,
    sweep_from_mapping,
    sweep_scenarios,
    write_sweep_report,
)

from .conftest import tiny_sweep

pytestmark = pytest.mark.timeout(180)


def _spec() -> Any:
    return sweep_from_mapping(
        tiny_sweep(
            [
                {"path": "layout.balance_share", "values": [0.0, 0.2, 0.4, 0.6]},
                {"path": "policy.leverage_ratio", "values": [0.5, 1.5]},
                {"path": "policy.hukou_priority", "values": [True, False]},
            ]
        )
    )


def _drop_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[TASK_SECONDS]).sort_index(axis=1)


def test_worker_killed_mid_sweep_loses_only_its_task(cluster: Any, tmp_path: Path) -> None:
    spec = _spec()
    expanded = sweep_scenarios(spec)
    assert len(expanded) == 16
    killed: dict[str, Any] = {}

    def kill_a_busy_worker(_record: dict[str, Any]) -> None:
        if killed:
            return
        processing = cluster.processing()
        busy = [w for w, keys in processing.items() if keys]
        if not busy:
            return
        pids = cluster.run(os.getpid)
        victim = busy[0]
        killed.update(worker=victim, pid=pids[victim], tasks=list(processing[victim]))
        os.kill(pids[victim], signal.SIGKILL)

    run = run_sweep(spec, tmp_path, client=cluster, on_result=kill_a_busy_worker)
    assert killed, "no worker was busy when the first result arrived"
    assert killed["tasks"], "the killed worker had no running task"
    assert run.failed == ()
    assert run.complete
    assert run.computed == 16
    store = ResultStore.in_folder(tmp_path)
    files = sorted(p.name for p in store.folder.iterdir())
    # every scenario present exactly once, nothing half-written
    assert files == sorted(f"{d}.parquet" for d in expanded.scenarios)
    results = store.read()
    assert set(results.index) == set(expanded.scenarios)
    assert results.index.is_unique
    # the task that ran on the killed worker was computed again, correctly
    lost = killed["tasks"][0].removeprefix("xiaozhen-")
    for digest in {lost, *list(expanded.scenarios)[:2]}:
        serial = run_scenario(expanded.scenarios[digest], years=spec.years_reported())
        serial_row = pd.DataFrame([serial]).set_index("digest")
        pd.testing.assert_frame_equal(
            _drop_time(results.loc[[digest]]), _drop_time(serial_row), check_dtype=False
        )

    # a re-run resumes: nothing to compute
    again = run_sweep(spec, tmp_path, client=cluster)
    assert (again.skipped, again.computed) == (16, 0)

    # and the report is written from the stored results
    summary = write_sweep_report(spec, tmp_path)
    assert summary.missing == 0
    assert len(summary.table) == 16
    csv = pd.read_csv(tmp_path / "summary.csv", index_col=0)
    assert sorted(csv.index) == sorted(expanded.scenarios)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for title in ("Distributions", "Sensitivity", "Best scenarios", "Pareto"):
        assert title in html
    # balance costs objective: the price of balance rises with the share (rank correlation 1)
    sens = summary.sensitivity.set_index(["indicator", "parameter"])
    assert sens.loc[("price_of_balance", "layout.balance_share"), "spearman_rho"] > 0.8
    # the best scenario by price of balance has no balance constraint
    best = summary.best.set_index("indicator")
    assert best.loc["price_of_balance", "layout.balance_share"] == 0.0


def test_failing_tasks_are_reported_not_stored(cluster: Any, tmp_path: Path) -> None:
    spec = sweep_from_mapping(
        tiny_sweep([{"path": "region.focus_counties", "values": [["330523"]]}])
    )
    spec = spec.model_copy(update={"stages": ("province", "county")})
    grid = tmp_path / "no-such-grid"
    spec = spec.model_copy(
        update={
            "base": spec.base.model_copy(
                update={"region": spec.base.region.model_copy(update={"grid": str(grid)})}
            )
        }
    )
    run = run_sweep(spec, tmp_path, client=cluster, retries=1)
    assert run.computed == 0
    assert len(run.failed) == 1
    assert "no grid folder" in run.failed[0][1]
    assert ResultStore.in_folder(tmp_path).finished() == set()


def test_county_stages_as_dask_tasks_equal_the_serial_run(cluster: Any) -> None:
    # 安吉 and 淳安 each get a town of the default province layout.
    scenario = Scenario.model_validate(
        {"seed": 5, "region": {"focus_counties": ["330523", "330127"], "cell_size_m": 200.0}}
    )
    region = plan_region()
    layout = plan_layout(
        scenario,
        region,
        plan_assessment(scenario, region),
        plan_positioning(scenario, region),
        frontier=False,
        suburbs_only=False,
    )
    parallel = plan_counties(scenario, region, layout, executor=cluster.get_executor(retries=1))
    serial = plan_counties(scenario, region, layout)
    assert [c.adcode for c in parallel] == list(scenario.region.focus_counties)
    assert sum(len(c.towns) for c in serial) >= 2
    for remote, local in zip(parallel, serial, strict=True):
        assert remote.adcode == local.adcode
        geopandas.testing.assert_geodataframe_equal(remote.sites, local.sites)
        geopandas.testing.assert_geodataframe_equal(remote.chosen, local.chosen)
        assert remote.grid.layers.equals(local.grid.layers)
        assert remote.warnings == local.warnings
        assert remote.sitings == local.sitings
        for a, b in zip(remote.designs, local.designs, strict=True):
            assert isinstance(a, TownLayout)
            assert isinstance(b, TownLayout)
            assert (a.use == b.use).all()
            assert a.objective == b.objective
