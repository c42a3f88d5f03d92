r"""The sweep file: a base scenario, a design over dotted scenario paths, and the stages to run.

A sweep file (TOML) is parsed into a frozen :class:`SweepSpec`; :func:`sweep_scenarios` expands it
into validated :class:`~xiaozhen.scenario.Scenario` objects, one per design point, each identified
by :meth:`Scenario.digest`. Designs:

* ``grid`` — the cartesian product of each parameter's ``values``;
* ``lhs`` — Latin hypercube sampling (McKay, Beckman & Conover 1979) of ``n`` points over each
  parameter's ``[low, high]``, through SALib (Herman & Usher 2017);
* ``sobol`` — Saltelli's extension of the Sobol sequence (Saltelli 2002; Saltelli et al. 2010,
  *Comput. Phys. Commun.* 181:259–270) for variance-based sensitivity: ``n`` base samples give
  :math:`n(D+2)` scenarios (:math:`n(2D+2)` with second-order indices) for :math:`D` parameters.

Sampled integer parameters are drawn uniformly on ``[low, high + 1)`` and floored; booleans are
``u ≥ 0.5`` for ``u`` uniform on ``[0, 1)``. Rows of a sampling design that map to the same scenario
share one task (and one result).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import logging
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, JsonValue, ValidationError

from xiaozhen._model import FrozenModel, validation_problems
from xiaozhen.errors import ConfigError
from xiaozhen.scenario import Scenario, load_scenario, scenario_problems

__all__ = [
    "DesignKind",
    "ParameterKind",
    "Stage",
    "SweepDesign",
    "SweepParameter",
    "SweepScenarios",
    "SweepSpec",
    "load_sweep",
    "parameter_kind",
    "sweep_from_mapping",
    "sweep_scenarios",
]

logger = logging.getLogger(__name__)

DesignKind = Literal["grid", "lhs", "sobol"]
Stage = Literal["province", "county"]
ParameterKind = Literal["float", "int", "bool", "other"]

#: Most problems listed in one error message (the rest are counted).
_MAX_LISTED = 40


class SweepParameter(FrozenModel):
    """One swept scenario parameter, addressed by its dotted path (e.g. ``layout.balance_share``)."""

    path: str = Field(description="Dotted path of a scenario field, e.g. 'policy.leverage_ratio'.")
    values: tuple[JsonValue, ...] | None = Field(
        None, description="grid: the values to try (any type the field accepts)."
    )
    low: float | None = Field(None, description="lhs / sobol: lower end of the range.")
    high: float | None = Field(None, description="lhs / sobol: upper end of the range.")


class SweepDesign(FrozenModel):
    """How the design points are generated."""

    kind: DesignKind = Field("grid", description="grid, lhs (Latin hypercube) or sobol (Saltelli).")
    n: int = Field(
        16,
        ge=1,
        le=1_000_000,
        description="lhs: scenarios; sobol: base samples N (a power of 2), scenarios N(D+2).",
    )
    seed: int = Field(0, ge=0, description="Seed of the sampler (lhs, sobol).")
    second_order: bool = Field(
        False, description="sobol: also sample for second-order indices (N(2D+2) scenarios)."
    )


class SweepSpec(FrozenModel):
    """A validated sweep: base scenario, design, parameters, stages and reported years.

    ``base`` is the validated base scenario (from a file or an inline table; default the bundled
    default). ``source`` is the sweep file's text, shown in the report.
    """

    name: str = Field("sweep", description="Sweep name, used in the report.")
    base: Scenario = Field(default_factory=Scenario)
    design: SweepDesign = Field(default_factory=SweepDesign)
    parameters: tuple[SweepParameter, ...] = Field(
        description="Swept parameters ([[parameters]] tables).", min_length=1
    )
    stages: tuple[Stage, ...] = Field(
        ("province",),
        description="province: region→assess→position→layout→simulate; add county for the "
        "site-scale stages of every focus county (slow: about 10 s per county).",
    )
    report_years: tuple[int, ...] | None = Field(
        None,
        description="Years reported besides the final year; default the middle year.",
    )
    source: str = Field("", description="The sweep file as written.", repr=False)

    @property
    def paths(self) -> tuple[str, ...]:
        """The swept dotted paths, in file order."""
        return tuple(p.path for p in self.parameters)

    def years_reported(self) -> tuple[int, ...]:
        """Years (besides the final year) whose indicators each result records."""
        sim = self.base.simulate
        if self.report_years is not None:
            return tuple(sorted(set(self.report_years)))
        return (sim.start_year + sim.years // 2,)


def _did_you_mean(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    shown = ", ".join(sorted(allowed)[:30])
    return f"; allowed: {shown}" + (" …" if len(allowed) > 30 else "")


def _unwrap(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return tuple(a for a in typing.get_args(annotation) if a is not type(None))
    return (annotation,)


def parameter_kind(path: str, base: Scenario | None = None) -> ParameterKind:
    """Kind of the scenario field at dotted ``path``: ``float``, ``int``, ``bool`` or ``other``.

    Raises
    ------
    ConfigError
        If the path does not name a field (with a did-you-mean at the first wrong part) or names a
        whole section.
    """
    node: Any = base if base is not None else Scenario()
    annotation: Any = None
    parts = path.split(".")
    for i, part in enumerate(parts):
        where = ".".join(parts[:i]) or "(top level)"
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if part not in fields:
                raise ConfigError(
                    f"parameter path {path!r}: {where} has no field {part!r}"
                    + _did_you_mean(part, list(fields))
                )
            annotation = fields[part].annotation
            node = getattr(node, part)
        elif isinstance(node, Mapping):
            if part not in node:
                raise ConfigError(
                    f"parameter path {path!r}: {where} has no key {part!r}"
                    + _did_you_mean(part, [str(k) for k in node])
                )
            annotation = type(node[part])
            node = node[part]
        else:
            raise ConfigError(
                f"parameter path {path!r}: {where} is a value, not a section; "
                f"remove {'.'.join(parts[i:])!r}"
            )
    if isinstance(node, BaseModel | Mapping):
        raise ConfigError(
            f"parameter path {path!r}: names a whole section; address one of its fields, e.g. "
            f"{path}.{next(iter(type(node).model_fields if isinstance(node, BaseModel) else node))}"
        )
    kinds = _unwrap(annotation)
    if bool in kinds:
        return "bool"
    if int in kinds and float not in kinds:
        return "int"
    if float in kinds:
        return "float"
    return "other"


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def _check_parameters(
    spec_design: SweepDesign, params: Sequence[SweepParameter], base: Scenario
) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for i, p in enumerate(params):
        where = f"parameters[{i}] ({p.path})"
        if p.path in seen:
            problems.append(f"{where}: path listed twice; give each parameter once")
        seen.add(p.path)
        try:
            kind = parameter_kind(p.path, base)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if spec_design.kind == "grid":
            if not p.values:
                problems.append(
                    f"{where}: a grid design needs 'values = [...]' (received "
                    f"{p.values!r}); or use design.kind = 'lhs' / 'sobol' with low and high"
                )
            if p.low is not None or p.high is not None:
                problems.append(f"{where}: low/high are for lhs and sobol designs; use values")
            continue
        if p.values is not None:
            problems.append(
                f"{where}: values are for a grid design; give low and high for {spec_design.kind}"
            )
        if kind == "other":
            problems.append(
                f"{where}: only numeric or boolean fields can be sampled over a range; sweep "
                "this field with a grid design"
            )
        elif kind == "bool":
            if p.low is not None or p.high is not None:
                problems.append(f"{where}: a boolean is sampled as true/false; remove low and high")
        elif p.low is None or p.high is None or not p.low < p.high:
            problems.append(
                f"{where}: {spec_design.kind} needs low < high (received low={p.low!r}, "
                f"high={p.high!r})"
            )
    if spec_design.kind == "sobol" and spec_design.n & (spec_design.n - 1):
        problems.append(
            f"design.n: Sobol sampling needs a power of 2 for its convergence properties "
            f"(received {spec_design.n}); use {1 << (spec_design.n - 1).bit_length()}"
        )
    return problems


def _base_scenario(raw: Any, folder: Path, problems: list[str]) -> Scenario | None:
    if raw is None:
        return Scenario()
    if isinstance(raw, str):
        path = Path(raw)
        if not path.is_absolute():
            path = folder / path
        try:
            return load_scenario(path)
        except ConfigError as exc:
            problems.append(f"base: {exc}")
            return None
    if isinstance(raw, dict):
        scenario, found = scenario_problems(raw)
        problems.extend(f"base.{p}" for p in found)
        return scenario
    problems.append(
        f"base: expected the path of a scenario TOML file or a [base] table, received {raw!r}"
    )
    return None


def _parsable_parts(raw: Mapping[str, Any]) -> tuple[SweepDesign, list[SweepParameter]]:
    """The design and the parameters that parse, to check them when other keys are wrong."""
    try:
        design = SweepDesign.model_validate(raw.get("design", {}))
    except ValidationError:
        design = SweepDesign()
    params = []
    items = raw.get("parameters", [])
    for item in items if isinstance(items, list) else []:
        try:
            params.append(SweepParameter.model_validate(item))
        except ValidationError:
            continue
    return design, params


def sweep_from_mapping(
    data: Mapping[str, Any], *, folder: str | Path = ".", source: str = ""
) -> SweepSpec:
    """Validate a parsed sweep mapping (see :func:`load_sweep`); every problem listed at once.

    Raises
    ------
    ConfigError
        With every problem, one per line: unknown keys (did-you-mean), unknown parameter paths,
        wrong design options, and every generated scenario that does not validate.
    """
    problems: list[str] = []
    raw = dict(data)
    base = _base_scenario(raw.pop("base", None), Path(folder), problems)
    spec: SweepSpec | None = None
    try:
        spec = SweepSpec.model_validate({**raw, "base": base or Scenario(), "source": source})
    except ValidationError as exc:
        problems += validation_problems(exc, SweepSpec)
    if base is not None:
        design, params = (spec.design, spec.parameters) if spec else _parsable_parts(raw)
        problems += _check_parameters(design, params, base)
    if problems:
        raise ConfigError(_listing("sweep", problems))
    assert spec is not None
    sweep_scenarios(spec)  # every generated scenario must validate before anything runs
    return spec


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep TOML file (the base scenario path is relative to it).

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or with every problem of the sweep listed.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            f"sweep: file {str(file)!r} does not exist; see README 'Sweeps' for the format"
        )
    text = file.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sweep {file}: not valid TOML: {exc}") from None
    return sweep_from_mapping(data, folder=file.parent, source=text)


def _listing(what: str, problems: Sequence[str]) -> str:
    shown = list(problems[:_MAX_LISTED])
    if len(problems) > _MAX_LISTED:
        shown.append(f"… and {len(problems) - _MAX_LISTED} more")
    return f"{what}: {len(problems)} problem(s):\n  - " + "\n  - ".join(shown)


@dataclass(frozen=True)
class SweepScenarios:
    """The expanded design.

    Attributes
    ----------
    design
        One row per design point (index ``sample``): the value of each swept path and the
        ``digest`` of its scenario. Sobol analysis needs this row order.
    scenarios
        Digest → validated scenario, one per distinct scenario.
    unit_samples
        lhs / sobol: the sampler's matrix (rows × parameters) in the parameters' units before
        integer / boolean mapping; ``None`` for a grid.
    """

    design: pd.DataFrame
    scenarios: dict[str, Scenario]
    unit_samples: np.ndarray | None

    def __len__(self) -> int:
        return len(self.scenarios)


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem dictionary (names and bounds) of a sampling design."""
    bounds = []
    for p in spec.parameters:
        kind = parameter_kind(p.path, spec.base)
        if kind == "bool":
            bounds.append([0.0, 1.0])
        elif kind == "int":
            assert p.low is not None
            assert p.high is not None
            bounds.append([float(p.low), float(p.high) + 1.0])
        else:
            assert p.low is not None
            assert p.high is not None
            bounds.append([float(p.low), float(p.high)])
    return {"num_vars": len(spec.parameters), "names": list(spec.paths), "bounds": bounds}


def _sample(spec: SweepSpec) -> tuple[list[tuple[Any, ...]], np.ndarray | None]:
    if spec.design.kind == "grid":
        values = [p.values or () for p in spec.parameters]
        return list(itertools.product(*values)), None
    from xiaozhen.sweep._dask import require

    require("SALib")
    problem = salib_problem(spec)
    if spec.design.kind == "lhs":
        from SALib.sample import latin

        matrix = np.asarray(latin.sample(problem, spec.design.n, seed=spec.design.seed))
    else:
        from SALib.sample import sobol

        matrix = np.asarray(
            sobol.sample(
                problem,
                spec.design.n,
                calc_second_order=spec.design.second_order,
                seed=spec.design.seed,
            )
        )
    rows: list[tuple[Any, ...]] = []
    kinds = [parameter_kind(p.path, spec.base) for p in spec.parameters]
    columns: list[list[Any]] = []
    for j, (p, kind) in enumerate(zip(spec.parameters, kinds, strict=True)):
        col = matrix[:, j]
        if kind == "bool":
            columns.append([bool(v) for v in col >= 0.5])
        elif kind == "int":
            assert p.high is not None
            columns.append([int(v) for v in np.minimum(np.floor(col), p.high)])
        else:
            columns.append([float(v) for v in col])
    rows = list(zip(*columns, strict=True))
    return rows, matrix


def sweep_scenarios(spec: SweepSpec) -> SweepScenarios:
    """Expand ``spec`` into validated scenarios keyed by digest.

    Raises
    ------
    ConfigError
        Listing every design point whose scenario does not validate (path, value, reason).
    """
    rows, matrix = _sample(spec)
    base = spec.base.model_dump(mode="python")
    region_swept = any(p.startswith("region.") for p in spec.paths)
    problems: list[str] = []
    digests: list[str] = []
    scenarios: dict[str, Scenario] = {}
    for i, row in enumerate(rows):
        data = copy.deepcopy(base)
        for path, value in zip(spec.paths, row, strict=True):
            _set_path(data, path, value)
        label = ", ".join(f"{p}={v!r}" for p, v in zip(spec.paths, row, strict=True))
        if region_swept:
            scenario, found = scenario_problems(data)
        else:
            try:
                scenario, found = Scenario.model_validate(data), []
            except ValidationError as exc:
                scenario = None
                found = validation_problems(exc, Scenario)
        if scenario is None:
            problems += [f"design point {i} ({label}): {f}" for f in found]
            digests.append("")
            continue
        digest = scenario.digest()
        scenarios.setdefault(digest, scenario)
        digests.append(digest)
    if problems:
        raise ConfigError(_listing(f"sweep {spec.name!r}", problems))
    design = pd.DataFrame(rows, columns=list(spec.paths))
    design["digest"] = digests
    design.index.name = "sample"
    logger.info(
        "sweep %s: %s design, %d points, %d distinct scenarios",
        spec.name,
        spec.design.kind,
        len(design),
        len(scenarios),
    )
    return SweepScenarios(design=design, scenarios=scenarios, unit_samples=matrix)
