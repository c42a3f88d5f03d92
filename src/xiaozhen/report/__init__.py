"""Stage 8 — the report: a self-contained HTML page with maps, charts and figures for every run.

Stages build :class:`ReportSection` objects: facts, interactive maps (:class:`MapFigure` of
:class:`MapLayer` made by :func:`choropleth_layer`, :func:`category_layer`,
:func:`feature_layer`), SVG charts (:func:`line_chart_svg`, :func:`frontier_chart_svg`,
:func:`bars_vs_threshold_svg`), PNG figures, tables, warnings and assumptions;
:func:`render_report` writes them into one HTML file that works offline.
"""

from __future__ import annotations

from xiaozhen.report.charts import (
    Band,
    Chart,
    Series,
    bars_vs_threshold_svg,
    frontier_chart_svg,
    line_chart_svg,
    nice_ticks,
)
from xiaozhen.report.figures import county_map, figure_png, save_png
from xiaozhen.report.fonts import (
    CJK_FAMILY,
    cjk_font_path,
    font_face_css,
    missing_glyphs,
    use_cjk_font,
)
from xiaozhen.report.html import Figure, ReportSection, Table, render_report, table_from_frame
from xiaozhen.report.maps import (
    PLE_COLOURS,
    Legend,
    MapFigure,
    MapLayer,
    category_layer,
    choropleth_layer,
    class_breaks,
    feature_layer,
    map_html,
)

__all__ = [
    "CJK_FAMILY",
    "PLE_COLOURS",
    "Band",
    "Chart",
    "Figure",
    "Legend",
    "MapFigure",
    "MapLayer",
    "ReportSection",
    "Series",
    "Table",
    "bars_vs_threshold_svg",
    "category_layer",
    "choropleth_layer",
    "cjk_font_path",
    "class_breaks",
    "county_map",
    "feature_layer",
    "figure_png",
    "font_face_css",
    "frontier_chart_svg",
    "line_chart_svg",
    "map_html",
    "missing_glyphs",
    "nice_ticks",
    "render_report",
    "save_png",
    "table_from_frame",
    "use_cjk_font",
]
