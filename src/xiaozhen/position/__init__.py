"""Stage 3 — position: characteristic-industry fit of counties and sites, uniqueness, explanation.

Public face: :func:`position_counties`, :func:`position_sites`, :func:`positioning_from_drivers`,
the driver tables (:func:`county_drivers`, :func:`site_drivers`), the documented weights
(:data:`INDUSTRY_DRIVERS`, :data:`DRIVER_DESCRIPTIONS`) and :func:`write_positioning`.
"""

from __future__ import annotations

from xiaozhen.position.fit import (
    DRIVER_DESCRIPTIONS,
    INDUSTRIES,
    INDUSTRY_DRIVERS,
    SITE_LEVEL_DRIVERS,
    PositioningResult,
    county_drivers,
    county_neighbours,
    position_counties,
    position_sites,
    positioning_from_drivers,
    site_drivers,
    site_neighbours,
    write_positioning,
)

__all__ = [
    "DRIVER_DESCRIPTIONS",
    "INDUSTRIES",
    "INDUSTRY_DRIVERS",
    "SITE_LEVEL_DRIVERS",
    "PositioningResult",
    "county_drivers",
    "county_neighbours",
    "position_counties",
    "position_sites",
    "positioning_from_drivers",
    "site_drivers",
    "site_neighbours",
    "write_positioning",
]
