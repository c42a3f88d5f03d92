"""Stage 8 — the report: a self-contained HTML page and static figures for every run."""

from __future__ import annotations

from xiaozhen.report.figures import county_map, figure_png, save_png
from xiaozhen.report.fonts import (
    CJK_FAMILY,
    cjk_font_path,
    font_face_css,
    missing_glyphs,
    use_cjk_font,
)
from xiaozhen.report.html import Figure, ReportSection, Table, render_report, table_from_frame

__all__ = [
    "CJK_FAMILY",
    "Figure",
    "ReportSection",
    "Table",
    "cjk_font_path",
    "county_map",
    "figure_png",
    "font_face_css",
    "missing_glyphs",
    "render_report",
    "save_png",
    "table_from_frame",
    "use_cjk_font",
]
