r"""The yearly province model: flows of people, jobs, capital and land between city, towns and countryside.

Every array carries the Monte Carlo draws first: ``(draws, groups, zones)`` for residents and
``(draws, zones)`` for zone quantities, so one numpy expression advances all draws at once.
:func:`run_zones` builds the frozen run context (:mod:`._context`: zones, drawn parameters,
kernels, town constants) and the base-year state (:mod:`._state`), then one year :math:`k`
(base year :math:`k=0`) runs:

1. **Economy** on the state at the start of the year (:func:`._economy.economy`): densities,
   congestion, rents, market access, incomes, town labour markets, rural incomes.
2. **Location choice** (:func:`._migration.relocate`): a share :math:`m` of every group
   reconsiders and chooses a zone by multinomial logit with moving costs; external in-migrants
   choose without moving cost.
3. **Towns** (:func:`._towns.town_year`): investment from budget, leverage, fiscal return and
   private capital; land from idle land, then new quota (control lines hold), quota reward;
   capital, tax, fiscal return, talent costs, service capacity; decentralised jobs from
   congested cores (:func:`._towns.decentralised_jobs`).
4. **Land** of cores and rural areas (:func:`._land.core_and_rural_land`): core expansion with
   population, hollowed village land turning idle.

The mechanisms and their equations are documented in those functions and in the README's
"Simulation model" section. Conservation holds by construction and is tested: residents change
only by the external inflow; each zone's land area is constant; each town's money sources equal
its uses every year.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from xiaozhen.errors import ConfigError
from xiaozhen.simulate._context import (
    CORE,
    LAND_USES,
    RURAL,
    TOWN,
    SimulationContext,
    build_context,
)
from xiaozhen.simulate._economy import economy, economy_base
from xiaozhen.simulate._land import core_and_rural_land
from xiaozhen.simulate._migration import relocate
from xiaozhen.simulate._state import initial_state
from xiaozhen.simulate._towns import decentralised_jobs, town_year
from xiaozhen.simulate._trajectories import (
    TOWN_FLOWS,
    CountyAggregates,
    Recorder,
    Trajectories,
)
from xiaozhen.simulate._zones import Zones, build_zones
from xiaozhen.simulate.parameters import (
    UNCERTAIN_PARAMETERS,
    ModelParameters,
    PolicyPackage,
    calibrated_parameters,
)

__all__ = [
    "CORE",
    "LAND_USES",
    "RURAL",
    "TOWN",
    "TOWN_FLOWS",
    "CountyAggregates",
    "SimulationResult",
    "Trajectories",
    "draw_parameters",
    "run_zones",
    "simulate",
]

logger = logging.getLogger(__name__)

F = NDArray[np.float64]


@dataclass(frozen=True)
class SimulationResult:
    """Trajectories of one simulation (all draws). Index 0 of the year axis is the base year.

    Attributes
    ----------
    zones : Zones
        Static zone description (ids, kinds, counties, towns table).
    years : ndarray (Y+1,)
        Calendar years, base year first.
    population : ndarray (Y+1, D, 4, Z) float32
        Residents by group (hi-local, hi-migrant, lo-local, lo-migrant).
    income : ndarray (Y+1, D, 2, Z) float32
        Gross per-capita income by skill (tertiary, other), yuan per year.
    jobs : ndarray (Y+1, D, 4, Z) float32
        Jobs by sector (agriculture, manufacturing, services, town industry).
    land : ndarray (Y+1, D, 4, Z)
        Land by use (construction, idle, farmland, ecological), km² (float64 for exact balance).
    congestion, housing_cost, services : ndarray (Y+1, D, Z) float32
        Congestion index, housing cost per capita (yuan/yr), service capacity (persons).
    rural_demand : ndarray (Y+1, D, C)
        Spending of town residents and visitors on the county's rural products, yuan/yr.
    rural_employment : ndarray (Y+1, D, C)
        Farm + local non-farm + commuting + demand-created jobs of rural residents.
    town : dict[str, ndarray (Y+1, D, T)]
        Town flows named in ``TOWN_FLOWS`` (yuan, persons, km² per year or stock).
    external_inflow : ndarray (Y+1, D)
        Net residents added from outside the province in each year (0 in the base year).
    parameters, policy, draws, seed, parameter_draws, calibration, seconds
        The inputs and provenance of the run.
    """

    zones: Zones
    years: NDArray[np.int64]
    population: NDArray[np.float32]
    income: NDArray[np.float32]
    jobs: NDArray[np.float32]
    land: F
    congestion: NDArray[np.float32]
    housing_cost: NDArray[np.float32]
    services: NDArray[np.float32]
    rural_demand: F
    rural_employment: F
    town: dict[str, F]
    external_inflow: F
    parameters: ModelParameters
    policy: PolicyPackage
    draws: int
    seed: int
    parameter_draws: dict[str, F]
    calibration: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def draw_parameters(params: ModelParameters, draws: int, rng: np.random.Generator) -> dict[str, F]:
    """Per-draw values of the uncertain parameters, shape ``(draws,)`` each.

    With ``draws == 1`` the central values are returned (a deterministic run). Otherwise each
    parameter of :data:`~xiaozhen.simulate.parameters.UNCERTAIN_PARAMETERS` is drawn from one
    ``numpy.random.Generator`` in a fixed order: ``lognormal`` → central × exp(N(0, a));
    ``normal`` → central + N(0, a); ``uniform`` → U(a, b). All other parameters are constant.
    """
    out: dict[str, F] = {}
    for name, (kind, a, b) in UNCERTAIN_PARAMETERS.items():
        central = float(getattr(params, name))
        if draws == 1:
            out[name] = np.full(1, central)
        elif kind == "lognormal":
            out[name] = central * np.exp(rng.normal(0.0, a, draws))
        elif kind == "normal":
            out[name] = central + rng.normal(0.0, a, draws)
        else:
            out[name] = rng.uniform(a, b, draws)
    if "mobility" in out:
        out["mobility"] = np.clip(out["mobility"], 1e-4, 0.5)
    return out


def simulate(
    counties: pd.DataFrame,
    towns: pd.DataFrame | None = None,
    policy: PolicyPackage | None = None,
    *,
    params: ModelParameters | None = None,
    start_year: int = 2020,
    years: int = 20,
    draws: int = 1,
    seed: int = 0,
) -> SimulationResult:
    """Simulate ``years`` years of the province from the 2020 census state.

    Parameters
    ----------
    counties : DataFrame
        :func:`xiaozhen.region.load_counties` output (or the same columns).
    towns : DataFrame, optional
        Town programme (``town_id``, ``county``, ``industry``, ``start_year``,
        ``investment_yuan``; optional ``area_km2``, ``idle_land_km2`` and the design of each
        town, ``jobs_designed``, ``residents_designed``, ``construction_km2``, NaN = not
        designed: see :class:`~xiaozhen.simulate._context.TownConstants`). None = no towns.
    policy : PolicyPackage, optional
        Levers; default the Zhejiang package (BRIEF §4.2).
    params : ModelParameters, optional
        Default: the bundled calibration (:func:`calibrated_parameters`), logged as such.
    start_year : int
        Calendar year of the base state (the 2020 census).
    years, draws, seed : int
        Horizon, Monte Carlo draws and the seed of the one ``numpy.random.Generator``.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ConfigError
        For a non-positive horizon or number of draws.
    InputDataError
        For a county or town table that fails validation (see
        :func:`~xiaozhen.simulate._zones.validate_towns`).
    """
    if years < 1 or draws < 1:
        raise ConfigError(f"years and draws must be ≥ 1; received years={years}, draws={draws}")
    t0 = time.perf_counter()
    calibration: dict[str, Any] = {"calibrated": False, "source": "user parameters"}
    if params is None:
        params, calibration = calibrated_parameters()
    policy = policy or PolicyPackage()
    zones = build_zones(counties, towns, base_year=2020, params=params, policy=policy)
    rng = np.random.default_rng(seed)
    drawn = draw_parameters(params, draws, rng)
    pop0 = zones.pop_groups.sum()
    inflow = np.full(years, params.external_inflow_rate)
    out = run_zones(
        zones,
        params,
        drawn,
        policy,
        start_year=start_year,
        years=years,
        inflow_rate=inflow,
        draws=draws,
        record=True,
    )
    result = SimulationResult(
        zones=zones,
        years=np.arange(start_year, start_year + years + 1),
        population=out.population,
        income=out.income,
        jobs=out.jobs,
        land=out.land,
        congestion=out.congestion,
        housing_cost=out.housing_cost,
        services=out.services,
        rural_demand=out.rural_demand,
        rural_employment=out.rural_employment,
        town=out.town,
        external_inflow=out.external_inflow,
        parameters=params,
        policy=policy,
        draws=draws,
        seed=seed,
        parameter_draws=drawn,
        calibration=calibration,
        seconds=time.perf_counter() - t0,
    )
    logger.info(
        "simulated %d zones × %d years × %d draws in %.2f s (population %.3g → median %.3g)",
        zones.n_zones,
        years,
        draws,
        result.seconds,
        pop0,
        float(np.median(result.population[-1].sum(axis=(1, 2)))),
    )
    return result


@overload
def run_zones(
    zones: Zones,
    params: ModelParameters,
    drawn: dict[str, F],
    policy: PolicyPackage,
    *,
    start_year: int,
    years: int,
    inflow_rate: F,
    draws: int,
    record: Literal[True] = ...,
    rural_scale: float = ...,
) -> Trajectories: ...


@overload
def run_zones(
    zones: Zones,
    params: ModelParameters,
    drawn: dict[str, F],
    policy: PolicyPackage,
    *,
    start_year: int,
    years: int,
    inflow_rate: F,
    draws: int,
    record: Literal[False],
    rural_scale: float = ...,
) -> CountyAggregates: ...


def run_zones(
    zones: Zones,
    params: ModelParameters,
    drawn: dict[str, F],
    policy: PolicyPackage,
    *,
    start_year: int,
    years: int,
    inflow_rate: F,
    draws: int,
    record: bool = True,
    rural_scale: float = 1.0,
) -> Trajectories | CountyAggregates:
    """Run the yearly loop on prepared zones; returns the trajectories.

    ``drawn`` are the parameter draws of :func:`draw_parameters`. ``inflow_rate[k-1]`` is the
    external net inflow of year k as a share of the base-year population. ``rural_scale``
    multiplies base rural incomes (calibration runs from 2010). With ``record=False`` only the
    province/county aggregates needed for calibration are kept (:class:`CountyAggregates`).

    Raises
    ------
    ConfigError
        If ``drawn`` does not hold exactly the uncertain parameters.
    """
    ctx = build_context(
        zones, params, drawn, policy, start_year=start_year, draws=draws, rural_scale=rural_scale
    )
    if record:
        trajectories = Trajectories.empty(ctx, years=years)
        _run_years(ctx, trajectories, years=years, inflow_rate=inflow_rate)
        return trajectories
    aggregates = CountyAggregates.empty(ctx, years=years)
    _run_years(ctx, aggregates, years=years, inflow_rate=inflow_rate)
    return aggregates


def _run_years(ctx: SimulationContext, rec: Recorder, *, years: int, inflow_rate: F) -> None:
    """Advance the base-year state ``years`` times, recording every year into ``rec``."""
    par, policy, tw = ctx.par, ctx.policy, ctx.towns
    n_c, n_z, n_t = ctx.zones.n_counties, ctx.zones.n_zones, tw.n_towns
    tz = tw.zone
    state = initial_state(ctx)
    base = economy_base(ctx, state)
    econ = economy(ctx, base, state, k=0)
    for k in range(1, years + 1):
        year = ctx.start_year + k
        rec.record_state(k - 1, ctx=ctx, state=state, econ=econ)
        # ---- 2. location choice --------------------------------------------------------
        open_z = np.ones(n_z, dtype=bool)
        open_z[tz] = tw.active(year - 1)  # towns admit residents from the year after they start
        pop_before = state.pop.sum(axis=1)
        state.pop, ext = relocate(
            ctx,
            state.pop,
            econ.utility,
            open_zones=open_z,
            external=inflow_rate[k - 1] * ctx.pop_base_total,
        )
        # ---- 3. towns ------------------------------------------------------------------
        flows = town_year(ctx, state, econ, year=year)
        state.capital = flows.capital
        state.quota = flows.quota_next
        state.returned_prev = flows.tax_returned
        state.services[:, tz] += flows.service_spend / par.service_cost_per_capacity
        state.services[:, : 2 * n_c] *= 1.0 + par.service_growth
        # decentralisation from congested cores to the county's active towns
        received = None
        if policy.decentralisation and n_t:
            received, moved = decentralised_jobs(ctx, state, econ, year=year)
            out_before = state.decentralised_out
            state.decentralised_jobs = state.decentralised_jobs + received
            state.decentralised_out = (
                np.zeros((ctx.draws, n_c)) if out_before is None else out_before
            ) + moved
        # ---- 4. land of cores and rural areas --------------------------------------------
        core_and_rural_land(ctx, state.land, pop_before=pop_before, pop_after=state.pop.sum(axis=1))
        econ = economy(ctx, base, state, k=k)
        rec.record_flows(
            k, ctx=ctx, state=state, econ=econ, flows=flows, decentralised=received, external=ext
        )
    rec.record_state(years, ctx=ctx, state=state, econ=econ)
