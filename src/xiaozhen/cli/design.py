"""``xiaozhen design``: lay out each town of a sites GeoPackage on a county grid."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal

import typer

from xiaozhen.errors import InputDataError

__all__ = ["app", "load_grid"]

logger = logging.getLogger(__name__)

app = typer.Typer(
    help="Design each town: PLE layout, services within walking distance, control lines.",
    # a single-command group: let options follow the SITES argument
    context_settings={"allow_interspersed_args": True},
)


def load_grid(path: Path) -> object:
    """A county grid from a folder: ``CountyGrid.save`` format, or plain GeoTIFF layers.

    A folder with ``metadata.json`` is read with :meth:`xiaozhen.region.CountyGrid.load`. Otherwise
    every ``<layer>.tif`` (e.g. ``slope_pct.tif``, ``water.tif``; see
    :data:`xiaozhen.design.REQUIRED_LAYERS`) in the folder or its ``layers/`` sub-folder is read
    into an ``xarray.Dataset`` with the CRS of the first file; all must share one grid.
    """
    import numpy as np
    import rasterio
    import xarray as xr

    if (path / "metadata.json").is_file():
        from xiaozhen.region import CountyGrid

        return CountyGrid.load(path)
    folder = path / "layers" if (path / "layers").is_dir() else path
    tifs = sorted(folder.glob("*.tif"))
    if not tifs:
        raise InputDataError(
            f"--grid: {path} holds neither metadata.json (a saved county grid) nor GeoTIFF layers; "
            "write one with `xiaozhen region synth` or put <layer>.tif files there."
        )
    data = {}
    ref = None
    for tif in tifs:
        with rasterio.open(tif) as src:
            meta = (src.crs, src.transform, src.shape)
            if ref is None:
                ref = meta
            elif meta != ref:
                raise InputDataError(
                    f"--grid: {tif.name} has grid {meta[1]} {meta[2]}, unlike {tifs[0].name}; "
                    "align the layers first (xiaozhen region import does this)."
                )
            data[tif.stem] = (("y", "x"), src.read(1))
    assert ref is not None
    crs, t, (rows, cols) = ref
    x = t.c + t.a * (np.arange(cols) + 0.5)
    y = t.f + t.e * (np.arange(rows) + 0.5)
    return xr.Dataset(data, coords={"x": x, "y": y}, attrs={"crs": crs.to_wkt()})


@app.callback(invoke_without_command=True)
def design(
    sites: Annotated[
        Path, typer.Argument(help="GeoPackage of site polygons (index or `site_id`).")
    ],
    grid: Annotated[
        Path, typer.Option("--grid", help="County grid folder (saved grid or GeoTIFF layers).")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder; one sub-folder per town.")
    ] = Path("design"),
    cell_size_m: Annotated[float, typer.Option(help="Design cell size, m (25–100).")] = 50.0,
    walk_max_m: Annotated[
        float, typer.Option(help="Walk from every home to each service, m.")
    ] = 800.0,
    construction_max_km2: Annotated[
        float, typer.Option(help="Construction land to plan, km² (≈1; larger for tourism towns).")
    ] = 1.0,
    polluting: Annotated[bool, typer.Option(help="The characteristic industry pollutes.")] = False,
    method: Annotated[
        str, typer.Option(help="auto | milp | heuristic (auto: MILP for small sites).")
    ] = "auto",
    seed: Annotated[int, typer.Option(help="Seed of the heuristic.")] = 0,
    workers: Annotated[int, typer.Option(help="Processes for several towns.")] = 1,
) -> None:
    """Design every site in SITES and write GeoTIFF, GeoPackage, CSV tables and a map per town."""
    import geopandas as gpd
    from rich.console import Console
    from rich.table import Table

    from xiaozhen._io import write_text_atomic
    from xiaozhen.design import DesignRules, Infeasible, design_towns, write_town_outputs
    from xiaozhen.errors import ConfigError

    if method not in ("auto", "milp", "heuristic"):
        raise ConfigError(f"--method: expected auto, milp or heuristic, received {method!r}.")
    if not sites.is_file():
        raise InputDataError(f"SITES: {sites} does not exist; give a GeoPackage of site polygons.")
    gdf = gpd.read_file(sites)
    if "site_id" in gdf.columns:
        gdf = gdf.set_index("site_id")
    gdf.index = gdf.index.astype(str)
    rules = DesignRules(
        cell_size_m=cell_size_m,
        walk_max_m=walk_max_m,
        construction_max_km2=construction_max_km2,
        construction_min_km2=min(0.5, construction_max_km2),
        polluting_industry=polluting,
    )
    county = load_grid(grid)
    m: Literal["auto", "milp", "heuristic"] = method  # type: ignore[assignment]
    results = design_towns(county, gdf, rules, seed=seed, method=m, workers=workers)
    table = Table(title="Town designs")
    for col in ("site", "result", "construction km²", "residents", "jobs", "hard checks"):
        table.add_column(col)
    lines = ["site_id,feasible,constraint,required,available,unit,message"]
    for sid, res in zip(gdf.index, results, strict=True):
        if isinstance(res, Infeasible):
            table.add_row(sid, "infeasible", "", "", "", res.message)
            lines.append(
                f'{sid},False,{res.constraint},{res.required},{res.available},{res.unit},"{res.message}"'
            )
            continue
        write_town_outputs(res, out / sid)
        failed = [c.name for c in res.checks if c.hard and not c.passed]
        table.add_row(
            sid,
            res.method,
            f"{res.metrics['construction_km2']:.2f}",
            f"{res.metrics['residents']:.0f}",
            f"{res.metrics['jobs']:.0f}",
            "all pass" if not failed else ", ".join(failed),
        )
        lines.append(f"{sid},True,,,,,")
    write_text_atomic(out / "towns.csv", "\n".join(lines) + "\n")
    Console().print(table)
