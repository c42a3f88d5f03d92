r"""One sweep task: a scenario through the province-scale chain (and optionally the county stages).

:func:`run_scenario` is a pure function of the scenario: it runs region → assess → position →
layout → simulate with the same library calls, seeds and counterfactuals as ``xiaozhen plan``
(:mod:`xiaozhen.plan`), but writes no files and returns one flat record of numbers. What does not
change across scenarios is computed once per worker process and cached: the 90 counties, the
county assessment for each (method, weights) and the positioning for each neighbour penalty.

Record (one row; medians are over the Monte Carlo draws, paired draws share the scenario seed):

* layout: ``towns``, ``fringe_towns``, ``fringe_share``, ``objective`` (planning objective at the
  scenario's balance share), ``objective_balance_0`` (balance share 0),
  ``price_of_balance`` :math:`= 1 - z(s)/z(0)` (Bertsimas, Farias & Trichakis 2011),
  ``investment_bn_yuan``, ``land_km2``, ``layout_status``, ``layout_gap``;
* for each province indicator of :func:`xiaozhen.evaluate.province_indicators` at the final year:
  ``<name>`` (median), ``<name>_p05``, ``<name>_p95``, ``<name>_vs_no_towns`` (median of the per-draw
  difference programme − no towns), and ``<name>@<year>`` (median) for each reported year;
* ``fiscal_cost_total_bn_yuan``: median over draws of the fiscal cost summed over the years;
* with the county stage, per focus county ``county_<adcode>_sites`` / ``_chosen`` /
  ``_designs_ok`` and their totals.

``status`` is ``"ok"`` or ``"infeasible"`` (the layout has no solution, e.g. a budget too small for
the number of towns; ``message`` says why and the indicator columns are absent).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from xiaozhen.errors import InfeasibleError
from xiaozhen.evaluate import province_indicators
from xiaozhen.plan import Plan, PlanOptions, StageCache, compute_plan, plan_layout
from xiaozhen.scenario import Scenario

__all__ = ["TASK_SECONDS", "run_scenario"]

logger = logging.getLogger(__name__)

#: Column with the task's wall time: the only field that differs between two runs of a scenario.
TASK_SECONDS = "task_seconds"

#: Region, assessment and positioning kept between the scenarios of one worker process.
_CACHE = StageCache()


def _layout_record(plan: Plan, scenario: Scenario) -> dict[str, Any]:
    layout = plan.layout
    chosen = layout.plan.chosen
    unconstrained = plan_layout(
        scenario.model_copy(
            update={"layout": scenario.layout.model_copy(update={"balance_share": 0.0})}
        ),
        plan.region,
        plan.assessment,
        plan.positioning,
        frontier=False,
    )
    base_objective = unconstrained.plan.result.objective
    result = layout.plan.result
    return {
        "status": "ok",
        "message": "",
        "towns": len(chosen),
        "fringe_towns": int(chosen["fringe"].sum()),
        "fringe_share": float(chosen["fringe"].mean()) if len(chosen) else 0.0,
        "objective": float(result.objective),
        "objective_balance_0": float(base_objective),
        "price_of_balance": (
            1.0 - float(result.objective) / float(base_objective) if base_objective else 0.0
        ),
        "investment_bn_yuan": float(chosen["investment"].sum()) / 1e9,
        "land_km2": float(chosen["land"].sum()),
        "layout_status": str(result.status),
        "layout_gap": float(result.gap),
    }


def _simulation_record(plan: Plan, years: Sequence[int]) -> dict[str, Any]:
    assert plan.simulations is not None
    runs = plan.simulations.results
    ind = province_indicators(runs["programme"])
    ind0 = province_indicators(runs["no_towns"])
    all_years = runs["programme"].years
    rows = {int(y): k for k, y in enumerate(all_years)}
    record: dict[str, Any] = {}
    for name, arr in ind.items():
        final = arr[-1]
        record[name] = float(np.median(final))
        record[f"{name}_p05"] = float(np.percentile(final, 5))
        record[f"{name}_p95"] = float(np.percentile(final, 95))
        record[f"{name}_vs_no_towns"] = float(np.median(final - ind0[name][-1]))
        for year in years:
            if year in rows:
                record[f"{name}@{year}"] = float(np.median(arr[rows[year]]))
    record["fiscal_cost_total_bn_yuan"] = float(np.median(ind["fiscal_cost"].sum(axis=0))) / 1e9
    record["final_year"] = int(all_years[-1])
    return record


def _county_record(plan: Plan) -> dict[str, Any]:
    record: dict[str, Any] = {}
    totals = {"sites": 0, "chosen": 0, "designs_ok": 0, "dropped": 0}
    for county in plan.counties:
        counts = {
            "sites": len(county.sites),
            "chosen": len(county.chosen),
            "designs_ok": sum(d.feasible for d in county.designs),
            "dropped": sum(s.decision == "dropped" for s in county.sitings),
        }
        for key, value in counts.items():
            record[f"county_{county.adcode}_{key}"] = value
            totals[key] += value
    record.update({f"county_{k}": v for k, v in totals.items()})
    return record


def run_scenario(
    scenario: Scenario | Mapping[str, Any],
    *,
    stages: Sequence[str] = ("province",),
    years: Sequence[int] = (),
) -> dict[str, Any]:
    """Run one scenario of a sweep and return its flat result record (see the module docstring).

    Parameters
    ----------
    scenario
        A scenario, or its JSON mapping (``Scenario.model_dump(mode="json")``), which is how the
        sweep ships it to workers: no scenario file is needed on a worker.
    stages
        ``"province"`` and optionally ``"county"``.
    years
        Years reported besides the final year.

    Returns
    -------
    dict
        ``digest``, ``name``, ``status``, ``message``, the layout and indicator fields and
        ``task_seconds``.
    """
    start = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = Scenario.model_validate(scenario)
    record: dict[str, Any] = {
        "digest": scenario.digest(),
        "name": scenario.name,
        "scenario_json": json.dumps(scenario.model_dump(mode="json"), sort_keys=True),
    }
    if "province" in stages:
        options = PlanOptions(
            frontier=False, counties="county" in stages, programmes=("programme", "no_towns")
        )
        try:
            plan = compute_plan(scenario, options=options, cache=_CACHE)
        except InfeasibleError as exc:
            record.update(status="infeasible", message=str(exc))
        else:
            record.update(_layout_record(plan, scenario))
            record.update(_simulation_record(plan, years))
            if "county" in stages:
                record.update(_county_record(plan))
    else:
        record.update(status="ok", message="")
    record[TASK_SECONDS] = time.perf_counter() - start
    logger.info(
        "scenario %s: %s in %.2f s", record["digest"][:12], record["status"], record[TASK_SECONDS]
    )
    return record
