r"""Location choice: multinomial-logit relocation with moving costs, plus external in-migration."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from xiaozhen.simulate._context import SimulationContext

__all__ = ["relocate"]

F = NDArray[np.float64]


def relocate(
    ctx: SimulationContext,
    pop: F,
    utility: F,
    *,
    open_zones: NDArray[np.bool_],
    external: float,
) -> tuple[F, F]:
    r"""Residents after one year of relocation and external in-migration; and the inflow.

    A share :math:`m` (``mobility``) of the residents :math:`N_{go}` of group g in zone o
    reconsiders each year and chooses destination d with

    .. math:: P(d \mid o, g) = \frac{e^{V_{gd}} K_{od}}{\sum_{d'} e^{V_{gd'}} K_{od'}},\qquad
              K_{od} = e^{-\mu 1[o \ne d] - \gamma\, d_{od}/100}

    (moving cost μ, distance decay γ per 100 km; staying is the zero-cost alternative).
    Flows are never materialised: :math:`\mathrm{in}_d = e^{V_{gd}} \sum_o (m N_{go}/S_o) K_{od}`
    with :math:`S_o = \sum_d e^{V_{gd}} K_{od}`, two kernel sums per group. Closed zones (towns
    before their start, ``open_zones`` False) have :math:`e^{V} = 0`. External in-migrants
    (``external`` residents; registration: migrant; tertiary share = provincial share) choose
    :math:`d` with probability :math:`\propto e^{V_{gd}}`; a negative external balance removes
    residents proportionally. People are conserved: :math:`\sum N' = \sum N + E` exactly (to
    float rounding).

    Returns
    -------
    tuple of ndarray
        New residents ``(D, 4, Z)`` and the external inflow of each draw ``(D,)``.
    """
    kern = ctx.move_kernel
    m = ctx.par.mobility[..., None]
    v = np.where(open_zones[None, None, :], utility, -np.inf)
    e = np.exp(v - v.max(axis=2, keepdims=True))
    s = kern(e)
    movers = m * pop
    x = np.where(s > 0, movers / np.where(s > 0, s, 1.0), 0.0)
    inflow = e * kern(x)
    new = pop - movers + inflow
    d = pop.shape[0]
    ext = np.full(d, float(external))
    tau_prov = ctx.tau_prov
    if external > 0:
        prob = e / e.sum(axis=2, keepdims=True)
        new[:, 1, :] += external * tau_prov * prob[:, 1, :]
        new[:, 3, :] += external * (1 - tau_prov) * prob[:, 3, :]
    elif external < 0:
        tot = new.sum(axis=(1, 2), keepdims=True)
        new = new * (1 + external / tot)
    return new, ext
