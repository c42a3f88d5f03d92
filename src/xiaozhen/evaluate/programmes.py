"""Simulate several town programmes with paired draws and compare them (stages 6–7 of one plan).

Every programme is simulated with the same seed, so the Monte Carlo parameter draws are the same
and each comparison is a per-draw (paired) difference: the band of a difference isolates the
effect of the programme from parameter uncertainty.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from xiaozhen.evaluate.compare import compare_indicators
from xiaozhen.evaluate.outputs import SimulationTables, simulation_tables
from xiaozhen.simulate import PolicyPackage, SimulationResult, simulate

__all__ = ["ProgrammeSimulations", "simulate_programmes"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgrammeSimulations:
    """Simulations of named programmes and their paired comparisons (a stage value).

    Attributes
    ----------
    results
        Programme name → :class:`~xiaozhen.simulate.SimulationResult`.
    tables
        Programme name → its output tables.
    comparisons
        Comparison name → table of :func:`~xiaozhen.evaluate.compare.compare_indicators`
        (``B − A`` per draw) for the pair ``(A, B)`` in :attr:`pairs`.
    pairs
        Comparison name → ``(A, B)`` programme names.
    """

    results: dict[str, SimulationResult]
    tables: dict[str, SimulationTables]
    comparisons: dict[str, pd.DataFrame]
    pairs: dict[str, tuple[str, str]]

    @property
    def final_year(self) -> int:
        """Last simulated year."""
        return int(next(iter(self.results.values())).years[-1])


def simulate_programmes(
    counties: pd.DataFrame,
    programmes: Mapping[str, pd.DataFrame | None],
    policy: PolicyPackage,
    *,
    start_year: int,
    years: int,
    draws: int,
    seed: int,
    pairs: Mapping[str, tuple[str, str]] | None = None,
) -> ProgrammeSimulations:
    """Simulate each programme (a town table, or ``None`` for no towns) and compare the pairs.

    Parameters
    ----------
    counties
        The county table.
    programmes
        Programme name → town table (:func:`xiaozhen.simulate.simulate`'s ``towns``).
    policy
        The policy package every programme runs under.
    start_year, years, draws, seed
        Horizon and Monte Carlo set-up, shared so that draws are paired.
    pairs
        Comparison name → ``(A, B)`` names of ``programmes``.
    """
    results: dict[str, SimulationResult] = {}
    tables: dict[str, SimulationTables] = {}
    for name, towns in programmes.items():
        results[name] = simulate(
            counties,
            towns,
            policy,
            start_year=start_year,
            years=years,
            draws=draws,
            seed=seed,
        )
        tables[name] = simulation_tables(results[name])
    comparisons = {}
    for label, (a, b) in (pairs or {}).items():
        comparisons[label] = compare_indicators(
            tables[a].indicators,
            tables[b].indicators,
            tables[a].draws,
            tables[b].draws,
            label_a=a,
            label_b=b,
        )
    logger.info(
        "simulated %d programmes (%s), %d comparisons",
        len(results),
        ", ".join(results),
        len(comparisons),
    )
    return ProgrammeSimulations(
        results=results, tables=tables, comparisons=comparisons, pairs=dict(pairs or {})
    )
