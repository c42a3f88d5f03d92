"""``xiaozhen region``: the bundled province and county grids."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from xiaozhen.cli import region_grid
from xiaozhen.errors import ConfigError

app = typer.Typer(
    help="The bundled Zhejiang counties, their attributes, and county grids.", no_args_is_help=True
)
region_grid.register(app)  # region import, region synth


@app.command("show")
def show(
    attribute: Annotated[
        str,
        typer.Option("--attribute", "-a", help="County attribute to list and map (see --list)."),
    ] = "pop_2020",
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Write a PNG map of the attribute to this file.")
    ] = None,
    list_attributes: Annotated[
        bool, typer.Option("--list", help="List the available attributes and exit.")
    ] = False,
    join_report: Annotated[
        Path | None, typer.Option("--join-report", help="Write the census join report (CSV) here.")
    ] = None,
) -> None:
    """Print the 90 county-level units with one attribute; optionally map it."""
    import difflib

    from xiaozhen._io import write_text_atomic
    from xiaozhen.region import census_join_report, load_counties

    counties = load_counties()
    numeric = [c for c in counties.columns if c != "geometry"]
    if list_attributes:
        typer.echo("\n".join(numeric))
        return
    if attribute not in counties.columns or attribute == "geometry":
        close = difflib.get_close_matches(attribute, numeric, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            f"--attribute: unknown attribute {attribute!r}.{hint} List them with "
            "`xiaozhen region show --list`."
        )
    table = Table(title=f"Zhejiang: {len(counties)} county-level units · {attribute}")
    for col in ("adcode", "name", "city", attribute):
        table.add_column(col, justify="right" if col == attribute else "left")
    for adcode, row in counties.iterrows():
        value = row[attribute]
        text = f"{value:,.4g}" if isinstance(value, float) else str(value)
        table.add_row(str(adcode), str(row["name"]), str(row["city"]), text)
    Console().print(table)
    if map_file is not None:
        from xiaozhen.report import county_map, save_png

        if counties[attribute].dtype == object:
            raise ConfigError(f"--attribute: {attribute!r} is not numeric and cannot be mapped")
        png = county_map(counties, attribute, title=attribute, legend_label=attribute)
        save_png(png, map_file)
        typer.echo(f"Map written to {map_file}")
    if join_report is not None:
        write_text_atomic(join_report, census_join_report(counties.index).to_csv(index=False))
        typer.echo(f"Join report written to {join_report}")
