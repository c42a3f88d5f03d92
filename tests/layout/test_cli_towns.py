"""`xiaozhen layout towns` runs the planning model alone from files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from xiaozhen.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_towns_from_a_candidate_csv(tmp_path):
    rng = np.random.default_rng(3)
    n = 30
    table = pd.DataFrame(
        {
            "site_id": [f"s{i:02d}" for i in range(n)],
            "benefit": rng.uniform(1, 10, n),
            "investment": rng.choice([3e9, 5e9], n),
            "land": 1.0,
            "fringe": rng.random(n) < 0.3,
            "county": rng.choice(["a", "b", "c"], n),
            "x": rng.uniform(0, 50_000, n),
            "y": rng.uniform(0, 50_000, n),
        }
    )
    path = tmp_path / "candidates.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "out"
    result = run_cli(
        "layout", "towns", str(path), "--out", str(out), "--n-towns", "6", "--budget-bn", "26",
        "--balance-share", "0.5", "--min-spacing-km", "5", "--max-per-county", "3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "solution.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["check_ok"]
    chosen = pd.read_csv(out / "chosen.csv")
    assert len(chosen) == 6
    assert chosen["investment"].sum() <= 26e9
    assert chosen["fringe"].mean() >= 0.5
    assert chosen.groupby("county").size().max() <= 3
    xy = chosen[["x", "y"]].to_numpy()
    gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert gaps[np.triu_indices(6, 1)].min() >= 5000 - 1e-6
    frontier = pd.read_csv(out / "balance_frontier.csv")
    assert len(frontier) == 11


def test_towns_errors(tmp_path):
    result = run_cli("layout", "towns", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    path = tmp_path / "c.csv"
    pd.DataFrame({"x": [0.0], "y": [0.0]}).to_csv(path, index=False)
    result = run_cli("layout", "towns", str(path), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "no 'benefit' column" in result.stderr


def test_towns_balance_on_rural_population_with_a_gap(tmp_path):
    """--balance-on rural_population: fringe towns cover at least the share of the covered rural
    residents (recomputed here from the files); --gap is honoured and reported."""
    rng = np.random.default_rng(11)
    n, k = 25, 400
    cand = pd.DataFrame(
        {
            "site_id": [f"s{i:02d}" for i in range(n)],
            "benefit": rng.uniform(1, 10, n),
            "investment": 4e9,
            "land": 1.0,
            "fringe": rng.random(n) < 0.3,
            "x": rng.uniform(0, 60_000, n),
            "y": rng.uniform(0, 60_000, n),
        }
    )
    dem = pd.DataFrame(
        {
            "x": rng.uniform(0, 60_000, k),
            "y": rng.uniform(0, 60_000, k),
            "population": rng.integers(100, 3_000, k).astype(float),
        }
    )
    dem["rural_population"] = dem["population"] * rng.uniform(0.1, 0.9, k)
    cand.to_csv(tmp_path / "c.csv", index=False)
    dem.to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "out"
    result = run_cli(
        "layout", "towns", str(tmp_path / "c.csv"), "--out", str(out), "--demand",
        str(tmp_path / "d.csv"), "--service-radius-km", "10", "--n-towns", "5",
        "--balance-on", "rural_population", "--balance-share", "0.5", "--gap", "0.02",
        "--no-frontier",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "solution.json").read_text())
    assert summary["check_ok"]
    assert summary["status"] in ("optimal", "gap_limit")
    assert summary["gap"] <= 0.02 + 1e-9
    chosen = pd.read_csv(out / "chosen.csv")
    dxy, cxy = dem[["x", "y"]].to_numpy(), chosen[["x", "y"]].to_numpy()
    near = np.hypot(*(dxy[:, None, :] - cxy[None, :, :]).transpose(2, 0, 1)) <= 10_000
    covered = near.any(axis=1)
    by_fringe = near[:, chosen["fringe"].to_numpy(bool)].any(axis=1)
    rural = dem["rural_population"].to_numpy()
    assert rural[by_fringe].sum() >= 0.5 * rural[covered].sum() - 1e-6


def test_towns_balance_and_gap_errors(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"benefit": [1.0, 2.0], "x": [0.0, 1.0], "y": [0.0, 1.0]}).to_csv(path)
    for args, message in (
        (["--balance-on", "villages"], "--balance-on: use towns or rural_population"),
        (["--balance-on", "rural_population"], "pass --demand"),
        (["--gap", "1.5"], "--gap must lie in [0, 1)"),
    ):
        result = run_cli("layout", "towns", str(path), "--out", str(tmp_path / "o"), *args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr
