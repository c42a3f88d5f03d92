"""Stage 6 — simulate: yearly flows of people, jobs, capital and land between city, towns and countryside.

Public face::

    simulate(counties, towns, policy, *, years, draws, seed) -> SimulationResult
    write_simulation_outputs(result, folder)
    calibrate(counties, *, seed, holdout_share) -> CalibrationResult
    PolicyPackage, ModelParameters, programme_from_counties, scenario_policies

A town table may carry each town's design (``DESIGN_COLUMNS``: ``jobs_designed``,
``residents_designed``, ``construction_km2``; NaN = not designed).
"""

from __future__ import annotations

from xiaozhen.simulate._zones import (
    DESIGN_COLUMNS,
    Zones,
    build_zones,
    county_incomes,
    programme_from_counties,
    synthetic_counties,
)
from xiaozhen.simulate.model import SimulationResult, draw_parameters, simulate
from xiaozhen.simulate.parameters import (
    FREE_PARAMETERS,
    LEVERS,
    ModelParameters,
    PolicyPackage,
    calibrated_parameters,
)

__all__ = [
    "DESIGN_COLUMNS",
    "FREE_PARAMETERS",
    "LEVERS",
    "ModelParameters",
    "PolicyPackage",
    "SimulationResult",
    "Zones",
    "build_zones",
    "calibrated_parameters",
    "county_incomes",
    "draw_parameters",
    "programme_from_counties",
    "simulate",
    "synthetic_counties",
]
