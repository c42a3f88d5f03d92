"""``xiaozhen sweep``: many scenarios on Dask (local cluster or an existing one), resumable."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

__all__ = ["county_executor", "sweep"]

logger = logging.getLogger(__name__)

console = Console(stderr=True)


def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep TOML file (base, design, parameters).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Sweep folder; default sweeps/<sweep name>."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes of the local cluster (default: one per core)."),
    ] = None,
    retries: Annotated[int, typer.Option(help="Extra attempts of a task that raises.")] = 2,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="Only (re)write the summary of stored results.")
    ] = False,
) -> None:
    """Run a scenario sweep: one Dask task per scenario, results stored as they finish.

    A re-run (e.g. after Ctrl-C) skips the scenarios already stored. Writes
    results/<digest>.parquet, design.csv, summary.csv, sensitivity.csv and report.html.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from xiaozhen.sweep import load_sweep, run_sweep, write_sweep_report

    spec = load_sweep(sweep_file)
    folder = out if out is not None else Path("sweeps") / spec.name
    if not report_only:
        with Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("starting the cluster", total=None)

            def on_start(total: int, done: int) -> None:
                progress.update(task, total=total, completed=done, description="scenarios")

            def on_result(_record: dict[str, Any]) -> None:
                progress.advance(task)

            run = run_sweep(
                spec,
                folder,
                scheduler=scheduler,
                workers=workers,
                retries=retries,
                on_start=on_start,
                on_result=on_result,
            )
        typer.echo(
            f"{run.computed} computed, {run.skipped} already stored, {len(run.failed)} failed "
            f"in {run.seconds:.1f} s"
        )
        for digest, error in run.failed:
            typer.echo(f"failed {digest[:12]}: {error}", err=True)
    write_sweep_report(spec, folder)
    typer.echo(f"Sweep folder: {folder}")
    typer.echo(f"Report:       {folder / 'report.html'}")


@contextlib.contextmanager
def county_executor(
    scheduler: str | None, workers: int | None, progress: Any, task: Any
) -> Iterator[Executor | None]:
    """A Dask executor for the per-county stages of ``xiaozhen plan``, or None (serial).

    Each county task submitted adds one to the progress bar's total and advances it when done.
    """
    if scheduler is None and workers is None:
        yield None
        return
    from xiaozhen.sweep import ProgressExecutor, dask_client

    with dask_client(scheduler=scheduler, workers=workers) as client:

        def submitted() -> None:
            total = progress.tasks[task].total or 0
            progress.update(task, total=total + 1, visible=True)

        yield ProgressExecutor(
            client.get_executor(retries=2),
            on_submit=submitted,
            on_done=lambda: progress.advance(task),
        )
