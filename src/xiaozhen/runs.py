"""Run folders: everything one ``xiaozhen plan`` writes, made atomically, with a manifest.

A run is built in a hidden temporary folder beside its destination and renamed into place only when
every stage has finished, so a failed or interrupted run leaves no half-written files and an earlier
run at the same path stays untouched. ``manifest.json`` records the scenario, seed, package
versions, input hashes, output hashes and timings per stage.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from xiaozhen._io import atomic_folder, file_sha256, write_json_atomic
from xiaozhen.errors import RunFolderError

__all__ = ["RunFolder", "package_versions", "run_folder"]

logger = logging.getLogger(__name__)

_PACKAGES = (
    "xiaozhen",
    "numpy",
    "scipy",
    "pandas",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "rasterio",
    "xarray",
    "highspy",
    "pydantic",
    "matplotlib",
    "jinja2",
)


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages whose behaviour shapes the outputs."""
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass
class RunFolder:
    """A run folder under construction (``path`` is the temporary folder until committed)."""

    path: Path
    destination: Path
    timings_s: dict[str, float] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def file(self, relative: str) -> Path:
        """Path of an output file inside the run, with its parent folders created."""
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def record_input(self, label: str, path: str | os.PathLike[str]) -> None:
        """Record the SHA-256 of an input file under ``label``."""
        self.inputs[label] = file_sha256(path)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage; the duration lands in the manifest."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings_s[name] = round(time.perf_counter() - start, 3)
            logger.info("stage %s: %.2f s", name, self.timings_s[name])

    def outputs(self) -> dict[str, str]:
        """Relative path -> SHA-256 of every file written so far (manifest excluded)."""
        hashes = {}
        for file in sorted(self.path.rglob("*")):
            if file.is_file() and file.name != "manifest.json":
                hashes[file.relative_to(self.path).as_posix()] = file_sha256(file)
        return hashes

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write manifest.json with timings, inputs and output hashes added."""
        body = dict(manifest)
        body.update(
            timings_s=self.timings_s,
            inputs_sha256=self.inputs,
            outputs_sha256=self.outputs(),
            notes=self.notes,
        )
        write_json_atomic(self.path / "manifest.json", body)


@contextlib.contextmanager
def run_folder(destination: str | os.PathLike[str], *, force: bool = False) -> Iterator[RunFolder]:
    """Build a run in a temporary folder and move it to ``destination`` if the block succeeds.

    Raises
    ------
    RunFolderError
        If ``destination`` exists and ``force`` is false, or is a file.
    """
    dest = Path(destination).resolve()
    if dest.exists() and not dest.is_dir():
        raise RunFolderError(f"--out: {str(dest)!r} is a file; give a folder path")
    if dest.exists() and not force:
        raise RunFolderError(
            f"--out: run folder {str(dest)!r} exists already; pass --force to replace it "
            "or choose another --out"
        )
    with atomic_folder(dest, replace=True) as tmp:
        run = RunFolder(path=tmp, destination=dest)
        yield run
    run.path = dest
    logger.info("run folder written: %s", dest)
