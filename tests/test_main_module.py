"""``python -m xiaozhen`` runs the same CLI as the ``xiaozhen`` script."""

from __future__ import annotations

import subprocess
import sys


def test_python_m_xiaozhen_prints_the_cli_help():
    done = subprocess.run(
        [sys.executable, "-m", "xiaozhen", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: xiaozhen" in done.stdout
    assert "scenario" in done.stdout
    assert "plan" in done.stdout


def test_python_m_xiaozhen_reports_user_errors_with_exit_code_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "xiaozhen", "scenario", "check", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "does not exist" in done.stderr
