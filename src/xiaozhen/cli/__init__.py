"""The ``xiaozhen`` command line.

Each command group lives in its own module (``cli/<group>.py``) and is registered here. User
mistakes raise :class:`~xiaozhen.errors.XiaozhenError`; :func:`main` prints them as one message and
exits with code 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console

from xiaozhen import __version__
from xiaozhen.cli import assess as assess_cli
from xiaozhen.cli import design as design_cli
from xiaozhen.cli import layout as layout_cli
from xiaozhen.cli import monitor as monitor_cli
from xiaozhen.cli import position as position_cli
from xiaozhen.cli import region as region_cli
from xiaozhen.cli import scenario as scenario_cli
from xiaozhen.cli import serve as serve_cli
from xiaozhen.cli import simulate as simulate_cli
from xiaozhen.cli import sweep as sweep_cli
from xiaozhen.errors import XiaozhenError

__all__ = ["app", "main"]

console = Console(stderr=True)

app = typer.Typer(
    name="xiaozhen",
    help=(
        "Plan characteristic small towns (特色小镇) end to end.\n\n"
        "Start with `xiaozhen plan` (the whole chain on the bundled Zhejiang default, into a run "
        "folder with report.html), then explore: `xiaozhen region show`, `xiaozhen scenario new`, "
        "and each stage's own command."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"xiaozhen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log what each stage does.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks for errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Global options."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def plan(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario TOML file; omit for the bundled Zhejiang default."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write.")] = Path(
        "runs/latest"
    ),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing run folder.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Plan the focus counties as Dask tasks on a local cluster of N processes."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Plan the focus counties on a running Dask scheduler (tcp://host:port)."),
    ] = None,
) -> None:
    """Run the whole chain (region → assess → position → layout → design → simulate → report)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from xiaozhen.plan import STAGES, run_plan
    from xiaozhen.scenario import load_scenario

    parsed = load_scenario(scenario)
    names = list(STAGES)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("starting", total=len(names))
        county_task = progress.add_task("counties (Dask tasks)", total=0, visible=False)

        def on_stage(name: str) -> None:
            done = names.index(name)
            progress.update(
                task, completed=done, description=f"stage {done + 1}/{len(names)}: {name}"
            )

        with sweep_cli.county_executor(scheduler, workers, progress, county_task) as executor:
            folder = run_plan(
                parsed,
                out,
                force=force,
                scenario_path=scenario,
                on_stage=on_stage,
                executor=executor,
            )
        progress.update(task, completed=len(names), description="done")
    typer.echo(f"Run folder: {folder}")
    typer.echo(f"Report:     {folder / 'report.html'}")


# Command groups in pipeline order (after `plan`, which is defined above).
app.add_typer(scenario_cli.app, name="scenario")
app.add_typer(region_cli.app, name="region")
app.add_typer(assess_cli.app, name="assess")
app.add_typer(position_cli.app, name="position")
app.add_typer(layout_cli.app, name="layout")
app.add_typer(design_cli.app, name="design")
app.add_typer(simulate_cli.app)  # simulate, calibrate, compare
app.command("serve")(serve_cli.serve)
app.command("sweep")(sweep_cli.sweep)
app.add_typer(monitor_cli.app, name="monitor")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user mistakes into one message and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = app(args=args, prog_name="xiaozhen", standalone_mode=False)
        if code == 130:  # typer turns Ctrl-C into a returned exit code 130 in this mode
            raise KeyboardInterrupt
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        console.print(
            "[red]Interrupted.[/red] Nothing was written half: earlier results are intact."
        )
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except XiaozhenError as exc:
        if debug:
            raise
        console.print(
            f"Error: {exc}", highlight=False, markup=False, style="bold red", soft_wrap=True
        )
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("Interrupted. Nothing was written half: earlier results are intact.")
        sys.exit(130)
