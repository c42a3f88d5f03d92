"""Stage 7 — evaluate: indicators, assessment grades, scenario comparison of simulation runs."""

from __future__ import annotations

from xiaozhen.evaluate.compare import (
    compare_indicators,
    compare_runs,
    find_simulation_folder,
    write_comparison,
)
from xiaozhen.evaluate.indicators import (
    GRADES,
    NATIONAL_THRESHOLDS_2021,
    assessment_grades,
    province_indicators,
    summarise,
    theil_index,
    town_indicators,
)
from xiaozhen.evaluate.outputs import (
    SimulationTables,
    simulation_tables,
    write_simulation_outputs,
    write_simulation_tables,
)
from xiaozhen.evaluate.programmes import ProgrammeSimulations, simulate_programmes

__all__ = [
    "GRADES",
    "NATIONAL_THRESHOLDS_2021",
    "ProgrammeSimulations",
    "SimulationTables",
    "assessment_grades",
    "compare_indicators",
    "compare_runs",
    "find_simulation_folder",
    "province_indicators",
    "simulate_programmes",
    "simulation_tables",
    "summarise",
    "theil_index",
    "town_indicators",
    "write_comparison",
    "write_simulation_outputs",
    "write_simulation_tables",
]
