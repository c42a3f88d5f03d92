"""Request and response models of the web API (pydantic; they document the OpenAPI spec)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xiaozhen._model import StrictModel
from xiaozhen.scenario import Scenario

__all__ = [
    "AttributeInfo",
    "ChartOut",
    "Choropleth",
    "CompareRow",
    "Comparison",
    "CountyDetail",
    "ErrorResponse",
    "Health",
    "Indicator",
    "JobRequest",
    "JobStatus",
    "LayerRef",
    "LegendEntry",
    "MapLayerOut",
    "RunDetail",
    "RunFile",
    "RunSummary",
    "ScenarioCheck",
    "ScenarioDifference",
]


class _Model(BaseModel):
    """Base of the responses: values the server computed itself from run files, not user input,
    so only unknown keys are refused. Requests inherit :class:`~xiaozhen._model.StrictModel`."""

    model_config = ConfigDict(extra="forbid")


class ErrorResponse(_Model):
    """Every error: a message for people, and the list of problems when there are several."""

    detail: str = Field(description="What went wrong and how to fix it.")
    problems: list[str] = Field(default_factory=list, description="Every problem found.")


class Health(_Model):
    status: Literal["ok"]
    version: str
    runs: int = Field(description="Finished runs in the catalogue.")
    active_jobs: int = Field(description="Jobs queued or running.")
    max_jobs: int = Field(description="Jobs that run at once.")
    max_queued: int = Field(description="Jobs that may wait.")
    max_upload_bytes: int = Field(description="Largest scenario upload accepted.")


class AttributeInfo(_Model):
    name: str
    minimum: float | None
    maximum: float | None


class LegendEntry(_Model):
    colour: str
    label: str


class LegendOut(_Model):
    title: str
    entries: list[list[str]]


class Choropleth(_Model):
    attribute: str
    scheme: Literal["quantiles", "equal"]
    classes: int
    colours: dict[str, str] = Field(description="adcode → fill colour.")
    legend: list[LegendEntry]


class CountyDetail(_Model):
    adcode: str
    name: str
    city: str
    attributes: dict[str, float | str | None]


class MapLayerOut(_Model):
    """A styled GeoJSON layer (WGS84) as drawn by the page's map script."""

    name: str
    kind: Literal["polygon", "point", "line"]
    geojson: dict[str, Any]
    legend: LegendOut | None
    visible: bool
    stroke: str
    weight: float
    fill_opacity: float
    radius: float
    css_class: str


class JobRequest(StrictModel):
    """A scenario to run (the same schema as a scenario TOML file)."""

    scenario: Scenario = Field(default_factory=Scenario)


class ScenarioCheck(_Model):
    ok: bool
    problems: list[str]


RunState = Literal["queued", "running", "done", "failed"]


class JobStatus(_Model):
    id: str
    name: str
    status: RunState
    stage: str | None = Field(description="Stage running now.")
    progress: float = Field(ge=0.0, le=1.0, description="Share of stages done.")
    created: float = Field(description="Unix time the job was submitted.")
    finished: float | None
    error: str | None = Field(description="Why the job failed (no stack trace).")


class RunSummary(_Model):
    id: str
    name: str
    description: str
    status: RunState
    created: float
    finished: float | None


class RunFile(_Model):
    path: str
    bytes: int
    sha256: str
    url: str


class Indicator(_Model):
    name: str
    value: float | str | None
    source: str = Field(description="File of the run the value comes from.")


class LayerRef(_Model):
    file: str
    layer: str
    geometry_type: str | None
    features: int
    url: str


class RunDetail(RunSummary):
    scenario: dict[str, Any]
    seed: int | None
    timings_s: dict[str, float]
    files: list[RunFile]
    indicators: list[Indicator]
    layers: list[LayerRef]
    report_url: str | None


class ChartOut(_Model):
    caption: str
    svg: str = Field(description="Inline SVG markup made by xiaozhen.")


class CompareRow(_Model):
    name: str
    a: float | str | None
    b: float | str | None
    difference: float | None = Field(description="b − a when both are numbers.")


class ScenarioDifference(_Model):
    key: str
    a: Any
    b: Any


class Comparison(_Model):
    a: RunSummary
    b: RunSummary
    indicators: list[CompareRow]
    timings_s: list[CompareRow]
    scenario_differences: list[ScenarioDifference]
