"""The self-contained HTML report (``report.html`` in every run folder).

Each stage contributes :class:`ReportSection` objects; :func:`render_report` lays them out with the
package template (Jinja2, autoescape, ``StrictUndefined``). A section carries key facts, interactive
maps (:class:`~xiaozhen.report.maps.MapFigure`, drawn by the vendored Leaflet), SVG charts
(:class:`~xiaozhen.report.charts.Chart`), PNG figures, tables, notes, warnings and the assumptions
behind its numbers. Figures are inlined as base64 PNG, Leaflet and its map script once per page
(only when a section has a map), and the CJK font as a base64 ``@font-face`` cut to the page's
characters, so the file works offline from ``file://`` with no CDN and no request at all.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from xiaozhen.report.charts import Chart
from xiaozhen.report.fonts import CJK_FAMILY, font_face_css
from xiaozhen.report.maps import MapFigure, leaflet_assets, map_html, xzmap_js

__all__ = ["Figure", "ReportSection", "Table", "render_report", "table_from_frame"]


@dataclass(frozen=True)
class Figure:
    """A PNG figure with a caption.

    ``path``: where a run folder keeps the same figure (relative, POSIX), or ``None`` when it
    lives only in the report; the plan's writer saves every figure that has one.
    """

    caption: str
    png: bytes
    path: str | None = None

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Table:
    """A table: caption, column headers and rows of already formatted cells."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ReportSection:
    """One section of the report, contributed by a stage.

    Attributes
    ----------
    id, title, summary
        Anchor, heading and a one-paragraph plain-language summary.
    facts
        ``(label, formatted value)`` key numbers shown as tiles.
    maps
        Interactive maps (layer switcher, legends, click popups).
    charts
        SVG charts (trajectories with bands, frontiers, indicators against thresholds).
    figures, tables, notes
        PNG figures, tables and notes.
    warnings
        Problems the reader must know (also gathered at the top of the report).
    assumptions
        Model assumptions behind the section's numbers (gathered in the Assumptions part).
    html
        Trusted markup made by xiaozhen, inserted unescaped.
    """

    id: str
    title: str
    summary: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    html: str = field(default="", repr=False)  # trusted markup made by xiaozhen (charts)
    maps: tuple[MapFigure, ...] = ()
    charts: tuple[Chart, ...] = ()
    assumptions: tuple[str, ...] = ()


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, bool) or not isinstance(value, float | int):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def table_from_frame(
    caption: str, frame: pd.DataFrame, *, digits: int = 3, index: bool = True, max_rows: int = 200
) -> Table:
    """Format a DataFrame as a :class:`Table` (numbers rounded, at most ``max_rows`` rows)."""
    shown = frame.head(max_rows)
    if index:
        shown = shown.reset_index()
    columns = tuple(str(c) for c in shown.columns)
    rows = tuple(
        tuple(_cell(v, digits) for v in record)
        for record in shown.itertuples(index=False, name=None)
    )
    if len(frame) > max_rows:
        caption = f"{caption} (first {max_rows} of {len(frame)} rows; all in the CSV)"
    return Table(caption=caption, columns=columns, rows=rows)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("xiaozhen.report", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(
    *,
    title: str,
    scenario_toml: str,
    sections: Sequence[ReportSection],
    manifest: dict[str, Any],
    sources: Sequence[tuple[str, str, str]],
    warnings: Sequence[str] = (),
    assumptions: Sequence[str] = (),
    description: str = "",
) -> str:
    """Render the report to an HTML string.

    Parameters
    ----------
    title
        Page title (the scenario name).
    scenario_toml
        The scenario as TOML, shown verbatim.
    sections
        The stages' sections, in pipeline order.
    manifest
        Run metadata (seed, versions, timings) shown at the end.
    sources
        ``(dataset, source, licence)`` rows for the data-sources table.
    warnings
        Run-wide warnings, listed at the top before the sections' own warnings.
    assumptions
        Run-wide assumptions, listed before the sections' own in the Assumptions part.
    description
        The scenario's description, shown under the title.
    """
    ids = [s.id for s in sections]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(
            f"sections: duplicate section id(s) {duplicates}; give each section its own id"
        )
    template = _environment().get_template("report.html")
    maps: dict[str, list[str]] = {}
    counter = 0
    for s in sections:
        markup = []
        for figure in s.maps:
            counter += 1
            markup.append(map_html(figure, map_id=f"xz-map-{counter}"))
        maps[s.id] = markup
    css, js = leaflet_assets() if counter else ("", "")
    all_warnings = [("", w) for w in warnings] + [
        (s.title, w) for s in sections for w in s.warnings
    ]
    all_assumptions = [("", a) for a in assumptions] + [
        (s.title, a) for s in sections for a in s.assumptions
    ]
    context = {
        "title": title,
        "description": description,
        "scenario_toml": scenario_toml,
        "sections": list(sections),
        "section_maps": maps,
        "manifest": manifest,
        "sources": list(sources),
        "all_warnings": all_warnings,
        "all_assumptions": all_assumptions,
        "leaflet_css": css,
        "leaflet_js": js,
        "xzmap_js": xzmap_js() if counter else "",
        "font_family": CJK_FAMILY,
        "font_css": "",
    }
    draft = template.render(**context)
    context["font_css"] = font_face_css(draft)
    return template.render(**context)
