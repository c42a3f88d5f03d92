"""Stage 9 — sweep: many scenarios (grid, Latin hypercube, Sobol) on Dask, resumable.

Public face::

    spec = load_sweep("sweep.toml")            # validated: paths, design, every scenario
    run = run_sweep(spec, "sweeps/mine")       # one Dask task per scenario; resumes
    summary = write_sweep_report(spec, "sweeps/mine")   # summary.csv, report.html
    record = run_scenario(scenario)            # one task, serially

Dask, distributed and SALib are the optional ``sweep`` extra (``pip install 'xiaozhen[sweep]'``).
"""

from __future__ import annotations

from xiaozhen.sweep._dask import ProgressExecutor, dask_client
from xiaozhen.sweep._run import SweepRun, run_sweep
from xiaozhen.sweep._spec import (
    SweepDesign,
    SweepParameter,
    SweepScenarios,
    SweepSpec,
    load_sweep,
    parameter_kind,
    sweep_from_mapping,
    sweep_scenarios,
)
from xiaozhen.sweep._store import ResultStore
from xiaozhen.sweep._summary import (
    KEY_INDICATORS,
    SweepSummary,
    pareto_front,
    sobol_indices,
    summarise_sweep,
    write_sweep_report,
)
from xiaozhen.sweep._task import TASK_SECONDS, run_scenario

__all__ = [
    "KEY_INDICATORS",
    "TASK_SECONDS",
    "ProgressExecutor",
    "ResultStore",
    "SweepDesign",
    "SweepParameter",
    "SweepRun",
    "SweepScenarios",
    "SweepSpec",
    "SweepSummary",
    "dask_client",
    "load_sweep",
    "parameter_kind",
    "pareto_front",
    "run_scenario",
    "run_sweep",
    "sobol_indices",
    "summarise_sweep",
    "sweep_from_mapping",
    "sweep_scenarios",
    "write_sweep_report",
]
