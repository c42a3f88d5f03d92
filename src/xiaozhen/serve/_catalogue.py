"""The run catalogue: a SQLite table of runs and jobs in the runs folder, rebuilt from run folders.

The run folders are the truth (each finished run has ``manifest.json``, written last and atomically
by :func:`xiaozhen.runs.run_folder`); the catalogue adds what a folder cannot say (jobs queued or
running, failures and their messages) and makes listing fast. When the catalogue file is missing or
corrupt it is rebuilt from the folders; jobs that were queued or running when the server stopped are
marked failed, with a message, on the next start.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["CATALOGUE_NAME", "RUN_ID_PATTERN", "Catalogue", "RunRecord", "RunStatus"]

logger = logging.getLogger(__name__)

#: File name of the catalogue inside the runs folder (hidden: not a run).
CATALOGUE_NAME = ".xiaozhen-catalogue.sqlite"
#: Run ids are folder names: letters, digits, '.', '_', '-'; no leading dot or dash.
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
_RUN_ID = re.compile(RUN_ID_PATTERN)

RunStatus = Literal["queued", "running", "done", "failed"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    stage TEXT,
    progress REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    finished REAL,
    error TEXT
)
"""


@dataclass(frozen=True)
class RunRecord:
    """One row of the catalogue."""

    id: str
    name: str
    description: str
    status: RunStatus
    stage: str | None
    progress: float
    created: float
    finished: float | None
    error: str | None


def valid_run_id(run_id: str) -> bool:
    """Whether ``run_id`` is a safe folder name (no separators, no '..', no leading dot)."""
    return bool(_RUN_ID.match(run_id)) and ".." not in run_id


class Catalogue:
    """The SQLite catalogue of ``runs_dir`` (thread-safe; one short connection per call)."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir.resolve()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.runs_dir / CATALOGUE_NAME
        self._lock = threading.Lock()
        try:
            self._init()
        except sqlite3.DatabaseError as exc:
            broken = self.path.with_name(f"{CATALOGUE_NAME}.broken-{int(time.time())}")
            logger.warning(
                "catalogue %s unreadable (%s); moved to %s, rebuilding", self.path, exc, broken
            )
            self.path.replace(broken)
            self._init()
        self.sync()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            con = sqlite3.connect(self.path, timeout=10)
            try:
                with con:
                    yield con
            finally:
                con.close()

    def _init(self) -> None:
        with self._db() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(_SCHEMA)
            con.execute("SELECT count(*) FROM runs").fetchone()
            n = con.execute(
                "UPDATE runs SET status='failed', finished=?, error=? "
                "WHERE status IN ('queued','running')",
                (
                    time.time(),
                    "interrupted: the server stopped before this run finished; nothing was "
                    "written half, submit the scenario again",
                ),
            ).rowcount
        if n:
            logger.warning(
                "catalogue: %d unfinished job(s) from an earlier server marked failed", n
            )

    def sync(self) -> int:
        """Add finished run folders missing from the catalogue; drop done runs whose folder is gone.

        Returns the number of runs added.
        """
        known = {r.id: r for r in self.list()}
        added = 0
        for folder in sorted(self.runs_dir.iterdir()):
            manifest = folder / "manifest.json"
            if not folder.is_dir() or folder.name.startswith(".") or not manifest.is_file():
                continue
            if not valid_run_id(folder.name):
                logger.warning("catalogue: skipping run folder with an unsafe name %r", folder.name)
                continue
            record = known.get(folder.name)
            if record is not None and record.status == "done":
                continue
            try:
                body = json.loads(manifest.read_text(encoding="utf-8"))
                scenario = body.get("scenario", {}) if isinstance(body, dict) else {}
            except (OSError, ValueError) as exc:
                logger.warning("catalogue: unreadable manifest %s (%s); skipped", manifest, exc)
                continue
            if (
                record is not None
            ):  # a failed or interrupted job whose folder exists: a finished run
                self.finish(folder.name)
                continue
            mtime = manifest.stat().st_mtime
            self.add(
                folder.name,
                name=str(scenario.get("name", folder.name)),
                description=str(scenario.get("description", "")),
                status="done",
                created=mtime,
                finished=mtime,
            )
            added += 1
        for record in known.values():
            if (
                record.status == "done"
                and not (self.runs_dir / record.id / "manifest.json").is_file()
            ):
                with self._db() as con:
                    con.execute("DELETE FROM runs WHERE id=?", (record.id,))
                logger.info("catalogue: run %s has no folder any more; removed", record.id)
        if added:
            logger.info("catalogue: %d run folder(s) added from %s", added, self.runs_dir)
        return added

    def add(
        self,
        run_id: str,
        *,
        name: str,
        description: str = "",
        status: RunStatus = "queued",
        created: float | None = None,
        finished: float | None = None,
    ) -> None:
        """Insert a run (queued job or finished folder)."""
        now = time.time() if created is None else created
        with self._db() as con:
            con.execute(
                "INSERT INTO runs (id, name, description, status, progress, created, finished) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    name,
                    description,
                    status,
                    1.0 if status == "done" else 0.0,
                    now,
                    finished,
                ),
            )

    def update(self, run_id: str, **values: Any) -> None:
        """Set columns of one run (status, stage, progress, error, finished)."""
        allowed = {"status", "stage", "progress", "error", "finished"}
        bad = set(values) - allowed
        if bad:
            raise ValueError(f"catalogue.update: unknown column(s) {sorted(bad)}")
        columns = ", ".join(f"{k}=?" for k in values)
        with self._db() as con:
            con.execute(f"UPDATE runs SET {columns} WHERE id=?", (*values.values(), run_id))

    def finish(self, run_id: str) -> None:
        """Mark a run done."""
        self.update(
            run_id, status="done", progress=1.0, stage=None, error=None, finished=time.time()
        )

    def get(self, run_id: str) -> RunRecord | None:
        """The run ``run_id`` or ``None``."""
        with self._db() as con:
            row = con.execute(
                "SELECT id, name, description, status, stage, progress, created, finished, error "
                "FROM runs WHERE id=?",
                (run_id,),
            ).fetchone()
        return None if row is None else RunRecord(*row)

    def list(self, status: RunStatus | None = None) -> list[RunRecord]:
        """Runs, newest first, optionally of one status."""
        query = "SELECT id, name, description, status, stage, progress, created, finished, error FROM runs"
        args: tuple[Any, ...] = ()
        if status is not None:
            query += " WHERE status=?"
            args = (status,)
        with self._db() as con:
            rows = con.execute(query + " ORDER BY created DESC, id", args).fetchall()
        return [RunRecord(*row) for row in rows]

    def count_active(self) -> int:
        """Jobs queued or running."""
        with self._db() as con:
            row = con.execute(
                "SELECT count(*) FROM runs WHERE status IN ('queued','running')"
            ).fetchone()
        return int(row[0])
