r"""Land of cores and rural areas: core expansion with population, hollowed villages turning idle."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from xiaozhen.simulate._context import SimulationContext

__all__ = ["core_and_rural_land"]

F = NDArray[np.float64]


def core_and_rural_land(ctx: SimulationContext, land: F, *, pop_before: F, pop_after: F) -> None:
    r"""Core expansion and village hollowing (in place; each zone's area is constant).

    Cores add :math:`\Delta L^c = \max(0, \Delta P)\,l_c` of construction land
    (``core_land_per_new_resident_km2``), converting farmland outside permanent basic farmland
    first, then ecological land outside the red line; when both are exhausted density rises
    instead. Rural zones turn :math:`\max(0, -\Delta P) l_h` of construction land idle
    (``homestead_km2_per_resident``). ``pop_before`` and ``pop_after`` are residents ``(D, Z)``
    before and after the year's relocation.
    """
    core_idx, rural_idx = ctx.core_idx, ctx.rural_idx
    par = ctx.par
    dp = pop_after[:, core_idx] - pop_before[:, core_idx]
    need = np.maximum(dp, 0.0) * par.core_land_per_new_resident_km2
    farm = land[:, 2, core_idx]
    eco = land[:, 3, core_idx]
    conv_farm = np.maximum(farm - ctx.protected_farm[core_idx], 0.0)
    conv_eco = np.maximum(eco - ctx.protected_eco[core_idx], 0.0)
    take = np.minimum(need, conv_farm + conv_eco)
    from_farm = np.minimum(take, conv_farm)
    land[:, 0, core_idx] += take
    land[:, 2, core_idx] = farm - from_farm
    land[:, 3, core_idx] = eco - (take - from_farm)
    dr = pop_after[:, rural_idx] - pop_before[:, rural_idx]
    idle_new = np.minimum(
        np.maximum(-dr, 0.0) * par.homestead_km2_per_resident, land[:, 0, rural_idx]
    )
    land[:, 0, rural_idx] -= idle_new
    land[:, 1, rural_idx] += idle_new
