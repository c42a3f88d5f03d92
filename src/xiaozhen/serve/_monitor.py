"""The web app's programme office: grade an uploaded portfolio, the example, or a run's towns.

One router (``/api/monitor``). Grading is stateless: each request reads the portfolio (an upload
of at most ``ServeSettings.max_portfolio_bytes``, validated like the CLI's), grades it with the
default rule and answers with everything the page shows — the grade distribution against
2018, a map layer of the grades, a card per town (score breakdown, history, consequences) and
the CSV tables to download. Errors are the app's JSON errors (every bad row listed).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, Any

import geopandas as gpd
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from xiaozhen.errors import InputDataError
from xiaozhen.monitor import (
    CRITERIA,
    AssessmentRules,
    GradeResult,
    Portfolio,
    example_portfolio,
    grade_distribution,
    grade_portfolio,
    portfolio_from_bytes,
    portfolio_from_run,
)
from xiaozhen.region import load_counties
from xiaozhen.report.sections import grade_layer
from xiaozhen.serve._catalogue import RUN_ID_PATTERN
from xiaozhen.serve.models import ErrorResponse, MapLayerOut

__all__ = ["MonitorResult", "monitor_router"]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The portfolio has problems, every one listed."},
    404: {"model": ErrorResponse, "description": "No such run."},
    409: {"model": ErrorResponse, "description": "The run is still queued or running."},
    413: {"model": ErrorResponse, "description": "Upload too large."},
    422: {"model": ErrorResponse, "description": "Invalid request."},
}

Value = float | str | bool | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CriterionScore(_Out):
    criterion: str
    value: float | None = Field(description="achieved value (NaN: not reported)")
    target: float | None = Field(description="level earning full marks")
    points: float | None = Field(description="points earned (None: not applicable / left out)")
    max_points: float | None


class YearGrade(_Out):
    year: int
    tier: str
    score: float | None
    grade: str
    grade_zh: str


class TownCard(_Out):
    town_id: str
    name: str
    tier: str
    county: str
    adcode: str
    industry: str
    age: int
    score: float | None
    grade: str
    grade_zh: str
    notes: str
    breakdown: list[CriterionScore]
    history: list[YearGrade]
    consequences: dict[str, Value]


class DistributionRow(_Out):
    tier: str
    grade: str
    grade_zh: str
    towns: int
    share: float | None
    published_2018: int
    published_2018_share: float


class MonitorResult(_Out):
    """An assessment as the page shows it."""

    year: int
    years: list[int]
    source: str
    provenance: str = Field(description="reported, simulated or mixed")
    towns: list[TownCard]
    distribution: list[DistributionRow]
    layer: MapLayerOut
    files: dict[str, str] = Field(description="file name → CSV text (grades, consequences)")


def _clean(value: Any) -> Value:
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    return str(value)


def _number(value: Any) -> float | None:
    cleaned = _clean(value)
    return cleaned if isinstance(cleaned, float) else None


@lru_cache(maxsize=1)
def _counties() -> gpd.GeoDataFrame:
    return load_counties()


def _cards(result: GradeResult) -> list[TownCard]:
    grades = result.grades_of()
    consequences = result.consequences_of().set_index("town_id")
    history = result.grades.groupby("town_id")
    cards = []
    for record in grades.to_dict(orient="records"):
        town = str(record["town_id"])
        past = history.get_group(town)
        cons = consequences.loc[town].drop(["year", "name", "tier", "grade", "grade_zh"])
        cards.append(
            TownCard(
                town_id=town,
                name=str(record["name"]),
                tier=str(record["tier"]),
                county=str(record["county"]),
                adcode=str(record["adcode"]),
                industry=str(record["industry"]),
                age=int(record["age"]),
                score=_number(record["score"]),
                grade=str(record["grade"]),
                grade_zh=str(record["grade_zh"]),
                notes=str(record["notes"]),
                breakdown=[
                    CriterionScore(
                        criterion=c,
                        value=_number(record[f"{c}_value"]),
                        target=_number(record[f"{c}_target"]),
                        points=_number(record[f"{c}_points"]),
                        max_points=_number(record[f"{c}_max"]),
                    )
                    for c in CRITERIA
                ],
                history=[
                    YearGrade(
                        year=int(y), tier=str(t), score=_number(s), grade=str(g), grade_zh=str(z)
                    )
                    for y, t, s, g, z in zip(
                        past["year"],
                        past["tier"],
                        past["score"],
                        past["grade"],
                        past["grade_zh"],
                        strict=True,
                    )
                ],
                consequences={str(k): _clean(v) for k, v in cons.items()},
            )
        )
    return cards


def monitor_result(portfolio: Portfolio, year: int | None) -> MonitorResult:
    """Grade ``portfolio`` (default rule) for ``year`` (default its latest) for the page."""
    result = grade_portfolio(
        portfolio, AssessmentRules(), portfolio.years[-1] if year is None else year
    )
    distribution = grade_distribution(result.grades_of())
    return MonitorResult(
        year=result.year,
        years=list(result.years),
        source=portfolio.source,
        provenance=result.provenance,
        towns=_cards(result),
        distribution=[
            DistributionRow.model_validate({k: _clean(v) for k, v in row.items()})
            for row in distribution.drop(columns=["difference"]).to_dict(orient="records")
        ],
        layer=MapLayerOut.model_validate(grade_layer(result.grades_of(), _counties()).to_dict()),
        files={
            "grades.csv": result.grades.to_csv(index=False, float_format="%.6g"),
            "consequences.csv": result.consequences.to_csv(index=False, float_format="%.6g"),
        },
    )


monitor_router = APIRouter(prefix="/api/monitor", tags=["monitor"], responses=_ERRORS)
Year = Annotated[
    int | None, Query(ge=1990, le=2100, description="Year to assess (default: the latest).")
]


@monitor_router.get("/example", response_model=MonitorResult, summary="Grade the example")
def grade_example(year: Year = None) -> MonitorResult:
    """Grade the bundled example portfolio: the 37 batch-1 towns, indicators SIMULATED."""
    return monitor_result(example_portfolio(), year)


@monitor_router.post(
    "/grade",
    response_model=MonitorResult,
    summary="Grade an uploaded portfolio",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A portfolio CSV (UTF-8) or XLSX file in the columns of "
            "`xiaozhen monitor template`.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                _XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def grade_upload(
    request: Request,
    year: Year = None,
    filename: Annotated[
        str | None, Query(max_length=200, description="Name of the uploaded file.")
    ] = None,
) -> MonitorResult:
    """Upload a portfolio (at most ``max_portfolio_bytes``) and grade it."""
    limit = request.app.state.settings.max_portfolio_bytes
    too_big = HTTPException(
        413, f"portfolio upload too large: more than {limit} bytes; upload one portfolio file"
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    if size == 0:
        raise InputDataError("the upload is empty; send a portfolio CSV or XLSX file")
    kind = ".xlsx" if "spreadsheetml" in request.headers.get("content-type", "") else ".csv"
    name = filename if filename and filename.lower().endswith((".csv", ".xlsx")) else None
    portfolio = portfolio_from_bytes(b"".join(chunks), filename=name or f"upload{kind}")
    return monitor_result(portfolio, year)


@monitor_router.get("/runs/{run_id}", response_model=MonitorResult, summary="Grade a run's towns")
def grade_run(
    run_id: Annotated[str, PathParam(pattern=RUN_ID_PATTERN, description="Run id.")],
    request: Request,
    year: Year = None,
) -> MonitorResult:
    """Grade the towns of a finished run (its towns.csv, indicators SIMULATED)."""
    catalogue = request.app.state.catalogue
    record = catalogue.get(run_id)
    if record is None or record.status != "done":
        if record is not None and record.status in ("queued", "running"):
            raise HTTPException(409, f"run {run_id!r} is still {record.status}; wait for it")
        raise HTTPException(404, f"no finished run {run_id!r}; list runs at /api/runs")
    return monitor_result(portfolio_from_run(catalogue.runs_dir / run_id), year)
