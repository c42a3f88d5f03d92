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


def test_atomic_folder_is_the_one_folder_writer(tmp_path):
    """Run folders and county grids share one writer: all or nothing, never half a folder."""
    from xiaozhen._io import atomic_folder

    dest = tmp_path / "out"
    with atomic_folder(dest, replace=False) as tmp:
        (tmp / "a.txt").write_text("1")
        assert not dest.exists()
    assert (dest / "a.txt").read_text() == "1"
    with pytest.raises(RuntimeError, match="boom"), atomic_folder(dest, replace=True) as tmp:
        (tmp / "a.txt").write_text("2")
        raise RuntimeError("boom")
    assert (dest / "a.txt").read_text() == "1"  # the earlier folder is untouched
    with atomic_folder(dest, replace=True) as tmp:
        (tmp / "b.txt").write_text("3")
    assert sorted(p.name for p in dest.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no partial or old folder left
    with pytest.raises(FileExistsError), atomic_folder(dest, replace=False):
        pass
