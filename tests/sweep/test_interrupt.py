"""Ctrl-C in the middle of `xiaozhen sweep`, then a re-run: it resumes and ends exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xiaozhen.sweep import load_sweep, sweep_scenarios

pytestmark = pytest.mark.timeout(180)

SWEEP = """
name = "interrupt"

[base]
name = "tiny"
seed = 3
[base.layout]
n_towns = 20
capital_budget_billion_yuan = 90.0
land_quota_km2 = 20.0
[base.simulate]
years = 4
draws = 2

[design]
kind = "lhs"
n = 40
seed = 9

[[parameters]]
path = "layout.balance_share"
low = 0.0
high = 0.6

[[parameters]]
path = "policy.leverage_ratio"
low = 0.0
high = 2.0
"""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from xiaozhen.cli import main; main()", *args]


def test_ctrl_c_then_rerun_resumes_exactly_once(tmp_path: Path) -> None:
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "out"
    results = out / "results"
    digests = set(sweep_scenarios(load_sweep(sweep_file)).scenarios)
    assert len(digests) == 40
    # Ctrl-C in a terminal signals the whole foreground process group: the client, the local
    # cluster's nannies and workers. The sweep runs in its own session to mimic that.
    proc = subprocess.Popen(
        _cli("sweep", str(sweep_file), "--out", str(out), "--workers", "2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300  # a loaded CI machine can be slow to start workers
        while time.monotonic() < deadline:
            if results.is_dir() and len(list(results.glob("*.parquet"))) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail(f"sweep ended before it was interrupted: {proc.communicate()}")
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "Interrupted" in err
    first = {p.stem for p in results.glob("*.parquet")}
    assert 1 <= len(first) < 40, "the sweep was not interrupted in the middle"
    assert first <= digests

    rerun = subprocess.run(
        _cli("sweep", str(sweep_file), "--out", str(out), "--workers", "2"),
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert rerun.returncode == 0, rerun.stderr
    last = json.loads((out / "last_run.json").read_text(encoding="utf-8"))
    assert last["skipped"] == len(first)
    assert last["computed"] == 40 - len(first)
    assert f"{40 - len(first)} computed, {len(first)} already stored" in rerun.stdout
    files = sorted(p.name for p in results.iterdir())
    assert files == sorted(f"{d}.parquet" for d in digests)  # all, once, no temporary file
    assert (out / "report.html").is_file()
    assert len((out / "summary.csv").read_text(encoding="utf-8").splitlines()) == 41
