r"""The yearly province model: flows of people, jobs, capital and land between city, towns and countryside.

Every array carries the Monte Carlo draws first: ``(draws, groups, zones)`` for residents and
``(draws, zones)`` for zone quantities, so one numpy expression advances all draws at once.
One year :math:`k` (base year :math:`k=0`) runs:

1. **Economy** on the state at the start of the year (``_economy``): densities, congestion,
   rents, market access, incomes, town labour markets, rural incomes.
2. **Location choice** (``_move``): a share :math:`m` of every group reconsiders and chooses a
   zone by multinomial logit with moving costs; external in-migrants choose without moving cost.
3. **Towns** (``_towns``): investment from budget, leverage, fiscal return and private capital;
   land from idle land, then new quota (control lines hold), quota reward; capital, tax, fiscal
   return, talent costs, service capacity; decentralised jobs from congested cores.
4. **Land** of cores and rural areas (``_land``): core expansion with population, hollowed
   village land turning idle.

The mechanisms and their equations are documented in the functions below and in the README's
"Simulation model" section. Conservation holds by construction and is tested: residents change
only by the external inflow; each zone's land area is constant; each town's money sources equal
its uses every year.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from xiaozhen.errors import ConfigError
from xiaozhen.simulate._zones import Zones, build_zones
from xiaozhen.simulate.parameters import (
    UNCERTAIN_PARAMETERS,
    ModelParameters,
    PolicyPackage,
    calibrated_parameters,
    industry_profile,
)

__all__ = ["SimulationResult", "draw_parameters", "run_zones", "simulate"]

logger = logging.getLogger(__name__)

F = NDArray[np.float64]
CORE, RURAL, TOWN = 0, 1, 2
HI, LO = 0, 1
#: Household groups: (skill, registration) = hi-local, hi-migrant, lo-local, lo-migrant.
GROUP_SKILL = np.array([HI, HI, LO, LO])
GROUP_MIGRANT = np.array([False, True, False, True])
LAND_USES = ("construction", "idle", "farmland", "ecological")
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


class _Kernel:
    r"""Sums :math:`y_d = \sum_o x_o K_{od}` for the nested zone geometry in O(D (Z + C²)).

    :math:`K_{od} = 1` if :math:`o = d`; :math:`a_c = k(d^{in}_c)` for distinct zones of county
    :math:`c`; :math:`k(D_{cc'})` for zones of different counties. With county totals
    :math:`X_c = \sum_{o \in c} x_o`: :math:`y_d = [X K^{off}]_{c(d)} + a_{c(d)} (X_{c(d)} - x_d) + x_d`.
    """

    def __init__(self, zones: Zones, kernel_of_km: Any, self_weight: float = 1.0) -> None:
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


def _param_arrays(params: ModelParameters, drawn: dict[str, F]) -> dict[str, Any]:
    p: dict[str, Any] = dict(params.model_dump())
    for k, v in drawn.items():
        p[k] = v.reshape(-1, 1)
    return p


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
        ``investment_yuan``; optional ``area_km2``, ``idle_land_km2``). None = no towns.
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
        parameters=params,
        policy=policy,
        draws=draws,
        seed=seed,
        parameter_draws=drawn,
        calibration=calibration,
        seconds=time.perf_counter() - t0,
        **out,
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
) -> dict[str, Any]:
    """Run the yearly loop on prepared zones; returns the trajectory arrays.

    ``inflow_rate[k-1]`` is the external net inflow of year k as a share of the base-year
    population. ``rural_scale`` multiplies base rural incomes (calibration runs from 2010).
    With ``record=False`` only the province/county aggregates needed for calibration are kept.
    """
    p = _param_arrays(params, drawn)
    n_d, n_z, n_c = draws, zones.n_zones, zones.n_counties
    n_t = len(zones.towns)
    kind = zones.kind
    core_idx = np.flatnonzero(kind == CORE)
    rural_idx = np.flatnonzero(kind == RURAL)
    tz = zones.town_zone
    tc = zones.town_county
    towns = zones.towns
    prof = [industry_profile(str(k)) for k in towns["industry"]]
    cap_per_job = np.array([q["capital_per_job"] for q in prof])
    out_per_job = np.array([q["output_per_job"] for q in prof])
    visitors_full = np.array([q["visitors"] for q in prof])
    target = np.array([q["target"] for q in prof])
    priority = np.array([q["priority"] for q in prof], dtype=bool)
    start = towns["start_year"].to_numpy(int)
    planned_total = towns["investment_yuan"].to_numpy(float)
    ld_town = zones.less_developed[tc]
    period = np.where(ld_town, 5, 3)
    first_min = np.where(ld_town, 0.6e9, 1.0e9)
    first_share = np.clip(
        np.maximum(first_min / np.maximum(planned_total, 1.0), 1.0 / period), 0.0, 1.0
    )
    towns_in_county = np.bincount(tc, minlength=n_c).astype(float)

    move_k = _Kernel(
        zones,
        lambda d: np.exp(-params.moving_cost - params.distance_decay_per_100km * d / 100.0),
    )
    ma_k = _Kernel(zones, lambda d: np.exp(-d / params.market_access_decay_km))
    omega_geo = np.exp(-zones.within_dist_km[tc] / params.commute_decay_km)

    # ---- state --------------------------------------------------------------------------
    pop = np.broadcast_to(zones.pop_groups.T, (n_d, 4, n_z)).copy()
    land = np.broadcast_to(zones.land.T, (n_d, 4, n_z)).copy()
    protected_farm = policy.basic_farmland_share * zones.land[:, 2]
    protected_eco = policy.eco_redline_share * zones.land[:, 3]
    cap = np.zeros((n_d, n_t))
    dec_jobs = np.zeros((n_d, n_t))
    dec_out = np.zeros((n_d, n_c))
    psum = pop.sum(axis=1)
    srv = np.where(kind == TOWN, 0.0, psum)
    quota = np.full((n_d, n_t), policy.new_quota_km2_per_town_year)
    returned_prev = np.zeros((n_d, n_t))
    cum_inv = np.zeros((n_d, n_t))

    base: dict[str, Any] = {}
    tau_prov = zones.pop_groups[:, :2].sum() / zones.pop_groups.sum()
    pop_base_total = zones.pop_groups.sum()

    n_y = years + 1
    rec: dict[str, Any] = {}
    if record:
        rec["population"] = np.zeros((n_y, n_d, 4, n_z), np.float32)
        rec["income"] = np.zeros((n_y, n_d, 2, n_z), np.float32)
        rec["jobs"] = np.zeros((n_y, n_d, 4, n_z), np.float32)
        rec["land"] = np.zeros((n_y, n_d, 4, n_z))
        rec["congestion"] = np.zeros((n_y, n_d, n_z), np.float32)
        rec["housing_cost"] = np.zeros((n_y, n_d, n_z), np.float32)
        rec["services"] = np.zeros((n_y, n_d, n_z), np.float32)
        rec["rural_demand"] = np.zeros((n_y, n_d, n_c))
        rec["rural_employment"] = np.zeros((n_y, n_d, n_c))
        rec["town"] = {k: np.zeros((n_y, n_d, n_t)) for k in TOWN_FLOWS}
        rec["external_inflow"] = np.zeros((n_y, n_d))
    else:
        rec["county_pop"] = np.zeros((n_y, n_d, n_c))
        rec["county_urban"] = np.zeros((n_y, n_d, n_c))
        rec["income_ratio"] = np.zeros((n_y, n_d))

    econ = _economy(
        pop,
        land,
        cap,
        dec_jobs,
        srv,
        0,
        zones,
        p,
        policy,
        base,
        ma_k,
        omega_geo,
        out_per_job,
        cap_per_job,
        visitors_full,
        towns_in_county,
        start_year,
        start,
        tau_prov,
        rural_scale,
    )
    for k in range(1, n_y):
        year = start_year + k
        _record(rec, k - 1, pop, land, econ, record, zones, srv)
        # ---- 2. location choice --------------------------------------------------------
        open_z = np.ones(n_z, dtype=bool)
        open_z[tz] = start <= year - 1  # towns admit residents from the year after they start
        pop_before = pop.sum(axis=1)
        pop, ext = _move(
            pop, econ["utility"], open_z, move_k, p, inflow_rate[k - 1] * pop_base_total, tau_prov
        )
        # ---- 3. towns ------------------------------------------------------------------
        active = start <= year
        age = year - start
        tflows = _towns(
            k,
            active,
            age,
            period,
            first_share,
            planned_total,
            target,
            priority,
            cap,
            quota,
            returned_prev,
            cum_inv,
            land,
            protected_farm,
            protected_eco,
            tz,
            econ,
            p,
            policy,
            pop,
        )
        cap = tflows["capital"]
        quota = tflows["quota_next"]
        returned_prev = tflows["tax_returned"]
        cum_inv = cum_inv + tflows["investment"]
        srv[:, tz] += tflows["service_spend"] / params.service_cost_per_capacity
        srv[:, : 2 * n_c] *= 1.0 + params.service_growth
        # decentralisation from congested cores to the county's active towns
        if policy.decentralisation and n_t:
            cong_core = econ["congestion"][:, core_idx]
            moved = (
                p["decentralisation_rate"]
                * np.maximum(cong_core - 1.0, 0.0)
                * (params.participation * pop[:, :, core_idx].sum(axis=1))
            )
            act_n = np.bincount(tc[active], minlength=n_c).astype(float)
            moved = np.where(act_n > 0, moved, 0.0)
            share = np.where(active, 1.0 / np.maximum(act_n[tc], 1.0), 0.0)
            dec_jobs = dec_jobs + moved[:, tc] * share
            dec_out = dec_out + moved
            base["dec_out_live"] = dec_out
            tflows["decentralised_jobs"] = moved[:, tc] * share
        # ---- 4. land of cores and rural areas --------------------------------------------
        _land(
            land,
            pop_before,
            pop.sum(axis=1),
            core_idx,
            rural_idx,
            protected_farm,
            protected_eco,
            params,
        )
        econ = _economy(
            pop,
            land,
            cap,
            dec_jobs,
            srv,
            k,
            zones,
            p,
            policy,
            base,
            ma_k,
            omega_geo,
            out_per_job,
            cap_per_job,
            visitors_full,
            towns_in_county,
            start_year,
            start,
            tau_prov,
            rural_scale,
        )
        if record:
            for name in TOWN_FLOWS:
                if name in tflows:
                    rec["town"][name][k] = tflows[name]
            rec["town"]["jobs"][k] = econ["town_jobs"]
            rec["town"]["industry_jobs"][k] = econ["town_industry_jobs"]
            rec["town"]["commuters"][k] = econ["commuters"]
            rec["town"]["output"][k] = econ["town_output"]
            rec["town"]["visitors"][k] = econ["visitors"]
            rec["town"]["residents"][k] = pop[:, :, tz].sum(axis=1)
            rec["town"]["tertiary_residents"][k] = pop[:, :2, tz].sum(axis=1)
            rec["town"]["construction"][k] = land[:, 0, tz]
            rec["town"]["talent_cost"][k] = econ["talent_cost"]
            rec["external_inflow"][k] = ext
    _record(rec, n_y - 1, pop, land, econ, record, zones, srv)
    return rec


def _record(
    rec: dict[str, Any],
    k: int,
    pop: F,
    land: F,
    econ: dict[str, Any],
    full: bool,
    zones: Zones,
    srv: F,
) -> None:
    if full:
        rec["population"][k] = pop
        rec["income"][k] = econ["income"]
        rec["jobs"][k] = econ["jobs"]
        rec["land"][k] = land
        rec["congestion"][k] = econ["congestion"]
        rec["housing_cost"][k] = econ["housing"]
        rec["services"][k] = srv
        rec["rural_demand"][k] = econ["rural_demand"]
        rec["rural_employment"][k] = econ["rural_employment"]
    else:
        psum = pop.sum(axis=1)
        n_c = zones.n_counties
        rec["county_pop"][k] = np.stack(
            [np.bincount(zones.county, weights=row, minlength=n_c) for row in psum]
        )
        rec["county_urban"][k] = rec["county_pop"][k] - psum[:, n_c : 2 * n_c]
        rec["income_ratio"][k] = econ["income_ratio"]


def _economy(
    pop: F,
    land: F,
    cap: F,
    dec_jobs: F,
    srv: F,
    k: int,
    zones: Zones,
    p: dict[str, Any],
    policy: PolicyPackage,
    base: dict[str, Any],
    ma_k: _Kernel,
    omega_geo: F,
    out_per_job: F,
    cap_per_job: F,
    visitors_full: F,
    towns_in_county: F,
    start_year: int,
    start: NDArray[np.int64],
    tau_prov: float,
    rural_scale: float,
) -> dict[str, Any]:
    r"""Incomes, rents, congestion, labour markets and utilities for the current state.

    **Density and congestion** (per zone, persons per km² of construction land):
    :math:`\rho_z = P_z / L^{c}_z`; congestion index :math:`g_z = (\rho_z/\rho^*)^{\varepsilon_c}`
    (ρ* = ``reference_density``, ε_c = ``congestion_elasticity``).

    **Market access** (gravity, Hansen 1959): :math:`MA_z = \sum_o P_o e^{-d_{oz}/\lambda}`.

    **Core incomes** (per capita, skill s): :math:`y_{zs} = y^0_{c}\psi_s e^{g k}
    (\rho_z/\rho^0_z)^{\alpha}(MA_z/MA^0_z)^{\theta}` with agglomeration α
    (``agglomeration``; Combes & Gobillon 2015) and market-access elasticity θ.

    **Towns**: job demand :math:`J^D = K/\kappa_i + J^{dec} + s_j P_T` (capital per job κ_i by
    industry; decentralised jobs; local service jobs). Supply: resident workers
    :math:`\pi P_T` plus commuting villagers up to :math:`\omega \pi P_R / n_c`,
    :math:`\omega = \omega_{max} e^{-d^{in}/\lambda_c}`. Productivity
    :math:`q = \sqrt{o_i/10^6}\,(1 + J/2000)^{\alpha}(MA_T/MA_{core})^{\theta}
    (\tau_T/\bar\tau)^{\eta}` (talent availability η); wage premium for vacancies
    :math:`(1 + \xi v)`. Town income per capita :math:`y_{Ts} = y^{0,lo}_c\psi_s e^{gk} q (1+\xi v) e_T`
    with resident employment rate :math:`e_T`.

    **Rural incomes** (county c): farm income :math:`F^0_c e^{(g+g_a)k}(L_F/L_F^0)^{\phi}
    (A_F/A^0_F)^{1-\phi}` (Cobb–Douglas in farm labour and farmland) with farm labour
    :math:`L_F = s_F(k)\,\pi P_R - C` where the farm share of rural workers falls as
    :math:`s_F(k) = s_F(0) e^{-\nu k}` (``farm_exit_rate``, from the two censuses) and C are
    commuters to town jobs; the other rural workers earn the local non-farm wage
    :math:`w^{nf} = w^{nf}_0 (y^{lo}_{core}/y^{lo,0}_{core})\,m(t)` that tracks the core
    low-skill wage while the rural–urban wage gap closes (:func:`_wage_gap_closing`). Leaving
    farming raises rural income per head by the wage gap between non-farm and farm work, a gain
    that shrinks as the farm share shrinks — the catch-up slows by itself. Plus commuters'
    town wages and **rural demand**
    :math:`D_c = \sum_{T\in c}(V_T s_v + \sigma \sum_s y_{Ts} P_{Ts})` (visitors V_T × spend
    s_v; residents' share σ of income spent on rural products).

    **Housing cost** per capita :math:`h_z = h^0_z e^{gk} (\rho_z/\rho^0_z)^{\varepsilon_r}`;
    cores start at ``housing_cost_share`` of income.

    **Utility** of group (s, r) in zone z (McFadden 1978; UrbanSim HLCM):
    :math:`V = \beta_y \ln(y_{zs}(1+t_p) - h_z + b) + \beta_s \ln S_z + \beta_a A_z - \beta_g g_z +
    ASC_{kind} + \beta_h (a_{zr} - 1) + \ln J_z` with tax preference t_p and housing subsidy b
    for tertiary town residents, service ratio S, amenity A, hukou access a (1 for locals) and
    the size term :math:`\ln J_z` (jobs located in the zone; a town's job demand): a zone is an
    aggregate of elemental alternatives, so its choice probability scales with its size
    (McFadden 1978; Ben-Akiva & Lerman 1985 §9.3) — without it a county of 100,000 and a city of
    5 million with equal utility would receive equal numbers of movers.
    """
    par = p
    n_c = zones.n_counties
    kind = zones.kind
    tz, tc = zones.town_zone, zones.town_county
    n_t = len(tz)
    psum = pop.sum(axis=1)  # (D, Z)
    constr = np.maximum(land[:, 0, :], 1e-3)
    rho = psum / constr
    ma = ma_k(psum)
    growth = np.exp(par["income_growth"] * k)
    psi = par["skill_premium"]
    if not base:
        tau_z = pop[:, :2].sum(axis=1) / np.maximum(psum, 1.0)
        base["rho0"] = np.maximum(rho, 1.0)
        base["ma0"] = ma
        core = np.arange(n_c)
        mean_factor = tau_z[:, core] * psi + 1 - tau_z[:, core]
        base["lo_core"] = zones.urban_income[None, :] / mean_factor  # (D, C)
        rural_inc = zones.rural_income * rural_scale
        pr = psum[:, n_c : 2 * n_c]
        fs = zones.farm_worker_share
        f = 0.6 * fs / (0.6 * fs + (1 - fs))
        base["farm0"] = f * rural_inc * pr
        base["nonfarm0_per_worker"] = (
            (1 - f) * rural_inc / np.maximum((1 - fs) * par["participation"], 1e-9)
        )
        base["lf0"] = np.maximum(fs * par["participation"] * pr, 1.0)
        base["farmland0"] = (
            land[:, 2, n_c : 2 * n_c]
            + np.bincount(tc, weights=zones.land[tz, 2], minlength=n_c)[None, :]
        )
        base["hc0"] = np.concatenate(
            [
                par["housing_cost_share"] * zones.urban_income[None, :].repeat(pop.shape[0], 0),
                0.1 * rural_inc[None, :].repeat(pop.shape[0], 0),
                0.15 * zones.urban_income[tc][None, :].repeat(pop.shape[0], 0),
            ],
            axis=1,
        )
        base["tau_prov"] = tau_prov
    d = psum.shape[0]
    cong = (rho / par["reference_density"]) ** par["congestion_elasticity"]
    cong = np.where(kind[None, :] == RURAL, 0.0, cong)

    # core incomes
    core = np.arange(n_c)
    agg_core = (rho[:, core] / base["rho0"][:, core]) ** par["agglomeration"] * (
        ma[:, core] / base["ma0"][:, core]
    ) ** par["market_access_elasticity"]
    lo_core = base["lo_core"] * growth * agg_core  # (D, C)
    income = np.zeros((d, 2, psum.shape[1]))
    income[:, LO, core] = lo_core
    income[:, HI, core] = lo_core * psi

    # towns
    pt = psum[:, tz]
    workers_t = par["participation"] * pt
    rural_pop = psum[:, n_c : 2 * n_c]
    j_ind_d = cap / cap_per_job + dec_jobs
    j_d = j_ind_d + par["service_jobs_per_resident"] * pt
    c_max = (
        par["commute_share_max"]
        * omega_geo
        * par["participation"]
        * rural_pop[:, tc]
        / np.maximum(towns_in_county[tc], 1.0)
    )
    filled = np.minimum(j_d, workers_t + c_max)
    commuters = np.clip(j_d - workers_t, 0.0, c_max)
    vac = np.where(j_d > 0, 1.0 - filled / np.maximum(j_d, 1e-9), 0.0)
    emp_rate = np.where(workers_t > 0, np.minimum(1.0, j_d / np.maximum(workers_t, 1e-9)), 1.0)
    tau_t = np.where(pt > 1.0, pop[:, :2, tz].sum(axis=1) / np.maximum(pt, 1.0), tau_prov)
    q = (
        np.sqrt(out_per_job / 1e6)
        * (1 + filled / 2000.0) ** par["agglomeration"]
        * (ma[:, tz] / np.maximum(ma[:, tc], 1e-9)) ** par["market_access_elasticity"]
        * np.clip(tau_t / tau_prov, 0.5, 2.0) ** par["talent_elasticity"]
    )
    lo_town = base["lo_core"][:, tc] * growth * q * (1 + par["vacancy_wage_premium"] * vac)
    income[:, LO, tz] = lo_town * emp_rate
    income[:, HI, tz] = lo_town * emp_rate * psi
    ind_filled = np.where(j_d > 0, j_ind_d * filled / np.maximum(j_d, 1e-9), 0.0)
    town_output = ind_filled * out_per_job * q
    ret = np.where(
        cap > 1e6,
        par["capital_share"] * town_output / np.maximum(cap, 1.0),
        par["capital_share"] * out_per_job * q / cap_per_job,
    )
    visitors = visitors_full * np.clip(cap / 5e9, 0.0, 1.5) ** 0.5

    # rural incomes
    comm_c = np.zeros((d, n_c))
    for_c = sp.csr_array((np.ones(n_t), (np.arange(n_t), tc)), shape=(n_t, n_c))
    if n_t:
        comm_c = np.asarray((for_c.T @ commuters.T).T)
    fs = np.maximum(zones.farm_worker_share * np.exp(-par["farm_exit_rate"] * k), 0.01)
    lf = np.maximum(fs * par["participation"] * rural_pop - comm_c, 0.02 * base["lf0"])
    farmland = land[:, 2, n_c : 2 * n_c] + (
        np.asarray((for_c.T @ land[:, 2, tz].T).T) if n_t else 0.0
    )
    phi = par["farm_labour_elasticity"]
    f0 = base["farmland0"]
    land_ratio = np.where(f0 > 1e-6, np.maximum(farmland, 1e-9) / np.maximum(f0, 1e-6), 1.0)
    farm = (
        base["farm0"]
        * np.exp((par["income_growth"] + par["agri_tfp_growth"]) * k)
        * (lf / base["lf0"]) ** phi
        * land_ratio ** (1 - phi)
    )
    nonfarm_workers = (1 - fs) * par["participation"] * rural_pop
    conv = _wage_gap_closing(par, start_year, start_year + k)
    nonfarm_wage = base["nonfarm0_per_worker"] * (lo_core / base["lo_core"]) * conv
    nonfarm = nonfarm_workers * nonfarm_wage
    town_wage_worker = lo_town / par["participation"]
    commute_inc = np.asarray((for_c.T @ (commuters * town_wage_worker).T).T) if n_t else 0.0
    resident_inc = income[:, HI, tz] * pop[:, :2, tz].sum(axis=1) + income[:, LO, tz] * pop[
        :, 2:, tz
    ].sum(axis=1)
    demand_t = (
        visitors * par["visitor_spend_yuan"] + par["resident_rural_spend_share"] * resident_inc
    )
    active_now = (start <= start_year + k)[None, :]
    demand_t = np.where(active_now, demand_t, 0.0)
    demand = np.asarray((for_c.T @ demand_t.T).T) if n_t else np.zeros((d, n_c))
    rural_total = farm + nonfarm + commute_inc + demand
    y_r = rural_total / np.maximum(rural_pop, 1.0)
    tau_r = pop[:, :2, n_c : 2 * n_c].sum(axis=1) / np.maximum(rural_pop, 1.0)
    lo_r = y_r / (tau_r * psi + 1 - tau_r)
    income[:, LO, n_c : 2 * n_c] = lo_r
    income[:, HI, n_c : 2 * n_c] = lo_r * psi
    demand_jobs = demand / np.maximum(nonfarm_wage, 1.0)
    # Jobs supported by town demand are filled by the rural labour force first (there is no
    # unemployment pool in the model), so employment never exceeds the labour force.
    rural_employment = np.minimum(
        lf + nonfarm_workers + comm_c + demand_jobs,
        np.maximum(par["participation"] * rural_pop, lf + comm_c),
    )

    # housing cost
    rho_h = np.where(kind[None, :] == TOWN, rho / par["reference_density"], rho / base["rho0"])
    rho_h = np.where((kind[None, :] == TOWN) & (psum < 1.0), 0.0, rho_h)
    housing = base["hc0"] * growth * np.maximum(rho_h, 1e-6) ** par["rent_elasticity"]

    # jobs by sector (agriculture, manufacturing, services, town industry)
    share = zones.sector_share
    ind_frac = share[:, 1] / np.maximum(share[:, 1] + share[:, 2], 1e-9)
    dec_out = base.get("dec_out_live")
    jobs = np.zeros((d, 4, psum.shape[1]))
    core_jobs = par["participation"] * psum[:, core]
    if dec_out is not None:
        core_jobs = np.maximum(core_jobs - dec_out, 0.0)
    jobs[:, 1, core] = core_jobs * ind_frac
    jobs[:, 2, core] = core_jobs * (1 - ind_frac)
    rz = np.arange(n_c, 2 * n_c)
    jobs[:, 0, rz] = lf
    jobs[:, 1, rz] = nonfarm_workers * ind_frac
    jobs[:, 2, rz] = nonfarm_workers * (1 - ind_frac) + demand_jobs
    jobs[:, 3, tz] = ind_filled
    jobs[:, 2, tz] = filled - ind_filled

    # talent levers and utility
    is_town = kind == TOWN
    tp = policy.tax_preference
    sub = 12.0 * policy.housing_subsidy_yuan_month
    net = income - housing[:, None, :]
    net[:, HI, is_town] += income[:, HI, is_town] * tp + sub
    floor = 0.05 * np.concatenate([lo_core, lo_core, lo_core[:, tc]], axis=1)
    net = np.maximum(net, floor[:, None, :])
    svc = np.clip((srv + 1.0) / (psum + 1.0), 0.05, 2.0)
    asc = np.where(kind == CORE, par["asc_core"], np.where(kind == TOWN, par["asc_town"], 0.0))
    access = np.where(
        kind == CORE,
        par["hukou_access_core"],
        np.where(
            kind == RURAL,
            par["hukou_access_rural"],
            1.0 if policy.hukou_priority else par["hukou_access_town"],
        ),
    )
    common = (
        par["beta_services"] * np.log(svc)
        + par["beta_amenity"] * zones.amenity[None, :]
        - par["beta_congestion"] * cong
        + asc[None, :]
    )
    lnet = np.log(net)  # (D, 2, Z)
    utility = (
        par["beta_income"][..., None] * lnet[:, GROUP_SKILL, :]
        if np.ndim(par["beta_income"])
        else par["beta_income"] * lnet[:, GROUP_SKILL, :]
    )
    utility = utility + common[:, None, :]
    # size of the zone as a choice alternative (McFadden 1978 aggregation of elemental
    # alternatives; UrbanSim HLCM): ln of the jobs located in the zone, coefficient 1. Towns'
    # size is their job demand, so an empty new town with jobs on offer attracts residents.
    size = jobs.sum(axis=1)
    size[:, tz] = np.maximum(size[:, tz], j_d)
    utility = utility + np.log(np.maximum(size, 1.0))[:, None, :]
    utility[:, GROUP_MIGRANT, :] += par["beta_hukou"] * (access - 1.0)[None, None, :]

    urban_mask = kind != RURAL
    inc_tot = income[:, HI] * pop[:, :2].sum(axis=1) + income[:, LO] * pop[:, 2:].sum(axis=1)
    urban_pc = inc_tot[:, urban_mask].sum(axis=1) / np.maximum(psum[:, urban_mask].sum(axis=1), 1)
    rural_pc = inc_tot[:, ~urban_mask].sum(axis=1) / np.maximum(psum[:, ~urban_mask].sum(axis=1), 1)
    talent_cost = tp * income[:, HI, tz] * pop[:, :2, tz].sum(axis=1) + sub * pop[:, :2, tz].sum(
        axis=1
    )
    return {
        "utility": utility,
        "income": income,
        "congestion": cong,
        "housing": housing,
        "jobs": jobs,
        "town_jobs": filled,
        "town_industry_jobs": ind_filled,
        "commuters": commuters,
        "town_output": town_output,
        "return": ret,
        "vacancy": vac,
        "visitors": visitors,
        "rural_demand": demand,
        "rural_employment": rural_employment,
        "income_ratio": urban_pc / np.maximum(rural_pc, 1e-9),
        "talent_cost": talent_cost,
        "q": q,
    }


def _wage_gap_closing(p: dict[str, Any], base_year: int, year: int) -> Any:
    r"""Growth of the rural non-farm wage relative to the core low-skill wage since ``base_year``.

    The rural non-farm wage is a share :math:`d(t)` of the core low-skill wage of the county,
    and the gap closes exponentially (labour-market integration; the rural wage income of
    Zhejiang grew faster than any other income source in 2010-2022):

    .. math:: d(t) = 1 - (1 - d_{2010})\, e^{-\kappa (t - 2010)},\qquad
              m(t) = d(t) / d(t_0)

    with :math:`d_{2010}` = ``rural_nonfarm_discount`` and κ = ``wage_convergence``
    (calibrated). Anchoring on calendar 2010 makes a forward run from 2020 continue the path the
    calibration run from 2010 followed, and the catch-up slows as the gap closes instead of
    compounding.
    """
    d0 = p["rural_nonfarm_discount"]
    kappa = p["wage_convergence"]
    d_now = 1.0 - (1.0 - d0) * np.exp(-kappa * (year - 2010))
    d_base = 1.0 - (1.0 - d0) * np.exp(-kappa * (base_year - 2010))
    return d_now / d_base


def _move(
    pop: F,
    utility: F,
    open_z: NDArray[np.bool_],
    kern: _Kernel,
    p: dict[str, Any],
    external: float,
    tau_prov: float,
) -> tuple[F, F]:
    r"""Multinomial-logit relocation with moving costs, plus external in-migration.

    A share :math:`m` (``mobility``) of the residents :math:`N_{go}` of group g in zone o
    reconsiders each year and chooses destination d with

    .. math:: P(d \mid o, g) = \frac{e^{V_{gd}} K_{od}}{\sum_{d'} e^{V_{gd'}} K_{od'}},\qquad
              K_{od} = e^{-\mu 1[o \ne d] - \gamma\, d_{od}/100}

    (moving cost μ, distance decay γ per 100 km; staying is the zero-cost alternative).
    Flows are never materialised: :math:`\mathrm{in}_d = e^{V_{gd}} \sum_o (m N_{go}/S_o) K_{od}`
    with :math:`S_o = \sum_d e^{V_{gd}} K_{od}`, two kernel sums per group. Closed zones (towns
    before their start) have :math:`e^{V} = 0`. External in-migrants (registration: migrant;
    tertiary share = provincial share) choose :math:`d` with probability :math:`\propto e^{V_{gd}}`;
    a negative external balance removes residents proportionally. People are conserved:
    :math:`\sum N' = \sum N + E` exactly (to float rounding).
    """
    m = p["mobility"]
    m = m[..., None] if np.ndim(m) else m
    v = np.where(open_z[None, None, :], utility, -np.inf)
    e = np.exp(v - v.max(axis=2, keepdims=True))
    s = kern(e)
    movers = m * pop
    x = np.where(s > 0, movers / np.where(s > 0, s, 1.0), 0.0)
    inflow = e * kern(x)
    new = pop - movers + inflow
    d = pop.shape[0]
    ext = np.full(d, float(external))
    if external > 0:
        prob = e / e.sum(axis=2, keepdims=True)
        new[:, 1, :] += external * tau_prov * prob[:, 1, :]
        new[:, 3, :] += external * (1 - tau_prov) * prob[:, 3, :]
    elif external < 0:
        tot = new.sum(axis=(1, 2), keepdims=True)
        new = new * (1 + external / tot)
    return new, ext


def _towns(
    k: int,
    active: NDArray[np.bool_],
    age: NDArray[np.int64],
    period: NDArray[np.int64],
    first_share: F,
    planned_total: F,
    target: F,
    priority: NDArray[np.bool_],
    cap: F,
    quota: F,
    returned_prev: F,
    cum_inv: F,
    land: F,
    protected_farm: F,
    protected_eco: F,
    tz: NDArray[np.int64],
    econ: dict[str, Any],
    p: dict[str, Any],
    policy: PolicyPackage,
    pop: F,
) -> dict[str, F]:
    r"""Investment, land supply, capital, tax and fiscal return of every town for one year.

    **Investment** (yuan/yr). Planned creation investment :math:`I^P_t` follows the creation
    schedule: first year ≥ 1 bn (0.6 bn in the 26 less-developed counties), the rest evenly over
    3 years (5 in less-developed counties) (BRIEF §4.1). Sources: public budget
    :math:`B = b I^P` (``public_budget_share``), debt :math:`\ell B` (``leverage_ratio``), the
    fiscal return received :math:`R^{prev}`, and private capital responding to returns.
    During creation private investors subscribe a share of the part of the plan that public
    money does not fund, :math:`I^{priv} = \max(0, I^P - B(1+\ell))\,\min(1, (r/\bar r)^{\epsilon})`
    — never more than that gap, so switching a public lever off (e.g. leverage) can at most be
    made good by private capital, never overcompensated; after creation private capital
    replaces depreciation and expands with returns, :math:`\delta K\,\min(2, (r/\bar r)^{\epsilon})`
    (return r = capital share × output / K; hurdle :math:`\bar r`). A share ``public_service_share`` of B buys
    service capacity instead of capital.

    **Land** (km²): new construction need :math:`I / i_L` (``investment_per_km2``); supplied from
    idle land first (``idle_land_first``), then new quota converting farmland outside permanent
    basic farmland, then ecological land outside the red line, up to the year's quota and the
    urban-development-boundary cap ``construction_cap_km2``. Capital cannot exceed
    ``max_capital_per_km2`` × construction land; investment above it is unspent (returned to
    its sources). **Quota reward**: a town that met its annual target (investment ≥ plan during
    creation; ≥ 2,000 jobs afterwards, BRIEF §4.3) gets back 50 % (60 % for digital,
    environmental, equipment) of the new quota used as extra quota next year (BRIEF §4.2).

    **Capital**: :math:`K' = (1-\delta)K + I`. **Tax**: ``tax_rate_output`` × output; the
    provincial share σ is returned to the town 100 % for 3 years, then 50 % for 2 (BRIEF §4.2)
    and reinvested next year; tax = county share + provincial kept + returned (exact).
    """
    d = cap.shape[0]
    is_creation = active & (age < period)
    sched = np.where(age == 0, first_share, (1 - first_share) / np.maximum(period - 1, 1))
    planned = np.where(is_creation, planned_total * sched, 0.0)[None, :].repeat(d, 0)
    budget = policy.public_budget_share * planned
    debt = policy.leverage_ratio * budget
    ratio = (econ["return"] / p["hurdle_return"]) ** p["investment_elasticity"]
    private = np.where(
        is_creation[None, :],
        np.maximum(planned - budget - debt, 0.0) * np.clip(ratio, 0.0, 1.0),
        np.where(active[None, :], p["depreciation"] * cap * np.clip(ratio, 0.0, 2.0), 0.0),
    )
    fr_in = np.where(active[None, :], returned_prev, 0.0)
    service_spend = policy.public_service_share * budget
    invest = budget - service_spend + debt + private + fr_in

    # land supply
    tzl = land[:, :, tz]  # copy (fancy index)
    constr, idle, farm, eco = tzl[:, 0], tzl[:, 1], tzl[:, 2], tzl[:, 3]
    need = np.where(active[None, :], invest / p["investment_per_km2"], 0.0)
    room = np.maximum(policy.construction_cap_km2 - constr, 0.0)
    conv_farm = np.maximum(farm - protected_farm[tz], 0.0)
    conv_eco = np.maximum(eco - protected_eco[tz], 0.0)
    if policy.idle_land_first:
        from_idle = np.minimum.reduce([need, idle, room])
        new = np.minimum.reduce([need - from_idle, quota, room - from_idle, conv_farm + conv_eco])
    else:
        new = np.minimum.reduce([need, quota, room, conv_farm + conv_eco])
        from_idle = np.minimum.reduce([need - new, idle, room - new])
    new = np.maximum(new, 0.0)
    from_idle = np.maximum(from_idle, 0.0)
    from_farm = np.minimum(new, conv_farm)
    from_eco = new - from_farm
    land[:, 0, tz] = constr + from_idle + new
    land[:, 1, tz] = idle - from_idle
    land[:, 2, tz] = farm - from_farm
    land[:, 3, tz] = eco - from_eco

    # capital ceiling
    kept = (1 - p["depreciation"]) * cap
    ceiling = np.maximum(p["max_capital_per_km2"] * land[:, 0, tz] - kept, 0.0)
    spent = np.minimum(invest, ceiling)
    unspent = invest - spent
    cap_new = kept + spent

    # tax and fiscal return
    tax = econ["town_output"] * p["tax_rate_output"]
    tax = np.where(active[None, :], tax, 0.0)
    prov = policy.provincial_tax_share * tax
    share = np.where(
        age < policy.fiscal_return_full_years,
        policy.fiscal_return_full_share,
        np.where(
            age < policy.fiscal_return_full_years + policy.fiscal_return_half_years,
            policy.fiscal_return_half_share,
            0.0,
        ),
    )
    returned = prov * np.where(active, share, 0.0)[None, :]
    met = (
        np.where(
            is_creation[None, :], spent >= 0.999 * planned, econ["town_industry_jobs"] >= 2000.0
        )
        & active[None, :]
    )
    reward_share = np.where(priority, policy.quota_reward_share_priority, policy.quota_reward_share)
    quota_next = policy.new_quota_km2_per_town_year + met * reward_share[None, :] * new
    return {
        "investment": spent,
        "public_budget": budget,
        "debt": debt,
        "private": private,
        "fiscal_return_in": fr_in,
        "service_spend": service_spend,
        "unspent": unspent,
        "capital": cap_new,
        "tax": tax,
        "tax_provincial_kept": prov - returned,
        "tax_returned": returned,
        "tax_county": tax - prov,
        "idle_reused": from_idle,
        "new_quota_used": new,
        "quota": quota,
        "land_converted_farmland": from_farm,
        "targets_met": met.astype(float),
        "planned": planned,
        "quota_next": quota_next,
    }


def _land(
    land: F,
    pop_before: F,
    pop_after: F,
    core_idx: NDArray[np.int64],
    rural_idx: NDArray[np.int64],
    protected_farm: F,
    protected_eco: F,
    params: ModelParameters,
) -> None:
    r"""Core expansion and village hollowing (in place; each zone's area is constant).

    Cores add :math:`\Delta L^c = \max(0, \Delta P)\,l_c` of construction land
    (``core_land_per_new_resident_km2``), converting farmland outside permanent basic farmland
    first, then ecological land outside the red line; when both are exhausted density rises
    instead. Rural zones turn :math:`\max(0, -\Delta P) l_h` of construction land idle
    (``homestead_km2_per_resident``).
    """
    dp = pop_after[:, core_idx] - pop_before[:, core_idx]
    need = np.maximum(dp, 0.0) * params.core_land_per_new_resident_km2
    farm = land[:, 2, core_idx]
    eco = land[:, 3, core_idx]
    conv_farm = np.maximum(farm - protected_farm[core_idx], 0.0)
    conv_eco = np.maximum(eco - protected_eco[core_idx], 0.0)
    take = np.minimum(need, conv_farm + conv_eco)
    from_farm = np.minimum(take, conv_farm)
    land[:, 0, core_idx] += take
    land[:, 2, core_idx] = farm - from_farm
    land[:, 3, core_idx] = eco - (take - from_farm)
    dr = pop_after[:, rural_idx] - pop_before[:, rural_idx]
    idle_new = np.minimum(
        np.maximum(-dr, 0.0) * params.homestead_km2_per_resident, land[:, 0, rural_idx]
    )
    land[:, 0, rural_idx] -= idle_new
    land[:, 1, rural_idx] += idle_new
