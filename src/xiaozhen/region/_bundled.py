"""Paths of the data files bundled with the package (provenance in DATA.md)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["bundled_path"]


def bundled_path(name: str) -> Path:
    """Return the path of a bundled data file in ``xiaozhen/region/data``."""
    path = Path(str(files("xiaozhen.region").joinpath("data", name)))
    if not path.exists():  # pragma: no cover - a broken install
        raise FileNotFoundError(f"bundled data file {name!r} is missing from {path.parent}")
    return path
