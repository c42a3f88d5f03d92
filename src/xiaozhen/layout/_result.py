"""The one result type every layout solver returns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Status = Literal["optimal", "gap_limit", "time_limit", "infeasible"]
"""``optimal``: proven (gap 0 up to floating point, or < 1 on integral data); ``gap_limit``: stopped
at the requested relative gap with the proven bound; ``time_limit``: stopped by the clock, incumbent
returned with its proven bound; ``infeasible``: proven to have no solution."""

Method = Literal[
    "radius-milp",
    "lagrangian",
    "lagrangian-bb",
    "lagrangian-kernel",
    "heuristic",
    "milp",
    "binary-search-milp",
]


def relative_gap(objective: float, bound: float, *, maximize: bool) -> float:
    """Relative optimality gap ``|objective - bound| / max(|objective|, 1e-12)``, signed so it is >= 0.

    Parameters
    ----------
    objective
        Incumbent value.
    bound
        Proven bound (lower for minimisation, upper for maximisation).
    maximize
        Whether the problem maximises.

    Returns
    -------
    float
        ``inf`` when there is no incumbent or no bound.
    """
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    diff = (bound - objective) if maximize else (objective - bound)
    return max(0.0, diff) / max(abs(objective), 1e-12)


@dataclass(frozen=True)
class LayoutResult:
    """Immutable result of a location or planning model.

    Attributes
    ----------
    model
        ``"p-median"``, ``"mclp"``, ``"lscp"``, ``"p-center"`` or ``"planning"``.
    selected
        Sorted indices of the chosen candidates.
    assignment
        Per demand point, the index of the chosen candidate serving it (nearest; ``-1`` when none
        covers it), or ``None`` for models without assignment.
    objective
        Objective of the returned solution (recomputed from the solution, not read from the solver).
    bound
        Proven bound on the optimum (lower for minimisation, upper for maximisation).
    gap
        Relative gap between ``objective`` and ``bound``.
    status
        See :data:`Status`.
    method
        Which algorithm produced the result.
    seconds
        Wall-clock time.
    maximize
        Whether the objective is maximised.
    info
        Extra numbers (e.g. ``fixed_closed``, ``milp_rows``, ``covered_weight``).
    """

    model: str
    selected: tuple[int, ...]
    assignment: NDArray[np.int64] | None
    objective: float
    bound: float
    gap: float
    status: Status
    method: Method
    seconds: float
    maximize: bool = False
    info: Mapping[str, float] = field(default_factory=dict)

    @property
    def n_selected(self) -> int:
        """Number of chosen candidates."""
        return len(self.selected)
