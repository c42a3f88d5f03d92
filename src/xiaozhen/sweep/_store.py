"""Where sweep results live: one Parquet file per scenario, named by the scenario's digest.

A result is written to a temporary file in the same folder and renamed into place
(:func:`xiaozhen._io.write_with`), so a file named ``<digest>.parquet`` is always complete: a crash
or Ctrl-C leaves either the whole result or none. The set of finished scenarios is the set of file
names, so a re-run skips them, and a scenario has at most one result (exactly once).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from xiaozhen._io import write_with

__all__ = ["ResultStore"]

logger = logging.getLogger(__name__)

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ResultStore:
    """The ``results/`` folder of a sweep output folder."""

    folder: Path

    @classmethod
    def in_folder(cls, out: str | Path) -> ResultStore:
        """The store of sweep output folder ``out`` (created if missing)."""
        folder = Path(out) / "results"
        folder.mkdir(parents=True, exist_ok=True)
        return cls(folder)

    def path(self, digest: str) -> Path:
        """File of the scenario ``digest``."""
        return self.folder / f"{digest}.parquet"

    def finished(self) -> set[str]:
        """Digests with a complete result."""
        return {
            p.stem
            for p in self.folder.glob("*.parquet")
            if _DIGEST.match(p.stem) and not p.name.startswith(".")
        }

    def clean_temporary(self) -> int:
        """Remove temporary files left by a process that was killed while writing."""
        stale = list(self.folder.glob(".*.parquet"))
        for p in stale:
            p.unlink(missing_ok=True)
        if stale:
            logger.info("removed %d temporary result file(s) of an interrupted run", len(stale))
        return len(stale)

    def write(self, record: Mapping[str, Any]) -> Path:
        """Write one result record atomically under its ``digest``."""
        digest = str(record["digest"])
        if not _DIGEST.match(digest):
            raise ValueError(f"record digest: expected 64 hex digits, received {digest!r}")
        frame = pd.DataFrame([dict(record)])
        return write_with(self.path(digest), lambda tmp: frame.to_parquet(tmp, index=False))

    def read(self, digests: Iterable[str] | None = None) -> pd.DataFrame:
        """All results (or those of ``digests``) as one table indexed by digest."""
        names = sorted(self.finished() if digests is None else set(digests) & self.finished())
        if not names:
            return pd.DataFrame(index=pd.Index([], name="digest"))
        frames = [pd.read_parquet(self.path(d)) for d in names]
        table = pd.concat(frames, ignore_index=True)
        return table.set_index("digest")
