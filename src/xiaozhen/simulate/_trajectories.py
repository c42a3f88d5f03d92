"""What a run keeps of each year: full trajectories, or the county aggregates calibration needs.

Both recorders are frozen values whose preallocated arrays the run loop fills year by year
(index 0 = base year): :class:`Trajectories` for :func:`xiaozhen.simulate.simulate`,
:class:`CountyAggregates` for the calibration runs (``run_zones(..., record=False)``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from xiaozhen.simulate._context import SimulationContext
from xiaozhen.simulate._economy import Economy
from xiaozhen.simulate._state import YearState
from xiaozhen.simulate._towns import TownFlows

__all__ = ["TOWN_FLOWS", "CountyAggregates", "Recorder", "Trajectories"]

F = NDArray[np.float64]
F32 = NDArray[np.float32]

#: Town flows recorded per year, ``SimulationResult.town[name]`` of shape (Y+1, D, T).
TOWN_FLOWS = (
    "investment",
    "public_budget",
    "debt",
    "private",
    "fiscal_return_in",
    "service_spend",
    "unspent",
    "capital",
    "jobs",
    "industry_jobs",
    "commuters",
    "output",
    "tax",
    "tax_provincial_kept",
    "tax_returned",
    "tax_county",
    "visitors",
    "idle_reused",
    "new_quota_used",
    "quota",
    "land_converted_farmland",
    "construction",
    "talent_cost",
    "targets_met",
    "planned",
    "residents",
    "tertiary_residents",
    "decentralised_jobs",
)
_FLOW_FIELDS = tuple(f.name for f in fields(TownFlows) if f.name in TOWN_FLOWS)


class Recorder(Protocol):
    """What the run loop calls each year."""

    def record_state(
        self, k: int, *, ctx: SimulationContext, state: YearState, econ: Economy
    ) -> None:
        """Keep the state of year ``k`` and its economy."""

    def record_flows(
        self,
        k: int,
        *,
        ctx: SimulationContext,
        state: YearState,
        econ: Economy,
        flows: TownFlows,
        decentralised: F | None,
        external: F,
    ) -> None:
        """Keep the flows of year ``k`` (from year k-1 to k) and the economy after them."""


@dataclass(frozen=True)
class Trajectories:
    """Every trajectory of a run (the array fields of :class:`~.model.SimulationResult`)."""

    population: F32
    income: F32
    jobs: F32
    land: F
    congestion: F32
    housing_cost: F32
    services: F32
    rural_demand: F
    rural_employment: F
    town: dict[str, F]
    external_inflow: F

    @classmethod
    def empty(cls, ctx: SimulationContext, *, years: int) -> Trajectories:
        """Zeroed arrays for the base year and ``years`` years."""
        n_y, n_d = years + 1, ctx.draws
        n_z, n_c, n_t = ctx.zones.n_zones, ctx.zones.n_counties, ctx.towns.n_towns
        return cls(
            population=np.zeros((n_y, n_d, 4, n_z), np.float32),
            income=np.zeros((n_y, n_d, 2, n_z), np.float32),
            jobs=np.zeros((n_y, n_d, 4, n_z), np.float32),
            land=np.zeros((n_y, n_d, 4, n_z)),
            congestion=np.zeros((n_y, n_d, n_z), np.float32),
            housing_cost=np.zeros((n_y, n_d, n_z), np.float32),
            services=np.zeros((n_y, n_d, n_z), np.float32),
            rural_demand=np.zeros((n_y, n_d, n_c)),
            rural_employment=np.zeros((n_y, n_d, n_c)),
            town={k: np.zeros((n_y, n_d, n_t)) for k in TOWN_FLOWS},
            external_inflow=np.zeros((n_y, n_d)),
        )

    def record_state(
        self, k: int, *, ctx: SimulationContext, state: YearState, econ: Economy
    ) -> None:
        """Store residents, land, services and the economy of year ``k``."""
        self.population[k] = state.pop
        self.income[k] = econ.income
        self.jobs[k] = econ.jobs
        self.land[k] = state.land
        self.congestion[k] = econ.congestion
        self.housing_cost[k] = econ.housing
        self.services[k] = state.services
        self.rural_demand[k] = econ.rural_demand
        self.rural_employment[k] = econ.rural_employment

    def record_flows(
        self,
        k: int,
        *,
        ctx: SimulationContext,
        state: YearState,
        econ: Economy,
        flows: TownFlows,
        decentralised: F | None,
        external: F,
    ) -> None:
        """Store the town flows of year ``k`` and the towns' jobs, residents and land after them."""
        town = self.town
        for name in _FLOW_FIELDS:
            town[name][k] = getattr(flows, name)
        if decentralised is not None:
            town["decentralised_jobs"][k] = decentralised
        tz = ctx.towns.zone
        town["jobs"][k] = econ.town_jobs
        town["industry_jobs"][k] = econ.town_industry_jobs
        town["commuters"][k] = econ.commuters
        town["output"][k] = econ.town_output
        town["visitors"][k] = econ.visitors
        town["residents"][k] = state.pop[:, :, tz].sum(axis=1)
        town["tertiary_residents"][k] = state.pop[:, :2, tz].sum(axis=1)
        town["construction"][k] = state.land[:, 0, tz]
        town["talent_cost"][k] = econ.talent_cost
        self.external_inflow[k] = external


@dataclass(frozen=True)
class CountyAggregates:
    """County residents, county urban residents and the province's income ratio, per year.

    Attributes
    ----------
    county_pop, county_urban : ndarray (Y+1, D, C)
        Residents of each county; of its core and towns.
    income_ratio : ndarray (Y+1, D)
        Urban–rural per-capita income ratio of the province.
    """

    county_pop: F
    county_urban: F
    income_ratio: F

    @classmethod
    def empty(cls, ctx: SimulationContext, *, years: int) -> CountyAggregates:
        """Zeroed arrays for the base year and ``years`` years."""
        n_y, n_d, n_c = years + 1, ctx.draws, ctx.zones.n_counties
        return cls(
            county_pop=np.zeros((n_y, n_d, n_c)),
            county_urban=np.zeros((n_y, n_d, n_c)),
            income_ratio=np.zeros((n_y, n_d)),
        )

    def record_state(
        self, k: int, *, ctx: SimulationContext, state: YearState, econ: Economy
    ) -> None:
        """Store the county totals and the income ratio of year ``k``."""
        psum = state.pop.sum(axis=1)
        zones = ctx.zones
        n_c = zones.n_counties
        self.county_pop[k] = np.stack(
            [np.bincount(zones.county, weights=row, minlength=n_c) for row in psum]
        )
        self.county_urban[k] = self.county_pop[k] - psum[:, n_c : 2 * n_c]
        self.income_ratio[k] = econ.income_ratio

    def record_flows(
        self,
        k: int,
        *,
        ctx: SimulationContext,
        state: YearState,
        econ: Economy,
        flows: TownFlows,
        decentralised: F | None,
        external: F,
    ) -> None:
        """Nothing: calibration reads the state only."""
