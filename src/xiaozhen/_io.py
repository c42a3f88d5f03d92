"""Atomic, reproducible file output shared by every stage.

Everything xiaozhen writes goes through these helpers: a file is written to a temporary name in
the same folder and renamed into place, so a crash never leaves half a file; GeoPackage timestamps
are pinned (GDAL's ``OGR_CURRENT_DATE``) and PNG metadata is stripped of dates so that the same
scenario and seed give byte-identical outputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "FIXED_TIMESTAMP",
    "atomic_folder",
    "atomic_path",
    "file_sha256",
    "write_bytes_atomic",
    "write_gpkg",
    "write_json_atomic",
    "write_text_atomic",
]

#: Timestamp written into GeoPackage metadata so that reruns are byte-identical.
FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary file keeps the suffix of ``path`` so that format drivers chosen by extension
    (GDAL, matplotlib) still work.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to open an existing empty file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(destination: str | os.PathLike[str], *, replace: bool) -> Iterator[Path]:
    """Yield a temporary folder beside ``destination``; move it into place if the block succeeds.

    The temporary folder is named ``.<name>.partial-*`` (an ordinary folder's permissions); on
    any exception it is removed and ``destination`` is untouched. On success an existing
    ``destination`` is moved aside, the new folder renamed onto it, and the old one removed — so
    a reader sees either the old folder or the new one, never half of either.

    Parameters
    ----------
    destination
        The folder to write.
    replace
        Whether an existing ``destination`` may be replaced; the caller checks the conditions
        (e.g. ``--force``) and raises its own message first. Refused here as a last guard.

    Raises
    ------
    FileExistsError
        If ``destination`` exists and ``replace`` is false.
    """
    dest = Path(destination)
    if dest.exists() and not replace:
        raise FileExistsError(f"{dest} exists; it is only replaced when asked to")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; the result is an ordinary folder
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
        old.rmdir()
        os.replace(dest, old)
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically and return the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as sorted, indented UTF-8 JSON (Chinese kept readable) atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    return write_text_atomic(path, text)


def write_with(path: str | os.PathLike[str], writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and rename the result onto ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def file_sha256(path: str | os.PathLike[str], *, chunk_bytes: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def write_gpkg(frame: Any, path: str | os.PathLike[str], *, layer: str) -> Path:
    """Write a GeoDataFrame as one GeoPackage layer, atomically and byte-reproducibly.

    GDAL stamps ``last_change`` into every GeoPackage; pinning ``OGR_CURRENT_DATE`` (through
    pyogrio, which may bundle its own GDAL; restored afterwards) makes reruns byte-identical.
    Several layers in one file: call again with another ``layer`` (the file is copied, extended and
    renamed into place).
    """
    import shutil

    import pyogrio

    target = Path(path)
    with atomic_path(target) as tmp:
        if target.exists():
            shutil.copyfile(target, tmp)
        previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
        try:
            pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG")
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return target
