"""Stage 2 — assess: indicators, weights, MCDA, coupling coordination, suitability, sites.

Public face:

- MCDA on tables and grids: :func:`normalise`, :func:`topsis`, :func:`weighted_sum`;
- weights: :func:`entropy_weights`, :func:`critic_weights`, :func:`ahp_weights`,
  :func:`fixed_weights`;
- :func:`coupling_coordination` (urban–rural integration);
"""

from __future__ import annotations

from xiaozhen.assess.coupling import (
    COORDINATION_CLASSES,
    CouplingResult,
    coordination_class,
    coupling_coordination,
)
from xiaozhen.assess.mcda import normalise, topsis, weighted_sum
from xiaozhen.assess.weights import (
    RANDOM_INDEX_SAATY,
    RANDOM_INDEX_TUMMALA_LING,
    AHPResult,
    ahp_weights,
    critic_weights,
    entropy_weights,
    fixed_weights,
)

__all__ = [
    "COORDINATION_CLASSES",
    "RANDOM_INDEX_SAATY",
    "RANDOM_INDEX_TUMMALA_LING",
    "AHPResult",
    "CouplingResult",
    "ahp_weights",
    "coordination_class",
    "coupling_coordination",
    "critic_weights",
    "entropy_weights",
    "fixed_weights",
    "normalise",
    "topsis",
    "weighted_sum",
]
