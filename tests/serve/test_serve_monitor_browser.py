"""The programme office page in headless Chromium: upload a portfolio, the map of grades, a
town's card, downloads, the example, and a bad upload shown as a message."""

from __future__ import annotations

import pandas as pd
import pytest

from xiaozhen.monitor import example_portfolio

from .test_serve_browser import _assert_font, browser, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser]


def test_programme_office_page(server, browser, tmp_path):  # noqa: F811
    reported = tmp_path / "portfolio.csv"
    frame = example_portfolio().to_frame()
    frame["provenance"] = "reported"
    frame.to_csv(reported, index=False)
    bad = tmp_path / "bad.csv"
    frame.assign(fai_total_bn_yuan=-1.0).head(1).to_csv(bad, index=False)

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: None if r.url.startswith((server, "data:", "blob:")) else outside.append(r.url),
    )
    page.goto(server + "/")
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    page.click("button[data-tab='tab-monitor']")
    # upload a reported portfolio and grade 2017
    page.set_input_files("#portfolio-file", str(reported))
    page.fill("#monitor-year", "2017")
    page.click("#grade-file")
    page.wait_for_selector("body[data-monitor='2017']", timeout=30_000)
    assert "as reported" in page.locator("#monitor-provenance").text_content()
    assert page.locator("path.xz-grade").count() == 37  # the map of grades
    assert page.locator("#monitor-towns tr").count() == 38
    distribution = page.locator("#monitor-distribution").text_content()
    assert "优秀" in distribution
    assert "0.2174" in distribution
    # a town's card: score breakdown (7 criteria) and history (2015-2017)
    page.locator("#monitor-towns tr[data-town='B1-29']").click()
    assert "德清地理信息小镇" in page.locator("#town-name").text_content()
    assert page.locator("#town-breakdown tr").count() == 8
    assert page.locator("#town-history tr").count() == 4
    assert "fiscal_return_share" in page.locator("#town-consequences").text_content()
    # clicking a marker opens that town's card
    page.locator("path.xz-grade").nth(0).click(force=True)
    page.wait_for_function("document.querySelector('#town-name').dataset.town !== 'B1-29'")
    # download the grades
    with page.expect_download() as info:
        page.click("a[data-file='grades.csv']")
    grades = pd.read_csv(info.value.path())
    assert set(grades["year"]) == {2015, 2016, 2017}
    assert {"score", "grade", "grade_zh", "investment_points"} <= set(grades.columns)
    _assert_font(page)
    # the example is marked simulated
    page.fill("#monitor-year", "")
    page.click("#grade-example")
    page.wait_for_selector("body[data-monitor='2018']", timeout=30_000)
    assert "SIMULATED" in page.locator("#monitor-provenance").text_content()
    assert page.locator("path.xz-grade").count() == 37  # the layer was replaced, not added
    page.screenshot(path=str(tmp_path / "monitor.png"), full_page=True)
    # a bad portfolio: one message naming the row, no stack trace
    page.set_input_files("#portfolio-file", str(bad))
    page.click("#grade-file")
    page.wait_for_selector(".message:not(.info)", timeout=10_000)
    text = page.locator(".message:not(.info)").last.text_content()
    assert "row 2 (龙泉青瓷小镇, 2015): negative fai_total_bn_yuan (-1)" in text
    assert "Traceback" not in text
    assert errors == []
    assert outside == []
