"""Report section of one focus county: its sites, the province's towns sited there, their designs."""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from xiaozhen.design import (
    USE_COLOURS,
    USE_NAMES,
    CountyPlan,
    TownLayout,
    town_map_png,
    use_polygons,
)
from xiaozhen.report.charts import Chart, bars_vs_threshold_svg
from xiaozhen.report.figures import figure_png
from xiaozhen.report.fonts import use_cjk_font
from xiaozhen.report.html import Figure, ReportSection, Table, table_from_frame
from xiaozhen.report.maps import MapFigure, MapLayer, category_layer, feature_layer

__all__ = ["county_section", "designs_table", "sitings_table"]

#: Columns of the chosen sites shown in the report.
_CHOSEN_COLUMNS = (
    "town_id",
    "industry",
    "fit",
    "area_km2",
    "developable_km2",
    "idle_reused_km2",
    "suitability",
    "fringe",
    "tt_county_seat_min",
    "pop_30min",
    "best_industry",
    "drivers",
)


def _site_map(county: CountyPlan) -> bytes:
    use_cjk_font()
    grid = county.grid
    x, y = grid.layers["x"].values, grid.layers["y"].values
    half = grid.cell_size_m / 2
    extent = (
        float(x.min() - half),
        float(x.max() + half),
        float(y.min() - half),
        float(y.max() + half),
    )
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    image = ax.imshow(
        county.suitability.suitability.values, extent=extent, cmap="YlGn", vmin=0, vmax=1
    )
    gpd.GeoSeries([grid.boundary]).boundary.plot(ax=ax, color="#333", linewidth=0.8)
    if len(county.sites):
        county.sites.boundary.plot(ax=ax, color="#1f77b4", linewidth=0.5)
    if len(county.chosen):
        county.chosen.boundary.plot(ax=ax, color="#d62728", linewidth=2.0)
        for sid, point in zip(county.chosen.index, county.chosen.geometry.centroid, strict=True):
            label = f"{sid}\n{county.chosen.loc[sid, 'town_id']}"
            ax.annotate(label, (point.x, point.y), fontsize=7, color="#d62728")
    fig.colorbar(image, ax=ax, shrink=0.6, label="suitability (0–1)")
    ax.set_title(f"{county.name}: suitability, candidate sites (blue) and the towns (red)")
    ax.set_axis_off()
    return figure_png(fig)


def sitings_table(county: CountyPlan) -> pd.DataFrame:
    """One row per town the province chose for the county: the decision and its reason."""
    return pd.DataFrame(
        [
            {
                "town_id": s.town_id,
                "industry": s.industry,
                "decision": s.decision,
                "site_id": s.site_id or "",
                "first_site_id": s.first_site_id or "",
                "reason": s.reason,
            }
            for s in county.sitings
        ],
        columns=["town_id", "industry", "decision", "site_id", "first_site_id", "reason"],
    )


def designs_table(county: CountyPlan) -> pd.DataFrame:
    """One row per design made (the final ones, then the failed attempts with their reason)."""
    rows = []
    for site_id, design in zip(county.chosen.index, county.designs, strict=True):
        failed = [c.name for c in design.checks if c.hard and not c.passed]
        rows.append(
            {
                "site": str(site_id),
                "town_id": str(county.chosen.loc[site_id, "town_id"]),
                "industry": str(county.chosen.loc[site_id, "industry"]),
                "status": design.status,
                "method": design.method,
                "construction_km2": design.metrics.get("construction_km2", np.nan),
                "residents": design.metrics.get("residents", np.nan),
                "jobs": design.metrics.get("jobs", np.nan),
                "investment_bn_yuan": design.metrics.get("investment_yuan", np.nan) / 1e9,
                "hard_checks_failed": ", ".join(failed) or "none",
                "reason": "",
            }
        )
    for attempt in county.failed:
        reason = (
            attempt.message
            if not isinstance(attempt, TownLayout)
            else "fails hard checks "
            + ", ".join(c.name for c in attempt.checks if c.hard and not c.passed)
        )
        rows.append({"site": attempt.site_id, "status": "infeasible", "reason": reason})
    return pd.DataFrame(rows)


def _check_chart(design: TownLayout) -> Chart | None:
    limited = [c for c in design.checks if c.limit != 0]
    if not limited:
        return None
    return bars_vs_threshold_svg(
        [c.name.replace("_", " ") for c in limited],
        [c.value for c in limited],
        [c.limit for c in limited],
        # a minimum's slack is value − limit, a maximum's limit − value
        senses=["min" if abs(c.value - c.limit - c.slack) < 1e-9 else "max" for c in limited],
        title=f"Town {design.site_id}: every check as value ÷ limit (green passes; 1 is the limit)",
        normalise=True,
    )


def _map_layers(county: CountyPlan) -> list[MapLayer]:
    layers = []
    if len(county.sites):
        layers.append(
            feature_layer(
                county.sites.reset_index(),
                name="Candidate sites 候选地块",
                colour="#1f77b4",
                label_column="site_id",
                popup_columns=("suitability", "best_industry", "fringe", "developable_km2"),
                fill_opacity=0.25,
            )
        )
    if len(county.chosen):
        layers.append(
            category_layer(
                county.chosen.reset_index(),
                "industry",
                name="The province's towns 入选小镇",
                label_column="town_id",
                popup_columns=("site_id", "industry", "fit", "suitability", "drivers"),
            )
        )
    polygons = []
    for site_id, design in zip(county.chosen.index, county.designs, strict=True):
        uses = use_polygons(design)
        uses["town"] = str(site_id)
        polygons.append(uses)
    if polygons:
        palette = {
            USE_NAMES[u]: "#{:02x}{:02x}{:02x}".format(*USE_COLOURS[u][:3]) for u in USE_COLOURS
        }
        layers.append(
            category_layer(
                gpd.GeoDataFrame(pd.concat(polygons, ignore_index=True), crs=county.chosen.crs),
                "name",
                name="Town layouts 小镇布局",
                colours=palette,
                label_column="name_zh",
                popup_columns=("town", "name_zh", "ple", "area_km2"),
                stroke="#555555",
                weight=0.2,
            )
        )
    return layers


def county_section(
    county: CountyPlan, *, site_area_km2: float, design_cell_size_m: float
) -> ReportSection:
    """Sites, the siting decision of each of the province's towns, designs, maps and checks."""
    folder = f"counties/{county.adcode}"
    figures = [
        Figure(
            f"{county.name}: suitability, candidate sites and the sited towns.",
            _site_map(county),
            path=f"{folder}/map_sites.png",
        )
    ]
    charts = []
    for site_id, design in zip(county.chosen.index, county.designs, strict=True):
        chart = _check_chart(design)
        if chart is not None:
            charts.append(chart)
        figures.append(
            Figure(
                f"{county.name} town {county.chosen.loc[site_id, 'town_id']} on site {site_id}: "
                "production–living–ecological layout.",
                town_map_png(design),
            )
        )
    tables: list[Table] = []
    if county.sitings:
        tables.append(
            table_from_frame(
                "The province's towns in this county: siting decisions",
                sitings_table(county),
                index=False,
            )
        )
    if len(county.chosen):
        shown = county.chosen[[c for c in _CHOSEN_COLUMNS if c in county.chosen.columns]]
        tables.append(table_from_frame("Sites of the towns", pd.DataFrame(shown)))
    designs = designs_table(county)
    if len(designs):
        tables.append(table_from_frame("Town designs", designs, index=False))
    layers = _map_layers(county)
    maps = (
        (MapFigure(f"{county.name}: candidate sites, the towns and their layouts.", tuple(layers)),)
        if layers
        else ()
    )
    sited = sum(s.decision != "dropped" for s in county.sitings)
    result = county.layout.result if county.layout is not None else None
    summary = (
        f"{county.name} ({county.adcode}), synthetic={county.grid.synthetic}: the province "
        f"layout gives this county {len(county.towns)} town(s) "
        f"({', '.join(f'{t.town_id}' for t in county.towns) or 'none'}); "
        f"{len(county.sites)} candidate sites of about {site_area_km2:g} km² meet the site "
        f"rules; {sited} town(s) sited"
        + (f" (assignment {result.method}, status {result.status})" if result is not None else "")
        + f", each designed on a {design_cell_size_m:g} m grid with the province's industry and "
        "re-verified by the independent checker."
    )
    return ReportSection(
        id=f"county-{county.adcode}",
        title=f"Sites and town designs · {county.name}",
        summary=summary,
        maps=maps,
        charts=tuple(charts),
        figures=tuple(figures),
        tables=tuple(tables),
        warnings=county.warnings,
        notes=(
            "The county grid is synthetic: a seeded landscape conditioned on the county's real "
            "area, urban and rural population and land-cover shares; supply real layers with "
            "`xiaozhen region import` to plan real sites."
            if county.grid.synthetic
            else "The county grid was imported from the user's layers.",
            "Each town keeps the industry the province chose; a site's own best industry is "
            "shown beside it (best_industry) for the planner's information.",
        ),
    )
