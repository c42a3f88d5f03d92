"""``xiaozhen monitor``: the programme office — portfolio template, annual assessment, example."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xiaozhen._io import write_text_atomic
from xiaozhen.errors import ConfigError

__all__ = ["app"]

app = typer.Typer(
    help=(
        "The programme office: grade a portfolio of towns year by year (优秀 / 良好 / 合格 / 警告 / "
        "降格 / 淘汰) and apply the consequences (quota reward, clawback, fiscal return, "
        "demotion, naming)."
    ),
    no_args_is_help=True,
)


@app.command("template")
def template(
    file: Annotated[Path, typer.Argument(help="Template to write: a .csv or .xlsx file.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the portfolio template: one row per town and year, every column documented (an
    XLSX file has a 'columns' sheet; a CSV file gets FILE.columns.csv beside it)."""
    from xiaozhen.monitor import write_portfolio_template

    write_portfolio_template(file, force=force)
    typer.echo(
        f"Wrote {file}. Replace the two example rows with your towns' reports, then run: "
        f"xiaozhen monitor grade {file} --year YEAR --out DIR"
    )


@app.command("example")
def example(
    file: Annotated[Path, typer.Argument(help="CSV file to write the example portfolio to.")],
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate", help="Rebuild it from the simulation instead of copying the bundled one."
        ),
    ] = False,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws of the rebuild.")] = 16,
    seed: Annotated[int, typer.Option(help="Seed of the rebuild.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the example portfolio: the 37 towns of the first creation list (2015), 2015–2018,
    their indicators SIMULATED (marked so on every row; never reported data)."""
    from xiaozhen.monitor import example_portfolio, simulate_batch1_portfolio

    if file.exists() and not force:
        raise ConfigError(f"FILE: {str(file)!r} exists; pass --force to overwrite it")
    frame = (
        simulate_batch1_portfolio(draws=draws, seed=seed)
        if simulate
        else example_portfolio().to_frame()
    )
    write_text_atomic(file, frame.to_csv(index=False, float_format="%.6g"))
    typer.echo(f"Wrote {file}: {frame['town_id'].nunique()} towns, {len(frame)} rows (simulated)")


@app.command("grade")
def grade(
    portfolio: Annotated[
        Path | None, typer.Argument(help="Portfolio CSV or XLSX (see `xiaozhen monitor template`).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write.")] = Path(
        "runs/assessment"
    ),
    year: Annotated[
        int | None,
        typer.Option(
            help="Year to assess (earlier years are graded too, for the trends); default: the latest."
        ),
    ] = None,
    from_run: Annotated[
        Path | None,
        typer.Option(
            "--from-run", help="Grade the towns of a `xiaozhen plan` run folder (simulated)."
        ),
    ] = None,
    example: Annotated[
        bool,
        typer.Option(
            "--example", help="Grade the bundled example portfolio (batch-1 towns, simulated)."
        ),
    ] = False,
    rules: Annotated[
        Path | None, typer.Option(help="Rules TOML file (keys of the README's rule table).")
    ] = None,
    double_clawback: Annotated[
        bool,
        typer.Option(
            "--double-clawback",
            help="Claw back twice the quota reward of towns missing the 3-year target "
            "(reported, not verified).",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
) -> None:
    """Grade every town of a portfolio and write grades.csv, consequences.csv, a map and report.html."""
    from xiaozhen.monitor import (
        example_portfolio,
        grade_distribution,
        grade_portfolio,
        load_rules,
        portfolio_from_run,
        read_portfolio,
        write_grade_folder,
    )
    from xiaozhen.region import load_counties
    from xiaozhen.report.sections import monitor_report, monitor_section

    given = [p for p in (portfolio is not None, from_run is not None, example) if p]
    if len(given) != 1:
        raise ConfigError(
            f"give exactly one of PORTFOLIO, --from-run RUN or --example (received {len(given)})"
        )
    if portfolio is not None:
        parsed = read_portfolio(portfolio)
    elif from_run is not None:
        parsed = portfolio_from_run(from_run)
    else:
        parsed = example_portfolio()
    assessment = load_rules(rules)
    if double_clawback:
        assessment = assessment.model_copy(update={"double_clawback": True})
    result = grade_portfolio(parsed, assessment, parsed.years[-1] if year is None else year)
    counties = load_counties()
    section = monitor_section(result, counties)
    folder = write_grade_folder(
        result,
        out,
        counties=counties,
        figures={f.path: f.png for f in section.figures if f.path is not None},
        report_html=monitor_report(result, section),
        force=force,
    )
    shown = grade_distribution(result.grades_of())
    shown = shown[shown["towns"].groupby(shown["tier"]).transform("sum") > 0]
    typer.echo(
        f"{parsed.source}: {len(result.grades_of())} towns assessed for {result.year} "
        f"(indicators {result.provenance})"
    )
    typer.echo(
        shown[["tier", "grade", "grade_zh", "towns", "share", "published_2018_share"]].to_string(
            index=False, float_format=lambda v: f"{v:.3f}"
        )
    )
    typer.echo(f"Folder: {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")
