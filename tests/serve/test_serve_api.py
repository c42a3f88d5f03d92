"""The web API: map, scenario jobs, runs, downloads, comparison, limits and error handling."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import pandas as pd
import pytest

from xiaozhen.scenario import Scenario
from xiaozhen.serve._catalogue import CATALOGUE_NAME

from .conftest import FAKE_STAGES, INDICATORS, wait_for, write_fake_run


def _run(client, scenario: dict | None = None) -> dict:
    response = client.post("/api/jobs", json={"scenario": scenario or {}})
    assert response.status_code == 202, response.text
    body = wait_for(client, response.json()["id"])
    assert body["status"] == "done", body
    return body


def test_health_and_page(make_client):
    client = make_client(max_jobs=2, max_queued=3)
    health = client.get("/api/health").json()
    assert health == {
        "status": "ok",
        "version": health["version"],
        "runs": 0,
        "active_jobs": 0,
        "max_jobs": 2,
        "max_queued": 3,
        "max_upload_bytes": 256 * 1024,
    }
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in (
        "/static/app.js",
        "/static/xzmap.js",
        "/static/vendor/leaflet/leaflet.js",
        "/static/fonts/cjk.otf",
    ):
        assert client.get(asset).status_code == 200, asset
        assert asset in page.text or asset == "/static/fonts/cjk.otf"
    assert "http://" not in page.text
    assert "https://" not in page.text


def test_county_map_choropleth_and_detail(make_client, counties):
    client = make_client()
    layer = client.get("/api/map/counties").json()
    features = layer["geojson"]["features"]
    assert len(features) == 90
    assert {f["id"] for f in features} == set(counties.index)
    lon = [
        c[0]
        for f in features
        for ring in f["geometry"]["coordinates"]
        for c in (ring[0] if f["geometry"]["type"] == "MultiPolygon" else ring)
    ]
    assert min(lon) > 118.0
    assert max(lon) < 123.5
    chor = client.get("/api/map/choropleth", params={"attribute": "pop_2020", "classes": 4}).json()
    assert len(chor["colours"]) == 90
    assert len(chor["legend"]) == 4
    order = counties["pop_2020"].sort_values()
    colours = [e["colour"] for e in chor["legend"]]
    assert chor["colours"][order.index[0]] == colours[0]  # least populous: first class
    assert chor["colours"][order.index[-1]] == colours[-1]  # most populous: last class
    # quantile classes: about a quarter of the counties each
    counts = [list(chor["colours"].values()).count(c) for c in colours]
    assert all(21 <= n <= 24 for n in counts), counts
    wrong = client.get("/api/map/choropleth", params={"attribute": "pop_202"})
    assert wrong.status_code == 404
    assert "did you mean pop_2020" in wrong.json()["detail"]
    detail = client.get("/api/counties/330127").json()
    assert detail["name"] == "淳安县"
    assert detail["city"] == "杭州市"
    assert detail["attributes"]["pop_2020"] == pytest.approx(
        float(counties.loc["330127", "pop_2020"])
    )
    assert client.get("/api/counties/999999").status_code == 404
    bad = client.get("/api/counties/33012x")
    assert bad.status_code == 422
    assert bad.json()["problems"]
    assert "adcode" in bad.json()["detail"]


def test_scenario_schema_default_and_check(make_client):
    client = make_client()
    schema = client.get("/api/scenario/schema").json()
    assert "layout" in schema["properties"]
    assert "LayoutConfig" in schema["$defs"]
    assert client.get("/api/scenario/default").json() == Scenario().model_dump(mode="json")
    check = client.post("/api/scenario/check", json={"layout": {"balance_shar": 0.2}}).json()
    assert check["ok"] is False
    assert any("did you mean 'balance_share'" in p for p in check["problems"])
    assert client.post("/api/scenario/check", json={}).json() == {"ok": True, "problems": []}


def test_job_runs_and_results_are_served(make_client, tmp_path):
    client = make_client()
    job = _run(client, {"name": "Balanced 均衡", "layout": {"balance_share": 0.5}})
    run_id = job["id"]
    assert job["progress"] == 1.0
    assert job["error"] is None
    assert run_id.startswith("balanced-")
    assert [r["id"] for r in client.get("/api/runs").json()] == [run_id]
    detail = client.get(f"/api/runs/{run_id}").json()
    assert detail["name"] == "Balanced 均衡"
    values = {i["name"]: i["value"] for i in detail["indicators"]}
    assert values["scenario layout.balance_share"] == 0.5
    for name, value in zip(INDICATORS["indicator"], INDICATORS["value"], strict=True):
        assert values[name] == pytest.approx(value)
    paths = {f["path"] for f in detail["files"]}
    assert {"report.html", "evaluate/indicators.csv", "layout/towns.gpkg", "manifest.json"} <= paths
    # charts: stage timings, the trajectory with its band, indicators against thresholds
    charts = client.get(f"/api/runs/{run_id}/charts").json()
    svgs = "\n".join(c["svg"] for c in charts)
    assert len(charts) == 3
    assert 'class="band"' in svgs
    assert "income_ratio" in svgs
    # 0.34 >= 0.30 passes, 0.33 <= 0.30 fails, 2500 >= 2000 passes; timings have no threshold
    assert svgs.count('class="bar pass"') == 2
    assert svgs.count('class="bar fails"') == 1
    assert svgs.count('class="bar no-threshold"') == 3
    # map layer: towns coloured by industry, with popups
    (layer_ref,) = detail["layers"]
    layer = client.get(layer_ref["url"]).json()
    assert [f["properties"]["_label"] for f in layer["geojson"]["features"]] == [
        "安吉小镇",
        "淳安小镇",
    ]
    assert [e[1] for e in layer["legend"]["entries"]] == ["tourism", "health"]
    missing = client.get(
        f"/api/runs/{run_id}/layer", params={"file": "layout/towns.gpkg", "layer": "nope"}
    )
    assert missing.status_code == 404
    # downloads are the bytes on disk; the report is served inline with a no-network CSP
    folder = tmp_path / "runs" / run_id
    csv = client.get(f"/api/runs/{run_id}/files/evaluate/indicators.csv")
    assert csv.status_code == 200
    assert csv.content == (folder / "evaluate/indicators.csv").read_bytes()
    assert "attachment" in csv.headers["content-disposition"]
    gpkg = client.get(f"/api/runs/{run_id}/files/layout/towns.gpkg")
    assert gpkg.content == (folder / "layout/towns.gpkg").read_bytes()
    report = client.get(f"/api/runs/{run_id}/report")
    assert "淳安县 report" in report.text
    assert report.headers["content-security-policy"].startswith("default-src 'none'")


def test_downloads_refuse_path_traversal_and_unlisted_files(make_client, tmp_path):
    client = make_client()
    run_id = _run(client)["id"]
    folder = tmp_path / "runs" / run_id
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (folder / "unlisted.txt").write_text("not in the manifest")
    # a symlink the manifest lists but that points outside the run
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "link.txt").symlink_to(secret)
    manifest["outputs_sha256"]["link.txt"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    attempts = [
        f"/api/runs/{run_id}/files/..%2F..%2Fsecret.txt",
        f"/api/runs/{run_id}/files/%2E%2E/%2E%2E/secret.txt",
        f"/api/runs/{run_id}/files/%2Fetc%2Fpasswd",
        f"/api/runs/{run_id}/files/unlisted.txt",
        f"/api/runs/{run_id}/files/link.txt",
        f"/api/runs/{run_id}/files/{CATALOGUE_NAME}",
        f"/api/runs/..%2F{run_id}/files/report.html",
        "/api/runs/../secret.txt",
    ]
    for url in attempts:
        response = client.get(url)
        assert response.status_code in (404, 422), (url, response.status_code)
        assert "secret" not in response.text.replace("secret.txt", "")
        assert response.json()["detail"]
    refused = client.get(f"/api/runs/{run_id}/files/unlisted.txt").json()["detail"]
    assert "only the files listed in its manifest" in refused
    assert client.get(f"/api/runs/{run_id}/files/manifest.json").status_code == 200


def test_upload_limits_and_toml_jobs(make_client):
    client = make_client(max_upload_bytes=4096)
    big = client.post(
        "/api/jobs/toml", content=b"# " + b"x" * 5000, headers={"content-type": "application/toml"}
    )
    assert big.status_code == 413
    assert "too large" in big.json()["detail"]
    assert "4096 bytes" in big.json()["detail"]

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(10):
            yield b"#" * 1000

    streamed = client.post(
        "/api/jobs/toml", content=chunks(), headers={"content-type": "application/toml"}
    )
    assert streamed.status_code == 413
    broken = client.post("/api/jobs/toml", content=b"[layout\nn_towns = 3")
    assert broken.status_code == 422
    assert "not valid UTF-8 TOML" in broken.json()["detail"]
    wrong = client.post("/api/jobs/toml", content=b"[layout]\nbalance_share = 2.0\n")
    assert wrong.status_code == 422
    assert any("layout.balance_share" in p for p in wrong.json()["problems"])
    ok = client.post("/api/jobs/toml", content='name = "上传"\n[layout]\nn_towns = 12\n'.encode())
    assert ok.status_code == 202
    assert wait_for(client, ok.json()["id"])["status"] == "done"
    detail = client.get(f"/api/runs/{ok.json()['id']}").json()
    assert detail["scenario"]["layout"]["n_towns"] == 12


def test_invalid_scenarios_are_refused_with_every_problem(make_client):
    client = make_client()
    response = client.post(
        "/api/jobs", json={"scenario": {"layout": {"balance_share": 2, "n_towns": 0}}}
    )
    assert response.status_code == 422
    body = response.json()
    assert len(body["problems"]) == 2
    assert "balance_share" in body["detail"]
    assert "n_towns" in body["detail"]
    counties = client.post(
        "/api/jobs", json={"scenario": {"region": {"focus_counties": ["123456"]}}}
    )
    assert counties.status_code == 422
    assert "unknown county code" in counties.json()["detail"]
    assert client.get("/api/runs").json() == []


def test_concurrency_limit(make_client):
    release = threading.Event()
    started = threading.Event()

    def slow(scenario, out, on_stage):
        started.set()
        release.wait(20)
        return write_fake_run(scenario, out, on_stage)

    client = make_client(runner=slow, max_jobs=1, max_queued=1)
    first = client.post("/api/jobs", json={})
    second = client.post("/api/jobs", json={})
    assert first.status_code == second.status_code == 202
    assert started.wait(10)
    third = client.post("/api/jobs", json={})
    assert third.status_code == 429
    assert "too many jobs: 2 queued or running" in third.json()["detail"]
    statuses = {j["id"]: j["status"] for j in client.get("/api/jobs").json()}
    assert sorted(statuses.values()) == ["queued", "running"]
    release.set()
    for r in (first, second):
        assert wait_for(client, r.json()["id"])["status"] == "done"
    assert client.post("/api/jobs", json={}).status_code == 202


def test_failures_are_messages_not_stack_traces(make_client, monkeypatch):
    from xiaozhen.errors import InfeasibleError

    def infeasible(scenario, out, on_stage):
        on_stage("assess")
        raise InfeasibleError(
            "layout.land_quota_km2: 45 km2 cannot hold 40 towns of 1 km2 each; raise it to 40"
        )

    def crashing(scenario, out, on_stage):
        on_stage("assess")
        raise ZeroDivisionError("boom")

    client = make_client(runner=infeasible)
    job = wait_for(client, client.post("/api/jobs", json={}).json()["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("layout.land_quota_km2")
    client = make_client(runner=crashing)
    job = wait_for(client, client.post("/api/jobs", json={}).json()["id"])
    assert job["status"] == "failed"
    assert "internal error in stage 'assess' (ZeroDivisionError)" in job["error"]
    assert "Traceback" not in job["error"]
    assert "boom" not in job["error"]
    assert client.get(f"/api/runs/{job['id']}").status_code == 404  # failed runs have no results

    from xiaozhen.serve import _results

    client = make_client(runner=write_fake_run)
    run_id = _run(client)["id"]
    monkeypatch.setattr(_results, "run_indicators", lambda folder: 1 / 0)
    broken = client.get(f"/api/runs/{run_id}")
    assert broken.status_code == 500
    assert broken.json() == {
        "detail": "internal error (ZeroDivisionError); the server log has the details",
        "problems": [],
    }
    assert client.get("/api/nowhere").json()["detail"] == "Not Found"


def test_runs_survive_restart_and_catalogue_loss(make_client, tmp_path):
    client = make_client()
    run_id = _run(client)["id"]
    # a job "running" when the server died
    db = tmp_path / "runs" / CATALOGUE_NAME
    with sqlite3.connect(db) as con:
        con.execute(
            "INSERT INTO runs (id, name, status, progress, created) VALUES ('ghost', 'g', 'running', 0.5, 1)"
        )
    restarted = make_client()
    assert [r["id"] for r in restarted.get("/api/runs").json()] == [run_id]
    ghost = restarted.get("/api/jobs/ghost").json()
    assert ghost["status"] == "failed"
    assert ghost["error"].startswith("interrupted")
    # catalogue deleted: rebuilt from the run folders' manifests
    db.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    rebuilt = make_client()
    assert [r["id"] for r in rebuilt.get("/api/runs").json()] == [run_id]
    # catalogue corrupt: moved aside and rebuilt
    db.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    again = make_client()
    assert [r["name"] for r in again.get("/api/runs").json()] == ["zhejiang-default"]
    assert any(
        p.name.startswith(CATALOGUE_NAME + ".broken-") for p in (tmp_path / "runs").iterdir()
    )
    # a run folder written by `xiaozhen plan` into the runs folder appears on listing
    write_fake_run(Scenario(name="from-cli"), tmp_path / "runs" / "cli-run", lambda name: None)
    assert "cli-run" in [r["id"] for r in again.get("/api/runs").json()]
    # a folder deleted by hand disappears
    import shutil

    shutil.rmtree(tmp_path / "runs" / "cli-run")
    assert "cli-run" not in [r["id"] for r in again.get("/api/runs").json()]
    assert again.get("/api/runs/cli-run").status_code == 404


def test_compare_two_runs(make_client):
    client = make_client()
    a = _run(client, {"layout": {"balance_share": 0.1}})["id"]
    b = _run(client, {"layout": {"balance_share": 0.5, "n_towns": 30}})["id"]
    comparison = client.get("/api/compare", params={"a": a, "b": b}).json()
    diffs = {d["key"]: (d["a"], d["b"]) for d in comparison["scenario_differences"]}
    assert diffs == {"layout.balance_share": (0.1, 0.5), "layout.n_towns": (40, 30)}
    rows = {r["name"]: r for r in comparison["indicators"]}
    assert rows["scenario layout.balance_share"]["difference"] == pytest.approx(0.4)
    assert rows["green cover 绿化率"]["difference"] == pytest.approx(0.0)
    assert sorted(r["name"] for r in comparison["timings_s"]) == sorted(FAKE_STAGES)
    unknown = client.get("/api/compare", params={"a": a, "b": "nope"})
    assert unknown.status_code == 404
    assert "no finished run 'nope'" in unknown.json()["detail"]


def test_real_plan_through_the_api(make_client):
    """The real pipeline as a background job (a few seconds; more as stages are added)."""
    client = make_client(runner=None, stage_names=None)
    response = client.post("/api/jobs", json={"scenario": {"name": "real"}})
    job = wait_for(client, response.json()["id"], timeout_s=600)
    assert job["status"] == "done", job
    detail = client.get(f"/api/runs/{job['id']}").json()
    values = {i["name"]: i["value"] for i in detail["indicators"]}
    assert values["counties"] == 90
    assert values["population 2020"] == 64_567_588
    assert detail["report_url"]
    assert "region/counties.gpkg" in {f["path"] for f in detail["files"]}
    assert os.path.isdir(Path(client.app.state.catalogue.runs_dir) / job["id"])
    # the town list is the run's towns.csv, row for row
    towns = client.get(f"/api/runs/{job['id']}/towns").json()
    folder = Path(client.app.state.catalogue.runs_dir) / job["id"]
    table = pd.read_csv(folder / "towns.csv", dtype={"town_id": str})
    assert [t["town_id"] for t in towns] == list(table["town_id"])
    assert {t["source"] for t in towns} == {"designed", "profile"}
    assert [t["jobs_designed"] for t in towns] == pytest.approx(list(table["jobs_designed"]))
