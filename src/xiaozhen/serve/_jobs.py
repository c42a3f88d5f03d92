"""Background jobs: scenarios run by :func:`xiaozhen.plan.run_plan` in a bounded thread pool.

At most ``max_jobs`` plans run at once (the others wait in the queue, at most ``max_queued``);
progress (the current stage and the fraction of stages done) is written to the catalogue, which
the page polls. A plan builds its run folder atomically, so a failed job leaves nothing behind.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from xiaozhen.errors import XiaozhenError
from xiaozhen.scenario import Scenario
from xiaozhen.serve._catalogue import Catalogue

__all__ = ["JobLimitError", "Jobs", "Runner", "default_runner", "default_stage_names"]

logger = logging.getLogger(__name__)

#: ``runner(scenario, out, on_stage) -> run folder``: :func:`xiaozhen.plan.run_plan` by default.
Runner = Callable[[Scenario, Path, Callable[[str], None]], Path]


class JobLimitError(RuntimeError):
    """Too many jobs queued or running."""


def default_runner(scenario: Scenario, out: Path, on_stage: Callable[[str], None]) -> Path:
    """Run the whole plan (imported lazily: the plan pulls in every stage)."""
    from xiaozhen.plan import run_plan

    return run_plan(scenario, out, on_stage=on_stage)


def default_stage_names() -> tuple[str, ...]:
    """Step names of the plan, in order, ending with the report."""
    from xiaozhen.plan import STAGES

    return STAGES


def new_run_id(name: str) -> str:
    """A fresh run id: ASCII slug of the scenario name, UTC time and a random suffix."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "run"
    return f"{slug}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


class Jobs:
    """The job queue of one server."""

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        max_jobs: int,
        max_queued: int,
        runner: Runner | None = None,
        stage_names: tuple[str, ...] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.max_jobs = max_jobs
        self.max_queued = max_queued
        self.runner = runner or default_runner
        self._stage_names = stage_names
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def stage_names(self) -> tuple[str, ...]:
        if self._stage_names is None:
            self._stage_names = default_stage_names()
        return self._stage_names

    def submit(self, scenario: Scenario) -> str:
        """Queue ``scenario``; return its run id.

        Raises
        ------
        JobLimitError
            If ``max_jobs + max_queued`` jobs are already queued or running.
        """
        with self._lock:
            active = self.catalogue.count_active()
            limit = self.max_jobs + self.max_queued
            if active >= limit:
                raise JobLimitError(
                    f"too many jobs: {active} queued or running (limit {limit}: {self.max_jobs} "
                    f"at once, {self.max_queued} waiting); wait for one to finish and submit again"
                )
            run_id = new_run_id(scenario.name)
            self.catalogue.add(run_id, name=scenario.name, description=scenario.description)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.max_jobs, thread_name_prefix="xiaozhen-job"
                )
            self._pool.submit(self._run, run_id, scenario)
        logger.info("job %s queued (%d active)", run_id, active + 1)
        return run_id

    def _run(self, run_id: str, scenario: Scenario) -> None:
        names = self.stage_names
        self.catalogue.update(run_id, status="running", stage=names[0] if names else None)

        def on_stage(name: str) -> None:
            done = names.index(name) if name in names else 0
            self.catalogue.update(run_id, stage=name, progress=done / max(len(names), 1))

        start = time.perf_counter()
        try:
            self.runner(scenario, self.catalogue.runs_dir / run_id, on_stage)
        except XiaozhenError as exc:
            logger.info("job %s failed: %s", run_id, exc)
            self.catalogue.update(run_id, status="failed", error=str(exc), finished=time.time())
            return
        except Exception as exc:
            record = self.catalogue.get(run_id)
            stage = record.stage if record else None
            logger.exception("job %s: internal error in stage %s", run_id, stage)
            self.catalogue.update(
                run_id,
                status="failed",
                error=(
                    f"internal error in stage {stage!r} ({type(exc).__name__}); nothing was "
                    "written; the server log has the details"
                ),
                finished=time.time(),
            )
            return
        self.catalogue.finish(run_id)
        logger.info("job %s done in %.1f s", run_id, time.perf_counter() - start)

    def shutdown(self) -> None:
        """Cancel queued jobs (marked failed at the next start); a later submit starts a new pool."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
