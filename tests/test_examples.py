"""The example files shipped in examples/ stay valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from xiaozhen.scenario import load_scenario

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_example_scenario_loads():
    scenario = load_scenario(EXAMPLES / "balanced_anji.toml")
    assert scenario.layout.balance_share == 0.5
    assert scenario.region.focus_counties == ("330523",)


def test_example_focus_county_gets_a_town_of_the_batch():
    from xiaozhen.plan import PlanOptions, compute_plan

    scenario = load_scenario(EXAMPLES / "balanced_anji.toml")
    plan = compute_plan(scenario, options=PlanOptions(counties=False, simulate=False))
    towns = plan.layout.towns
    assert (towns["county"] == "330523").sum() >= 1
    assert towns["fringe"].mean() >= 0.5


def test_example_sweep_validates():
    pytest.importorskip("SALib")
    from xiaozhen.sweep import load_sweep, sweep_scenarios

    spec = load_sweep(EXAMPLES / "sweep.toml")
    assert len(sweep_scenarios(spec).scenarios) == 64 * (3 + 2)
