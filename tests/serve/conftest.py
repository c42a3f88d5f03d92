"""Fixtures for the web app: a fast fake plan runner that writes a realistic run folder."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from xiaozhen._io import write_gpkg, write_text_atomic
from xiaozhen.runs import run_folder
from xiaozhen.scenario import Scenario

pytest.importorskip("fastapi", reason="the web extra is not installed")

from fastapi.testclient import TestClient

from xiaozhen.serve import ServeSettings, create_app

FAKE_STAGES = ("region", "assess", "report")

#: Indicators against thresholds the fake run writes (value, threshold, sense).
INDICATORS = pd.DataFrame(
    {
        "indicator": ["green cover 绿化率", "residential share", "jobs per town"],
        "value": [0.34, 0.33, 2500.0],
        "threshold": [0.30, 0.30, 2000.0],
        "sense": ["min", "max", "min"],
    }
)


def write_fake_run(scenario: Scenario, out: Path, on_stage: Callable[[str], None]) -> Path:
    """A run folder like the plan's: manifest, CSVs, a GeoPackage of towns and a report."""
    with run_folder(out, force=True) as run:
        on_stage("region")
        with run.stage("region"):
            years = np.arange(2020, 2026)
            ratio = 1.96 - 0.01 * (years - 2020) * (1 + scenario.layout.balance_share)
            traj = pd.DataFrame(
                {
                    "year": years,
                    "income_ratio": ratio,
                    "income_ratio_p05": ratio - 0.05,
                    "income_ratio_p95": ratio + 0.05,
                }
            )
            write_text_atomic(run.file("simulate/trajectories.csv"), traj.to_csv(index=False))
        on_stage("assess")
        with run.stage("assess"):
            write_text_atomic(run.file("evaluate/indicators.csv"), INDICATORS.to_csv(index=False))
            towns = gpd.GeoDataFrame(
                {
                    "name": ["安吉小镇", "淳安小镇"],
                    "industry": ["tourism", "health"],
                    "score": [0.8, 0.6],
                },
                geometry=[Point(119.68, 30.64), Point(119.04, 29.61)],
                crs=4326,
            )
            write_gpkg(towns, run.file("layout/towns.gpkg"), layer="towns")
        on_stage("report")
        with run.stage("report"):
            write_text_atomic(
                run.file("report.html"), "<!DOCTYPE html><title>r</title><p>淳安县 report</p>"
            )
        run.write_manifest({"scenario": scenario.model_dump(mode="json"), "seed": scenario.seed})
    return out


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Factory of TestClients over one runs folder (call again to simulate a restart)."""
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        options: dict[str, object] = {
            "runs_dir": tmp_path / "runs",
            "runner": write_fake_run,
            "stage_names": FAKE_STAGES,
        }
        options.update(overrides)
        client = TestClient(create_app(ServeSettings(**options)), raise_server_exceptions=False)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def wait_for(client: TestClient, run_id: str, timeout_s: float = 60.0) -> dict[str, object]:
    """Poll a job until it is done or failed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = client.get(f"/api/jobs/{run_id}").json()
        if body["status"] in ("done", "failed"):
            return dict(body)
        time.sleep(0.05)
    raise AssertionError(f"job {run_id} did not finish in {timeout_s} s")
