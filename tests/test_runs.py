"""Run folders are atomic: a failed run leaves nothing half-written and earlier runs intact."""

from __future__ import annotations

import json

import pytest

from xiaozhen.errors import RunFolderError
from xiaozhen.runs import run_folder


def test_success_moves_folder_into_place(tmp_path):
    dest = tmp_path / "run"
    with run_folder(dest) as run:
        run.file("a/b.txt").write_text("x")
        assert not dest.exists()
        run.write_manifest({"seed": 1})
    assert (dest / "a/b.txt").read_text() == "x"
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["seed"] == 1
    assert "a/b.txt" in manifest["outputs_sha256"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_failure_leaves_earlier_run_intact(tmp_path):
    dest = tmp_path / "run"
    with run_folder(dest) as run:
        run.file("old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"), run_folder(dest, force=True) as run:
        run.file("new.txt").write_text("half")
        raise RuntimeError("boom")
    assert (dest / "old.txt").read_text() == "old"
    assert not (dest / "new.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_refuses_to_overwrite_without_force(tmp_path):
    dest = tmp_path / "run"
    dest.mkdir()
    with pytest.raises(RunFolderError, match="--force"), run_folder(dest):
        pass
    (tmp_path / "file").write_text("")
    with pytest.raises(RunFolderError, match="is a file"), run_folder(tmp_path / "file"):
        pass


def test_force_replaces(tmp_path):
    dest = tmp_path / "run"
    with run_folder(dest) as run:
        run.file("old.txt").write_text("old")
    with run_folder(dest, force=True) as run:
        run.file("new.txt").write_text("new")
    assert not (dest / "old.txt").exists()
    assert (dest / "new.txt").read_text() == "new"
