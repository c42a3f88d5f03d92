"""``xiaozhen region import`` and ``xiaozhen region synth``: build a county grid folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from xiaozhen.errors import RunFolderError

__all__ = ["import_command", "register", "synth_command"]


def _summary(title: str, grid: Any, out: Path) -> None:
    table = Table(title=title)
    for col in ("layer", "source"):
        table.add_column(col)
    for name in sorted(str(n) for n in grid.layers.data_vars):
        table.add_row(name, str(grid.sources.get(name, "")))
    console = Console()
    console.print(table)
    h, w = grid.shape
    console.print(f"{h} x {w} cells of {grid.cell_size_m:g} m · written to {out}")


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise RunFolderError(
            f"--out: {out} exists; pass --force to replace it or choose another folder."
        )


def import_command(
    config: Annotated[Path, typer.Argument(help="Import TOML mapping layer names to files.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Grid folder to write.")] = Path("grid"),
    travel: Annotated[
        bool, typer.Option(help="Compute travel-time layers (needs roads, slope, settlements).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
) -> None:
    """Reproject, resample, clip and align every layer of CONFIG to one county grid."""
    from xiaozhen.region.importer import import_grid

    _check_out(out, force)
    grid = import_grid(config)
    if travel:
        from xiaozhen.region.travel import travel_times

        grid = travel_times(grid)
    grid.save(out, overwrite=force)
    _summary(f"Imported county grid ({config.name})", grid, out)
    report = Table(title="Import report")
    for col in ("layer", "from CRS", "resampling", "nodata %", "class codes"):
        report.add_column(col)
    for name, rep in grid.metadata.get("import_report", {}).items():
        share = rep.get("nodata_share")
        codes = rep.get("class_codes")
        report.add_row(
            name,
            str(rep.get("source_crs", "")),
            str(rep.get("resampling", "")),
            "" if share is None else f"{100 * share:.1f}",
            ""
            if codes is None
            else ", ".join(map(str, codes[:12])) + (" ..." if len(codes) > 12 else ""),
        )
    Console().print(report)


def synth_command(
    county: Annotated[str, typer.Option("--county", help="6-digit adcode of a Zhejiang county.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same grid).")] = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Grid folder to write.")] = Path("grid"),
    cell_size_m: Annotated[float, typer.Option("--cell-size", help="Cell edge in metres.")] = 100.0,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder.")] = False,
) -> None:
    """Generate a synthetic county grid conditioned on a real county's facts (marked synthetic)."""
    from xiaozhen.region.synth import synth_county

    _check_out(out, force)
    grid = synth_county(county, seed=seed, cell_size_m=cell_size_m)
    grid.save(out, overwrite=force)
    meta = grid.metadata
    _summary(f"SYNTHETIC county grid · {meta['adcode']} {meta['name']} · seed {seed}", grid, out)
    t, a = meta["targets"], meta["achieved"]
    table = Table(title="Targets (bundled facts) vs synthetic")
    for col in ("quantity", "target", "synthetic"):
        table.add_column(col, justify="right")
    table.add_row("area km²", f"{t['area_km2']:.1f}", f"{a['area_km2_cells']:.1f}")
    table.add_row("urban population", f"{t['urban_pop']:,}", f"{a['urban_pop']:,}")
    table.add_row("rural population", f"{t['rural_pop']:,}", f"{a['rural_pop']:,}")
    for key in sorted(k for k in t if k.startswith("lc_")):
        table.add_row(key, f"{t[key]:.3f}", f"{a[key]:.3f}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``import`` and ``synth`` to the ``region`` command group."""
    app.command("import")(import_command)
    app.command("synth")(synth_command)
