"""Stage 2 — assess: indicators, weights, MCDA, coupling coordination, suitability, sites.

Public face:

- MCDA on tables and grids: :func:`normalise`, :func:`topsis`, :func:`weighted_sum`;
- weights: :func:`entropy_weights`, :func:`critic_weights`, :func:`ahp_weights`,
  :func:`fixed_weights`;
- :func:`coupling_coordination` (urban–rural integration);
- province scale: :func:`assess_counties`, :func:`write_county_outputs`;
- county scale: :func:`suitability_from_layers`, :func:`write_suitability_geotiff`,
  :func:`sites_from_suitability` with :class:`SiteRules`.
"""

from __future__ import annotations

from xiaozhen.assess.counties import (
    COUNTY_INDICATORS,
    RURAL_INDICATORS,
    URBAN_INDICATORS,
    CountyAssessment,
    Indicator,
    assess_counties,
    county_indicators,
    write_county_outputs,
)
from xiaozhen.assess.coupling import (
    COORDINATION_CLASSES,
    CouplingResult,
    coordination_class,
    coupling_coordination,
)
from xiaozhen.assess.mcda import normalise, topsis, weighted_sum
from xiaozhen.assess.sites import SiteRules, sites_from_suitability
from xiaozhen.assess.suitability import (
    CONSTRAINT_BITS,
    DEFAULT_FACTOR_WEIGHTS,
    FACTORS,
    SuitabilityResult,
    suitability_from_layers,
    write_suitability_geotiff,
)
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
    "CONSTRAINT_BITS",
    "COORDINATION_CLASSES",
    "COUNTY_INDICATORS",
    "DEFAULT_FACTOR_WEIGHTS",
    "FACTORS",
    "RANDOM_INDEX_SAATY",
    "RANDOM_INDEX_TUMMALA_LING",
    "RURAL_INDICATORS",
    "URBAN_INDICATORS",
    "AHPResult",
    "CountyAssessment",
    "CouplingResult",
    "Indicator",
    "SiteRules",
    "SuitabilityResult",
    "ahp_weights",
    "assess_counties",
    "coordination_class",
    "county_indicators",
    "coupling_coordination",
    "critic_weights",
    "entropy_weights",
    "fixed_weights",
    "normalise",
    "sites_from_suitability",
    "suitability_from_layers",
    "topsis",
    "weighted_sum",
    "write_county_outputs",
    "write_suitability_geotiff",
]
