r"""Economy of one year: densities, congestion, incomes, labour markets, rents and utilities.

:func:`economy` evaluates the state at the start of a year (:class:`~._state.YearState`) and
returns a frozen :class:`Economy`; :func:`economy_base` fixes the base-year reference levels
(densities, market access, incomes) that the yearly ratios are taken against. The pieces:

* :func:`_year_densities` — density, congestion, market access, core incomes;
* :func:`_town_labour` — town job demand and supply, productivity, town incomes, output, return;
* :func:`_rural_economy` — farm and non-farm rural incomes, commuting, rural demand;
* :func:`_housing_cost`, :func:`_sector_jobs`, :func:`_utility` — rents, jobs by sector, the
  location-choice utility of every group in every zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xiaozhen.simulate._context import (
    CORE,
    GROUP_MIGRANT,
    GROUP_SKILL,
    HI,
    LO,
    RURAL,
    TOWN,
    SimulationContext,
)
from xiaozhen.simulate._state import YearState

__all__ = ["Economy", "EconomyBase", "economy", "economy_base", "wage_gap_closing"]

F = NDArray[np.float64]


@dataclass(frozen=True)
class EconomyBase:
    """Base-year reference levels (draws × zones or counties), computed once per run."""

    rho0: F  # (D, Z) density, persons per km² of construction land (≥ 1)
    ma0: F  # (D, Z) market access
    lo_core: F  # (D, C) low-skill core income per capita
    farm0: F  # (D, C) farm income of the county's rural area, yuan/yr
    nonfarm0_per_worker: F  # (D, C) rural non-farm wage, yuan/yr
    lf0: F  # (D, C) farm labour
    farmland0: F  # (D, C) farmland of rural area and towns, km²
    hc0: F  # (D, Z) housing cost per capita, yuan/yr


@dataclass(frozen=True)
class Economy:
    """The economy of one year, all draws (D draws, Z zones, T towns, C counties).

    Attributes
    ----------
    utility : ndarray (D, 4, Z)
        Location-choice utility of each group in each zone.
    income : ndarray (D, 2, Z)
        Gross per-capita income by skill (tertiary, other), yuan/yr.
    congestion, housing : ndarray (D, Z)
        Congestion index; housing cost per capita, yuan/yr.
    jobs : ndarray (D, 4, Z)
        Jobs by sector (agriculture, manufacturing, services, town industry).
    town_jobs, town_industry_jobs, commuters : ndarray (D, T)
        Filled town jobs, of which industry jobs; commuting villagers.
    town_output, capital_return, vacancy, visitors, productivity, talent_cost : ndarray (D, T)
        Output (yuan/yr), gross return on capital, vacancy rate, visitors per year,
        productivity index q, cost of the talent levers (yuan/yr).
    rural_demand, rural_employment : ndarray (D, C)
        Spending on the county's rural products (yuan/yr); rural residents' jobs.
    income_ratio : ndarray (D,)
        Urban–rural per-capita income ratio of the province.
    """

    utility: F
    income: F
    congestion: F
    housing: F
    jobs: F
    town_jobs: F
    town_industry_jobs: F
    commuters: F
    town_output: F
    capital_return: F
    vacancy: F
    visitors: F
    productivity: F
    rural_demand: F
    rural_employment: F
    income_ratio: F
    talent_cost: F


@dataclass(frozen=True)
class _Year:
    """Quantities of the year shared by the pieces of :func:`economy`."""

    k: int  # years since the start year
    growth: float  # e^{g k}
    psum: F  # (D, Z) residents
    rho: F  # (D, Z) density
    ma: F  # (D, Z) market access
    congestion: F  # (D, Z)
    lo_core: F  # (D, C) low-skill core income


@dataclass(frozen=True)
class _TownLabour:
    job_demand: F  # J^D
    filled: F
    industry_filled: F
    commuters: F
    lo_wage: F  # low-skill town income per capita before the employment rate
    income_lo: F
    income_hi: F
    output: F
    capital_return: F
    vacancy: F
    visitors: F
    productivity: F


@dataclass(frozen=True)
class _Rural:
    farm_labour: F  # L_F (D, C)
    nonfarm_workers: F
    commuters: F  # commuters to town jobs by county
    demand: F  # D_c
    demand_jobs: F
    employment: F
    income_lo: F  # (D, C)
    income_hi: F


def wage_gap_closing(
    discount_2010: float, convergence: F | float, *, base_year: int, year: int
) -> F:
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
    d0, kappa = discount_2010, convergence
    d_now = 1.0 - (1.0 - d0) * np.exp(-kappa * (year - 2010))
    d_base = 1.0 - (1.0 - d0) * np.exp(-kappa * (base_year - 2010))
    out: F = d_now / d_base
    return out


def economy_base(ctx: SimulationContext, state: YearState) -> EconomyBase:
    r"""Reference levels of the base-year state ``state``.

    Low-skill core income :math:`y^{0,lo}_c = \bar y_c / (\tau_c\psi + 1 - \tau_c)` so the
    mean over skills is the county's urban income. Rural income :math:`Y^r_c` (times
    ``rural_scale``) is split into farm and non-farm income with farm workers earning 0.6 of
    non-farm workers: farm share :math:`f = 0.6 s_F / (0.6 s_F + 1 - s_F)`. Housing cost per
    capita: cores ``housing_cost_share`` of urban income, rural 10 % of rural income, towns
    15 % of the county's urban income (assumptions).
    """
    zones, par = ctx.zones, ctx.par
    n_c = zones.n_counties
    tz, tc = ctx.towns.zone, ctx.towns.county
    pop, land = state.pop, state.land
    psum = pop.sum(axis=1)
    rho = psum / np.maximum(land[:, 0, :], 1e-3)
    psi = par.skill_premium
    tau_z = pop[:, :2].sum(axis=1) / np.maximum(psum, 1.0)
    core = np.arange(n_c)
    mean_factor = tau_z[:, core] * psi + 1 - tau_z[:, core]
    rural_inc = zones.rural_income * ctx.rural_scale
    pr = psum[:, n_c : 2 * n_c]
    fs = zones.farm_worker_share
    f = 0.6 * fs / (0.6 * fs + (1 - fs))
    n_d = pop.shape[0]
    return EconomyBase(
        rho0=np.maximum(rho, 1.0),
        ma0=ctx.market_kernel(psum),
        lo_core=zones.urban_income[None, :] / mean_factor,
        farm0=f * rural_inc * pr,
        nonfarm0_per_worker=(1 - f) * rural_inc / np.maximum((1 - fs) * par.participation, 1e-9),
        lf0=np.maximum(fs * par.participation * pr, 1.0),
        farmland0=(
            land[:, 2, n_c : 2 * n_c]
            + np.bincount(tc, weights=zones.land[tz, 2], minlength=n_c)[None, :]
        ),
        hc0=np.concatenate(
            [
                par.housing_cost_share * zones.urban_income[None, :].repeat(n_d, 0),
                0.1 * rural_inc[None, :].repeat(n_d, 0),
                0.15 * zones.urban_income[tc][None, :].repeat(n_d, 0),
            ],
            axis=1,
        ),
    )


def economy(ctx: SimulationContext, base: EconomyBase, state: YearState, *, k: int) -> Economy:
    r"""Incomes, rents, congestion, labour markets and utilities of ``state`` in year ``k``.

    ``k`` counts years since the start year (0 = base year). The equations are those of the
    pieces: :func:`_year_densities` (density, congestion, market access, core incomes),
    :func:`_town_labour`, :func:`_rural_economy`, :func:`_housing_cost`, :func:`_sector_jobs`
    and :func:`_utility`.
    """
    year = _year_densities(ctx, base, state, k=k)
    town = _town_labour(ctx, base, state, year)
    rural = _rural_economy(ctx, base, state, year, town)
    zones = ctx.zones
    n_c = zones.n_counties
    tz = ctx.towns.zone
    core = np.arange(n_c)
    income = np.zeros((year.psum.shape[0], 2, year.psum.shape[1]))
    income[:, LO, core] = year.lo_core
    income[:, HI, core] = year.lo_core * ctx.par.skill_premium
    income[:, LO, tz] = town.income_lo
    income[:, HI, tz] = town.income_hi
    income[:, LO, n_c : 2 * n_c] = rural.income_lo
    income[:, HI, n_c : 2 * n_c] = rural.income_hi
    housing = _housing_cost(ctx, base, year)
    jobs = _sector_jobs(ctx, state, year, town, rural)
    utility = _utility(ctx, state, year, income=income, housing=housing, jobs=jobs, town=town)
    income_ratio, talent_cost = _income_ratio_and_talent_cost(ctx, state, year, income)
    return Economy(
        utility=utility,
        income=income,
        congestion=year.congestion,
        housing=housing,
        jobs=jobs,
        town_jobs=town.filled,
        town_industry_jobs=town.industry_filled,
        commuters=town.commuters,
        town_output=town.output,
        capital_return=town.capital_return,
        vacancy=town.vacancy,
        visitors=town.visitors,
        productivity=town.productivity,
        rural_demand=rural.demand,
        rural_employment=rural.employment,
        income_ratio=income_ratio,
        talent_cost=talent_cost,
    )


def _year_densities(
    ctx: SimulationContext, base: EconomyBase, state: YearState, *, k: int
) -> _Year:
    r"""Density, congestion, market access and core incomes.

    **Density and congestion** (per zone, persons per km² of construction land):
    :math:`\rho_z = P_z / L^{c}_z`; congestion index :math:`g_z = (\rho_z/\rho^*_z)^{\varepsilon_c}`
    (ρ* = ``reference_density``, or the designed density of a town, see
    :class:`~._context.TownConstants`; ε_c = ``congestion_elasticity``); 0 in rural zones.

    **Market access** (gravity, Hansen 1959): :math:`MA_z = \sum_o P_o e^{-d_{oz}/\lambda}`.

    **Core incomes** (per capita, skill s): :math:`y_{zs} = y^0_{c}\psi_s e^{g k}
    (\rho_z/\rho^0_z)^{\alpha}(MA_z/MA^0_z)^{\theta}` with agglomeration α
    (``agglomeration``; Combes & Gobillon 2015) and market-access elasticity θ.
    """
    par = ctx.par
    kind = ctx.zones.kind
    psum = state.pop.sum(axis=1)  # (D, Z)
    constr = np.maximum(state.land[:, 0, :], 1e-3)
    rho = psum / constr
    ma = ctx.market_kernel(psum)
    growth = float(np.exp(par.income_growth * k))
    cong = (rho / ctx.reference_density) ** par.congestion_elasticity
    cong = np.where(kind[None, :] == RURAL, 0.0, cong)
    core = np.arange(ctx.zones.n_counties)
    agg_core = (rho[:, core] / base.rho0[:, core]) ** par.agglomeration * (
        ma[:, core] / base.ma0[:, core]
    ) ** par.market_access_elasticity
    lo_core = base.lo_core * growth * agg_core  # (D, C)
    return _Year(k=k, growth=growth, psum=psum, rho=rho, ma=ma, congestion=cong, lo_core=lo_core)


def _town_labour(
    ctx: SimulationContext, base: EconomyBase, state: YearState, year: _Year
) -> _TownLabour:
    r"""Town labour markets, productivity, incomes, output and return on capital.

    Job demand :math:`J^D = K/\kappa_T + J^{dec} + s_j P_T` (capital per job κ_T of the
    industry or the design; decentralised jobs; local service jobs). Supply: resident workers
    :math:`\pi P_T` plus commuting villagers up to :math:`\omega \pi P_R / n_c`,
    :math:`\omega = \omega_{max} e^{-d^{in}/\lambda_c}`. Productivity
    :math:`q = \sqrt{o_i/10^6}\,(1 + J/2000)^{\alpha}(MA_T/MA_{core})^{\theta}
    (\tau_T/\bar\tau)^{\eta}` (talent availability η); wage premium for vacancies
    :math:`(1 + \xi v)`. Town income per capita :math:`y_{Ts} = y^{0,lo}_c\psi_s e^{gk} q (1+\xi v) e_T`
    with resident employment rate :math:`e_T`. Output :math:`J^{ind} o_i q`; gross return
    :math:`r = \text{capital\_share} \times \text{output} / K` (the marginal
    :math:`\text{capital\_share}\, o_i q / \kappa_T` before 1 M yuan of capital). Visitors
    :math:`V_i \min(1.5, K / 5\cdot 10^9)^{1/2}`.
    """
    par, tw = ctx.par, ctx.towns
    n_c = ctx.zones.n_counties
    tz, tc = tw.zone, tw.county
    pop, cap = state.pop, state.capital
    psum, ma = year.psum, year.ma
    pt = psum[:, tz]
    workers_t = par.participation * pt
    rural_pop = psum[:, n_c : 2 * n_c]
    j_ind_d = cap / tw.capital_per_job + state.decentralised_jobs
    j_d = j_ind_d + par.service_jobs_per_resident * pt
    c_max = (
        par.commute_share_max
        * tw.commute_reach
        * par.participation
        * rural_pop[:, tc]
        / np.maximum(tw.towns_in_county[tc], 1.0)
    )
    filled = np.minimum(j_d, workers_t + c_max)
    commuters = np.clip(j_d - workers_t, 0.0, c_max)
    vac = np.where(j_d > 0, 1.0 - filled / np.maximum(j_d, 1e-9), 0.0)
    emp_rate = np.where(workers_t > 0, np.minimum(1.0, j_d / np.maximum(workers_t, 1e-9)), 1.0)
    tau_t = np.where(pt > 1.0, pop[:, :2, tz].sum(axis=1) / np.maximum(pt, 1.0), ctx.tau_prov)
    q = (
        np.sqrt(tw.output_per_job / 1e6)
        * (1 + filled / 2000.0) ** par.agglomeration
        * (ma[:, tz] / np.maximum(ma[:, tc], 1e-9)) ** par.market_access_elasticity
        * np.clip(tau_t / ctx.tau_prov, 0.5, 2.0) ** par.talent_elasticity
    )
    lo_town = base.lo_core[:, tc] * year.growth * q * (1 + par.vacancy_wage_premium * vac)
    ind_filled = np.where(j_d > 0, j_ind_d * filled / np.maximum(j_d, 1e-9), 0.0)
    town_output = ind_filled * tw.output_per_job * q
    ret = np.where(
        cap > 1e6,
        par.capital_share * town_output / np.maximum(cap, 1.0),
        par.capital_share * tw.output_per_job * q / tw.capital_per_job,
    )
    return _TownLabour(
        job_demand=j_d,
        filled=filled,
        industry_filled=ind_filled,
        commuters=commuters,
        lo_wage=lo_town,
        income_lo=lo_town * emp_rate,
        income_hi=lo_town * emp_rate * par.skill_premium,
        output=town_output,
        capital_return=ret,
        vacancy=vac,
        visitors=tw.visitors_full * np.clip(cap / 5e9, 0.0, 1.5) ** 0.5,
        productivity=q,
    )


def _rural_economy(
    ctx: SimulationContext, base: EconomyBase, state: YearState, year: _Year, town: _TownLabour
) -> _Rural:
    r"""Rural incomes, employment and the demand towns create (county c).

    Farm income :math:`F^0_c e^{(g+g_a)k}(L_F/L_F^0)^{\phi} (A_F/A^0_F)^{1-\phi}`
    (Cobb–Douglas in farm labour and farmland) with farm labour
    :math:`L_F = s_F(k)\,\pi P_R - C` where the farm share of rural workers falls as
    :math:`s_F(k) = s_F(0) e^{-\nu k}` (``farm_exit_rate``, from the two censuses) and C are
    commuters to town jobs; the other rural workers earn the local non-farm wage
    :math:`w^{nf} = w^{nf}_0 (y^{lo}_{core}/y^{lo,0}_{core})\,m(t)` that tracks the core
    low-skill wage while the rural–urban wage gap closes (:func:`wage_gap_closing`). Leaving
    farming raises rural income per head by the wage gap between non-farm and farm work, a gain
    that shrinks as the farm share shrinks — the catch-up slows by itself. Plus commuters'
    town wages and **rural demand**
    :math:`D_c = \sum_{T\in c}(V_T s_v + \sigma \sum_s y_{Ts} P_{Ts})` (visitors V_T × spend
    s_v; residents' share σ of income spent on rural products) of the active towns. Jobs the
    demand supports are filled by the rural labour force first (there is no unemployment pool),
    so employment never exceeds the labour force.
    """
    par, tw, zones = ctx.par, ctx.towns, ctx.zones
    n_c, n_t = zones.n_counties, tw.n_towns
    tz, k = tw.zone, year.k
    pop, land = state.pop, state.land
    psi = par.skill_premium
    d = year.psum.shape[0]
    rural_pop = year.psum[:, n_c : 2 * n_c]
    for_c = tw.to_county
    comm_c = np.zeros((d, n_c))
    if n_t:
        comm_c = np.asarray((for_c.T @ town.commuters.T).T)
    fs = np.maximum(zones.farm_worker_share * np.exp(-par.farm_exit_rate * k), 0.01)
    lf = np.maximum(fs * par.participation * rural_pop - comm_c, 0.02 * base.lf0)
    farmland = land[:, 2, n_c : 2 * n_c] + (
        np.asarray((for_c.T @ land[:, 2, tz].T).T) if n_t else 0.0
    )
    phi = par.farm_labour_elasticity
    f0 = base.farmland0
    land_ratio = np.where(f0 > 1e-6, np.maximum(farmland, 1e-9) / np.maximum(f0, 1e-6), 1.0)
    farm = (
        base.farm0
        * np.exp((par.income_growth + par.agri_tfp_growth) * k)
        * (lf / base.lf0) ** phi
        * land_ratio ** (1 - phi)
    )
    nonfarm_workers = (1 - fs) * par.participation * rural_pop
    conv = wage_gap_closing(
        par.rural_nonfarm_discount,
        par.wage_convergence,
        base_year=ctx.start_year,
        year=ctx.start_year + k,
    )
    nonfarm_wage = base.nonfarm0_per_worker * (year.lo_core / base.lo_core) * conv
    nonfarm = nonfarm_workers * nonfarm_wage
    town_wage_worker = town.lo_wage / par.participation
    commute_inc = np.asarray((for_c.T @ (town.commuters * town_wage_worker).T).T) if n_t else 0.0
    resident_inc = town.income_hi * pop[:, :2, tz].sum(axis=1) + town.income_lo * pop[
        :, 2:, tz
    ].sum(axis=1)
    demand_t = (
        town.visitors * par.visitor_spend_yuan + par.resident_rural_spend_share * resident_inc
    )
    active_now = tw.active(ctx.start_year + k)[None, :]
    demand_t = np.where(active_now, demand_t, 0.0)
    demand = np.asarray((for_c.T @ demand_t.T).T) if n_t else np.zeros((d, n_c))
    rural_total = farm + nonfarm + commute_inc + demand
    y_r = rural_total / np.maximum(rural_pop, 1.0)
    tau_r = pop[:, :2, n_c : 2 * n_c].sum(axis=1) / np.maximum(rural_pop, 1.0)
    lo_r = y_r / (tau_r * psi + 1 - tau_r)
    demand_jobs = demand / np.maximum(nonfarm_wage, 1.0)
    rural_employment = np.minimum(
        lf + nonfarm_workers + comm_c + demand_jobs,
        np.maximum(par.participation * rural_pop, lf + comm_c),
    )
    return _Rural(
        farm_labour=lf,
        nonfarm_workers=nonfarm_workers,
        commuters=comm_c,
        demand=demand,
        demand_jobs=demand_jobs,
        employment=rural_employment,
        income_lo=lo_r,
        income_hi=lo_r * psi,
    )


def _housing_cost(ctx: SimulationContext, base: EconomyBase, year: _Year) -> F:
    r"""Housing cost per capita :math:`h_z = h^0_z e^{gk} (\rho_z/\rho^0_z)^{\varepsilon_r}`.

    Towns take their density relative to the reference density instead,
    :math:`(\rho_T/\rho^*_T)^{\varepsilon_r}` (their base density is 0), and cost nothing while
    empty; :math:`\rho^*_T L^c_T` is the town's housing capacity (the designed residents at
    build-out for a designed town). Cores start at ``housing_cost_share`` of income.
    """
    par = ctx.par
    kind, rho, psum = ctx.zones.kind, year.rho, year.psum
    rho_h = np.where(kind[None, :] == TOWN, rho / ctx.reference_density, rho / base.rho0)
    rho_h = np.where((kind[None, :] == TOWN) & (psum < 1.0), 0.0, rho_h)
    housing: F = base.hc0 * year.growth * np.maximum(rho_h, 1e-6) ** par.rent_elasticity
    return housing


def _sector_jobs(
    ctx: SimulationContext, state: YearState, year: _Year, town: _TownLabour, rural: _Rural
) -> F:
    """Jobs by sector (agriculture, manufacturing, services, town industry) of every zone.

    Cores: ``participation`` × residents less the jobs decentralised to towns, split by the
    county's census industry / services mix; rural zones: farm labour, non-farm workers in the
    same mix plus the jobs rural demand supports (services); towns: filled industry and
    service jobs.
    """
    zones, par = ctx.zones, ctx.par
    n_c = zones.n_counties
    tz = ctx.towns.zone
    psum = year.psum
    d = psum.shape[0]
    share = zones.sector_share
    ind_frac = share[:, 1] / np.maximum(share[:, 1] + share[:, 2], 1e-9)
    dec_out = state.decentralised_out
    jobs = np.zeros((d, 4, psum.shape[1]))
    core = np.arange(n_c)
    core_jobs = par.participation * psum[:, core]
    if dec_out is not None:
        core_jobs = np.maximum(core_jobs - dec_out, 0.0)
    jobs[:, 1, core] = core_jobs * ind_frac
    jobs[:, 2, core] = core_jobs * (1 - ind_frac)
    rz = np.arange(n_c, 2 * n_c)
    jobs[:, 0, rz] = rural.farm_labour
    jobs[:, 1, rz] = rural.nonfarm_workers * ind_frac
    jobs[:, 2, rz] = rural.nonfarm_workers * (1 - ind_frac) + rural.demand_jobs
    jobs[:, 3, tz] = town.industry_filled
    jobs[:, 2, tz] = town.filled - town.industry_filled
    return jobs


def _utility(
    ctx: SimulationContext,
    state: YearState,
    year: _Year,
    *,
    income: F,
    housing: F,
    jobs: F,
    town: _TownLabour,
) -> F:
    r"""Utility of group (s, r) in zone z (McFadden 1978; UrbanSim HLCM).

    :math:`V = \beta_y \ln(y_{zs}(1+t_p) - h_z + b) + \beta_s \ln S_z + \beta_a A_z - \beta_g g_z +
    ASC_{kind} + \beta_h (a_{zr} - 1) + \ln J_z` with tax preference t_p and housing subsidy b
    for tertiary town residents, service ratio S, amenity A, hukou access a (1 for locals) and
    the size term :math:`\ln J_z` (jobs located in the zone; a town's job demand): a zone is an
    aggregate of elemental alternatives, so its choice probability scales with its size
    (McFadden 1978; Ben-Akiva & Lerman 1985 §9.3) — without it a county of 100,000 and a city of
    5 million with equal utility would receive equal numbers of movers. Net income is floored
    at 5 % of the county's low-skill core income.
    """
    par, policy, zones = ctx.par, ctx.policy, ctx.zones
    kind = zones.kind
    tz, tc = ctx.towns.zone, ctx.towns.county
    psum, lo_core = year.psum, year.lo_core
    is_town = kind == TOWN
    tp = policy.tax_preference
    sub = 12.0 * policy.housing_subsidy_yuan_month
    net = income - housing[:, None, :]
    net[:, HI, is_town] += income[:, HI, is_town] * tp + sub
    floor = 0.05 * np.concatenate([lo_core, lo_core, lo_core[:, tc]], axis=1)
    net = np.maximum(net, floor[:, None, :])
    svc = np.clip((state.services + 1.0) / (psum + 1.0), 0.05, 2.0)
    asc = np.where(kind == CORE, par.asc_core, np.where(kind == TOWN, par.asc_town, 0.0))
    access = np.where(
        kind == CORE,
        par.hukou_access_core,
        np.where(
            kind == RURAL,
            par.hukou_access_rural,
            1.0 if policy.hukou_priority else par.hukou_access_town,
        ),
    )
    common = (
        par.beta_services * np.log(svc)
        + par.beta_amenity * zones.amenity[None, :]
        - par.beta_congestion * year.congestion
        + asc[None, :]
    )
    lnet = np.log(net)  # (D, 2, Z)
    utility: F = par.beta_income[..., None] * lnet[:, GROUP_SKILL, :]
    utility = utility + common[:, None, :]
    # size of the zone as a choice alternative (McFadden 1978 aggregation of elemental
    # alternatives; UrbanSim HLCM): ln of the jobs located in the zone, coefficient 1. Towns'
    # size is their job demand, so an empty new town with jobs on offer attracts residents.
    size = jobs.sum(axis=1)
    size[:, tz] = np.maximum(size[:, tz], town.job_demand)
    utility = utility + np.log(np.maximum(size, 1.0))[:, None, :]
    utility[:, GROUP_MIGRANT, :] += par.beta_hukou * (access - 1.0)[None, None, :]
    return utility


def _income_ratio_and_talent_cost(
    ctx: SimulationContext, state: YearState, year: _Year, income: F
) -> tuple[F, F]:
    r"""Urban–rural income ratio of the province and the yearly cost of the talent levers.

    Ratio of per-capita income of cores and towns to that of rural zones,
    :math:`\sum_{urban}(y_{hi}P_{hi} + y_{lo}P_{lo}) / \sum_{urban} P` over the same for rural
    zones. Talent cost: tax preference :math:`t_p y_{T,hi} P_{T,hi}` plus the housing subsidy
    :math:`12 b\, P_{T,hi}` of each town.
    """
    kind = ctx.zones.kind
    tz = ctx.towns.zone
    pop, psum = state.pop, year.psum
    tp = ctx.policy.tax_preference
    sub = 12.0 * ctx.policy.housing_subsidy_yuan_month
    urban_mask = kind != RURAL
    inc_tot = income[:, HI] * pop[:, :2].sum(axis=1) + income[:, LO] * pop[:, 2:].sum(axis=1)
    urban_pc = inc_tot[:, urban_mask].sum(axis=1) / np.maximum(psum[:, urban_mask].sum(axis=1), 1)
    rural_pc = inc_tot[:, ~urban_mask].sum(axis=1) / np.maximum(psum[:, ~urban_mask].sum(axis=1), 1)
    talent_cost = tp * income[:, HI, tz] * pop[:, :2, tz].sum(axis=1) + sub * pop[:, :2, tz].sum(
        axis=1
    )
    ratio: F = urban_pc / np.maximum(rural_pc, 1e-9)
    return ratio, talent_cost
