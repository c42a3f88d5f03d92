"""End to end in headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

The web app: 90 county shapes on the map, a click shows a county, a lever is changed, a scenario
runs with a progress bar, the result and a chart appear, Chinese renders with the bundled font.
The report: opens from file:// with its map and charts and makes no request at all.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (dev extra)")
uvicorn = pytest.importorskip("uvicorn", reason="needs the web extra")

#: Draws two Chinese strings with the bundled family; tofu boxes would be identical.
FONT_CHECK = """async () => {
  const faces = await document.fonts.load('24px "Noto Sans CJK SC"', '淳安县龙泉市');
  const c = document.createElement('canvas'); c.width = 160; c.height = 40;
  const g = c.getContext('2d');
  const draw = (t) => { g.clearRect(0, 0, 160, 40); g.font = '24px "Noto Sans CJK SC"';
    g.fillText(t, 0, 30); return Array.from(g.getImageData(0, 0, 160, 40).data); };
  const a = draw('淳安县'), b = draw('龙泉市');
  const ink = a.filter((v, i) => i % 4 === 3 && v > 0).length;
  return {faces: faces.length, differ: a.some((v, i) => v !== b[i]), ink: ink,
          check: document.fonts.check('24px "Noto Sans CJK SC"', '淳安县')};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    from xiaozhen.serve import ServeSettings, create_app

    port = _free_port()
    app = create_app(ServeSettings(runs_dir=tmp_path / "runs"))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _assert_font(page) -> None:
    result = page.evaluate(FONT_CHECK)
    assert result["faces"] >= 1, result  # the @font-face was loaded
    assert result["check"] is True
    assert result["differ"], result  # real glyphs differ; tofu boxes would not
    assert result["ink"] > 50, result


def test_web_app_end_to_end(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request", lambda r: None if r.url.startswith((server, "data:")) else outside.append(r.url)
    )
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    assert page.locator("path.xz-county").count() == 90
    # switch the choropleth layer and click a county
    page.select_option("#attribute", "pop_2020")
    page.wait_for_selector("body[data-attribute='pop_2020']")
    assert page.locator(".xz-legend-title").first.text_content() == "pop_2020"
    page.locator("path.xz-county").nth(0).click(force=True)
    page.wait_for_selector("#county-name", timeout=10_000)
    assert "市" in page.locator("#county-name").text_content()
    _assert_font(page)
    # change a lever and run the scenario
    page.click("button[data-tab='tab-scenario']")
    page.fill("#f-name", "browser test 浏览器")
    page.fill("#f-layout-balance_share", "0.45")
    page.click("#run-button")
    page.wait_for_selector("#job-progress", state="visible", timeout=10_000) if not page.locator(
        ".message:not(.info)"
    ).count() else None
    assert page.locator(".message:not(.info)").count() == 0, page.locator(
        "#messages"
    ).text_content()
    page.wait_for_selector("#run-charts svg.xz-chart", timeout=600_000)
    assert page.locator("#job-progress").evaluate("p => p.value") == 1
    result = page.locator("#run-result")
    assert "browser test 浏览器" in result.text_content()
    row = result.locator("tr", has_text="scenario layout.balance_share")
    assert row.locator("td").nth(1).text_content() == "0.45"
    assert page.locator("#report-link").get_attribute("href").endswith("/report")
    # the town list: one row per town of the plan (towns.csv), designed ones marked
    towns = page.locator("#run-towns")
    assert towns.locator("tr").count() > 2
    assert towns.locator("td", has_text="designed").count() >= 1
    page.screenshot(path=str(tmp_path / "web-app.png"), full_page=True)
    assert (tmp_path / "web-app.png").stat().st_size > 10_000
    # an error is shown as a message, not a stack trace
    page.fill("#f-layout-balance_share", "7")
    page.click("#run-button")
    page.wait_for_selector(".message:not(.info)", timeout=10_000)
    text = page.locator(".message:not(.info)").last.text_content()
    assert "balance_share" in text
    assert "Traceback" not in text
    assert errors == []
    assert outside == []


def test_report_from_file_makes_no_request(browser, tmp_path, counties):
    from xiaozhen.report import (
        Band,
        MapFigure,
        ReportSection,
        Series,
        choropleth_layer,
        line_chart_svg,
        render_report,
    )

    layer = choropleth_layer(counties, "urbanisation_2020", name="城镇化率", css_class="xz-county")
    years = list(range(2020, 2031))
    y = [1.96 - 0.01 * i for i in range(11)]
    chart = line_chart_svg(
        [
            Series(
                "城乡收入比",
                years,
                y,
                bands=(Band([v - 0.05 for v in y], [v + 0.05 for v in y], "5–95 %"),),
            )
        ],
        title="城乡收入比 income ratio",
    )
    html = render_report(
        title="浏览器 report",
        scenario_toml="name = 'x'",
        sections=[
            ReportSection(
                id="m", title="Map 地图", maps=(MapFigure("县", (layer,)),), charts=(chart,)
            )
        ],
        manifest={"seed": 1, "versions": {"xiaozhen": "0"}},
        sources=[],
    )
    file = tmp_path / "report.html"
    file.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(file.as_uri())
    page.wait_for_selector("path.xz-county")
    assert page.locator("path.xz-county").count() == 90
    assert page.locator("svg.xz-chart polygon.band").count() == 1
    assert page.locator(".leaflet-control-layers-overlays label").count() == 1
    page.locator("path.xz-county").nth(3).click(force=True)
    assert page.locator(".xz-popup").count() == 1
    _assert_font(page)
    page.screenshot(path=str(tmp_path / "report.png"))
    assert errors == []
    assert [u for u in requests if not u.startswith("data:")] == [file.as_uri()]
