"""Files of one designed town: GeoTIFF, GeoPackage, metrics and checks tables, map PNG.

``write_town_outputs(layout, folder)`` writes, each atomically (:mod:`xiaozhen._io`):

* ``uses.tif`` — uint8 use codes, nodata 0, the layout's projected CRS, a colour table and the
  category names as band tags (``USE_<code>=<name>|<中文>``);
* ``uses.gpkg`` — layer ``uses``: one dissolved (multi)polygon per use with ``use``, ``name``,
  ``name_zh``, ``ple`` and ``area_km2`` (timestamp pinned by ``OGR_CURRENT_DATE``);
* ``metrics.csv`` — metric, value (areas by use and PLE class, residents, jobs, service demand,
  capacity and coverage, investment);
* ``checks.csv`` — every check with value, limit, slack, pass/fail, hard/soft and source;
* ``summary.json`` — method, status, objective terms, bound, gap, rules (no timings, so reruns are
  byte-identical);
* ``map.png`` — the layout with a legend.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
from rasterio.features import shapes
from shapely.geometry import shape

from xiaozhen._io import (
    FIXED_TIMESTAMP,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
    write_with,
)
from xiaozhen.design._design import TownLayout
from xiaozhen.design._rules import USE_COLOURS, USE_NAMES, USE_NAMES_ZH, USE_PLE, Use

__all__ = ["town_map_png", "use_polygons", "write_town_outputs"]

logger = logging.getLogger(__name__)


def _write_tif(layout: TownLayout, path: Path) -> None:
    data = layout.use.astype(np.uint8)
    profile = {
        "driver": "GTiff",
        "height": data.shape[0],
        "width": data.shape[1],
        "count": 1,
        "dtype": "uint8",
        "crs": layout.crs_wkt,
        "transform": layout.transform,
        "nodata": 0,
        "compress": "deflate",
        "photometric": "palette",
    }
    tags = {f"USE_{int(u)}": f"{USE_NAMES[u]}|{USE_NAMES_ZH[u]}" for u in Use}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.write_colormap(1, {int(u): USE_COLOURS[u] for u in Use})
        dst.update_tags(1, **tags)
        dst.update_tags(TIFFTAG_DATETIME=FIXED_TIMESTAMP.replace("-", ":").replace("T", " ")[:19])


def use_polygons(layout: TownLayout) -> gpd.GeoDataFrame:
    """Dissolved polygons per use (one row per use present), in the layout's CRS."""
    data = layout.use.astype(np.int16)
    geoms, codes = [], []
    for geom, value in shapes(data, mask=data > 0, transform=layout.transform):
        geoms.append(shape(geom))
        codes.append(int(value))
    gdf = gpd.GeoDataFrame({"use": codes}, geometry=geoms, crs=layout.crs_wkt)
    gdf = gdf.dissolve(by="use", as_index=False).sort_values("use").reset_index(drop=True)
    gdf["name"] = [USE_NAMES[Use(u)] for u in gdf["use"]]
    gdf["name_zh"] = [USE_NAMES_ZH[Use(u)] for u in gdf["use"]]
    gdf["ple"] = [USE_PLE[Use(u)] for u in gdf["use"]]
    gdf["area_km2"] = gdf.geometry.area / 1e6
    return gdf[["use", "name", "name_zh", "ple", "area_km2", "geometry"]]


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path) -> None:
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    try:
        pyogrio.write_dataframe(gdf, path, layer="uses", driver="GPKG")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def town_map_png(layout: TownLayout) -> bytes:
    """The layout as a PNG map with a legend (no date in the metadata: reruns are identical)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    colours = np.array([USE_COLOURS[u] for u in Use], dtype=float) / 255.0
    cmap = ListedColormap(colours)
    t = layout.transform
    rows, cols = layout.use.shape
    extent = (t.c, t.c + cols * t.a, t.f + rows * t.e, t.f)
    fig, ax = plt.subplots(figsize=(8, 6.5), dpi=110)
    ax.imshow(
        layout.use, cmap=cmap, vmin=0, vmax=len(Use) - 1, extent=extent, interpolation="nearest"
    )
    present = [Use(int(u)) for u in np.unique(layout.use) if u > 0]
    handles = [
        Patch(facecolor=colours[u], edgecolor="0.3", label=USE_NAMES[u].replace("_", " "))
        for u in present
    ]
    ax.legend(
        handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False
    )
    ax.set_title(
        f"Town design {layout.site_id} ({layout.method}, objective {layout.objective:.1f})",
        fontsize=10,
    )
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def write_town_outputs(
    layout: TownLayout, folder: str | Path, *, summary_extra: Mapping[str, Any] | None = None
) -> dict[str, Path]:
    """Write the GeoTIFF, GeoPackage, metrics, checks, summary and map of ``layout``.

    ``summary_extra`` adds keys to ``summary.json`` (the plan records the town's ``town_id`` and
    ``industry`` there). Returns the written paths by kind. Every file is written to a temporary
    name and renamed.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "tif": out / "uses.tif",
        "gpkg": out / "uses.gpkg",
        "metrics": out / "metrics.csv",
        "checks": out / "checks.csv",
        "summary": out / "summary.json",
        "png": out / "map.png",
    }
    write_with(paths["tif"], lambda p: _write_tif(layout, p))
    gdf = use_polygons(layout)
    write_with(paths["gpkg"], lambda p: _write_gpkg(gdf, p))
    metrics = pd.DataFrame({"metric": list(layout.metrics), "value": list(layout.metrics.values())})
    write_text_atomic(paths["metrics"], metrics.to_csv(index=False))
    checks = pd.DataFrame(
        [
            {
                "check": c.name,
                "passed": c.passed,
                "value": c.value,
                "limit": c.limit,
                "slack": c.slack,
                "unit": c.unit,
                "hard": c.hard,
                "source": c.source,
            }
            for c in layout.checks
        ]
    )
    write_text_atomic(paths["checks"], checks.to_csv(index=False))
    write_json_atomic(
        paths["summary"],
        {
            "site_id": layout.site_id,
            **dict(summary_extra or {}),
            "method": layout.method,
            "status": layout.status,
            "objective": layout.objective,
            "objective_terms": layout.objective_terms,
            "bound": layout.bound,
            "bound_method": layout.bound_method,
            "gap": layout.gap,
            "feasible": layout.feasible,
            "cell_size_m": layout.cell_size_m,
            "rules": layout.rules.model_dump(mode="json"),
        },
    )
    write_bytes_atomic(paths["png"], town_map_png(layout))
    logger.info("wrote town %s outputs to %s", layout.site_id, out)
    return paths
