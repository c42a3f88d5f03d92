"""``xiaozhen assess``: county assessment (province scale) and suitability + sites (county scale)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from xiaozhen.errors import ConfigError

app = typer.Typer(
    help="Assess counties (TOPSIS / entropy, urban–rural coupling) and county grids "
    "(suitability overlay, candidate 1–5 km² sites).",
    no_args_is_help=True,
)


@app.command("counties")
def counties(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for counties.csv/gpkg/png.")
    ] = Path("runs/assess"),
    method: Annotated[
        str, typer.Option(help="Scoring method: topsis (vector normalisation) or weighted_sum.")
    ] = "topsis",
    weights: Annotated[str, typer.Option(help="Weights: entropy, critic or equal.")] = "entropy",
    map_png: Annotated[
        bool, typer.Option("--map/--no-map", help="Also write counties.png.")
    ] = True,
) -> None:
    """Score and rank the 90 Zhejiang counties; coupling coordination of urban and rural."""
    from xiaozhen.assess import assess_counties, write_county_outputs
    from xiaozhen.region import load_counties

    if method not in ("topsis", "weighted_sum"):
        raise ConfigError(f"--method: use topsis or weighted_sum, got {method!r}.")
    if weights not in ("entropy", "critic", "equal"):
        raise ConfigError(f"--weights: use entropy, critic or equal, got {weights!r}.")
    m: Literal["topsis", "weighted_sum"] = "topsis" if method == "topsis" else "weighted_sum"
    w: Literal["entropy", "critic", "equal"] = (
        "entropy" if weights == "entropy" else "critic" if weights == "critic" else "equal"
    )
    result = assess_counties(load_counties(), method=m, weights=w)
    paths = write_county_outputs(result, out)
    if map_png:
        from xiaozhen.report import county_map, save_png

        png = county_map(
            result.counties,
            "score",
            title=f"County suitability for characteristic towns ({result.method}, "
            f"{result.weights_method} weights)",
            legend_label="score (0–1)",
        )
        save_png(png, out / "counties.png")
        paths["counties.png"] = out / "counties.png"
    top = result.counties.sort_values("rank").head(10)
    for adcode, row in top.iterrows():
        typer.echo(f"{int(row['rank']):>3}  {adcode}  {row['name']:<8} {row['score']:.3f}  "
                   f"D={row['coordination_D']:.3f} {row['coordination_zh']} ({row['lag']})")  # fmt: skip
    for name, path in paths.items():
        typer.echo(f"wrote {name}: {path}")


@app.command("sites")
def sites(
    grid: Annotated[
        Path | None, typer.Option(help="County grid folder (CountyGrid.save); omit for --synth.")
    ] = None,
    synth: Annotated[
        str, typer.Option(help="Adcode of a bundled county to synthesise when --grid is omitted.")
    ] = "330782",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic county.")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("runs/assess"),
    weights: Annotated[
        str, typer.Option(help="Factor weights: fixed, entropy or critic.")
    ] = "fixed",
    target_area_km2: Annotated[float, typer.Option(help="Planned site area (1–5 km²).")] = 3.0,
    max_sites: Annotated[int | None, typer.Option(help="Keep at most this many sites.")] = None,
) -> None:
    """Suitability overlay and candidate sites of one county: suitability.tif and sites.gpkg."""
    from xiaozhen._io import write_gpkg
    from xiaozhen.assess import (
        SiteRules,
        sites_from_suitability,
        suitability_from_layers,
        write_suitability_geotiff,
    )
    from xiaozhen.region.grid import CountyGrid

    if weights not in ("fixed", "entropy", "critic"):
        raise ConfigError(f"--weights: use fixed, entropy or critic, got {weights!r}.")
    if grid is not None:
        county_grid = CountyGrid.load(grid)
        adcode = str(county_grid.metadata.get("adcode", ""))
    else:
        from xiaozhen.region.synth import synth_county

        county_grid = synth_county(synth, seed=seed)
        adcode = synth
    w: Literal["fixed", "entropy", "critic"] = (
        "fixed" if weights == "fixed" else "entropy" if weights == "entropy" else "critic"
    )
    suit = suitability_from_layers(county_grid, weights=w)
    write_suitability_geotiff(suit, out / "suitability.tif")
    found = sites_from_suitability(
        county_grid,
        suit,
        rules=SiteRules(target_area_km2=target_area_km2),
        county=adcode,
        max_sites=max_sites,
    )
    write_gpkg(found.reset_index(), out / "sites.gpkg", layer="sites")
    for note in suit.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"{len(found)} sites; wrote {out / 'suitability.tif'} and {out / 'sites.gpkg'}")
