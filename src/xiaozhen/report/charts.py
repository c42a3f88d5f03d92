"""Charts as inline SVG, generated in Python: no JavaScript library, no network, byte-reproducible.

Three chart types cover what the stages report:

* :func:`line_chart_svg` — trajectories over years with uncertainty bands (percentile ribbons of a
  Monte Carlo ensemble, e.g. the 5–95 % and 25–75 % ranges around the median), as recommended for
  communicating forecast uncertainty by fan charts (Britton, Fisher & Whitley 1998, *Bank of England
  Quarterly Bulletin* 38(1):30–37);
* :func:`frontier_chart_svg` — a trade-off frontier, e.g. the balance frontier of the layout stage:
  total benefit against the minimum share of towns in less-developed counties; the drop of the
  frontier between two shares is the *price of balance* (Bertsimas, Farias & Trichakis 2011,
  *Operations Research* 59(1):17–31);
* :func:`bars_vs_threshold_svg` — indicators against thresholds (e.g. green cover ≥ 30 %,
  residential land ≤ 30 % of construction land, 发改规划〔2021〕1383号), each bar coloured by
  whether it passes.

Each returns a :class:`Chart` (caption + SVG markup) that a :class:`~xiaozhen.report.ReportSection`
carries in its ``charts`` field. All text is escaped; the text uses the embedded CJK font family so
Chinese labels render in the report and in the web app.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from xiaozhen.errors import InputDataError
from xiaozhen.report.fonts import CJK_FAMILY

__all__ = [
    "PALETTE",
    "Band",
    "Chart",
    "Series",
    "bars_vs_threshold_svg",
    "frontier_chart_svg",
    "line_chart_svg",
    "nice_ticks",
]

logger = logging.getLogger(__name__)

#: Colour-blind-safe categorical palette (Okabe & Ito 2008).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)

#: Numbers accepted by the chart builders: a sequence or a one-dimensional array.
Values = Sequence[float] | npt.NDArray[np.floating[Any]] | npt.NDArray[Any]

_FONT = f"'{CJK_FAMILY}', 'DejaVu Sans', sans-serif"
_PASS, _FAIL, _NEUTRAL = "#0b6e4f", "#c0392b", "#5b6478"


@dataclass(frozen=True)
class Chart:
    """An SVG chart with a caption (``svg`` is trusted markup made by this module)."""

    caption: str
    svg: str


@dataclass(frozen=True)
class Band:
    """An uncertainty ribbon between ``lower`` and ``upper`` (same x as its series)."""

    lower: Values
    upper: Values
    label: str = ""


@dataclass(frozen=True)
class Series:
    """A line: ``x`` and ``y`` of equal length, optional ribbons (widest first) and colour."""

    label: str
    x: Values
    y: Values
    bands: tuple[Band, ...] = ()
    colour: str | None = None


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]`` (steps of 1, 2, 2.5 or 5 × 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputDataError(f"nice_ticks: range must be finite, received ({lo}, {hi})")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    count = round((stop - start) / step)
    return [round(start + i * step, 12) for i in range(count + 1)]


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.4g} M"
    if magnitude >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _array(values: Values, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputDataError(f"{name}: must be numbers, received {values!r:.80}") from None
    if arr.ndim != 1:
        raise InputDataError(f"{name}: must be one-dimensional, received shape {arr.shape}")
    return arr


class _Frame:
    """Plot area geometry and the data → pixel transform."""

    def __init__(
        self,
        width: int,
        height: int,
        xlim: tuple[float, float],
        ylim: tuple[float, float],
        left: int = 64,
    ) -> None:
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, width - 16, 34, height - 48
        self.x0, self.x1 = xlim
        self.y0, self.y1 = ylim

    def px(self, x: np.ndarray | float) -> np.ndarray:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (np.asarray(x, dtype=float) - self.x0) / span * (self.right - self.left)

    def py(self, y: np.ndarray | float) -> np.ndarray:
        span = (self.y1 - self.y0) or 1.0
        return self.bottom - (np.asarray(y, dtype=float) - self.y0) / span * (
            self.bottom - self.top
        )


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="xz-chart" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" role="img" aria-label="{escape(title)}" '
        f'font-family="{escape(_FONT)}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="{width / 2:.1f}" y="18" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{escape(title)}</text>',
    ]


def _axes(
    frame: _Frame, xticks: list[float], yticks: list[float], xlab: str, ylab: str
) -> list[str]:
    out = ['<g class="axes" stroke="#d9dee8">']
    for t in yticks:
        y = float(frame.py(t))
        out.append(f'<line x1="{frame.left}" x2="{frame.right}" y1="{y:.1f}" y2="{y:.1f}"/>')
    out.append("</g>")
    out.append('<g class="ticks" fill="#5b6478">')
    for t in yticks:
        y = float(frame.py(t))
        out.append(
            f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt(t))}</text>'
        )
    for t in xticks:
        x = float(frame.px(t))
        out.append(
            f'<text x="{x:.1f}" y="{frame.bottom + 16}" text-anchor="middle">{escape(_fmt(t))}</text>'
        )
    out.append("</g>")
    out.append(
        f'<line x1="{frame.left}" x2="{frame.right}" y1="{frame.bottom}" y2="{frame.bottom}" '
        'stroke="#5b6478"/>'
    )
    out.append(
        f'<text x="{(frame.left + frame.right) / 2:.1f}" y="{frame.height - 8}" '
        f'text-anchor="middle" fill="#1d2433">{escape(xlab)}</text>'
    )
    cy = (frame.top + frame.bottom) / 2
    out.append(
        f'<text transform="translate(14 {cy:.1f}) rotate(-90)" text-anchor="middle" '
        f'fill="#1d2433">{escape(ylab)}</text>'
    )
    return out


def _segments(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Indices of the runs of finite points (NaN breaks a line rather than joining across it)."""
    ok = np.isfinite(x) & np.isfinite(y)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1) + 1
    return list(np.split(idx, breaks))


def _points(frame: _Frame, x: np.ndarray, y: np.ndarray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(frame.px(x), frame.py(y), strict=True))


def _legend(entries: list[tuple[str, str, str]], frame: _Frame) -> list[str]:
    """Legend entries ``(colour, label, kind)`` with kind 'line', 'band' or 'dash', top right."""
    out = ['<g class="legend">']
    y = frame.top + 6
    longest = max((len(label) for _, label, _ in entries), default=0)
    x = max(frame.left + 10, frame.right - 30 - int(6.5 * longest))
    out.append(
        f'<rect x="{x - 4}" y="{y - 10}" width="{frame.right - x + 4}" height="{16 * len(entries) + 4}" '
        'fill="white" fill-opacity="0.8"/>'
    )
    for colour, label, kind in entries:
        if kind == "band":
            out.append(
                f'<rect x="{x}" y="{y - 6}" width="18" height="10" fill="{colour}" '
                'fill-opacity="0.25"/>'
            )
        elif kind == "dash":
            out.append(
                f'<line x1="{x}" x2="{x + 18}" y1="{y}" y2="{y}" stroke="{colour}" '
                'stroke-width="2" stroke-dasharray="5 3"/>'
            )
        else:
            out.append(
                f'<line x1="{x}" x2="{x + 18}" y1="{y}" y2="{y}" stroke="{colour}" '
                'stroke-width="2.5"/>'
            )
        out.append(f'<text x="{x + 24}" y="{y + 4}">{escape(label)}</text>')
        y += 16
    out.append("</g>")
    return out


def line_chart_svg(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str = "year",
    y_label: str = "",
    thresholds: Sequence[tuple[float, str]] = (),
    width: int = 720,
    height: int = 340,
    caption: str = "",
) -> Chart:
    """Line chart of trajectories with optional percentile ribbons and horizontal thresholds.

    Parameters
    ----------
    series
        Lines to draw; each may carry :class:`Band` ribbons (drawn widest first, translucent).
        NaN values break a line instead of joining across the gap.
    title, x_label, y_label
        Texts (Chinese allowed).
    thresholds
        ``(value, label)`` horizontal dashed lines, e.g. a target income ratio of 1.9.
    width, height
        Size of the SVG viewBox in pixels.
    caption
        Caption of the returned :class:`Chart` (defaults to ``title``).

    Returns
    -------
    Chart

    Raises
    ------
    InputDataError
        If ``series`` is empty, lengths differ, or no value is finite.
    """
    if not series:
        raise InputDataError("line_chart_svg: series is empty; pass at least one Series")
    xs, ys, bands = [], [], []
    for i, s in enumerate(series):
        x, y = _array(s.x, f"series[{i}].x"), _array(s.y, f"series[{i}].y")
        if x.shape != y.shape:
            raise InputDataError(
                f"series[{i}] ({s.label!r}): x has {x.size} values but y has {y.size}; "
                "give one y per x"
            )
        series_bands = []
        for j, b in enumerate(s.bands):
            lo = _array(b.lower, f"series[{i}].bands[{j}].lower")
            hi = _array(b.upper, f"series[{i}].bands[{j}].upper")
            if lo.shape != x.shape or hi.shape != x.shape:
                raise InputDataError(
                    f"series[{i}].bands[{j}]: lower/upper have {lo.size}/{hi.size} values but x has "
                    f"{x.size}; give one bound per x"
                )
            series_bands.append((lo, hi, b.label))
        xs.append(x)
        ys.append(y)
        bands.append(series_bands)
    all_y = np.concatenate(
        ys
        + [v for sb in bands for lo, hi, _ in sb for v in (lo, hi)]
        + [np.asarray([t for t, _ in thresholds], dtype=float)]
    )
    all_x = np.concatenate(xs)
    if not np.isfinite(all_y).any() or not np.isfinite(all_x).any():
        raise InputDataError(f"line_chart_svg ({title!r}): no finite values to draw")
    yticks = nice_ticks(float(np.nanmin(all_y)), float(np.nanmax(all_y)))
    xticks = nice_ticks(float(np.nanmin(all_x)), float(np.nanmax(all_x)), n=6)
    xticks = [t for t in xticks if np.nanmin(all_x) <= t <= np.nanmax(all_x)] or xticks
    frame = _Frame(
        width, height, (float(np.nanmin(all_x)), float(np.nanmax(all_x))), (yticks[0], yticks[-1])
    )
    out = _open(width, height, title)
    out += _axes(frame, xticks, yticks, x_label, y_label)
    legend: list[tuple[str, str, str]] = []
    for i, (s, x, y, sb) in enumerate(zip(series, xs, ys, bands, strict=True)):
        colour = s.colour or PALETTE[i % len(PALETTE)]
        for k, (lo, hi, label) in enumerate(sb):
            opacity = 0.18 + 0.12 * k
            for seg in _segments(x, (lo + hi)):
                poly = (
                    _points(frame, x[seg], hi[seg])
                    + " "
                    + _points(frame, x[seg][::-1], lo[seg][::-1])
                )
                out.append(
                    f'<polygon class="band" points="{poly}" fill="{colour}" '
                    f'fill-opacity="{opacity:.2f}" stroke="none"><title>{escape(label)}</title></polygon>'
                )
            if label:
                legend.append((colour, f"{s.label} {label}", "band"))
        for seg in _segments(x, y):
            out.append(
                f'<polyline class="line" points="{_points(frame, x[seg], y[seg])}" fill="none" '
                f'stroke="{colour}" stroke-width="2.2"/>'
            )
        ok = np.isfinite(x) & np.isfinite(y)
        for a, b, xv, yv in zip(frame.px(x[ok]), frame.py(y[ok]), x[ok], y[ok], strict=True):
            out.append(
                f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.2" fill="{colour}">'
                f"<title>{escape(s.label)}: {escape(_fmt(float(xv)))} → {escape(_fmt(float(yv)))}"
                "</title></circle>"
            )
        legend.append((colour, s.label, "line"))
    for value, label in thresholds:
        ty = float(frame.py(value))
        out.append(
            f'<line class="threshold" x1="{frame.left}" x2="{frame.right}" y1="{ty:.1f}" '
            f'y2="{ty:.1f}" stroke="{_FAIL}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        legend.append((_FAIL, f"{label} ({_fmt(value)})", "dash"))
    out += _legend(legend, frame)
    out.append("</svg>")
    logger.debug("line chart %r: %d series", title, len(series))
    return Chart(caption=caption or title, svg="\n".join(out))


def frontier_chart_svg(
    x: Values,
    y: Values,
    *,
    title: str,
    x_label: str,
    y_label: str,
    point_labels: Sequence[str] | None = None,
    chosen: int | None = None,
    width: int = 720,
    height: int = 360,
    caption: str = "",
) -> Chart:
    """A trade-off frontier: points joined in order of ``x``, the chosen point highlighted.

    For the balance frontier, ``x`` is the minimum share of towns in less-developed counties and
    ``y`` the total benefit of the optimal layout at that share; the relative drop
    ``(y(0) - y(s)) / y(0)`` is the price of balance at share ``s`` (Bertsimas et al. 2011).

    Parameters
    ----------
    x, y
        Coordinates of the frontier points (equal length, at least one finite pair).
    point_labels
        Tooltip per point (e.g. "12 towns, 3 in the 26 counties").
    chosen
        Index of the scenario's point, drawn larger and labelled.

    Raises
    ------
    InputDataError
        On unequal lengths, an out-of-range ``chosen`` or no finite point.
    """
    xa, ya = _array(x, "x"), _array(y, "y")
    if xa.shape != ya.shape:
        raise InputDataError(f"frontier_chart_svg: x has {xa.size} values, y has {ya.size}")
    if point_labels is not None and len(point_labels) != xa.size:
        raise InputDataError(
            f"point_labels: {len(point_labels)} labels for {xa.size} points; give one per point"
        )
    if chosen is not None and not 0 <= chosen < xa.size:
        raise InputDataError(f"chosen: index {chosen} outside 0..{xa.size - 1}")
    ok = np.isfinite(xa) & np.isfinite(ya)
    if not ok.any():
        raise InputDataError(f"frontier_chart_svg ({title!r}): no finite point to draw")
    order = np.argsort(np.where(ok, xa, np.inf), kind="stable")[: int(ok.sum())]
    xticks = nice_ticks(float(xa[ok].min()), float(xa[ok].max()), n=6)
    yticks = nice_ticks(float(ya[ok].min()), float(ya[ok].max()))
    frame = _Frame(width, height, (xticks[0], xticks[-1]), (yticks[0], yticks[-1]))
    out = _open(width, height, title)
    out += _axes(frame, xticks, yticks, x_label, y_label)
    out.append(
        f'<polyline class="frontier" points="{_points(frame, xa[order], ya[order])}" fill="none" '
        f'stroke="{PALETTE[0]}" stroke-width="2"/>'
    )
    for i in order:
        label = point_labels[i] if point_labels is not None else ""
        tip = f"{x_label} {_fmt(float(xa[i]))}, {y_label} {_fmt(float(ya[i]))}"
        tip = f"{label} — {tip}" if label else tip
        r, fill = (6.5, _FAIL) if chosen == i else (4.0, PALETTE[0])
        out.append(
            f'<circle class="point" cx="{float(frame.px(xa[i])):.1f}" cy="{float(frame.py(ya[i])):.1f}" '
            f'r="{r}" fill="{fill}"><title>{escape(tip)}</title></circle>'
        )
    if chosen is not None and ok[chosen]:
        cx, cy = float(frame.px(xa[chosen])), float(frame.py(ya[chosen]))
        out.append(f'<text x="{cx + 9:.1f}" y="{cy - 9:.1f}" fill="{_FAIL}">this scenario</text>')
    out.append("</svg>")
    return Chart(caption=caption or title, svg="\n".join(out))


def bars_vs_threshold_svg(
    labels: Sequence[str],
    values: Values,
    thresholds: Sequence[float | None] | float | None = None,
    *,
    senses: Sequence[Literal["min", "max"]] | Literal["min", "max"] = "min",
    title: str,
    value_label: str = "",
    normalise: bool = False,
    width: int = 720,
    caption: str = "",
) -> Chart:
    """Horizontal bars of indicators with each one's threshold marked; passing bars are green.

    A bar passes when ``value >= threshold`` (sense ``"min"``, e.g. green cover ≥ 30 %) or
    ``value <= threshold`` (sense ``"max"``, e.g. residential share ≤ 30 %). Bars without a
    threshold are grey. With ``normalise=True`` every bar is drawn as ``value / threshold`` so that
    indicators in different units share one axis with the threshold at 1.

    Raises
    ------
    InputDataError
        On unequal lengths, an unknown sense, or a zero threshold with ``normalise``.
    """
    n = len(labels)
    vals = _array(values, "values")
    if vals.size != n:
        raise InputDataError(f"values: {vals.size} values for {n} labels; give one per label")
    if thresholds is None or isinstance(thresholds, int | float):
        thr: list[float | None] = [None if thresholds is None else float(thresholds)] * n
    else:
        thr = [None if t is None else float(t) for t in thresholds]
    if len(thr) != n:
        raise InputDataError(f"thresholds: {len(thr)} thresholds for {n} labels")
    sense_list = [senses] * n if isinstance(senses, str) else list(senses)
    if len(sense_list) != n or any(s not in ("min", "max") for s in sense_list):
        raise InputDataError(
            f"senses: give 'min' or 'max' (one or one per label), received {senses!r}"
        )
    if normalise:
        bad = [labels[i] for i, t in enumerate(thr) if t is None or t == 0]
        if bad:
            raise InputDataError(
                f"normalise=True needs a non-zero threshold for every bar; missing: {bad}"
            )
        vals = vals / np.asarray(thr, dtype=float)
        thr = [1.0] * n
    finite = [v for v in [*vals.tolist(), *[t for t in thr if t is not None]] if math.isfinite(v)]
    if not finite:
        raise InputDataError(f"bars_vs_threshold_svg ({title!r}): no finite value to draw")
    ticks = nice_ticks(min(0.0, *finite), max(0.0, *finite))
    row = 26
    label_width = int(min(260, 20 + 8 * max(len(str(label)) for label in labels))) if n else 80
    height = 34 + n * row + 48
    frame = _Frame(width, height, (ticks[0], ticks[-1]), (0.0, 1.0), left=label_width)
    out = _open(width, height, title)
    out.append('<g class="axes" stroke="#d9dee8">')
    for tick in ticks:
        x = float(frame.px(tick))
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top}" y2="{frame.bottom}"/>')
    out.append("</g>")
    for tick in ticks:
        out.append(
            f'<text x="{float(frame.px(tick)):.1f}" y="{frame.bottom + 16}" text-anchor="middle" '
            f'fill="#5b6478">{escape(_fmt(tick))}</text>'
        )
    out.append(
        f'<text x="{(frame.left + frame.right) / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        f"{escape(value_label or ('value ÷ threshold' if normalise else ''))}</text>"
    )
    zero = float(frame.px(0.0))
    for i, (label, v, t, sense) in enumerate(zip(labels, vals, thr, sense_list, strict=True)):
        top = frame.top + i * row + 4
        if t is None or not math.isfinite(v):
            colour, verdict = _NEUTRAL, "no threshold" if t is None else "missing"
        else:
            ok = v >= t if sense == "min" else v <= t
            colour, verdict = (_PASS, "pass") if ok else (_FAIL, "fails")
        out.append(
            f'<text x="{frame.left - 8}" y="{top + 14}" text-anchor="end">{escape(str(label))}</text>'
        )
        if math.isfinite(v):
            x = float(frame.px(v))
            out.append(
                f'<rect class="bar {verdict.replace(" ", "-")}" x="{min(x, zero):.1f}" y="{top}" '
                f'width="{abs(x - zero):.1f}" height="{row - 8}" fill="{colour}">'
                f"<title>{escape(str(label))}: {escape(_fmt(float(v)))} "
                f"({verdict}{'' if t is None else f', threshold {sense} {_fmt(t)}'})</title></rect>"
            )
            out.append(
                f'<text x="{max(x, zero) + 4:.1f}" y="{top + 14}" fill="#1d2433">{escape(_fmt(float(v)))}</text>'
            )
        if t is not None:
            tx = float(frame.px(t))
            out.append(
                f'<line class="threshold" x1="{tx:.1f}" x2="{tx:.1f}" y1="{top - 3}" y2="{top + row - 5}" '
                f'stroke="#1d2433" stroke-width="2.5"><title>threshold ({sense}) {escape(_fmt(t))}'
                "</title></line>"
            )
    out.append("</svg>")
    return Chart(caption=caption or title, svg="\n".join(out))
