"""SVG charts: tick values, data-to-pixel placement, bands, pass/fail colouring, escaping, errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from xiaozhen.errors import InputDataError
from xiaozhen.report import (
    CJK_FAMILY,
    Band,
    Series,
    bars_vs_threshold_svg,
    frontier_chart_svg,
    line_chart_svg,
    nice_ticks,
)

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML or this raises


def test_nice_ticks_hand_values():
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(2020, 2040, n=6) == [2020, 2025, 2030, 2035, 2040]
    assert nice_ticks(1.63, 2.07) == [1.6, 1.7, 1.8, 1.9, 2.0, 2.1]
    assert nice_ticks(3.0, 3.0) == [2.6, 2.8, 3.0, 3.2, 3.4]  # a flat series still gets an axis
    with pytest.raises(InputDataError, match="finite"):
        nice_ticks(0.0, float("nan"))


def test_line_chart_places_points_and_bands():
    years = np.arange(2020, 2041, dtype=float)
    median = np.linspace(2.0, 1.6, years.size)
    chart = line_chart_svg(
        [Series("城乡收入比", years, median, bands=(Band(median - 0.1, median + 0.1, "5–95 %"),))],
        title="Income ratio 城乡收入比",
        thresholds=[(1.9, "target")],
    )
    root = _parse(chart.svg)
    assert CJK_FAMILY in root.get("font-family")
    circles = root.findall(".//s:circle", NS)
    assert len(circles) == years.size
    # y axis 1.4..2.2 (ticks of 0.2 after padding by the band) maps onto pixels 34 (top) .. 292 (bottom)
    first, last = circles[0], circles[-1]
    assert float(first.get("cx")) == pytest.approx(64.0)  # left edge = first year
    assert float(last.get("cx")) == pytest.approx(720 - 16)  # right edge = last year
    assert float(first.get("cy")) < float(last.get("cy"))  # falling ratio: first point higher
    (band,) = root.findall(".//s:polygon[@class='band']", NS)
    assert len(band.get("points").split()) == 2 * years.size
    (line,) = root.findall(".//s:line[@class='threshold']", NS)
    ys = [float(c.get("cy")) for c in circles]
    y19 = float(line.get("y1"))
    # the target line lies between the points above and below 1.9
    above = ys[int(np.flatnonzero(median >= 1.9)[-1])]
    below = ys[int(np.flatnonzero(median < 1.9)[0])]
    assert above <= y19 <= below


def test_line_chart_breaks_at_nan_and_escapes_text():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    y = [1.0, 2.0, float("nan"), 4.0, 5.0]
    chart = line_chart_svg([Series("<script>alert(1)</script>", x, y)], title="a & b <i>")
    root = _parse(chart.svg)
    assert len(root.findall(".//s:polyline[@class='line']", NS)) == 2
    assert "<script>" not in chart.svg
    assert "&lt;script&gt;" in chart.svg
    assert root.find("s:title", NS).text == "a & b <i>"


def test_line_chart_errors_name_the_problem():
    with pytest.raises(InputDataError, match="series is empty"):
        line_chart_svg([], title="t")
    with pytest.raises(InputDataError, match=r"x has 3 values but y has 2"):
        line_chart_svg([Series("s", [1, 2, 3], [1, 2])], title="t")
    with pytest.raises(InputDataError, match=r"bands\[0\]"):
        line_chart_svg([Series("s", [1, 2], [1, 2], bands=(Band([0], [3]),))], title="t")
    with pytest.raises(InputDataError, match="no finite values"):
        line_chart_svg([Series("s", [1, 2], [float("nan")] * 2)], title="t")


def test_frontier_orders_points_and_marks_the_scenario():
    share = [0.4, 0.0, 0.2, 0.1, 0.3]
    benefit = [88.0, 100.0, 97.0, 99.0, 94.0]
    chart = frontier_chart_svg(
        share,
        benefit,
        title="Balance frontier",
        x_label="balance share",
        y_label="benefit",
        chosen=4,
    )
    root = _parse(chart.svg)
    (line,) = root.findall(".//s:polyline[@class='frontier']", NS)
    xs = [float(p.split(",")[0]) for p in line.get("points").split()]
    assert xs == sorted(xs)
    points = root.findall(".//s:circle[@class='point']", NS)
    big = [p for p in points if p.get("r") == "6.5"]
    assert len(big) == 1
    assert "balance share 0.3" in big[0].find("s:title", NS).text
    assert "this scenario" in chart.svg
    with pytest.raises(InputDataError, match="chosen: index 9"):
        frontier_chart_svg(share, benefit, title="t", x_label="x", y_label="y", chosen=9)
    with pytest.raises(InputDataError, match="point_labels: 1 labels for 5 points"):
        frontier_chart_svg(share, benefit, title="t", x_label="x", y_label="y", point_labels=["a"])


def test_bars_pass_or_fail_by_sense_and_normalise():
    chart = bars_vs_threshold_svg(
        ["green cover 绿化率", "residential share", "jobs"],
        [0.34, 0.33, 1500.0],
        [0.30, 0.30, 2000.0],
        senses=["min", "max", "min"],
        title="Indicators",
        normalise=True,
    )
    root = _parse(chart.svg)
    bars = root.findall(".//s:rect", NS)
    classes = [b.get("class") for b in bars if b.get("class", "").startswith("bar")]
    assert classes == ["bar pass", "bar fails", "bar fails"]
    # normalised: 0.34/0.30, 0.33/0.30 and 0.75 drawn on one axis with every threshold at 1
    titles = [b.find("s:title", NS).text for b in bars if b.get("class", "").startswith("bar")]
    assert titles[0].startswith("green cover 绿化率: 1.133")
    assert titles[2].startswith("jobs: 0.75")
    thresholds = {t.get("x1") for t in root.findall(".//s:line[@class='threshold']", NS)}
    assert len(thresholds) == 1
    with pytest.raises(
        InputDataError, match="non-zero threshold for every bar; missing: \\['b'\\]"
    ):
        bars_vs_threshold_svg(["a", "b"], [1, 2], [1, None], title="t", normalise=True)
    with pytest.raises(InputDataError, match="senses"):
        bars_vs_threshold_svg(["a"], [1], [1], senses="above", title="t")  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="values: 1 values for 2 labels"):
        bars_vs_threshold_svg(["a", "b"], [1], title="t")
