"""``xiaozhen scenario``: write and check scenario files."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import typer

from xiaozhen._io import write_text_atomic
from xiaozhen.errors import ConfigError, RunFolderError

app = typer.Typer(
    help="Write a commented default scenario, or check a scenario file.", no_args_is_help=True
)


@app.command("new")
def new(
    file: Annotated[Path, typer.Argument(help="Scenario TOML file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the default scenario, every key commented with its unit and source."""
    from xiaozhen.scenario import default_scenario_toml

    if file.exists() and not force:
        raise RunFolderError(f"FILE: {str(file)!r} exists; pass --force to overwrite it")
    write_text_atomic(file, default_scenario_toml())
    typer.echo(f"Wrote {file}. Edit it, then run: xiaozhen scenario check {file}")


@app.command("check")
def check(file: Annotated[Path, typer.Argument(help="Scenario TOML file to check.")]) -> None:
    """Report every problem of a scenario file at once (exit code 2 if there are any)."""
    from xiaozhen.scenario import scenario_problems

    if not file.is_file():
        raise ConfigError(
            f"FILE: {str(file)!r} does not exist; create one with `xiaozhen scenario new`"
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    scenario, problems = scenario_problems(data)
    if problems:
        listing = "\n  - ".join(problems)
        raise ConfigError(f"{file}: {len(problems)} problem(s):\n  - {listing}")
    assert scenario is not None
    typer.echo(
        f"{file}: OK (scenario {scenario.name!r}, seed {scenario.seed}, sha256 {scenario.digest()[:12]})"
    )
