"""The programme office through the API: grade an upload, the example, a run's towns."""

from __future__ import annotations

import io

import pandas as pd

from xiaozhen.monitor import PORTFOLIO_COLUMNS, example_portfolio

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _portfolio_csv(**changes: object) -> bytes:
    frame = example_portfolio().to_frame()
    for column, value in changes.items():
        frame[column] = value
    return frame.to_csv(index=False).encode("utf-8")


def test_grade_the_example(make_client):
    client = make_client()
    body = client.get("/api/monitor/example", params={"year": 2017}).json()
    assert body["year"] == 2017
    assert body["years"] == [2015, 2016, 2017]
    assert body["provenance"] == "simulated"
    assert len(body["towns"]) == 37
    card = next(t for t in body["towns"] if t["name"] == "德清地理信息小镇")
    assert [h["year"] for h in card["history"]] == [2015, 2016, 2017]
    assert [b["criterion"] for b in card["breakdown"]][:2] == ["investment", "characteristic_share"]
    # not simulated: left out (no points, no maximum)
    share = card["breakdown"][1]
    assert share["value"] is None
    assert share["max_points"] is None
    assert card["consequences"]["fiscal_return_share"] == 1.0  # age 2 < 3
    creation = [d for d in body["distribution"] if d["tier"] == "creation"]
    assert [d["published_2018"] for d in creation] == [25, 45, 31, 9, 5]
    assert sum(d["towns"] for d in creation) == sum(t["tier"] == "creation" for t in body["towns"])
    assert len(body["layer"]["geojson"]["features"]) == 37
    assert body["layer"]["css_class"] == "xz-grade"
    grades = pd.read_csv(io.StringIO(body["files"]["grades.csv"]))
    assert len(grades) == 37 * 3


def test_grade_an_upload_csv_and_xlsx(make_client):
    client = make_client()
    data = _portfolio_csv(provenance="reported")
    r = client.post(
        "/api/monitor/grade",
        params={"filename": "mine.csv", "year": 2018},
        content=data,
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["provenance"] == "reported"
    assert body["source"] == "mine.csv"
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(data)).to_excel(buffer, sheet_name="portfolio", index=False)
    r = client.post("/api/monitor/grade", content=buffer.getvalue(), headers={"Content-Type": XLSX})
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "upload.xlsx"
    assert r.json()["towns"][0]["score"] == body["towns"][0]["score"]


def test_a_bad_upload_lists_its_rows_and_big_uploads_are_refused(make_client):
    client = make_client(max_portfolio_bytes=4096)
    frame = pd.DataFrame([{c.name: "" for c in PORTFOLIO_COLUMNS}])
    frame.loc[0, ["town_id", "tier", "county", "industry", "year"]] = [
        "X",
        "creation",
        "火星县",
        "digital",
        "2018",
    ]
    frame.loc[0, ["planned_area_km2", "construction_area_km2", "creation_year"]] = [
        "3",
        "1",
        "2015",
    ]
    frame.loc[0, "fai_total_bn_yuan"] = "-2"
    r = client.post(
        "/api/monitor/grade",
        content=frame.to_csv(index=False).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "row 2 (X, 2018): negative fai_total_bn_yuan (-2)" in detail
    assert "unknown county '火星县'" in detail
    big = client.post(
        "/api/monitor/grade", content=_portfolio_csv(), headers={"Content-Type": "text/csv"}
    )
    assert big.status_code == 413
    assert "too large" in big.json()["detail"]
    empty = client.post("/api/monitor/grade", content=b"", headers={"Content-Type": "text/csv"})
    assert empty.status_code == 400
    assert "empty" in empty.json()["detail"]
    year = make_client().get("/api/monitor/example", params={"year": 2030})
    assert year.status_code == 400
    assert "no report for 2030" in year.json()["detail"]


def test_grade_a_runs_towns(make_client, tmp_path):
    client = make_client()
    missing = client.get("/api/monitor/runs/nothing-here")
    assert missing.status_code == 404
    # the fake runner's run folder has no towns.csv: a clear 400, not a stack trace
    r = client.post("/api/jobs", json={"scenario": {"name": "m"}})
    from .conftest import wait_for

    run_id = r.json()["id"]
    assert wait_for(client, run_id)["status"] == "done"
    body = client.get(f"/api/monitor/runs/{run_id}")
    assert body.status_code == 400
    assert "towns.csv' not found" in body.json()["detail"]


def test_the_upload_is_documented_in_the_openapi_spec(make_client):
    spec = make_client().get("/openapi.json").json()
    post = spec["paths"]["/api/monitor/grade"]["post"]
    assert set(post["requestBody"]["content"]) == {"text/csv", XLSX}
    assert {"200", "400", "413", "422"} <= set(post["responses"])
    assert "/api/monitor/runs/{run_id}" in spec["paths"]
