"""The FastAPI application of ``xiaozhen serve``: the region map, scenario jobs, runs and reports.

:func:`create_app` builds the app from :class:`ServeSettings` (injected, so tests can swap the
runs folder, the limits and the plan runner). One router per resource: ``map`` (counties and
choropleths), ``scenario`` (schema, default, check), ``jobs`` (run a scenario in the background,
progress), ``runs`` (finished runs: details, charts, map layers, report, downloads, comparison),
``monitor`` (the programme office: grade a portfolio, the example or a run's towns;
:mod:`xiaozhen.serve._monitor`).
Every error is JSON ``{"detail": ..., "problems": [...]}`` — never a stack trace.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from xiaozhen import __version__
from xiaozhen.errors import XiaozhenError
from xiaozhen.scenario import Scenario, scenario_problems
from xiaozhen.serve import _results
from xiaozhen.serve._catalogue import RUN_ID_PATTERN, Catalogue, RunRecord, valid_run_id
from xiaozhen.serve._jobs import JobLimitError, Jobs, Runner
from xiaozhen.serve._monitor import monitor_router
from xiaozhen.serve.models import (
    AttributeInfo,
    ChartOut,
    Choropleth,
    CompareRow,
    Comparison,
    CountyDetail,
    ErrorResponse,
    Health,
    Indicator,
    JobRequest,
    JobStatus,
    LayerRef,
    LegendEntry,
    MapLayerOut,
    RunDetail,
    RunFile,
    RunSummary,
    ScenarioCheck,
    ScenarioDifference,
)

__all__ = ["ServeSettings", "create_app"]

logger = logging.getLogger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "A mistake in the input, explained."},
    404: {"model": ErrorResponse, "description": "No such run, file, county or attribute."},
    409: {"model": ErrorResponse, "description": "The run is still queued or running."},
    422: {"model": ErrorResponse, "description": "Input failed validation; every problem listed."},
}

#: Pages may load nothing from outside the server (the report: nothing at all).
_CSP_APP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; font-src 'self' data:; frame-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'"
)
_CSP_REPORT = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "font-src data:; base-uri 'none'"
)

RunId = Annotated[str, PathParam(pattern=RUN_ID_PATTERN, description="Run id (its folder name).")]


@dataclass(frozen=True)
class ServeSettings:
    """Settings of one server.

    Attributes
    ----------
    runs_dir
        Folder of run folders (created if missing); holds the SQLite catalogue.
    max_jobs
        Plans run at once (each uses one core most of the time).
    max_queued
        Plans that may wait; beyond ``max_jobs + max_queued`` a submission gets HTTP 429.
    max_upload_bytes
        Largest scenario TOML accepted (HTTP 413 beyond).
    max_portfolio_bytes
        Largest portfolio CSV / XLSX accepted by the programme office page (HTTP 413 beyond).
    runner
        Function running a plan (default :func:`xiaozhen.plan.run_plan`); tests inject a fast one.
    stage_names
        Stage names the runner reports (default: the plan's stages and "report").
    """

    runs_dir: Path
    max_jobs: int = 1
    max_queued: int = 8
    max_upload_bytes: int = 256 * 1024
    max_portfolio_bytes: int = 2 * 1024 * 1024
    runner: Runner | None = None
    stage_names: tuple[str, ...] | None = None


# ---------------------------------------------------------------- counties (shared, cached)


@lru_cache(maxsize=1)
def _counties() -> Any:
    from xiaozhen.region import load_counties

    return load_counties()


@lru_cache(maxsize=1)
def _attributes() -> dict[str, tuple[float | None, float | None]]:
    frame = _counties()
    out: dict[str, tuple[float | None, float | None]] = {}
    for column in frame.columns:
        if column == "geometry" or not (
            pd.api.types.is_numeric_dtype(frame[column])
            or pd.api.types.is_bool_dtype(frame[column])
        ):
            continue
        values = frame[column].astype(float)
        lo, hi = float(values.min()), float(values.max())
        out[str(column)] = (lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None)
    return out


@lru_cache(maxsize=1)
def _counties_layer_json() -> bytes:
    """The county layer serialised once (438 kB; validating it per request would dominate)."""
    return json.dumps(
        MapLayerOut.model_validate(_counties_layer()).model_dump(mode="json"),
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


@lru_cache(maxsize=1)
def _counties_layer() -> dict[str, Any]:
    from xiaozhen.report.maps import feature_layer

    frame = _counties()
    layer = feature_layer(
        frame,
        name="Counties 县级单位",
        colour="#9ecae1",
        label_column="name",
        popup_columns=("city", "pop_2020", "urbanisation_2020", "area_km2", "less_developed"),
        simplify_m=150.0,
        fill_opacity=0.75,
        css_class="xz-county",
    )
    spec = layer.to_dict()
    spec["stroke"] = "#ffffff"
    spec["legend"] = None
    return spec


@lru_cache(maxsize=128)
def _choropleth(attribute: str, scheme: Literal["quantiles", "equal"], classes: int) -> Choropleth:
    from xiaozhen.report.maps import choropleth_layer

    frame = _counties()[["name", attribute, "geometry"]].copy()
    frame[attribute] = frame[attribute].astype(float)
    layer = choropleth_layer(
        frame,
        attribute,
        name=attribute,
        classes=classes,
        scheme=scheme,
        simplify_m=0.0,
    )
    colours = {f["id"]: f["properties"]["_fill"] for f in layer.geojson["features"]}
    legend = (
        []
        if layer.legend is None
        else [LegendEntry(colour=c, label=t) for c, t in layer.legend.entries]
    )
    return Choropleth(
        attribute=attribute, scheme=scheme, classes=classes, colours=colours, legend=legend
    )


def _clean(value: Any) -> float | str | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        v = float(value)
        return v if math.isfinite(v) else None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return _clean(value.item())
    return str(value)


# ---------------------------------------------------------------- helpers


def _state(request: Request) -> tuple[ServeSettings, Catalogue, Jobs]:
    app = request.app
    return app.state.settings, app.state.catalogue, app.state.jobs


def _job(record: RunRecord) -> JobStatus:
    return JobStatus(
        id=record.id,
        name=record.name,
        status=record.status,
        stage=record.stage,
        progress=min(max(record.progress, 0.0), 1.0),
        created=record.created,
        finished=record.finished,
        error=record.error,
    )


def _summary(record: RunRecord) -> RunSummary:
    return RunSummary(
        id=record.id,
        name=record.name,
        description=record.description,
        status=record.status,
        created=record.created,
        finished=record.finished,
    )


def _done_run(catalogue: Catalogue, run_id: str) -> tuple[RunRecord, Path]:
    record = catalogue.get(run_id) if valid_run_id(run_id) else None
    folder = catalogue.runs_dir / run_id
    if record is None or record.status != "done" or not (folder / "manifest.json").is_file():
        if record is not None and record.status in ("queued", "running"):
            raise HTTPException(
                409, f"run {run_id!r} is still {record.status}; wait for it to finish"
            )
        if record is not None and record.status == "failed":
            raise HTTPException(404, f"run {run_id!r} failed and has no results: {record.error}")
        raise HTTPException(404, f"no finished run {run_id!r}; list runs at /api/runs")
    return record, folder


def _scenario_from_mapping(data: dict[str, Any]) -> Scenario:
    scenario, problems = scenario_problems(data)
    if scenario is None:
        raise _Problems(
            f"the scenario has {len(problems)} problem(s): " + "; ".join(problems), problems
        )
    return scenario


class _Problems(Exception):
    def __init__(self, detail: str, problems: list[str], status: int = 422) -> None:
        super().__init__(detail)
        self.detail, self.problems, self.status = detail, problems, status


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: obj}


# ---------------------------------------------------------------- routers

map_router = APIRouter(prefix="/api", tags=["map"], responses=_ERRORS)


@map_router.get("/map/attributes", response_model=list[AttributeInfo], summary="County attributes")
def map_attributes() -> list[AttributeInfo]:
    """Numeric attributes of the 90 counties that can colour the map."""
    return [AttributeInfo(name=k, minimum=lo, maximum=hi) for k, (lo, hi) in _attributes().items()]


@map_router.get("/map/counties", response_model=MapLayerOut, summary="County boundaries")
def map_counties() -> Response:
    """The 90 county-level units of Zhejiang as a GeoJSON layer (WGS84, simplified to 150 m)."""
    return Response(
        _counties_layer_json(),
        media_type="application/json",
        headers={"Cache-Control": "max-age=3600"},
    )


@map_router.get(
    "/map/choropleth", response_model=Choropleth, responses=_ERRORS, summary="Colour counties"
)
def map_choropleth(
    attribute: Annotated[
        str, Query(max_length=64, description="A county attribute.")
    ] = "urbanisation_2020",
    scheme: Annotated[Literal["quantiles", "equal"], Query()] = "quantiles",
    classes: Annotated[int, Query(ge=2, le=9)] = 5,
) -> Choropleth:
    """Fill colour of each county for ``attribute``, classed by quantiles or equal intervals."""
    known = _attributes()
    if attribute not in known:
        import difflib

        close = difflib.get_close_matches(attribute, list(known), n=3)
        hint = (
            f"; did you mean {', '.join(close)}?" if close else "; list them at /api/map/attributes"
        )
        raise HTTPException(404, f"attribute {attribute!r} is not a numeric county attribute{hint}")
    return _choropleth(attribute, scheme, classes)


@map_router.get(
    "/counties/{adcode}", response_model=CountyDetail, responses=_ERRORS, summary="One county"
)
def county_detail(adcode: Annotated[str, PathParam(pattern=r"^\d{6}$")]) -> CountyDetail:
    """Every attribute of one county (6-digit adcode, e.g. 330127 for 淳安县)."""
    frame = _counties()
    if adcode not in frame.index:
        raise HTTPException(404, f"no county with adcode {adcode!r}; click a county on the map")
    row = frame.loc[adcode]
    attributes = {str(k): _clean(v) for k, v in row.items() if k != "geometry"}
    return CountyDetail(
        adcode=adcode, name=str(row["name"]), city=str(row["city"]), attributes=attributes
    )


scenario_router = APIRouter(prefix="/api/scenario", tags=["scenario"], responses=_ERRORS)


@scenario_router.get("/schema", response_model=dict[str, Any], summary="Scenario JSON schema")
def scenario_schema() -> dict[str, Any]:
    """The JSON schema of a scenario (units and sources in each field); the page builds its form from it."""
    return Scenario.model_json_schema()


@scenario_router.get("/default", response_model=Scenario, summary="Default scenario")
def scenario_default() -> Scenario:
    """The bundled Zhejiang default scenario."""
    return Scenario()


@scenario_router.post("/check", response_model=ScenarioCheck, summary="Check a scenario")
def scenario_check(body: dict[str, Any]) -> ScenarioCheck:
    """Every problem of a scenario (unknown keys with a did-you-mean, ranges, county codes)."""
    scenario, problems = scenario_problems(body)
    return ScenarioCheck(ok=scenario is not None, problems=problems)


jobs_router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses=_ERRORS)
_JOB_ERRORS = {
    **_ERRORS,
    429: {"model": ErrorResponse, "description": "Too many jobs queued or running."},
}


@jobs_router.post(
    "", response_model=JobStatus, status_code=202, responses=_JOB_ERRORS, summary="Run a scenario"
)
def submit_job(body: JobRequest, request: Request) -> JobStatus:
    """Validate the scenario and run it as a background job; poll ``/api/jobs/{id}`` for progress."""
    _, catalogue, jobs = _state(request)
    scenario = _scenario_from_mapping(body.scenario.model_dump(mode="json"))
    try:
        run_id = jobs.submit(scenario)
    except JobLimitError as exc:
        raise HTTPException(429, str(exc)) from None
    record = catalogue.get(run_id)
    assert record is not None
    return _job(record)


@jobs_router.post(
    "/toml",
    response_model=JobStatus,
    status_code=202,
    responses={**_JOB_ERRORS, 413: {"model": ErrorResponse, "description": "Upload too large."}},
    summary="Run a scenario TOML file",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A scenario TOML file (as written by `xiaozhen scenario new`), UTF-8.",
            "content": {"application/toml": {"schema": {"type": "string"}}},
        }
    },
)
async def submit_toml(request: Request) -> JobStatus:
    """Upload a scenario TOML (at most ``max_upload_bytes``) and run it as a background job."""
    settings, catalogue, jobs = _state(request)
    limit = settings.max_upload_bytes
    too_big = (
        f"scenario upload too large: more than {limit} bytes ({limit // 1024} KiB); a scenario "
        "file is a few KiB — check that you chose the right file"
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _Problems(too_big, [], status=413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Problems(too_big, [], status=413)
        chunks.append(chunk)
    if size == 0:
        raise _Problems(
            "the upload is empty; send a scenario TOML file (for the default scenario, "
            "POST /api/jobs with {})",
            ["empty request body"],
        )
    try:
        data = tomllib.loads(b"".join(chunks).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _Problems(f"the upload is not valid UTF-8 TOML: {exc}", [str(exc)]) from None
    scenario = _scenario_from_mapping(data)
    try:
        run_id = jobs.submit(scenario)
    except JobLimitError as exc:
        raise HTTPException(429, str(exc)) from None
    record = catalogue.get(run_id)
    assert record is not None
    return _job(record)


@jobs_router.get("", response_model=list[JobStatus], summary="All jobs")
def list_jobs(request: Request) -> list[JobStatus]:
    """Every job and run in the catalogue, newest first."""
    return [_job(r) for r in _state(request)[1].list()]


@jobs_router.get("/{run_id}", response_model=JobStatus, responses=_ERRORS, summary="One job")
def job_status(run_id: RunId, request: Request) -> JobStatus:
    """Status and progress of one job."""
    record = _state(request)[1].get(run_id)
    if record is None:
        raise HTTPException(404, f"no job {run_id!r}; list jobs at /api/jobs")
    return _job(record)


runs_router = APIRouter(prefix="/api", tags=["runs"], responses=_ERRORS)


@runs_router.get("/runs", response_model=list[RunSummary], summary="Finished runs")
def list_runs(request: Request) -> list[RunSummary]:
    """Finished runs (including run folders written by `xiaozhen plan` into the runs folder)."""
    catalogue = _state(request)[1]
    catalogue.sync()
    return [_summary(r) for r in catalogue.list("done")]


def _detail(record: RunRecord, folder: Path) -> RunDetail:
    manifest = _results.read_manifest(folder)
    base = f"/api/runs/{record.id}"
    files_ = [
        RunFile(path=f.path, bytes=f.bytes, sha256=f.sha256, url=f"{base}/files/{f.path}")
        for f in _results.run_files(folder)
    ]
    layers = [
        LayerRef(
            file=f,
            layer=name,
            geometry_type=g,
            features=n,
            url=f"{base}/layer?file={f}&layer={name}",
        )
        for f, name, g, n in _results.list_layers(folder)
    ]
    timings = manifest.get("timings_s", {})
    return RunDetail(
        **_summary(record).model_dump(),
        scenario=dict(manifest.get("scenario", {})),
        seed=manifest.get("seed"),
        timings_s={str(k): float(v) for k, v in dict(timings).items()},
        files=files_,
        indicators=[
            Indicator(name=n, value=v, source=s) for n, v, s in _results.run_indicators(folder)
        ],
        layers=layers,
        report_url=f"{base}/report" if (folder / "report.html").is_file() else None,
    )


@runs_router.get("/runs/{run_id}", response_model=RunDetail, responses=_ERRORS, summary="One run")
def run_detail(run_id: RunId, request: Request) -> RunDetail:
    """A finished run: scenario, timings, files, key indicators and map layers."""
    record, folder = _done_run(_state(request)[1], run_id)
    return _detail(record, folder)


@runs_router.get(
    "/runs/{run_id}/charts",
    response_model=list[ChartOut],
    responses=_ERRORS,
    summary="Charts of a run",
)
def run_charts(run_id: RunId, request: Request) -> list[ChartOut]:
    """SVG charts of a run: stage timings, trajectories with bands, indicators against thresholds."""
    _, folder = _done_run(_state(request)[1], run_id)
    return [ChartOut(caption=c, svg=s) for c, s in _results.run_charts(folder)]


@runs_router.get(
    "/runs/{run_id}/towns",
    response_model=list[dict[str, float | str | bool | None]],
    responses=_ERRORS,
    summary="The towns of a run's plan",
)
def run_towns(run_id: RunId, request: Request) -> list[dict[str, float | str | bool | None]]:
    """One row per town of the plan (the run's ``towns.csv``): county, industry, whether it was
    designed or uses the stand-in profile, its site, designed residents and jobs, investment and
    the simulation's end-year residents, jobs and tax."""
    _, folder = _done_run(_state(request)[1], run_id)
    return _results.run_towns(folder)


@runs_router.get(
    "/runs/{run_id}/layer",
    response_model=MapLayerOut,
    responses=_ERRORS,
    summary="A map layer of a run",
)
def run_layer(
    run_id: RunId,
    request: Request,
    file: Annotated[
        str, Query(max_length=300, description="GeoPackage of the run, e.g. region/counties.gpkg")
    ],
    layer: Annotated[str, Query(max_length=200, description="Layer inside the GeoPackage.")],
) -> dict[str, Any]:
    """One GeoPackage layer of a run, styled for the map (at most 20,000 features)."""
    _, folder = _done_run(_state(request)[1], run_id)
    try:
        return _results.layer_spec(folder, file, layer)
    except _results.RunFileNotFound:
        raise HTTPException(
            404, f"run {run_id!r} has no layer {layer!r} in {file!r}; see the run's layers"
        ) from None


@runs_router.get(
    "/runs/{run_id}/report",
    responses={
        **_ERRORS,
        200: {"content": {"text/html": {}}, "description": "The self-contained report."},
    },
    summary="A run's report",
)
def run_report(run_id: RunId, request: Request) -> Response:
    """The run's self-contained report.html (may load nothing from anywhere)."""
    _, folder = _done_run(_state(request)[1], run_id)
    try:
        path = _results.resolve_run_file(folder, "report.html")
    except _results.RunFileNotFound:
        raise HTTPException(404, f"run {run_id!r} has no report.html") from None
    return FileResponse(
        path,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": _CSP_REPORT},
    )


_MEDIA = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".gpkg": "application/geopackage+sqlite3",
    ".tif": "image/tiff",
    ".png": "image/png",
    ".toml": "application/toml",
    ".nc": "application/x-netcdf",
    ".parquet": "application/vnd.apache.parquet",
}


@runs_router.get(
    "/runs/{run_id}/files/{file_path:path}",
    responses={
        **_ERRORS,
        200: {"content": {"application/octet-stream": {}}, "description": "The file."},
    },
    summary="Download a file of a run",
)
def run_file(run_id: RunId, file_path: str, request: Request) -> Response:
    """Download one file listed in the run's manifest (GeoPackage, CSV, report, ...)."""
    _, folder = _done_run(_state(request)[1], run_id)
    try:
        path = _results.resolve_run_file(folder, file_path)
    except _results.RunFileNotFound:
        raise HTTPException(
            404,
            f"run {run_id!r} has no file {file_path!r}; only the files listed in its manifest can be downloaded",
        ) from None
    return FileResponse(
        path,
        media_type=_MEDIA.get(path.suffix.lower(), "application/octet-stream"),
        filename=f"{run_id}-{path.name}",
        headers={"Content-Security-Policy": _CSP_REPORT, "X-Content-Type-Options": "nosniff"},
    )


def _row(name: str, a: Any, b: Any) -> CompareRow:
    diff = None
    if (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        diff = float(b) - float(a)
    return CompareRow(name=name, a=a, b=b, difference=diff)


@runs_router.get(
    "/compare", response_model=Comparison, responses=_ERRORS, summary="Compare two runs"
)
def compare_runs(
    request: Request,
    a: Annotated[str, Query(pattern=RUN_ID_PATTERN, description="First run id.")],
    b: Annotated[str, Query(pattern=RUN_ID_PATTERN, description="Second run id.")],
) -> Comparison:
    """Key indicators, stage timings and scenario differences of two runs side by side."""
    catalogue = _state(request)[1]
    ra, fa = _done_run(catalogue, a)
    rb, fb = _done_run(catalogue, b)
    ia = {n: v for n, v, _ in _results.run_indicators(fa)}
    ib = {n: v for n, v, _ in _results.run_indicators(fb)}
    names = list(dict.fromkeys([*ia, *ib]))
    ma, mb = _results.read_manifest(fa), _results.read_manifest(fb)
    ta, tb = dict(ma.get("timings_s", {})), dict(mb.get("timings_s", {}))
    sa, sb = _flatten(ma.get("scenario", {})), _flatten(mb.get("scenario", {}))
    diffs = [
        ScenarioDifference(key=k, a=sa.get(k), b=sb.get(k))
        for k in sorted(set(sa) | set(sb))
        if sa.get(k) != sb.get(k)
    ]
    return Comparison(
        a=_summary(ra),
        b=_summary(rb),
        indicators=[_row(n, ia.get(n), ib.get(n)) for n in names],
        timings_s=[_row(k, ta.get(k), tb.get(k)) for k in dict.fromkeys([*ta, *tb])],
        scenario_differences=diffs,
    )


meta_router = APIRouter(tags=["meta"], responses=_ERRORS)


@meta_router.get("/api/health", response_model=Health, summary="Server status")
def health(request: Request) -> Health:
    """Version, runs, active jobs and limits."""
    settings, catalogue, _ = _state(request)
    return Health(
        status="ok",
        version=__version__,
        runs=len(catalogue.list("done")),
        active_jobs=catalogue.count_active(),
        max_jobs=settings.max_jobs,
        max_queued=settings.max_queued,
        max_upload_bytes=settings.max_upload_bytes,
    )


def _static_dir(package: str, *parts: str) -> Path:
    return Path(str(files(package).joinpath(*parts)))


@meta_router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index() -> Response:
    page = _static_dir("xiaozhen.serve", "static", "index.html")
    return FileResponse(
        page, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": _CSP_APP}
    )


@meta_router.get("/static/fonts/cjk.otf", include_in_schema=False)
def cjk_font() -> Response:
    from xiaozhen.report.fonts import cjk_font_path

    return FileResponse(
        cjk_font_path(), media_type="font/otf", headers={"Cache-Control": "max-age=86400"}
    )


@meta_router.get("/static/xzmap.js", include_in_schema=False)
def xzmap() -> Response:
    return FileResponse(
        _static_dir("xiaozhen.report", "static", "xzmap.js"), media_type="text/javascript"
    )


# ---------------------------------------------------------------- the app


def _error(
    status: int,
    detail: str,
    problems: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"detail": detail, "problems": problems or []}, headers=headers
    )


def create_app(settings: ServeSettings) -> FastAPI:
    """Build the web app for ``settings`` (the catalogue is opened, and rebuilt if needed, here)."""
    if settings.max_jobs < 1 or settings.max_queued < 0 or settings.max_upload_bytes < 1:
        raise ValueError(
            f"ServeSettings: max_jobs >= 1, max_queued >= 0 and max_upload_bytes >= 1 needed, received "
            f"{settings.max_jobs}, {settings.max_queued}, {settings.max_upload_bytes}"
        )
    catalogue = Catalogue(settings.runs_dir)
    jobs = Jobs(
        catalogue,
        max_jobs=settings.max_jobs,
        max_queued=settings.max_queued,
        runner=settings.runner,
        stage_names=settings.stage_names,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(
        lifespan=lifespan,
        title="xiaozhen",
        version=__version__,
        description=(
            "Explore characteristic-town (特色小镇) plans: the 90 counties of Zhejiang on a map, run "
            "scenarios in the background, compare runs, download their files. Errors are JSON "
            '`{"detail": ..., "problems": [...]}`.'
        ),
    )
    app.state.settings = settings
    app.state.catalogue = catalogue
    app.state.jobs = jobs

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # list every method of every route on this path (RFC 9110)
            methods: set[str] = set()
            for route in _request.app.router.routes:
                match, _ = route.matches(_request.scope)
                if match != Match.NONE:
                    methods |= set(getattr(route, "methods", None) or ())
            headers["Allow"] = ", ".join(sorted(methods))
        return _error(exc.status_code, str(exc.detail), headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            received = err.get("input")
            msg = str(err.get("msg"))
            text = f"{where}: {msg}"
            # the strict models' messages already say what was received
            if (
                received is not None
                and not isinstance(received, dict | list)
                and "received" not in msg
            ):
                text += f" (received {str(received)[:80]!r})"
            problems.append(text)
        return _error(422, f"invalid request: {'; '.join(problems)}", problems)

    @app.exception_handler(_Problems)
    async def _problems(_request: Request, exc: _Problems) -> Response:
        return _error(exc.status, exc.detail, exc.problems)

    @app.exception_handler(XiaozhenError)
    async def _user_error(_request: Request, exc: XiaozhenError) -> Response:
        return _error(400, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        logger.exception("internal error on %s %s", request.method, request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")

    for router in (
        meta_router,
        map_router,
        scenario_router,
        jobs_router,
        runs_router,
        monitor_router,
    ):
        app.include_router(router)
    app.mount(
        "/static/vendor/leaflet",
        StaticFiles(directory=_static_dir("xiaozhen.report", "static", "vendor", "leaflet")),
        name="leaflet",
    )
    app.mount(
        "/static", StaticFiles(directory=_static_dir("xiaozhen.serve", "static")), name="static"
    )
    logger.info(
        "xiaozhen serve: runs in %s (%d finished)", catalogue.runs_dir, len(catalogue.list("done"))
    )
    return app
