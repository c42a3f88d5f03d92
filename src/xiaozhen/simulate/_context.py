r"""The frozen context of one simulation run: zones, drawn parameters, kernels, town constants.

Everything here is fixed for the whole run and shared by every mechanism (:mod:`._economy`,
:mod:`._migration`, :mod:`._towns`, :mod:`._land`); what changes from year to year lives in
:class:`xiaozhen.simulate._state.YearState`. Data flows one way: context → mechanisms → run loop
(:func:`xiaozhen.simulate.model.run_zones`).

Array axes: Monte Carlo draws first, ``(draws, groups, zones)`` for residents and
``(draws, zones)`` for zone quantities; zones are ordered ``[cores (C), rural areas (C), towns (T)]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from xiaozhen.errors import ConfigError
from xiaozhen.simulate._zones import Zones
from xiaozhen.simulate.parameters import ModelParameters, PolicyPackage, industry_profile

__all__ = [
    "CORE",
    "GROUP_MIGRANT",
    "GROUP_SKILL",
    "HI",
    "LAND_USES",
    "LO",
    "RURAL",
    "TOWN",
    "DrawnParameters",
    "Kernel",
    "SimulationContext",
    "TownConstants",
    "build_context",
]

logger = logging.getLogger(__name__)

F = NDArray[np.float64]
#: Zone kinds (``Zones.kind``).
CORE, RURAL, TOWN = 0, 1, 2
#: Skill index of the income axis: tertiary-educated, other.
HI, LO = 0, 1
#: Household groups: (skill, registration) = hi-local, hi-migrant, lo-local, lo-migrant.
GROUP_SKILL = np.array([HI, HI, LO, LO])
GROUP_MIGRANT = np.array([False, True, False, True])
#: Land-use axis of the land arrays, km².
LAND_USES = ("construction", "idle", "farmland", "ecological")


@dataclass(frozen=True, slots=True)
class DrawnParameters:
    """The model parameters of one run, one attribute per :class:`ModelParameters` field.

    The uncertain parameters (:data:`~xiaozhen.simulate.parameters.UNCERTAIN_PARAMETERS`) are
    arrays of shape ``(draws, 1)`` holding each Monte Carlo draw, so they broadcast against
    ``(draws, zones)`` arrays; all others are the run's constant ``float``. See
    :class:`ModelParameters` for units, sources and meaning.
    """

    # drawn, (draws, 1)
    beta_income: F
    mobility: F
    agglomeration: F
    agri_tfp_growth: F
    wage_convergence: F
    hurdle_return: F
    investment_elasticity: F
    visitor_spend_yuan: F
    decentralisation_rate: F
    congestion_elasticity: F
    vacancy_wage_premium: F
    talent_elasticity: F
    commute_share_max: F
    # constant
    beta_services: float
    beta_congestion: float
    beta_amenity: float
    beta_hukou: float
    asc_core: float
    asc_town: float
    moving_cost: float
    distance_decay_per_100km: float
    hukou_access_core: float
    hukou_access_rural: float
    hukou_access_town: float
    income_growth: float
    farm_exit_rate: float
    farm_labour_elasticity: float
    market_access_elasticity: float
    market_access_decay_km: float
    skill_premium: float
    rural_income_2010: float
    education_return: float
    participation: float
    rural_nonfarm_discount: float
    depreciation: float
    capital_share: float
    tax_rate_output: float
    investment_per_km2: float
    max_capital_per_km2: float
    service_jobs_per_resident: float
    commute_decay_km: float
    resident_rural_spend_share: float
    service_cost_per_capacity: float
    service_growth: float
    reference_density: float
    rent_elasticity: float
    housing_cost_share: float
    core_land_per_new_resident_km2: float
    homestead_km2_per_resident: float
    external_inflow_rate: float

    @classmethod
    def drawn_names(cls) -> frozenset[str]:
        """Names of the attributes that hold one value per draw."""
        return frozenset(f.name for f in fields(cls) if f.type == "F")

    @classmethod
    def from_draws(cls, params: ModelParameters, drawn: Mapping[str, F]) -> DrawnParameters:
        """Central values of ``params`` with the draws of :func:`draw_parameters` in place.

        Raises
        ------
        ConfigError
            If ``drawn`` lacks an uncertain parameter or holds one this class keeps constant.
        """
        names = cls.drawn_names()
        missing, unknown = sorted(names - set(drawn)), sorted(set(drawn) - names)
        if missing or unknown:
            raise ConfigError(
                f"drawn parameters: missing {missing}, not drawn by the model {unknown}; pass "
                "draw_parameters(params, draws, rng) (DrawnParameters lists the drawn ones)"
            )
        values: dict[str, float | F] = {}
        for f in fields(cls):
            values[f.name] = (
                drawn[f.name].reshape(-1, 1) if f.name in names else float(getattr(params, f.name))
            )
        return cls(**values)  # type: ignore[arg-type]


class Kernel:
    r"""Sums :math:`y_d = \sum_o x_o K_{od}` for the nested zone geometry in O(D (Z + C²)).

    :math:`K_{od} = 1` if :math:`o = d`; :math:`a_c = k(d^{in}_c)` for distinct zones of county
    :math:`c`; :math:`k(D_{cc'})` for zones of different counties. With county totals
    :math:`X_c = \sum_{o \in c} x_o`: :math:`y_d = [X K^{off}]_{c(d)} + a_{c(d)} (X_{c(d)} - x_d) + x_d`.
    """

    def __init__(
        self, zones: Zones, kernel_of_km: Callable[[F], F], self_weight: float = 1.0
    ) -> None:
        n_c = zones.n_counties
        kc = kernel_of_km(zones.county_dist_km)
        np.fill_diagonal(kc, 0.0)
        self.kc = np.ascontiguousarray(kc)
        self.a_in = kernel_of_km(zones.within_dist_km)
        self.county = zones.county
        self.self_weight = self_weight
        self.agg = sp.csr_array(
            (np.ones(zones.n_zones), (np.arange(zones.n_zones), zones.county)),
            shape=(zones.n_zones, n_c),
        )

    def __call__(self, x: F) -> F:
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        tot = np.asarray(self.agg.T @ flat.T).T  # (n, C)
        inter = tot @ self.kc
        c = self.county
        y = inter[:, c] + self.a_in[c] * (tot[:, c] - flat) + self.self_weight * flat
        out: F = y.reshape(shape)
        return out


@dataclass(frozen=True)
class TownConstants:
    r"""Per-town constants: industry profile, creation schedule, design, county links.

    **Creation schedule** (BRIEF §4.1): planned investment :math:`I^P_t` (``investment_yuan``)
    over ``period`` = 3 years (5 in the 26 less-developed counties), the first year at least
    1 bn yuan (0.6 bn in those counties): ``first_share`` = clip(max(first_min / I^P, 1/period), 0, 1).

    **Designed towns** (optional columns of the town table, from the design stage; NaN = not
    designed, the industry profile and the policy apply):

    * ``construction_km2`` :math:`L^d` replaces the urban-development-boundary cap
      ``construction_cap_km2`` of the town's construction land.
    * ``residents_designed`` :math:`R^d` sets the town's reference density (residents per km² of
      construction land at which congestion is 1 and housing costs its base level)
      :math:`\rho^*_T = \max(R^d, 1) / \max(L^d, 10^{-3})`, with :math:`L^d` the designed or
      the capped construction land: at build-out the town houses its designed residents at
      base housing cost, and while it builds its capacity :math:`\rho^*_T L^c` grows with its
      construction land :math:`L^c`.
    * ``jobs_designed`` :math:`J^d` (every job on the town's land, as the design stage counts
      them: industry, supporting production and public services) replaces the profile's
      capital per job :math:`\kappa_i` with :math:`\kappa_T = I^P_T / J^{ind}_T`,
      :math:`J^{ind}_T = J^d_T - s_j R_T`: the model's job demand
      :math:`K/\kappa_T + s_j P_T` then equals the design's jobs when the planned investment
      is in place (:math:`K = I^P`) and the town houses its build-out residents
      :math:`R_T` (:math:`R^d`, or :math:`\rho^* L^d` without a residents design; ``s_j`` =
      ``service_jobs_per_resident``). :math:`J^{ind} \le 0` means no industry jobs
      (:math:`\kappa_T = \infty`): the town's jobs are then the local services of its
      residents (and any decentralised jobs).
    """

    zone: NDArray[np.int64]  # (T,) zone index
    county: NDArray[np.int64]  # (T,) county index
    capital_per_job: F  # (T,) κ, yuan per industry job (profile or design)
    output_per_job: F  # (T,) o_i, yuan per job per year
    visitors_full: F  # (T,) visitors per year at full build-out
    start_year: NDArray[np.int64]  # (T,)
    planned_total: F  # (T,) I^P, planned creation investment, yuan
    period: NDArray[np.int64]  # (T,) creation years
    first_share: F  # (T,) share of I^P in the first year
    quota_reward_share: F  # (T,) share of new quota returned when targets are met
    construction_cap_km2: F  # (T,) ceiling of construction land (boundary or design)
    reference_density: F  # (T,) ρ*_T, persons per km² of construction land
    commute_reach: F  # (T,) ω_geo = exp(-d_in / λ_c)
    towns_in_county: F  # (C,) number of towns of each county
    to_county: sp.csr_array  # (T, C) 0/1 aggregation of towns into their county

    @property
    def n_towns(self) -> int:
        """Number of towns T."""
        return len(self.zone)

    def active(self, year: int) -> NDArray[np.bool_]:
        """Towns that have started by ``year`` (invest, produce, pay tax)."""
        out: NDArray[np.bool_] = self.start_year <= year
        return out


@dataclass(frozen=True)
class SimulationContext:
    """Everything fixed for one run; built by :func:`build_context`."""

    zones: Zones
    par: DrawnParameters
    policy: PolicyPackage
    start_year: int
    draws: int
    rural_scale: float  # multiplies base rural incomes (calibration runs from 2010)
    towns: TownConstants
    move_kernel: Kernel  # moving cost exp(-μ 1[o≠d] - γ d/100)
    market_kernel: Kernel  # market access exp(-d/λ)
    core_idx: NDArray[np.int64]
    rural_idx: NDArray[np.int64]
    protected_farm: F  # (Z,) permanent basic farmland, km²
    protected_eco: F  # (Z,) ecological red line, km²
    reference_density: F  # (Z,) ρ*: the parameter, or ρ*_T of designed towns
    tau_prov: float  # provincial tertiary share at the base year
    pop_base_total: float  # base-year residents of the province


def _designed(towns: pd.DataFrame, column: str) -> F:
    """The design column as floats, NaN where absent (the column itself may be absent)."""
    if column not in towns.columns:
        return np.full(len(towns), np.nan)
    out: F = towns[column].to_numpy(float)
    return out


def _town_constants(zones: Zones, par: DrawnParameters, policy: PolicyPackage) -> TownConstants:
    towns = zones.towns
    n_c, n_t = zones.n_counties, len(towns)
    tc = zones.town_county
    prof = [industry_profile(str(k)) for k in towns["industry"]]
    planned_total = towns["investment_yuan"].to_numpy(float)
    ld_town = zones.less_developed[tc]
    period = np.where(ld_town, 5, 3)
    first_min = np.where(ld_town, 0.6e9, 1.0e9)
    first_share = np.clip(
        np.maximum(first_min / np.maximum(planned_total, 1.0), 1.0 / period), 0.0, 1.0
    )
    priority = np.array([q["priority"] for q in prof], dtype=bool)

    constr_d = _designed(towns, "construction_km2")
    constr_cap = np.where(np.isnan(constr_d), policy.construction_cap_km2, constr_d)
    res_d = _designed(towns, "residents_designed")
    ref = np.where(
        np.isnan(res_d),
        par.reference_density,
        np.maximum(res_d, 1.0) / np.maximum(constr_cap, 1e-3),
    )
    build_out_residents = np.where(np.isnan(res_d), par.reference_density * constr_cap, res_d)
    jobs_d = _designed(towns, "jobs_designed")
    industry_d = jobs_d - par.service_jobs_per_resident * build_out_residents  # NaN: no design
    kappa_design = np.full(n_t, np.inf)  # no industry jobs designed
    pos = industry_d > 0  # False for NaN
    kappa_design[pos] = planned_total[pos] / industry_d[pos]
    kappa_profile = np.array([q["capital_per_job"] for q in prof])
    capital_per_job = np.where(np.isnan(jobs_d), kappa_profile, kappa_design)
    n_designed = int((~np.isnan(np.stack([jobs_d, res_d, constr_d]))).any(axis=0).sum())
    if n_designed:
        logger.info(
            "%d of %d towns carry a design (jobs, residents or construction)", n_designed, n_t
        )
    return TownConstants(
        zone=zones.town_zone,
        county=tc,
        capital_per_job=capital_per_job,
        output_per_job=np.array([q["output_per_job"] for q in prof]),
        visitors_full=np.array([q["visitors"] for q in prof]),
        start_year=towns["start_year"].to_numpy(int),
        planned_total=planned_total,
        period=period,
        first_share=first_share,
        quota_reward_share=np.where(
            priority, policy.quota_reward_share_priority, policy.quota_reward_share
        ),
        construction_cap_km2=constr_cap,
        reference_density=ref,
        commute_reach=np.exp(-zones.within_dist_km[tc] / par.commute_decay_km),
        towns_in_county=np.bincount(tc, minlength=n_c).astype(float),
        to_county=sp.csr_array((np.ones(n_t), (np.arange(n_t), tc)), shape=(n_t, n_c)),
    )


def build_context(
    zones: Zones,
    params: ModelParameters,
    drawn: Mapping[str, F],
    policy: PolicyPackage,
    *,
    start_year: int,
    draws: int,
    rural_scale: float = 1.0,
) -> SimulationContext:
    """The frozen context of a run on ``zones`` with the parameter draws ``drawn``.

    Raises
    ------
    ConfigError
        If ``drawn`` does not hold exactly the uncertain parameters (see
        :meth:`DrawnParameters.from_draws`).
    """
    par = DrawnParameters.from_draws(params, drawn)
    kind = zones.kind
    towns = _town_constants(zones, par, policy)
    reference_density = np.full(zones.n_zones, par.reference_density)
    reference_density[towns.zone] = towns.reference_density
    return SimulationContext(
        zones=zones,
        par=par,
        policy=policy,
        start_year=start_year,
        draws=draws,
        rural_scale=rural_scale,
        towns=towns,
        move_kernel=Kernel(
            zones,
            lambda d: np.exp(-par.moving_cost - par.distance_decay_per_100km * d / 100.0),
        ),
        market_kernel=Kernel(zones, lambda d: np.exp(-d / par.market_access_decay_km)),
        core_idx=np.flatnonzero(kind == CORE),
        rural_idx=np.flatnonzero(kind == RURAL),
        protected_farm=policy.basic_farmland_share * zones.land[:, 2],
        protected_eco=policy.eco_redline_share * zones.land[:, 3],
        reference_density=reference_density,
        tau_prov=float(zones.pop_groups[:, :2].sum() / zones.pop_groups.sum()),
        pop_base_total=float(zones.pop_groups.sum()),
    )
