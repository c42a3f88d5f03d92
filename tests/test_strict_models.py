"""Every configuration model refuses wrong types at any depth, and says where, what and how to fix.

Pydantic's lax mode would read ``true`` as 1.0, ``"3"`` as 3 and NaN as a number; these tests pin
down that the scenario (nested sections included), the import config, the sweep file, the model
parameters and the policy package refuse them with the full dotted path in the message.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import xiaozhen
from xiaozhen._model import StrictModel, dotted_path
from xiaozhen.errors import ConfigError
from xiaozhen.region.importer import load_import_config
from xiaozhen.scenario import Scenario, load_scenario, scenario_problems
from xiaozhen.simulate.parameters import ModelParameters, PolicyPackage
from xiaozhen.sweep import sweep_from_mapping

# ------------------------------------------------------------------------- scenario, nested


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"design": {"weights": {"compact_per_edge": True}}},
            r"design\.weights\.compact_per_edge: expected a number, received True \(a boolean\); "
            r"write a number",
        ),
        (
            {"design": {"weights": {"jobs_step_m": "250"}}},
            r"design\.weights\.jobs_step_m: expected a number, received '250' \(a string\); "
            r"write it without quotes: 250",
        ),
        (
            {"layout": {"frontier_shares": [0.0, True, 0.4]}},
            r"layout\.frontier_shares\[1\]: expected a number, received True",
        ),
        (
            {"layout": {"n_towns": 40.0}},
            r"layout\.n_towns: expected a whole number, received 40\.0 .*without a decimal "
            r"point: 40",
        ),
        (
            {"layout": {"balance_share": math.nan}},
            r"layout\.balance_share: expected a finite number, received nan .*NaN and infinity "
            r"are not allowed",
        ),
        (
            {"simulate": {"years": math.inf}},
            r"simulate\.years: expected a whole number, received inf",
        ),
        (
            {"policy": {"hukou_priority": 1}},
            r"policy\.hukou_priority: expected true or false, received 1",
        ),
        (
            {"policy": {"idle_land_first": "true"}},
            r"policy\.idle_land_first: expected true or false, received 'true' \(a string\); "
            r"write true or false, without quotes",
        ),
        (
            {"region": {"focus_counties": [330523]}},
            r"region\.focus_counties\[0\]: .*string \(received 330523\); write it in quotes",
        ),
        (
            {"layout": {"balance_share": 1.5}},
            r"layout\.balance_share: .*less than or equal to 1 \(received 1\.5\); use a value "
            r"≥ 0\.0 and ≤ 1\.0",
        ),
        (
            {"design": {"weights": {"compact_per_edg": 1.0}}},
            r"design\.weights\.compact_per_edg: unknown key; did you mean 'compact_per_edge'\?",
        ),
    ],
)
def test_scenario_refuses_wrong_types_with_the_dotted_path(data, message):
    scenario, problems = scenario_problems(data)
    assert scenario is None
    with pytest.raises(ConfigError, match=message):
        raise ConfigError("\n".join(problems))


def test_wrong_types_inside_a_dict_of_models_are_refused():
    services = Scenario().design.model_dump()["services"]
    services["school"]["per_1000"] = True
    _, problems = scenario_problems({"design": {"services": services}})
    assert problems == [
        "design.services.school.per_1000: expected a number, received True (a boolean); "
        "write a number such as 1.0 (true/false are for on/off switches)"
    ]


def test_scenario_file_with_a_nested_boolean_fails_to_load(tmp_path):
    file = tmp_path / "s.toml"
    file.write_text("[design.weights]\ncompact_per_edge = true\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"1 problem\(s\):\n  - design\.weights\.compact_per_edge: expected"
    ):
        load_scenario(file)


def test_right_types_still_pass():
    """Whole numbers fill float fields, lists fill tuples, numpy numbers pass (code builds
    models from arrays)."""
    scenario, problems = scenario_problems(
        {
            "layout": {"frontier_shares": [0, 0.5], "coverage_minutes": 30},
            "design": {"weights": {"compact_per_edge": 2}},
        }
    )
    assert problems == []
    assert scenario is not None
    assert scenario.layout.frontier_shares == (0.0, 0.5)
    assert isinstance(scenario.design.weights.compact_per_edge, float)
    policy = PolicyPackage(quota_reward_share=np.float64(0.4), fiscal_return_full_years=np.int64(2))
    assert policy.fiscal_return_full_years == 2


# ------------------------------------------------------------ hypothesis: random nested dicts


def _leaves(model: BaseModel, path: tuple[str | int, ...] = ()) -> list[tuple[Any, str]]:
    """(path, kind) of every number and boolean leaf of a default model, nested ones included."""
    out: list[tuple[Any, str]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = (*path, name)
        if isinstance(value, BaseModel):
            out += _leaves(value, here)
        elif isinstance(value, dict) and all(isinstance(v, BaseModel) for v in value.values()):
            for key, sub in value.items():
                out += _leaves(sub, (*here, key))
        elif isinstance(value, tuple) and value and isinstance(value[0], float):
            out += [((*here, i), "float") for i in range(len(value))]
        elif isinstance(value, bool):
            out.append((here, "bool"))
        elif isinstance(value, int):
            out.append((here, "int"))
        elif isinstance(value, float):
            out.append((here, "float"))
    return out


LEAVES = _leaves(Scenario())
WRONG = {
    "float": st.sampled_from([True, False, "3", "0.5", math.nan, math.inf, -math.inf, [1.0]]),
    "int": st.sampled_from([True, False, "3", 3.5, 40.0, math.nan, [3]]),
    "bool": st.sampled_from([1, 0, "true", "false", 1.0, "yes"]),
}


def test_the_leaves_cover_every_section():
    sections = {str(path[0]) for path, _ in LEAVES}
    assert {"seed", "region", "assess", "position", "layout", "design", "policy"} <= sections
    assert (("design", "weights", "compact_per_edge"), "float") in LEAVES
    assert (("design", "services", "school", "per_1000"), "float") in LEAVES


@st.composite
def _wrong_scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    chosen = draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=6, unique_by=str))
    data: dict[str, Any] = Scenario().model_dump(mode="python")
    paths = []
    for path, kind in chosen:
        node: Any = data
        for part in path[:-1]:
            node = node[part]
        if isinstance(node, tuple):  # a tuple leaf: write the list back into its parent
            parent: Any = data
            for part in path[:-2]:
                parent = parent[part]
            node = parent[path[-2]] = list(node)
        node[path[-1]] = draw(WRONG[kind])
        paths.append(dotted_path(path))
    return data, paths


@settings(max_examples=60, deadline=None)
@given(_wrong_scenarios())
def test_random_wrong_leaves_are_all_refused_by_their_dotted_path(case):
    data, paths = case
    scenario, problems = scenario_problems(data)
    assert scenario is None
    for path in paths:
        assert any(p.startswith(f"{path}: expected ") for p in problems), (path, problems)


# --------------------------------------------------------------------------- import config


def test_import_config_refuses_wrong_types(tmp_path):
    file = tmp_path / "import.toml"
    file.write_text(
        '[grid]\nadcode = "330127"\ncell_size_m = true\nmax_nodata_share = "0.5"\n'
        '[layers.elevation_m]\npath = "dem.tif"\nband = 1.0\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"3 problem\(s\)") as info:
        load_import_config(file)
    text = str(info.value)
    assert "grid.cell_size_m: expected a number, received True (a boolean)" in text
    assert "grid.max_nodata_share: expected a number, received '0.5' (a string)" in text
    assert "layers.elevation_m.band: expected a whole number, received 1.0" in text


def test_import_config_allows_nan_nodata_explicitly(tmp_path):
    file = tmp_path / "import.toml"
    file.write_text(
        '[grid]\nadcode = "330127"\n[layers.elevation_m]\npath = "dem.tif"\nnodata = nan\n',
        encoding="utf-8",
    )
    config = load_import_config(file)
    assert math.isnan(config.layers["elevation_m"].nodata or 0.0)
    file.write_text('[grid]\nadcode = "330127"\ncell_size_m = nan\n[layers]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"grid\.cell_size_m: expected a finite number"):
        load_import_config(file)


# ----------------------------------------------------------------------------- sweep spec


def test_sweep_spec_refuses_wrong_types_at_every_level():
    with pytest.raises(ConfigError) as info:
        sweep_from_mapping(
            {
                "design": {"kind": "lhs", "n": True, "second_order": 1},
                "parameters": [{"path": "layout.balance_share", "low": "0.1", "high": 0.5}],
                "base": {"design": {"weights": {"compact_per_edge": True}}},
            }
        )
    text = str(info.value)
    assert "design.n: expected a whole number, received True (a boolean)" in text
    assert "design.second_order: expected true or false, received 1" in text
    assert "parameters[0].low: expected a number, received '0.1' (a string)" in text
    assert "base.design.weights.compact_per_edge: expected a number, received True" in text


def test_sweep_grid_values_of_the_wrong_type_are_refused_per_design_point():
    with pytest.raises(
        ConfigError,
        match=r"design point 1 \(layout\.n_towns=12\.5\): layout\.n_towns: expected a whole number",
    ):
        sweep_from_mapping({"parameters": [{"path": "layout.n_towns", "values": [12, 12.5]}]})


# ------------------------------------------------------------ model parameters and policy


@pytest.mark.parametrize(
    ("model", "values", "message"),
    [
        (ModelParameters, {"mobility": True}, r"mobility\n.*expected a number, received True"),
        (ModelParameters, {"beta_income": "2"}, r"beta_income\n.*write it without quotes: 2"),
        (ModelParameters, {"asc_core": math.nan}, r"asc_core\n.*expected a finite number"),
        (
            PolicyPackage,
            {"fiscal_return_full_years": 3.0},
            r"fiscal_return_full_years\n.*expected a whole number, received 3\.0",
        ),
        (PolicyPackage, {"leverage_ratio": math.inf}, r"leverage_ratio\n.*finite number"),
        (PolicyPackage, {"hukou_priority": 0}, r"hukou_priority\n.*expected true or false"),
        (PolicyPackage, {"quota_reward": 0.5}, r"quota_reward\n.*Extra inputs"),
    ],
)
def test_model_parameters_and_policy_refuse_wrong_types(model, values, message):
    with pytest.raises(ValidationError, match=message):
        model.model_validate(values)


# ------------------------------------------------------------------------- one strict base


def _package_models() -> list[type[BaseModel]]:
    models = []
    for info in pkgutil.walk_packages(xiaozhen.__path__, "xiaozhen."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                models.append(obj)
    return models


def test_every_model_of_the_package_inherits_the_strict_base():
    """Only the web API's responses (the server's own values, not input) are exempt; every
    request model (``*Request``) is strict."""
    models = _package_models()
    assert len(models) > 20
    lax = sorted(
        f"{m.__module__}.{m.__qualname__}"
        for m in models
        if not issubclass(m, StrictModel)
        and not (m.__module__.startswith("xiaozhen.serve.") and not m.__name__.endswith("Request"))
    )
    assert lax == []
    assert any(m.__name__ == "JobRequest" and issubclass(m, StrictModel) for m in models)


# --------------------------------------------------------------------------------- the CLI


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xiaozhen", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("command", [("scenario", "check"), ("plan",)])
def test_cli_prints_one_message_and_exits_2(tmp_path: Path, command: tuple[str, ...]):
    file = tmp_path / "s.toml"
    file.write_text(
        '[design.weights]\ncompact_per_edge = true\n[simulate]\nyears = "20"\n', encoding="utf-8"
    )
    extra = ("--out", str(tmp_path / "run")) if command == ("plan",) else ()
    result = _cli(*command, str(file), *extra)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "2 problem(s)" in result.stderr
    assert "design.weights.compact_per_edge: expected a number, received True" in result.stderr
    assert "simulate.years: expected a whole number, received '20'" in result.stderr
    assert not (tmp_path / "run").exists()
