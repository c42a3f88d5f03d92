"""``xiaozhen simulate`` / ``calibrate`` / ``compare``: run the flow model alone, fit it, compare runs."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from xiaozhen.errors import InputDataError

__all__ = ["app"]

logger = logging.getLogger(__name__)

app = typer.Typer(help="Simulate flows of people, jobs, capital and land; calibrate; compare runs.")

_DATA = Path(__file__).resolve().parents[1] / "simulate" / "data"


@app.command("simulate")
def simulate_cmd(
    out: Annotated[Path, typer.Option(help="folder to write the simulation files into")],
    towns: Annotated[
        Path | None,
        typer.Option(help="CSV of towns: town_id, county, industry, start_year, investment_yuan"),
    ] = None,
    layout: Annotated[
        str,
        typer.Option(
            help="stand-in programme when --towns is not given: balanced, suburbs, fringe or none"
        ),
    ] = "balanced",
    n_towns: Annotated[int, typer.Option(help="towns in the stand-in programme")] = 30,
    lever_off: Annotated[
        list[str] | None, typer.Option(help="switch a policy lever off (repeatable)")
    ] = None,
    years: Annotated[int, typer.Option(help="years simulated after 2020")] = 20,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws")] = 200,
    seed: Annotated[int, typer.Option(help="seed of the one random generator")] = 0,
) -> None:
    """Run the yearly model from the 2020 census with a town programme and policy package."""
    from xiaozhen.evaluate.outputs import write_simulation_outputs
    from xiaozhen.region import load_counties
    from xiaozhen.simulate import PolicyPackage, programme_from_counties, simulate

    counties = load_counties()
    if towns is not None:
        if not towns.is_file():
            raise InputDataError(f"--towns: file {str(towns)!r} not found")
        table = pd.read_csv(towns, dtype={"county": str})
    elif layout == "none":
        table = None
    else:
        table = programme_from_counties(counties, layout=layout, n_towns=n_towns)  # type: ignore[arg-type]
    policy = PolicyPackage()
    for lever in lever_off or []:
        policy = policy.without(lever)
    result = simulate(counties, table, policy, years=years, draws=draws, seed=seed)
    write_simulation_outputs(result, out)
    cal = (
        "calibrated (simulate/data/calibrated_parameters.json)"
        if result.calibration.get("calibrated")
        else "UNCALIBRATED defaults"
    )
    typer.echo(f"wrote {out} ({result.seconds:.1f} s; parameters: {cal})")


@app.command("calibrate")
def calibrate_cmd(
    seed: Annotated[int, typer.Option(help="seed of the county folds / split")] = 0,
    folds: Annotated[
        int, typer.Option(help="k of the k-fold cross-validation over counties (0: none)")
    ] = 5,
    holdout_share: Annotated[
        float,
        typer.Option(help="share of counties held out of the bundled fit (0: fit on all)"),
    ] = 0.0,
    max_evaluations: Annotated[int, typer.Option(help="model runs allowed to the optimiser")] = 400,
    out: Annotated[
        Path | None,
        typer.Option(help="JSON to write (default: the bundled calibrated_parameters.json)"),
    ] = None,
) -> None:
    """Fit the free parameters to the 2010→2020 census and the income-ratio path.

    Runs a k-fold cross-validation over counties (held-out RMSE of model and naive baseline,
    mean ± sd over folds), then the final fit whose parameters are bundled.
    """
    from xiaozhen.region import load_counties
    from xiaozhen.simulate.calibrate import calibrate, cross_validate, write_calibration

    counties = load_counties()
    cv = None
    if folds:
        cv = cross_validate(counties, folds=folds, seed=seed, max_evaluations=max_evaluations)
        typer.echo(f"{folds}-fold cross-validation (held-out counties):")
        typer.echo(cv.summary.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    result = calibrate(
        counties, seed=seed, holdout_share=holdout_share, max_evaluations=max_evaluations
    )
    target = out or _DATA / "calibrated_parameters.json"
    command = "xiaozhen calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    write_calibration(result, target, command=command.strip(), cv=cv)
    typer.echo(result.metrics.to_string(index=False))
    typer.echo(
        "income ratio model: " + ", ".join(f"{y}: {v:.3f}" for y, v in result.income_ratio.items())
    )
    typer.echo(f"parameters at a bound: {', '.join(result.at_bounds) or 'none'}; wrote {target}")


@app.command("compare")
def compare_cmd(
    run_a: Annotated[Path, typer.Argument(help="first run folder (or its simulate sub-folder)")],
    run_b: Annotated[Path, typer.Argument(help="second run folder")],
    out: Annotated[
        Path | None,
        typer.Option(help="folder for comparison.csv / .png (default RUN_B/comparison)"),
    ] = None,
) -> None:
    """Table of differences (B − A, paired over draws when possible) and charts with bands."""
    from xiaozhen.evaluate.compare import compare_runs

    target = out or Path(run_b) / "comparison"
    table = compare_runs(run_a, run_b, target, label_a="A", label_b="B")
    final = table[table["year"] == table["year"].max()]
    typer.echo(final[["indicator", "A_p50", "B_p50", "diff_pct"]].to_string(index=False))
    typer.echo(f"wrote {target}/comparison.csv and comparison.png")
