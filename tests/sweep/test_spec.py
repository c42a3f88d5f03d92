"""The sweep file: validation before anything runs, and the designs it expands to."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from xiaozhen.errors import ConfigError
from xiaozhen.scenario import Scenario
from xiaozhen.sweep import load_sweep, parameter_kind, sweep_from_mapping, sweep_scenarios

from .conftest import TINY_BASE, tiny_sweep


def test_parameter_kinds_follow_the_schema() -> None:
    assert parameter_kind("layout.balance_share") == "float"
    assert parameter_kind("layout.n_towns") == "int"
    assert parameter_kind("policy.hukou_priority") == "bool"
    assert parameter_kind("simulate.draws") == "int"
    assert parameter_kind("seed") == "int"
    assert parameter_kind("assess.method") == "other"
    assert parameter_kind("design.construction_target_km2") == "float"  # float | None


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("layout.balance_shar", r"did you mean 'balance_share'"),
        ("layot.balance_share", r"did you mean 'layout'"),
        ("layout", r"names a whole section.*layout\."),
        ("layout.balance_share.x", r"is a value, not a section"),
    ],
)
def test_unknown_paths_are_refused_with_a_suggestion(path: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parameter_kind(path)


def test_every_problem_is_listed_at_once() -> None:
    data = tiny_sweep(
        [
            {"path": "layout.balance_shar", "values": [0.1]},
            {"path": "policy.leverage_ratio", "low": 0.0, "high": 1.0},
            {"path": "simulate.draws"},
        ]
    )
    data["desing"] = {}
    with pytest.raises(ConfigError) as info:
        sweep_from_mapping(data)
    text = str(info.value)
    assert "5 problem(s)" in text  # leverage_ratio has two
    assert "desing: unknown key; did you mean 'design'?" in text
    assert "did you mean 'balance_share'" in text
    assert "low/high are for lhs and sobol designs" in text
    assert "a grid design needs 'values" in text


def test_each_generated_scenario_is_validated_and_all_bad_points_listed() -> None:
    data = tiny_sweep(
        [
            {"path": "layout.balance_share", "values": [0.2, 1.5, 2.0]},
            {"path": "simulate.years", "values": [4, 0]},
        ]
    )
    with pytest.raises(ConfigError) as info:
        sweep_from_mapping(data)
    text = str(info.value)
    # 3 x 2 points: 1.5 and 2.0 fail (with both years), years = 0 fails (with every share)
    assert "problem(s)" in text
    assert text.count("layout.balance_share: Input should be less than or equal to 1") == 4
    assert text.count("simulate.years: Input should be greater than or equal to 1") == 3
    assert "design point 5 (layout.balance_share=2.0, simulate.years=0)" in text


def test_sampling_designs_need_ranges_and_sobol_a_power_of_two() -> None:
    data = tiny_sweep(
        [
            {"path": "layout.balance_share", "low": 0.5, "high": 0.2},
            {"path": "assess.method", "low": 0.0, "high": 1.0},
            {"path": "policy.hukou_priority", "low": 0.0, "high": 1.0},
        ],
        kind="sobol",
        n=12,
    )
    with pytest.raises(ConfigError) as info:
        sweep_from_mapping(data)
    text = str(info.value)
    assert "sobol needs low < high (received low=0.5, high=0.2)" in text
    assert "only numeric or boolean fields can be sampled" in text
    assert "a boolean is sampled as true/false; remove low and high" in text
    assert "power of 2 for its convergence properties (received 12); use 16" in text


def test_unknown_county_in_a_swept_region_path_is_refused() -> None:
    data = tiny_sweep([{"path": "region.focus_counties", "values": [["330523"], ["999999"]]}])
    with pytest.raises(ConfigError, match=r"unknown county code\(s\) \['999999'\]"):
        sweep_from_mapping(data)


def test_grid_is_the_cartesian_product_keyed_by_digest() -> None:
    shares, hukou = [0.0, 0.3, 0.6], [True, False]
    spec = sweep_from_mapping(
        tiny_sweep(
            [
                {"path": "layout.balance_share", "values": shares},
                {"path": "policy.hukou_priority", "values": hukou},
            ]
        )
    )
    expanded = sweep_scenarios(spec)
    assert len(expanded.design) == 6
    assert len(expanded) == 6
    for (share, flag), (_, row) in zip(
        itertools.product(shares, hukou), expanded.design.iterrows(), strict=True
    ):
        scenario = expanded.scenarios[row["digest"]]
        assert scenario.layout.balance_share == share
        assert scenario.policy.hukou_priority is flag
        # nothing else changed from the base
        expected = Scenario.model_validate(TINY_BASE).model_copy(
            update={
                "layout": scenario.layout.model_copy(),
                "policy": scenario.policy.model_copy(),
            }
        )
        assert scenario.digest() == expected.digest()
        assert scenario.simulate.draws == 2


def test_duplicate_points_share_one_scenario() -> None:
    spec = sweep_from_mapping(tiny_sweep([{"path": "layout.balance_share", "values": [0.3, 0.3]}]))
    expanded = sweep_scenarios(spec)
    assert len(expanded.design) == 2
    assert len(expanded) == 1


def test_latin_hypercube_hits_every_stratum_once() -> None:
    n = 20
    spec = sweep_from_mapping(
        tiny_sweep(
            [
                {"path": "layout.balance_share", "low": 0.1, "high": 0.5},
                {"path": "simulate.draws", "low": 1, "high": 4},
                {"path": "policy.hukou_priority"},
            ],
            kind="lhs",
            n=n,
            seed=3,
        )
    )
    design = sweep_scenarios(spec).design
    assert len(design) == n
    share = design["layout.balance_share"].to_numpy()
    strata = np.floor((share - 0.1) / 0.4 * n).astype(int)
    assert sorted(strata) == list(range(n))  # the LHS property, checked independently
    draws = design["simulate.draws"].to_numpy()
    assert set(draws) == {1, 2, 3, 4}  # integers drawn on [1, 5) and floored: 5 strata each
    assert np.bincount(draws)[1:].tolist() == [5, 5, 5, 5]
    flags = design["policy.hukou_priority"].to_numpy()
    assert flags.sum() == n // 2  # u >= 0.5 in exactly half the strata
    # same seed, same design
    again = sweep_scenarios(spec).design
    assert (again["digest"] == design["digest"]).all()


def test_sobol_design_size_and_bounds() -> None:
    spec = sweep_from_mapping(
        tiny_sweep(
            [
                {"path": "policy.leverage_ratio", "low": 0.0, "high": 2.0},
                {"path": "layout.capital_budget_billion_yuan", "low": 80.0, "high": 120.0},
            ],
            kind="sobol",
            n=8,
        )
    )
    design = sweep_scenarios(spec).design
    assert len(design) == 8 * (2 + 2)
    assert design["policy.leverage_ratio"].between(0.0, 2.0).all()
    assert design["layout.capital_budget_billion_yuan"].between(80.0, 120.0).all()


def test_load_sweep_resolves_the_base_file_beside_the_sweep(tmp_path: Path) -> None:
    (tmp_path / "base.toml").write_text(
        'name = "from-file"\n[simulate]\ndraws = 3\nyears = 5\n', encoding="utf-8"
    )
    (tmp_path / "s.toml").write_text(
        'name = "s"\nbase = "base.toml"\n[design]\nkind = "grid"\n'
        '[[parameters]]\npath = "policy.leverage_ratio"\nvalues = [0.5, 1.5]\n',
        encoding="utf-8",
    )
    spec = load_sweep(tmp_path / "s.toml")
    assert spec.base.name == "from-file"
    assert spec.base.simulate.draws == 3
    assert spec.years_reported() == (2022,)
    assert "leverage_ratio" in spec.source


def test_load_sweep_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_sweep(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_sweep(bad)
    nobase = tmp_path / "nobase.toml"
    nobase.write_text(
        'base = "nope.toml"\n[[parameters]]\npath = "seed"\nvalues = [1]\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"base: scenario: file .*nope.toml.* does not exist"):
        load_sweep(nobase)


def test_inline_base_problems_are_reported_with_their_path() -> None:
    data = tiny_sweep([{"path": "seed", "values": [1]}])
    data["base"] = {"layout": {"balance_share": 3.0}}
    with pytest.raises(ConfigError, match=r"base\.layout\.balance_share"):
        sweep_from_mapping(data)
