"""``xiaozhen layout``: location optimisation (p-median on OR-Library files, ...)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Location optimisation: p-median, MCLP, LSCP, p-center and the town-planning model "
    "(budgets, land quota, balance, spacing) with proven bounds.",
    no_args_is_help=True,
)


@app.command("pmedian")
def pmedian(
    orlib: Annotated[
        Path, typer.Option("--orlib", help="OR-Library p-median file (pmedX.txt: 'n m p', edges).")
    ],
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            help="Seconds for the solve; the incumbent and its "
            "proven bound are printed when it runs out.",
        ),
    ] = 300.0,
    method: Annotated[
        str, typer.Option(help="exact (prove optimality), lagrangian (fast, with a bound) or auto.")
    ] = "auto",
) -> None:
    """Solve an OR-Library p-median instance; print one JSON line with the proven bound and gap."""
    from xiaozhen.errors import ConfigError
    from xiaozhen.layout import LocationProblem, read_orlib, solve_pmedian

    if method not in ("auto", "exact", "lagrangian"):
        raise ConfigError(f"--method: use auto, exact or lagrangian, got {method!r}")
    if not (time_limit > 0):
        raise ConfigError(f"--time-limit must be > 0 seconds, got {time_limit}")
    inst = read_orlib(orlib)
    res = solve_pmedian(
        LocationProblem(inst.distance),
        inst.p,
        time_limit=time_limit,
        method=method,  # type: ignore[arg-type]
    )
    out = {
        "instance": inst.name,
        "n": inst.n,
        "p": inst.p,
        "objective": res.objective,
        "bound": res.bound,
        "gap": res.gap if math.isfinite(res.gap) else None,
        "status": res.status,
        "method": res.method,
        "seconds": round(res.seconds, 3),
    }
    typer.echo(json.dumps(out))
