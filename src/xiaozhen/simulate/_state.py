"""The state of the province at the start of a year, advanced in place by the run loop.

The mechanisms read a :class:`YearState` and return their flows as frozen values; only the run
loop (:func:`xiaozhen.simulate.model.run_zones`) assigns new arrays to it, and the land
mechanisms (:func:`xiaozhen.simulate._towns.town_year`, :func:`xiaozhen.simulate._land.core_and_rural_land`)
move land between uses in ``land`` in place, keeping each zone's area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xiaozhen.simulate._context import TOWN, SimulationContext

__all__ = ["YearState", "initial_state"]

F = NDArray[np.float64]


@dataclass(slots=True)
class YearState:
    """Stocks of one year, all draws (D draws, Z zones, T towns, C counties).

    Attributes
    ----------
    pop : ndarray (D, 4, Z)
        Residents by group (hi-local, hi-migrant, lo-local, lo-migrant).
    land : ndarray (D, 4, Z)
        Land by use (construction, idle, farmland, ecological), km².
    capital : ndarray (D, T)
        Town capital stock, yuan.
    decentralised_jobs : ndarray (D, T)
        Jobs relocated to each town from its county's congested core (cumulative).
    decentralised_out : ndarray (D, C) or None
        Jobs relocated out of each core (cumulative); None until decentralisation first runs.
    services : ndarray (D, Z)
        Public-service capacity, persons.
    quota : ndarray (D, T)
        New construction-land quota available to each town this year, km².
    returned_prev : ndarray (D, T)
        Fiscal return received from last year's tax, yuan (reinvested this year).
    """

    pop: F
    land: F
    capital: F
    decentralised_jobs: F
    decentralised_out: F | None
    services: F
    quota: F
    returned_prev: F


def initial_state(ctx: SimulationContext) -> YearState:
    """The base-year state: census residents and land of every zone, no town capital.

    Service capacity starts equal to the residents of cores and rural zones (ratio 1) and at 0
    in towns; every town has the year's new quota ``new_quota_km2_per_town_year``.
    """
    zones = ctx.zones
    n_d, n_z, n_t = ctx.draws, zones.n_zones, ctx.towns.n_towns
    pop = np.broadcast_to(zones.pop_groups.T, (n_d, 4, n_z)).copy()
    land = np.broadcast_to(zones.land.T, (n_d, 4, n_z)).copy()
    psum = pop.sum(axis=1)
    return YearState(
        pop=pop,
        land=land,
        capital=np.zeros((n_d, n_t)),
        decentralised_jobs=np.zeros((n_d, n_t)),
        decentralised_out=None,
        services=np.where(zones.kind == TOWN, 0.0, psum),
        quota=np.full((n_d, n_t), ctx.policy.new_quota_km2_per_town_year),
        returned_prev=np.zeros((n_d, n_t)),
    )
