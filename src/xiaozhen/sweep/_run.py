"""Run a sweep on Dask: one task per scenario, results stored as they finish, resumable.

The client submits one task per unfinished scenario (key ``xiaozhen-<digest>``), follows them with
``distributed.as_completed`` and writes each result on the client side as soon as it arrives (so
workers need no shared filesystem). Fault tolerance comes from Dask: a task that raises is retried
``retries`` times; a task whose worker dies is rescheduled on another worker by the scheduler
(up to ``distributed.scheduler.allowed-failures`` times, default 3). Ctrl-C cancels the tasks
still pending; every result already written stays, and the next run skips it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xiaozhen._io import write_json_atomic, write_text_atomic
from xiaozhen.sweep._dask import dask_client, require
from xiaozhen.sweep._spec import SweepScenarios, SweepSpec, sweep_scenarios
from xiaozhen.sweep._store import ResultStore
from xiaozhen.sweep._task import run_scenario

__all__ = ["SweepRun", "run_sweep"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepRun:
    """What one call of :func:`run_sweep` did.

    Attributes
    ----------
    out
        The sweep folder.
    scenarios
        Distinct scenarios in the design.
    skipped
        Scenarios whose results were already stored (resumed).
    computed
        Scenarios computed and stored by this call.
    failed
        ``(digest, error)`` of tasks that failed after their retries (not stored; a re-run retries).
    seconds
        Wall time of the call.
    """

    out: Path
    scenarios: int
    skipped: int
    computed: int
    failed: tuple[tuple[str, str], ...]
    seconds: float

    @property
    def complete(self) -> bool:
        """Every scenario of the design has a stored result."""
        return self.skipped + self.computed == self.scenarios


def write_design(spec: SweepSpec, expanded: SweepScenarios, out: Path) -> None:
    """Write ``sweep.toml``, ``sweep.json`` and ``design.csv`` (the design rows and digests)."""
    write_text_atomic(out / "sweep.toml", spec.source or "")
    meta = {
        "name": spec.name,
        "design": spec.design.model_dump(mode="json"),
        "parameters": [p.model_dump(mode="json") for p in spec.parameters],
        "stages": list(spec.stages),
        "report_years": list(spec.years_reported()),
        "base": spec.base.model_dump(mode="json"),
        "base_digest": spec.base.digest(),
        "scenarios": len(expanded),
        "design_points": len(expanded.design),
    }
    write_json_atomic(out / "sweep.json", meta)
    write_text_atomic(out / "design.csv", expanded.design.to_csv())


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    *,
    client: Any | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    retries: int = 2,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> SweepRun:
    """Run every unfinished scenario of ``spec`` on Dask and store each result as it finishes.

    Parameters
    ----------
    spec
        A validated sweep (:func:`~xiaozhen.sweep.load_sweep`).
    out
        Sweep folder: ``results/<digest>.parquet``, ``design.csv``, ``sweep.json``.
    client
        A ``distributed.Client`` to use (not closed). Otherwise one is made on ``scheduler`` or on
        a local cluster of ``workers`` processes (default: one per core).
    retries
        Extra attempts of a task that raises.
    on_start
        Called once with ``(scenarios, already finished)``.
    on_result
        Called on the client with each stored record (progress bars, tests).

    Returns
    -------
    SweepRun

    Raises
    ------
    KeyboardInterrupt
        Re-raised after pending tasks are cancelled; stored results stay.
    """
    start = time.perf_counter()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    expanded = sweep_scenarios(spec)
    write_design(spec, expanded, folder)
    store = ResultStore.in_folder(folder)
    store.clean_temporary()
    finished = store.finished() & set(expanded.scenarios)
    pending = [d for d in expanded.scenarios if d not in finished]
    logger.info(
        "sweep %s: %d scenarios, %d already stored, %d to run",
        spec.name,
        len(expanded),
        len(finished),
        len(pending),
    )
    if on_start is not None:
        on_start(len(expanded), len(finished))
    failed: list[tuple[str, str]] = []
    computed = 0
    if pending:
        distributed = require("distributed")
        stages, years = tuple(spec.stages), spec.years_reported()
        with _use_client(client, scheduler, workers) as c:
            futures = [
                c.submit(
                    run_scenario,
                    expanded.scenarios[d].model_dump(mode="json"),
                    stages=stages,
                    years=years,
                    key=f"xiaozhen-{d}",
                    retries=retries,
                )
                for d in pending
            ]
            try:
                for future in distributed.as_completed(futures):
                    digest = str(future.key).removeprefix("xiaozhen-")
                    if future.status != "finished":
                        error = (
                            "cancelled"
                            if future.status == "cancelled"
                            else repr(future.exception())
                        )
                        logger.error("scenario %s failed: %s", digest[:12], error)
                        failed.append((digest, error))
                        continue
                    record = future.result()
                    store.write(record)
                    computed += 1
                    future.release()
                    if on_result is not None:
                        on_result(record)
            except KeyboardInterrupt:
                c.cancel([f for f in futures if not f.done()])
                logger.warning(
                    "sweep %s interrupted: %d results stored; run again to resume",
                    spec.name,
                    len(store.finished() & set(expanded.scenarios)),
                )
                raise
    run = SweepRun(
        out=folder,
        scenarios=len(expanded),
        skipped=len(finished),
        computed=computed,
        failed=tuple(failed),
        seconds=time.perf_counter() - start,
    )
    write_json_atomic(
        folder / "last_run.json",
        {
            "scenarios": run.scenarios,
            "skipped": run.skipped,
            "computed": run.computed,
            "failed": [list(f) for f in run.failed],
            "seconds": round(run.seconds, 3),
        },
    )
    logger.info(
        "sweep %s: %d computed, %d skipped, %d failed in %.1f s",
        spec.name,
        run.computed,
        run.skipped,
        len(run.failed),
        run.seconds,
    )
    return run


@contextlib.contextmanager
def _use_client(client: Any | None, scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """Use ``client`` as is, or open (and close) one on ``scheduler`` / a local cluster."""
    if client is not None:
        yield client
        return
    with dask_client(scheduler=scheduler, workers=workers) as made:
        yield made
