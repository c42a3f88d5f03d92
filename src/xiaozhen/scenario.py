"""The scenario: one frozen, validated configuration that drives every stage.

A scenario is a TOML file parsed into :class:`Scenario`. Its ``policy`` section is the simulation's
:class:`~xiaozhen.simulate.PolicyPackage` itself and its ``design`` section the town-design
:class:`~xiaozhen.design.DesignRules`, so each rule and lever is defined in one place. Every field carries a description, a
unit and the source of its default (BRIEF §4 cites the policy texts). ``xiaozhen scenario new``
writes a commented default file generated from this schema; ``xiaozhen scenario check`` reports all
problems of a file at once (unknown keys with a "did you mean", out-of-range values, unknown
county codes).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, JsonValue, ValidationError, field_validator

from xiaozhen._model import FrozenModel, validation_problems
from xiaozhen.design import DesignRules
from xiaozhen.errors import ConfigError
from xiaozhen.layout import FRONTIER_SHARES
from xiaozhen.simulate.parameters import PolicyPackage

__all__ = [
    "AssessConfig",
    "DesignRules",
    "LayoutConfig",
    "PolicyPackage",
    "PositionConfig",
    "RegionConfig",
    "Scenario",
    "SimulateConfig",
    "default_scenario_toml",
    "load_scenario",
    "scenario_problems",
    "scenario_toml",
]


def _field(default: Any, description: str, *, unit: str = "", source: str = "", **kw: Any) -> Any:
    extra: dict[str, JsonValue] = {"unit": unit, "source": source}
    return Field(default, description=description, json_schema_extra=extra, **kw)


class RegionConfig(FrozenModel):
    """Where: the province and the county whose grid is planned in detail."""

    province: Literal["zhejiang"] = _field(
        "zhejiang", "Bundled province (only Zhejiang ships with the package).", source="BRIEF §5"
    )
    less_developed: tuple[str, ...] | None = _field(
        None,
        "Adcodes of the less-developed counties used by the balance constraint; "
        "unset means the 26 mountain counties (山区26县).",
        source="BRIEF §4.1 (list as commonly published)",
    )
    focus_counties: tuple[str, ...] = _field(
        ("330523", "330127"),
        "Adcodes of the counties whose grids are planned at site scale (the 1-5 km2 sites and "
        "the town designs). Default: 安吉县 (a suburb-side county) and 淳安县 (less developed).",
    )
    grid: str = _field(
        "synthetic",
        "County-grid source: 'synthetic' (seeded, conditioned on the county's real facts) or the "
        "path of a grid folder written by `xiaozhen region import`.",
    )
    cell_size_m: float = _field(100.0, "County grid cell size.", unit="m", ge=25.0, le=500.0)


class AssessConfig(FrozenModel):
    """How suitability is scored."""

    method: Literal["topsis", "weighted_sum"] = _field(
        "topsis",
        "Aggregation of the county indicators (TOPSIS after Hwang & Yoon 1981).",
        source="BRIEF §4.6",
    )
    weights: Literal["entropy", "critic", "equal"] = _field(
        "entropy", "Objective weighting of the indicators.", source="BRIEF §4.6"
    )
    site_area_km2: float = _field(
        3.0,
        "Planned area of a candidate site.",
        unit="km2",
        ge=1.0,
        le=5.0,
        source="浙特镇办〔2015〕9号 §2(2): about 3 km2; 发改规划〔2021〕1383号: 1-5 km2",
    )
    min_developable_km2: float = _field(
        0.5,
        "Developable construction land a site must hold.",
        unit="km2",
        ge=0.1,
        le=5.0,
        source="发改规划〔2021〕1383号: construction land >= 0.5 km2",
    )


class PositionConfig(FrozenModel):
    """How each town's characteristic industry is chosen."""

    neighbour_penalty: float = _field(
        0.15,
        "Fit penalty for each neighbour (adjacent county, or site within the radius) already "
        "holding the same industry: keeps neighbouring towns from copying each other.",
        ge=0.0,
        le=1.0,
        source="homogeneous copy-cat towns are the programme's best-known failure — BRIEF §1",
    )
    site_radius_km: float = _field(
        15.0, "Sites closer than this count as neighbours.", unit="km", gt=0.0
    )


class LayoutConfig(FrozenModel):
    """Which places get towns: budgets, balance, spacing."""

    n_towns: int = _field(
        40,
        "Towns to create in this batch (province scale).",
        ge=1,
        le=500,
        source="creation batches: 37 (2015), 42 (2016), 35 (2017), 21 (2018) — BRIEF §4.4",
    )
    capital_budget_billion_yuan: float = _field(
        160.0,
        "Fixed-asset investment available for the batch over 3 years.",
        unit="billion yuan",
        gt=0.0,
        source="浙特镇办〔2015〕9号: >= 5 bn per town (3 bn for digital, finance, tourism, classic)",
    )
    land_quota_km2: float = _field(
        40.0,
        "New construction-land quota for the batch (net of idle land reused).",
        unit="km2",
        gt=0.0,
        source="about 1 km2 built per town — BRIEF §4.1",
    )
    balance_share: float = _field(
        0.3,
        "Minimum share of the province's towns in the less-developed counties (province scale "
        "only; the county scale has county_fringe_share).",
        ge=0.0,
        le=1.0,
        source="policy choice; see the balance frontier",
    )
    county_fringe_share: float = _field(
        0.3,
        "Minimum share of a focus county's towns placed on urban-rural fringe sites (site "
        "scale); relaxed with a warning where the county's sites cannot meet it.",
        ge=0.0,
        le=1.0,
        source="浙特镇办〔2015〕9号: towns in principle on the urban-rural fringe — BRIEF §4.1",
    )
    max_towns_per_county: int = _field(
        2, "Cap on towns in one county (each with a different industry).", ge=1, le=5
    )
    frontier_shares: tuple[Annotated[float, Field(ge=0.0, le=1.0)], ...] = _field(
        FRONTIER_SHARES,
        "Balance shares at which the price-of-balance frontier is computed (each in [0, 1]).",
        min_length=1,
    )
    min_free_land_km2: float = _field(
        30.0,
        "A county needs at least this much land that is neither built-up nor water (MODIS) to "
        "receive a town: fully built core districts have no room for a 3 km2 town.",
        unit="km2",
        ge=0.0,
    )
    min_spacing_km: float = _field(
        5.0, "Minimum distance between two towns' centres at county scale.", unit="km", ge=0.0
    )
    min_towns_per_focus_county: int = _field(
        0,
        "The province layout gives every focus county at least this many towns (0: the focus "
        "counties get what the province chooses; the county stage sites and designs exactly "
        "those towns).",
        ge=0,
        le=5,
    )
    coverage_minutes: float = _field(
        30.0, "A village is served by a town within this travel time.", unit="min", gt=0.0
    )
    time_limit_s: float = _field(60.0, "Solver time limit per problem.", unit="s", gt=0.0)


class SimulateConfig(FrozenModel):
    """The yearly model."""

    start_year: int = _field(2020, "First simulated year (census base).", ge=2010, le=2030)
    years: int = _field(20, "Simulated years.", unit="years", ge=1, le=50)
    draws: int = _field(200, "Monte Carlo draws over uncertain parameters.", ge=1, le=100_000)


class Scenario(FrozenModel):
    """A complete, validated xiaozhen scenario."""

    name: str = _field("zhejiang-default", "Scenario name, used in reports.")
    seed: int = _field(20150101, "Seed of the one random generator every stage draws from.", ge=0)
    description: str = _field(
        "Zhejiang default: a 40-town batch under land and capital budgets with a 30 % balance "
        "share, designed and simulated 2020-2040.",
        "Free text shown in the report.",
    )
    region: RegionConfig = Field(default_factory=RegionConfig)
    assess: AssessConfig = Field(default_factory=AssessConfig)
    position: PositionConfig = Field(default_factory=PositionConfig)
    layout: LayoutConfig = Field(default_factory=LayoutConfig)
    design: DesignRules = Field(default_factory=DesignRules)
    policy: PolicyPackage = Field(default_factory=PolicyPackage)
    simulate: SimulateConfig = Field(default_factory=SimulateConfig)

    @field_validator("seed")
    @classmethod
    def _seed_fits(cls, value: int) -> int:
        if value >= 2**63:
            raise ValueError(f"seed must be below 2**63, received {value}")
        return value

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the scenario (identifies a scenario in sweeps)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _county_problems(data: dict[str, Any]) -> list[str]:
    region = data.get("region")
    if not isinstance(region, dict):
        return []
    from xiaozhen.region import load_counties  # lazy: loading the province costs ~1 s

    known = set(load_counties(crs=None).index)
    problems = []
    for key in ("focus_counties", "less_developed"):
        codes = region.get(key)
        if not isinstance(codes, list):
            continue
        unknown = [str(c) for c in codes if str(c) not in known]
        if unknown:
            problems.append(
                f"region.{key}: unknown county code(s) {unknown}; use 6-digit adcodes of the "
                "90 county-level units (list them with `xiaozhen region show`)"
            )
    return problems


def scenario_problems(data: dict[str, Any]) -> tuple[Scenario | None, list[str]]:
    """Validate a parsed TOML mapping; return the scenario (or None) and every problem found."""
    problems = _county_problems(data)
    scenario = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc, Scenario)
    if problems:
        scenario = None
    return scenario, problems


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario TOML file; ``None`` gives the bundled default.

    Raises
    ------
    ConfigError
        With every problem of the file listed, one per line.
    """
    if path is None:
        return Scenario()
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            f"scenario: file {str(file)!r} does not exist; create one with "
            "`xiaozhen scenario new FILE`"
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"scenario {file}: not valid TOML: {exc}") from None
    scenario, problems = scenario_problems(data)
    if scenario is None:
        listing = "\n  - ".join(problems)
        raise ConfigError(f"scenario {file}: {len(problems)} problem(s):\n  - {listing}")
    return scenario


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _is_model(value: Any) -> bool:
    return isinstance(value, BaseModel)


def _commented(instance: BaseModel, path: str) -> list[str]:
    """Scalar fields of ``instance`` as commented TOML, then its nested models as sub-tables."""
    model = type(instance)
    lines: list[str] = []
    nested: list[tuple[str, BaseModel]] = []
    for name, info in model.model_fields.items():
        value = getattr(instance, name)
        if _is_model(value):
            nested.append((f"{path}.{name}" if path else name, value))
            continue
        if isinstance(value, dict) and value and all(_is_model(v) for v in value.values()):
            prefix = f"{path}.{name}" if path else name
            nested.extend((f"{prefix}.{key}", v) for key, v in value.items())
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        lines.append(f"# {info.description or name}")
        meta = [
            f"unit: {extra['unit']}" if extra.get("unit") else "",
            f"source: {extra['source']}" if extra.get("source") else "",
        ]
        if any(meta):
            lines.append("# " + "; ".join(m for m in meta if m))
        if value is None:
            lines.append(f"# {name} = ...  (unset: the default applies)")
        else:
            lines.append(f"{name} = {_toml_value(value)}")
        lines.append("")
    for sub_path, sub in nested:
        lines.append(f"[{sub_path}]")
        doc = (type(sub).__doc__ or "").strip().splitlines()
        if doc:
            lines.append(f"# {doc[0]}")
        lines += _commented(sub, sub_path)
    return lines


def scenario_toml(scenario: Scenario) -> str:
    """``scenario`` as commented TOML that loads back to an equal scenario."""
    lines = ["# xiaozhen scenario — every key is optional; omitted keys take their default.", ""]
    lines += _commented(scenario, "")
    return "\n".join(lines).rstrip() + "\n"


def default_scenario_toml() -> str:
    """The default scenario as commented TOML (what ``xiaozhen scenario new`` writes)."""
    return scenario_toml(Scenario())
