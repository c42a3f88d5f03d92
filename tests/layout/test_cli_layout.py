"""``xiaozhen layout pmedian`` prints one JSON line with the proven result."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from xiaozhen.cli import app

DATA = Path(__file__).resolve().parents[1] / "data" / "pmed"


def test_pmedian_json_line() -> None:
    out = CliRunner().invoke(
        app, ["layout", "pmedian", "--orlib", str(DATA / "pmed4.txt"), "--time-limit", "30"]
    )
    assert out.exit_code == 0, out.output
    line = out.stdout.strip().splitlines()
    assert len(line) == 1
    rec = json.loads(line[0])
    assert rec["instance"] == "pmed4"
    assert (rec["n"], rec["p"]) == (100, 20)
    assert rec["objective"] == 3034.0
    assert rec["bound"] == 3034.0
    assert rec["gap"] == 0.0
    assert rec["status"] == "optimal"
    assert rec["seconds"] >= 0


def test_pmedian_bad_method() -> None:
    out = CliRunner().invoke(
        app, ["layout", "pmedian", "--orlib", str(DATA / "pmed4.txt"), "--method", "x"]
    )
    assert out.exit_code != 0
    assert "use auto, exact or lagrangian" in str(out.exception)
