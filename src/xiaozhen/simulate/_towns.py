r"""Towns of one year: investment, land supply, capital, tax and fiscal return; decentralised jobs.

:func:`town_year` runs the creation schedule and money flows of every town and takes the
town's new construction land out of its idle, farm and ecological land (in place);
:func:`decentralised_jobs` moves jobs from congested cores to the county's active towns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xiaozhen.simulate._context import SimulationContext
from xiaozhen.simulate._economy import Economy
from xiaozhen.simulate._state import YearState

__all__ = ["TownFlows", "decentralised_jobs", "town_year"]

F = NDArray[np.float64]


@dataclass(frozen=True)
class TownFlows:
    """Money and land flows of every town in one year, all draws, ``(D, T)`` each.

    Money in yuan per year, land in km². Sources of investment (``public_budget`` less
    ``service_spend``, ``debt``, ``private``, ``fiscal_return_in``) equal its uses
    (``investment`` + ``unspent``); ``tax`` = ``tax_county`` + ``tax_provincial_kept`` +
    ``tax_returned``. ``quota`` is the quota available this year, ``quota_next`` next year's.
    """

    investment: F
    public_budget: F
    debt: F
    private: F
    fiscal_return_in: F
    service_spend: F
    unspent: F
    capital: F
    tax: F
    tax_provincial_kept: F
    tax_returned: F
    tax_county: F
    idle_reused: F
    new_quota_used: F
    quota: F
    land_converted_farmland: F
    targets_met: F
    planned: F
    quota_next: F


@dataclass(frozen=True)
class _Investment:
    is_creation: NDArray[np.bool_]  # (T,)
    planned: F
    budget: F
    debt: F
    private: F
    fiscal_return_in: F
    service_spend: F
    invest: F  # money to spend this year


@dataclass(frozen=True)
class _LandSupply:
    from_idle: F
    new: F  # new quota used
    from_farm: F


def town_year(ctx: SimulationContext, state: YearState, econ: Economy, *, year: int) -> TownFlows:
    r"""Investment, land supply, capital, tax and fiscal return of every town in ``year``.

    ``econ`` is the economy at the start of the year (returns, output, industry jobs).
    Moves the new construction land within ``state.land`` (in place); the caller stores the
    new capital, next year's quota and the fiscal return.

    **Capital**: :math:`K' = (1-\delta)K + I`, where investment above the ceiling
    ``max_capital_per_km2`` × construction land is unspent (returned to its sources).

    **Tax**: ``tax_rate_output`` × output; the provincial share σ is returned to the town
    100 % for 3 years, then 50 % for 2 (BRIEF §4.2) and reinvested next year; tax = county
    share + provincial kept + returned (exact).

    **Quota reward**: a town that met its annual target (investment ≥ plan during creation;
    ≥ 2,000 jobs afterwards, BRIEF §4.3) gets back 50 % (60 % for digital, environmental,
    equipment) of the new quota used as extra quota next year (BRIEF §4.2).

    Investment and land supply: :func:`_investment`, :func:`_land_supply`.
    """
    par, policy, tw = ctx.par, ctx.policy, ctx.towns
    tz = tw.zone
    active = tw.active(year)
    age = year - tw.start_year
    inv = _investment(ctx, state, econ, active=active, age=age)
    supply = _land_supply(ctx, state.land, invest=inv.invest, quota=state.quota, active=active)
    land = state.land

    # capital ceiling
    kept = (1 - par.depreciation) * state.capital
    ceiling = np.maximum(par.max_capital_per_km2 * land[:, 0, tz] - kept, 0.0)
    spent = np.minimum(inv.invest, ceiling)
    unspent = inv.invest - spent
    cap_new = kept + spent

    # tax and fiscal return
    tax = econ.town_output * par.tax_rate_output
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
            inv.is_creation[None, :],
            spent >= 0.999 * inv.planned,
            econ.town_industry_jobs >= 2000.0,
        )
        & active[None, :]
    )
    quota_next = (
        policy.new_quota_km2_per_town_year + met * tw.quota_reward_share[None, :] * supply.new
    )
    return TownFlows(
        investment=spent,
        public_budget=inv.budget,
        debt=inv.debt,
        private=inv.private,
        fiscal_return_in=inv.fiscal_return_in,
        service_spend=inv.service_spend,
        unspent=unspent,
        capital=cap_new,
        tax=tax,
        tax_provincial_kept=prov - returned,
        tax_returned=returned,
        tax_county=tax - prov,
        idle_reused=supply.from_idle,
        new_quota_used=supply.new,
        quota=state.quota,
        land_converted_farmland=supply.from_farm,
        targets_met=met.astype(float),
        planned=inv.planned,
        quota_next=quota_next,
    )


def _investment(
    ctx: SimulationContext,
    state: YearState,
    econ: Economy,
    *,
    active: NDArray[np.bool_],
    age: NDArray[np.int64],
) -> _Investment:
    r"""Planned investment and its sources (yuan/yr).

    Planned creation investment :math:`I^P_t` follows the creation schedule: first year ≥ 1 bn
    (0.6 bn in the 26 less-developed counties), the rest evenly over 3 years (5 in
    less-developed counties) (BRIEF §4.1). Sources: public budget :math:`B = b I^P`
    (``public_budget_share``), debt :math:`\ell B` (``leverage_ratio``), the fiscal return
    received :math:`R^{prev}`, and private capital responding to returns. During creation
    private investors subscribe a share of the part of the plan that public money does not
    fund, :math:`I^{priv} = \max(0, I^P - B(1+\ell))\,\min(1, (r/\bar r)^{\epsilon})` — never
    more than that gap, so switching a public lever off (e.g. leverage) can at most be made
    good by private capital, never overcompensated; after creation private capital replaces
    depreciation and expands with returns, :math:`\delta K\,\min(2, (r/\bar r)^{\epsilon})`
    (return r = capital share × output / K; hurdle :math:`\bar r`). A share
    ``public_service_share`` of B buys service capacity instead of capital.
    """
    par, policy, tw = ctx.par, ctx.policy, ctx.towns
    cap = state.capital
    d = cap.shape[0]
    is_creation = active & (age < tw.period)
    first_share, period = tw.first_share, tw.period
    sched = np.where(age == 0, first_share, (1 - first_share) / np.maximum(period - 1, 1))
    planned = np.where(is_creation, tw.planned_total * sched, 0.0)[None, :].repeat(d, 0)
    budget = policy.public_budget_share * planned
    debt = policy.leverage_ratio * budget
    ratio = (econ.capital_return / par.hurdle_return) ** par.investment_elasticity
    private = np.where(
        is_creation[None, :],
        np.maximum(planned - budget - debt, 0.0) * np.clip(ratio, 0.0, 1.0),
        np.where(active[None, :], par.depreciation * cap * np.clip(ratio, 0.0, 2.0), 0.0),
    )
    fr_in = np.where(active[None, :], state.returned_prev, 0.0)
    service_spend = policy.public_service_share * budget
    return _Investment(
        is_creation=is_creation,
        planned=planned,
        budget=budget,
        debt=debt,
        private=private,
        fiscal_return_in=fr_in,
        service_spend=service_spend,
        invest=budget - service_spend + debt + private + fr_in,
    )


def _land_supply(
    ctx: SimulationContext,
    land: F,
    *,
    invest: F,
    quota: F,
    active: NDArray[np.bool_],
) -> _LandSupply:
    r"""New construction land of every town, taken from its other uses in ``land`` (in place).

    Need :math:`I / i_L` (``investment_per_km2``); supplied from idle land first
    (``idle_land_first``), then new quota converting farmland outside permanent basic
    farmland, then ecological land outside the red line, up to the year's quota and the
    town's construction ceiling: the urban-development-boundary cap ``construction_cap_km2``,
    or the designed ``construction_km2`` of a designed town.
    """
    par, policy, tw = ctx.par, ctx.policy, ctx.towns
    tz = tw.zone
    tzl = land[:, :, tz]  # copy (fancy index)
    constr, idle, farm, eco = tzl[:, 0], tzl[:, 1], tzl[:, 2], tzl[:, 3]
    need = np.where(active[None, :], invest / par.investment_per_km2, 0.0)
    room = np.maximum(tw.construction_cap_km2 - constr, 0.0)
    conv_farm = np.maximum(farm - ctx.protected_farm[tz], 0.0)
    conv_eco = np.maximum(eco - ctx.protected_eco[tz], 0.0)
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
    return _LandSupply(from_idle=from_idle, new=new, from_farm=from_farm)


def decentralised_jobs(
    ctx: SimulationContext, state: YearState, econ: Economy, *, year: int
) -> tuple[F, F]:
    r"""Jobs moving this year from each congested core to its county's active towns.

    :math:`\Delta J_c = r_{dec} \max(0, g_c - 1)\, \pi P_c` (``decentralisation_rate``,
    congestion :math:`g_c` of the core at the start of the year, residents :math:`P_c` after
    relocation), shared equally by the county's active towns; nothing moves from a county
    without one.

    Returns
    -------
    tuple of ndarray
        Jobs received by each town ``(D, T)`` and jobs leaving each core ``(D, C)``.
    """
    tw, core_idx = ctx.towns, ctx.core_idx
    n_c = ctx.zones.n_counties
    tc = tw.county
    active = tw.active(year)
    cong_core = econ.congestion[:, core_idx]
    moved = (
        ctx.par.decentralisation_rate
        * np.maximum(cong_core - 1.0, 0.0)
        * (ctx.par.participation * state.pop[:, :, core_idx].sum(axis=1))
    )
    act_n = np.bincount(tc[active], minlength=n_c).astype(float)
    moved = np.where(act_n > 0, moved, 0.0)
    share = np.where(active, 1.0 / np.maximum(act_n[tc], 1.0), 0.0)
    received: F = moved[:, tc] * share
    return received, moved
