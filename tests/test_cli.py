"""The command line: the main job, the region summary, and clear errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from xiaozhen.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from xiaozhen.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_help_tours_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("plan", "scenario", "region"):
        assert command in result.stdout


def test_region_show_lists_ninety_units(tmp_path):
    png = tmp_path / "map.png"
    report = tmp_path / "join.csv"
    result = run_cli(
        "region",
        "show",
        "--attribute",
        "urbanisation_2020",
        "--map",
        str(png),
        "--join-report",
        str(report),
    )
    assert result.returncode == 0, result.stderr
    assert "90 county-level units" in result.stdout
    assert "淳安县" in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report.read_text(encoding="utf-8").count("\n") > 90


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("region", "show", "--attribute", "pop2020"), "did you mean pop_2020"),
        (("plan", "missing.toml"), "does not exist"),
        (("scenario", "check", "missing.toml"), "does not exist"),
    ],
)
def test_user_mistakes_exit_2_without_traceback(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message.lower() in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_scenario_new_and_check(tmp_path, capsys):
    file = tmp_path / "s.toml"
    main(["scenario", "new", str(file)])
    assert file.exists()
    main(["scenario", "check", str(file)])
    assert "OK" in capsys.readouterr().out
    file.write_text(file.read_text() + "\n[layout]\nbalance_shar = 2\n")
    result = run_cli("scenario", "check", str(file))
    assert result.returncode == 2
    # both the duplicate table and the typo would be problems; TOML rejects the duplicate table
    assert "problem" in result.stderr or "not valid TOML" in result.stderr


def test_scenario_check_lists_all_problems(tmp_path):
    file = tmp_path / "s.toml"
    file.write_text("seeed = 3\n[layout]\nbalance_shar = 0.2\nn_towns = 0\n", encoding="utf-8")
    result = run_cli("scenario", "check", str(file))
    assert result.returncode == 2
    assert "3 problem(s)" in result.stderr
    assert "did you mean 'seed'" in result.stderr
    assert "did you mean 'balance_share'" in result.stderr


SMALL = Path(__file__).parent / "data" / "small_scenario.toml"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("plans")
    for name in ("a", "b"):
        result = run_cli("plan", str(SMALL), "--out", str(base / name))
        assert result.returncode == 0, result.stderr
    return base / "a", base / "b"


def test_plan_writes_a_complete_run_folder(two_runs):
    run, _ = two_runs
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7
    assert {"numpy", "xiaozhen", "python"} <= set(manifest["versions"])
    assert "counties.gpkg" in manifest["inputs_sha256"]
    assert set(manifest["timings_s"]) >= {
        "region",
        "assess",
        "position",
        "layout",
        "sites and designs",
        "simulate",
        "report",
    }
    for rel in manifest["outputs_sha256"]:
        assert (run / rel).is_file()
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "淳安县" in html
    assert "http://" not in html.replace("http://www.w3.org", "")


def test_same_scenario_and_seed_give_identical_outputs(two_runs):
    a, b = two_runs
    ma = json.loads((a / "manifest.json").read_text(encoding="utf-8"))["outputs_sha256"]
    mb = json.loads((b / "manifest.json").read_text(encoding="utf-8"))["outputs_sha256"]
    assert ma == mb


def test_plan_refuses_existing_folder(two_runs):
    run, _ = two_runs
    before = (run / "manifest.json").read_bytes()
    result = run_cli("plan", str(SMALL), "--out", str(run))
    assert result.returncode == 2
    assert "--force" in result.stderr
    assert (run / "manifest.json").read_bytes() == before
