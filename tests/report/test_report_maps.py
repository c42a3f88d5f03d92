"""Map layers and the report page: classes, colours, WGS84 output, escaping, Leaflet inlined once."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from xiaozhen.errors import InputDataError
from xiaozhen.report import (
    CJK_FAMILY,
    PLE_COLOURS,
    MapFigure,
    ReportSection,
    category_layer,
    choropleth_layer,
    class_breaks,
    feature_layer,
    line_chart_svg,
    map_html,
    render_report,
)
from xiaozhen.report.charts import Series


def test_class_breaks_hand_values():
    values = np.arange(1.0, 11.0)
    assert class_breaks(values, classes=5).tolist() == pytest.approx(
        [1.0, 2.8, 4.6, 6.4, 8.2, 10.0]
    )
    assert class_breaks(np.array([0.0, 1.0, 10.0, np.nan]), classes=2, scheme="equal").tolist() == [
        0.0,
        5.0,
        10.0,
    ]
    assert class_breaks(np.array([2.0, 2.0, 2.0]), classes=4).tolist() == [2.0]  # ties collapse
    with pytest.raises(InputDataError, match="no finite value"):
        class_breaks(np.array([np.nan]))
    with pytest.raises(InputDataError, match="scheme: use 'quantiles' or 'equal'"):
        class_breaks(values, scheme="jenks")  # type: ignore[arg-type]


def test_choropleth_of_the_counties(counties):
    layer = choropleth_layer(
        counties, "urbanisation_2020", name="城镇化率", classes=5, popup_columns=("city",)
    )
    features = layer.geojson["features"]
    assert len(features) == 90
    colours = [c for c, _ in layer.legend.entries]
    assert len(colours) == 5
    fills = {f["id"]: f["properties"]["_fill"] for f in features}
    ranked = counties["urbanisation_2020"].sort_values()
    assert fills[ranked.index[0]] == colours[0]
    assert fills[ranked.index[-1]] == colours[-1]
    assert [list(fills.values()).count(c) for c in colours] == [
        18,
        18,
        18,
        18,
        18,
    ]  # quintiles of 90
    chun = next(f for f in features if f["id"] == "330127")
    assert chun["properties"]["_label"] == "淳安县"
    assert chun["properties"]["_popup"][1] == ["city", "杭州市"]
    coords = np.array(
        [
            c
            for f in features
            for part in json.loads(json.dumps(f["geometry"]["coordinates"]))
            for c in _flatten(part)
        ]
    )
    assert coords[:, 0].min() > 118.0
    assert coords[:, 0].max() < 123.5
    assert coords[:, 1].min() > 27.0
    assert coords[:, 1].max() < 31.5


def _flatten(part):
    if isinstance(part[0], float):
        yield part
    else:
        for p in part:
            yield from _flatten(p)


def test_missing_values_are_no_data_and_bad_input_is_named():
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"], "v": [1.0, np.nan, 3.0], "kind": ["x", "y", "x"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs=4326,
    )
    layer = choropleth_layer(frame, "v", name="v", classes=2)
    assert layer.legend.entries[-1] == ("#cccccc", "no data")
    assert layer.geojson["features"][1]["properties"]["_fill"] == "#cccccc"
    with pytest.raises(InputDataError, match="'kind' is not numeric; use category_layer"):
        choropleth_layer(frame, "kind", name="k")
    with pytest.raises(InputDataError, match="'w' not in the frame"):
        choropleth_layer(frame, "w", name="w")
    with pytest.raises(InputDataError, match="no CRS"):
        feature_layer(frame.set_crs(None, allow_override=True), name="f")
    with pytest.raises(InputDataError, match="unknown matplotlib colormap"):
        choropleth_layer(frame, "v", name="v", cmap="nope")


def test_category_layer_uses_ple_colours_and_point_kind():
    layout = gpd.GeoDataFrame(
        {"land_use": ["production", "living", "ecological", "service", "car park"]},
        geometry=[box(i, 0, i + 1, 1) for i in range(5)],
        crs=3857,
    )
    layer = category_layer(layout, "land_use", name="layout")
    legend = {label: colour for colour, label in layer.legend.entries}
    assert legend["production"] == PLE_COLOURS["production"]
    assert legend["ecological"] == PLE_COLOURS["ecological"]
    assert legend["car park"] not in PLE_COLOURS.values()
    points = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(120, 30)], crs=4326)
    assert feature_layer(points, name="sites").kind == "point"


def test_category_layer_gives_ten_industries_ten_colours():
    """The demo's towns carry ten industries; the eight Okabe-Ito colours alone repeated two."""
    names = [f"industry{i}" for i in range(10)]
    frame = gpd.GeoDataFrame(
        {"industry": names}, geometry=[Point(120 + i, 30) for i in range(10)], crs=4326
    )
    layer = category_layer(frame, "industry", name="towns", colours={})
    colours = [colour for colour, _ in layer.legend.entries]
    assert len(set(colours)) == 10


def test_map_html_cannot_break_out_of_its_script():
    frame = gpd.GeoDataFrame(
        {"name": ["</script><script>alert(1)</script>"]}, geometry=[Point(120, 30)], crs=4326
    )
    html = map_html([feature_layer(frame, name="x", label_column="name")], map_id="m1")
    assert html.count("</script>") == 1  # only the closing tag of the JSON block
    data = html.split('id="m1-data">', 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(data)["layers"][0]["geojson"]["features"][0]["properties"][
        "_label"
    ].startswith("</script>")
    with pytest.raises(InputDataError, match="map_id"):
        map_html([feature_layer(frame, name="x")], map_id='bad id"')


def _page(sections):
    return render_report(
        title="t <b>",
        scenario_toml="x = 1",
        sections=sections,
        manifest={"seed": 1, "versions": {"xiaozhen": "0"}},
        sources=[("d", "s", "l")],
        warnings=("run-wide warning",),
        assumptions=("straight-line distances 直线距离",),
    )


def test_report_inlines_leaflet_once_and_loads_nothing(counties):
    layer = choropleth_layer(counties, "pop_2020", name="人口", css_class="xz-county")
    chart = line_chart_svg([Series("s", [1, 2], [1, 2])], title="趋势")
    sections = [
        ReportSection(
            id="a",
            title="A",
            maps=(MapFigure("map one", (layer,)),),
            charts=(chart,),
            warnings=("w1",),
        ),
        ReportSection(
            id="b", title="B", maps=(MapFigure("map two", (layer,)),), assumptions=("a1",)
        ),
    ]
    html = _page(sections)
    assert html.count("Leaflet 1.9.4") <= 2  # header comment of the css/js, once each
    assert html.count("window.L=t") == 1  # leaflet.js inlined exactly once
    assert html.count('class="xz-map"') == 2
    assert "sourceMappingURL" not in html
    assert "url(images/" not in html  # control images inlined as data URIs
    markup = re.sub(
        r"<script>.*?</script>", "", html, flags=re.DOTALL
    )  # leaflet.js holds link text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup)  # nothing from the network
    assert "<script src" not in html
    assert "t &lt;b&gt;" in html  # autoescape
    warnings = html.split('id="warnings"', 1)[1].split("</section>", 1)[0]
    assert "run-wide warning" in warnings
    assert "w1" in warnings
    assumptions = html.split('id="assumptions"', 1)[1].split("</section>", 1)[0]
    assert "直线距离" in assumptions
    assert "a1" in assumptions
    assert "趋势" in html
    assert "@font-face" in html
    # Leaflet's own CSS names Helvetica for its controls: the map rule must name the CJK family
    # for the layer switcher and legends too (they showed empty boxes in headless Chromium)
    rule = next(line for line in html.splitlines() if ".xz-map .leaflet-control" in line)
    assert CJK_FAMILY in rule
    plain = _page([ReportSection(id="p", title="P")])
    assert "window.L=t" not in plain  # no map: no Leaflet
    with pytest.raises(ValueError, match=r"duplicate section id\(s\) \['a'\]"):
        _page([sections[0], sections[0]])
