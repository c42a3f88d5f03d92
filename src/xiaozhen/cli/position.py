"""``xiaozhen position``: characteristic-industry positioning of counties or candidate sites."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Fit of each county or site to each characteristic industry, with uniqueness among "
    "neighbours and the drivers that decided it.",
    no_args_is_help=True,
)


@app.command("counties")
def counties(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for positioning.csv.")] = Path(
        "runs/position"
    ),
    penalty: Annotated[
        float, typer.Option(help="Score penalty per adjacent county with the same industry.")
    ] = 0.15,
) -> None:
    """Position the 90 Zhejiang counties; writes positioning.csv."""
    from xiaozhen.position import position_counties, write_positioning
    from xiaozhen.region import load_counties

    table = load_counties()
    result = position_counties(table, penalty=penalty)
    path = write_positioning(result, out / "positioning.csv")
    counts = result.table["best_industry"].value_counts()
    typer.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
    typer.echo(f"wrote {path}")


@app.command("sites")
def sites(
    sites_file: Annotated[Path, typer.Argument(help="sites.gpkg from `xiaozhen assess sites`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for positioning.csv.")] = Path(
        "runs/position"
    ),
    radius_km: Annotated[float, typer.Option(help="Sites closer than this are neighbours.")] = 15.0,
    penalty: Annotated[
        float, typer.Option(help="Score penalty per neighbouring site with the same industry.")
    ] = 0.15,
) -> None:
    """Position candidate sites; writes positioning.csv."""
    import geopandas as gpd

    from xiaozhen.errors import InputDataError
    from xiaozhen.position import position_sites, write_positioning
    from xiaozhen.region import load_counties

    if not sites_file.exists():
        raise InputDataError(
            f"sites_file: {sites_file} does not exist; run `xiaozhen assess sites`."
        )
    frame = gpd.read_file(sites_file).set_index("site_id")
    frame["county"] = frame["county"].astype(str)
    result = position_sites(frame, load_counties(), radius_km=radius_km, penalty=penalty)
    path = write_positioning(result, out / "positioning.csv")
    typer.echo(f"wrote {path}")
