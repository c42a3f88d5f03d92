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
