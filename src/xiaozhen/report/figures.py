"""Static figures (PNG) for the report and the run folder, reproducible byte for byte."""

from __future__ import annotations

import io
import os
from typing import Any

import geopandas as gpd
import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import patheffects

from xiaozhen._io import write_bytes_atomic
from xiaozhen.report.fonts import use_cjk_font

__all__ = ["county_map", "figure_png", "save_png"]

#: PNG metadata without a date or software version, so reruns are byte-identical.
_PNG_METADATA: dict[str, Any] = {"Software": None}


def figure_png(fig: Any, *, dpi: int = 110) -> bytes:
    """Render a matplotlib figure to PNG bytes (no timestamp) and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata=_PNG_METADATA)
    plt.close(fig)
    return buffer.getvalue()


def save_png(png: bytes, path: str | os.PathLike[str]) -> None:
    """Write PNG bytes atomically."""
    write_bytes_atomic(path, png)


def county_map(
    counties: gpd.GeoDataFrame,
    column: str,
    *,
    title: str,
    legend_label: str,
    cmap: str = "viridis",
    label_column: str | None = "name",
    highlight: gpd.GeoDataFrame | None = None,
) -> bytes:
    """Choropleth of ``column`` over the counties, with Chinese labels; returns PNG bytes."""
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(8.5, 9.0))
    categorical = not pd.api.types.is_numeric_dtype(counties[column])
    if categorical:
        counties.plot(
            column=column,
            ax=ax,
            cmap=cmap,
            categorical=True,
            legend=True,
            edgecolor="white",
            linewidth=0.4,
            legend_kwds={"title": legend_label, "loc": "lower right", "fontsize": 7},
        )
    else:
        counties.plot(
            column=column,
            ax=ax,
            cmap=cmap,
            legend=True,
            edgecolor="white",
            linewidth=0.4,
            legend_kwds={"label": legend_label, "shrink": 0.55},
        )
    if highlight is not None and len(highlight):
        highlight.plot(ax=ax, color="#d62728", markersize=22, marker="^", zorder=5)
    if label_column is not None:
        points = counties.geometry.representative_point()
        for x, y, text in zip(points.x, points.y, counties[label_column], strict=True):
            ax.annotate(
                str(text),
                (x, y),
                fontsize=5.5,
                ha="center",
                va="center",
                color="#111",
                path_effects=[patheffects.withStroke(linewidth=1.6, foreground="white")],
            )
    ax.set_title(title)
    ax.set_axis_off()
    return figure_png(fig)
