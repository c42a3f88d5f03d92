"""Interactive maps (Leaflet, vendored) for the report and the web app — no basemap, no network.

A :class:`MapLayer` is a GeoJSON FeatureCollection in WGS84 whose features already carry their
style (``_fill``), a label (``_label``) and popup rows (``_popup``), plus a legend. Colours are
computed here in Python so that the report and the web app draw identical maps with one small
script (``static/xzmap.js``). Builders:

* :func:`choropleth_layer` — polygons classed by a numeric column (quantile or equal-interval
  classes; Slocum et al. 2009, *Thematic Cartography and Geovisualization*, ch. 5), e.g. counties
  by suitability;
* :func:`category_layer` — features coloured by a categorical column, e.g. a town layout by land
  use (production / living / ecological / service) or chosen towns by industry;
* :func:`feature_layer` — points or polygons in one colour, e.g. candidate sites.

:class:`MapFigure` groups layers into one map with a layer switcher; a
:class:`~xiaozhen.report.ReportSection` carries maps in its ``maps`` field. :func:`map_html` gives
the markup of one map (a ``div`` and its JSON spec); :func:`leaflet_assets` gives the vendored
Leaflet CSS and JavaScript for inlining once per page.
"""

from __future__ import annotations

import base64
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any, Literal

import numpy as np
import pandas as pd

from xiaozhen.errors import InputDataError
from xiaozhen.report.charts import PALETTE

__all__ = [
    "PLE_COLOURS",
    "Legend",
    "MapFigure",
    "MapLayer",
    "category_layer",
    "choropleth_layer",
    "class_breaks",
    "feature_layer",
    "leaflet_assets",
    "map_html",
    "map_spec",
    "xzmap_js",
]

logger = logging.getLogger(__name__)

Scheme = Literal["quantiles", "equal"]
Kind = Literal["polygon", "point", "line"]

_NO_DATA = "#cccccc"
#: Default colours of a town layout's land uses (PLE, 时振钦 et al. 2018).
PLE_COLOURS: dict[str, str] = {
    "production": "#e07b39",
    "living": "#f2c14e",
    "ecological": "#4a9d5b",
    "service": "#4f6fb3",
    "public": "#4f6fb3",
    "road": "#8c8c8c",
    "water": "#5fa8d3",
}


@dataclass(frozen=True)
class Legend:
    """A legend: title and ``(colour, label)`` entries."""

    title: str
    entries: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MapLayer:
    """One switchable map layer (GeoJSON in WGS84 with per-feature style and popups)."""

    name: str
    geojson: dict[str, Any] = field(repr=False)
    kind: Kind = "polygon"
    legend: Legend | None = None
    visible: bool = True
    stroke: str = "#ffffff"
    weight: float = 0.8
    fill_opacity: float = 0.8
    radius: float = 6.0
    css_class: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form read by ``xzmap.js``."""
        return {
            "name": self.name,
            "kind": self.kind,
            "geojson": self.geojson,
            "legend": None
            if self.legend is None
            else {"title": self.legend.title, "entries": [list(e) for e in self.legend.entries]},
            "visible": self.visible,
            "stroke": self.stroke,
            "weight": self.weight,
            "fill_opacity": self.fill_opacity,
            "radius": self.radius,
            "css_class": self.css_class,
        }


@dataclass(frozen=True)
class MapFigure:
    """A map of one or more layers with a caption (the first layers are drawn below the later)."""

    caption: str
    layers: tuple[MapLayer, ...]
    height_px: int = 520


def _fmt(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return "–"
        if abs(v) >= 10_000:
            return f"{v:,.0f}"
        return f"{v:.4g}"
    return str(value)


def class_breaks(
    values: np.ndarray, *, classes: int = 5, scheme: Scheme = "quantiles"
) -> np.ndarray:
    """Upper-inclusive class limits ``b_0 < b_1 < ... < b_k`` of the finite ``values``.

    ``quantiles`` puts about the same number of features in each class (limits at the
    ``i/k`` quantiles); ``equal`` splits ``[min, max]`` into ``k`` equal intervals. Duplicate
    limits (ties) are dropped, so fewer classes may result.

    Raises
    ------
    InputDataError
        If ``classes < 1``, the scheme is unknown or no value is finite.
    """
    if classes < 1:
        raise InputDataError(f"classes: must be at least 1, received {classes}")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise InputDataError("class_breaks: no finite value to classify")
    if scheme == "quantiles":
        breaks = np.quantile(finite, np.linspace(0.0, 1.0, classes + 1))
    elif scheme == "equal":
        breaks = np.linspace(finite.min(), finite.max(), classes + 1)
    else:
        raise InputDataError(f"scheme: use 'quantiles' or 'equal', received {scheme!r}")
    return np.unique(breaks)


def _cmap_colours(cmap: str, n: int) -> list[str]:
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    try:
        cm = colormaps[cmap]
    except KeyError:
        raise InputDataError(
            f"cmap: unknown matplotlib colormap {cmap!r}; use e.g. 'YlGnBu', 'viridis', 'OrRd'"
        ) from None
    positions = [0.5] if n == 1 else np.linspace(0.12, 0.95, n).tolist()
    return [to_hex(cm(p)) for p in positions]


def _wgs84(frame: Any, simplify_m: float) -> Any:
    import geopandas as gpd

    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputDataError(f"map layer: expected a GeoDataFrame, received {type(frame).__name__}")
    if frame.crs is None:
        raise InputDataError(
            "map layer: the GeoDataFrame has no CRS; set it with .set_crs(...) before mapping"
        )
    out = frame
    if simplify_m > 0:
        if out.crs.is_projected:
            out = out.set_geometry(out.geometry.simplify(simplify_m, preserve_topology=True))
        else:
            out = out.set_geometry(
                out.geometry.simplify(simplify_m / 111_000.0, preserve_topology=True)
            )
    return out.to_crs(4326)


def _round_coords(obj: Any, digits: int) -> Any:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, list | tuple):
        return [_round_coords(v, digits) for v in obj]
    return obj


def _features(
    frame: Any,
    *,
    fills: Sequence[str] | None,
    label_column: str | None,
    popup_columns: Sequence[str],
    simplify_m: float,
    digits: int = 5,
) -> dict[str, Any]:
    from shapely.geometry import mapping

    missing = [
        c for c in [*popup_columns, label_column] if c is not None and c not in frame.columns
    ]
    if missing:
        raise InputDataError(
            f"map layer: column(s) {missing} not in the frame; available: {list(frame.columns)[:30]}"
        )
    geo = _wgs84(frame, simplify_m)
    feats = []
    index = [str(i) for i in frame.index]
    for pos, geom in enumerate(geo.geometry):
        if geom is None or geom.is_empty:
            continue
        gj = mapping(geom)
        props: dict[str, Any] = {"_id": index[pos]}
        if fills is not None:
            props["_fill"] = fills[pos]
        props["_label"] = str(frame[label_column].iloc[pos]) if label_column else index[pos]
        props["_popup"] = [[c, _fmt(frame[c].iloc[pos])] for c in popup_columns]
        feats.append(
            {
                "type": "Feature",
                "id": index[pos],
                "properties": props,
                "geometry": {
                    "type": gj["type"],
                    "coordinates": _round_coords(gj["coordinates"], digits),
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def _kind(frame: Any) -> Kind:
    types = set(frame.geometry.geom_type.dropna())
    if types and types <= {"Point", "MultiPoint"}:
        return "point"
    if types and types <= {"LineString", "MultiLineString"}:
        return "line"
    return "polygon"


def choropleth_layer(
    frame: Any,
    column: str,
    *,
    name: str,
    legend_title: str | None = None,
    classes: int = 5,
    scheme: Scheme = "quantiles",
    cmap: str = "YlGnBu",
    label_column: str | None = "name",
    popup_columns: Sequence[str] = (),
    simplify_m: float = 150.0,
    visible: bool = True,
    css_class: str = "",
) -> MapLayer:
    """Polygons coloured by classes of the numeric ``column`` (missing values grey, "no data").

    Parameters
    ----------
    frame
        GeoDataFrame with a CRS (any; converted to WGS84).
    column
        Numeric column to classify.
    classes, scheme
        Number of classes and the scheme (see :func:`class_breaks`).
    cmap
        Matplotlib colormap name (sequential, e.g. ``YlGnBu``, ``OrRd``, ``viridis``).
    label_column, popup_columns
        Feature title and the rows of its popup (``column`` is always shown first).
    simplify_m
        Douglas–Peucker tolerance in metres applied before conversion (0 keeps every vertex).

    Raises
    ------
    InputDataError
        If ``column`` is missing or not numeric, or has no finite value.
    """
    if column not in frame.columns:
        raise InputDataError(
            f"column: {column!r} not in the frame; available: {list(frame.columns)[:30]}"
        )
    try:
        values = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise InputDataError(
            f"column: {column!r} is not numeric; use category_layer for categories"
        ) from None
    breaks = class_breaks(values, classes=classes, scheme=scheme)
    colours = _cmap_colours(cmap, max(len(breaks) - 1, 1))
    if len(breaks) == 1:
        cls = np.zeros(values.size, dtype=int)
        labels = [_fmt(float(breaks[0]))]
    else:
        cls = np.clip(np.searchsorted(breaks, values, side="left") - 1, 0, len(breaks) - 2)
        labels = [
            f"{_fmt(float(breaks[i]))} – {_fmt(float(breaks[i + 1]))}"
            for i in range(len(breaks) - 1)
        ]
    fills = [colours[c] if math.isfinite(v) else _NO_DATA for c, v in zip(cls, values, strict=True)]
    entries = list(zip(colours, labels, strict=True))
    if not np.isfinite(values).all():
        entries.append((_NO_DATA, "no data"))
    popup = [column, *[c for c in popup_columns if c != column]]
    geojson = _features(
        frame, fills=fills, label_column=label_column, popup_columns=popup, simplify_m=simplify_m
    )
    logger.debug(
        "choropleth layer %r: %d features, %d classes", name, len(geojson["features"]), len(labels)
    )
    return MapLayer(
        name=name,
        geojson=geojson,
        kind=_kind(frame),
        legend=Legend(legend_title or column, tuple(entries)),
        visible=visible,
        css_class=css_class,
    )


_MORE_COLOURS = (
    "#882255",
    "#44AA99",
    "#999933",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#AA4499",
)
"""Paul Tol's muted scheme (colour-blind safe) after the eight Okabe–Ito colours."""


def category_layer(
    frame: Any,
    column: str,
    *,
    name: str,
    colours: Mapping[str, str] | None = None,
    legend_title: str | None = None,
    label_column: str | None = None,
    popup_columns: Sequence[str] = (),
    simplify_m: float = 0.0,
    visible: bool = True,
    stroke: str = "#ffffff",
    weight: float = 0.5,
    radius: float = 7.0,
    css_class: str = "",
) -> MapLayer:
    """Features coloured by the categories of ``column`` (e.g. land use of a town layout).

    ``colours`` maps category → colour; categories not in it take the Okabe–Ito palette, then
    Paul Tol's muted colours (16 distinct in all, none already given), in order of first appearance. Land-use names of the PLE classes get :data:`PLE_COLOURS` by default.
    """
    if column not in frame.columns:
        raise InputDataError(
            f"column: {column!r} not in the frame; available: {list(frame.columns)[:30]}"
        )
    cats = [str(v) for v in frame[column]]
    given = dict(PLE_COLOURS) if colours is None else dict(colours)
    mapping: dict[str, str] = {}
    free = [c for c in (*PALETTE, *_MORE_COLOURS) if c not in given.values()]
    spare = iter(free * (1 + len(set(cats)) // max(1, len(free))))
    for c in dict.fromkeys(cats):
        mapping[c] = given.get(c) or next(spare)
    fills = [mapping[c] for c in cats]
    popup = [column, *[c for c in popup_columns if c != column]]
    geojson = _features(
        frame, fills=fills, label_column=label_column, popup_columns=popup, simplify_m=simplify_m
    )
    return MapLayer(
        name=name,
        geojson=geojson,
        kind=_kind(frame),
        legend=Legend(legend_title or column, tuple((v, k) for k, v in mapping.items())),
        visible=visible,
        stroke=stroke,
        weight=weight,
        radius=radius,
        fill_opacity=0.85,
        css_class=css_class,
    )


def feature_layer(
    frame: Any,
    *,
    name: str,
    colour: str = "#d62728",
    label_column: str | None = None,
    popup_columns: Sequence[str] = (),
    simplify_m: float = 0.0,
    visible: bool = True,
    radius: float = 6.0,
    fill_opacity: float = 0.55,
    css_class: str = "",
) -> MapLayer:
    """Points, lines or polygons in one colour (e.g. candidate sites), with popups."""
    geojson = _features(
        frame,
        fills=[colour] * len(frame),
        label_column=label_column,
        popup_columns=popup_columns,
        simplify_m=simplify_m,
    )
    return MapLayer(
        name=name,
        geojson=geojson,
        kind=_kind(frame),
        legend=Legend(name, ((colour, name),)),
        visible=visible,
        stroke="#222222" if _kind(frame) != "line" else colour,
        weight=1.0,
        radius=radius,
        fill_opacity=fill_opacity,
        css_class=css_class,
    )


def map_spec(figure: MapFigure) -> dict[str, Any]:
    """The JSON spec of a map read by ``xzmap.js``."""
    if not figure.layers:
        raise InputDataError(f"MapFigure {figure.caption!r}: no layers; give at least one MapLayer")
    return {"caption": figure.caption, "layers": [layer.to_dict() for layer in figure.layers]}


def _script_json(obj: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>``, no ``<!--``)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def map_html(
    layers: Sequence[MapLayer] | MapFigure,
    *,
    map_id: str = "xz-map-1",
    height_px: int | None = None,
) -> str:
    """Markup of one map: a ``div`` and its JSON spec (trusted; the page must load Leaflet and
    ``xzmap.js``, which :func:`~xiaozhen.report.render_report` does once per page)."""
    figure = layers if isinstance(layers, MapFigure) else MapFigure("", tuple(layers))
    height = height_px or figure.height_px
    if not map_id.replace("-", "").replace("_", "").isalnum():
        raise InputDataError(f"map_id: letters, digits, '-' and '_' only, received {map_id!r}")
    return (
        f'<div class="xz-map" id="{map_id}" style="height:{int(height)}px"></div>\n'
        f'<script type="application/json" id="{map_id}-data">{_script_json(map_spec(figure))}</script>'
    )


def _static(*parts: str) -> bytes:
    return files("xiaozhen.report").joinpath("static", *parts).read_bytes()


@lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """``(css, js)`` of the vendored Leaflet 1.9.4, ready to inline in a page.

    The stylesheet's image references are replaced by data URIs and the source-map comment is
    removed, so the page makes no request at all.
    """
    css = _static("vendor", "leaflet", "leaflet.css").decode("utf-8")
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        data = base64.b64encode(_static("vendor", "leaflet", "images", image)).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    js = _static("vendor", "leaflet", "leaflet.js").decode("utf-8")
    js = "\n".join(line for line in js.splitlines() if not line.startswith("//# sourceMappingURL"))
    return css, js


@lru_cache(maxsize=1)
def xzmap_js() -> str:
    """The small script that draws :class:`MapLayer` specs with Leaflet (shared with the web app)."""
    return _static("xzmap.js").decode("utf-8")
