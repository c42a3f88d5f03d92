"""Stage 5 — design each town: PLE layout, service coverage, control lines, checker.

Public face::

    layout = design_town(county_grid, site_polygon, DesignRules(), seed=0)
    results = design_towns(county_grid, sites_gdf, DesignRules(), seed=0, workers=2)
    write_town_outputs(layout, "out/site_1")
    checks = check_layout(layout.use, layout.site, layout.rules)

See :mod:`xiaozhen.design._rules` for the uses, their PLE classes and the rules with sources,
:mod:`xiaozhen.design._model` for the programme and objective, :mod:`xiaozhen.design._milp` and
:mod:`xiaozhen.design._heuristic` for the algorithms.
"""

from __future__ import annotations

from xiaozhen.design._design import (
    Method,
    TownLayout,
    design_site,
    design_town,
    design_towns,
    try_design_town,
)
from xiaozhen.design._model import Infeasible, Program, evaluate_objective
from xiaozhen.design._outputs import town_map_png, use_polygons, write_town_outputs
from xiaozhen.design._rules import (
    CONSTRUCTION_USES,
    DEFAULT_SERVICE_STANDARDS,
    SERVICE_USES,
    USE_COLOURS,
    USE_NAMES,
    USE_NAMES_ZH,
    USE_PLE,
    DesignRules,
    ObjectiveWeights,
    ServiceStandard,
    Use,
)
from xiaozhen.design._site import REQUIRED_LAYERS, SiteGrid, site_grid_from_layers
from xiaozhen.design.checker import Check, check_layout, walking_distance_relaxation
from xiaozhen.design.county import (
    CountyPlan,
    CountyTown,
    SitingRules,
    TownProfile,
    TownSiting,
    plan_county,
    stand_in_profile,
)

__all__ = [
    "CONSTRUCTION_USES",
    "DEFAULT_SERVICE_STANDARDS",
    "REQUIRED_LAYERS",
    "SERVICE_USES",
    "USE_COLOURS",
    "USE_NAMES",
    "USE_NAMES_ZH",
    "USE_PLE",
    "Check",
    "CountyPlan",
    "CountyTown",
    "DesignRules",
    "Infeasible",
    "Method",
    "ObjectiveWeights",
    "Program",
    "ServiceStandard",
    "SiteGrid",
    "SitingRules",
    "TownLayout",
    "TownProfile",
    "TownSiting",
    "Use",
    "check_layout",
    "design_site",
    "design_town",
    "design_towns",
    "evaluate_objective",
    "plan_county",
    "site_grid_from_layers",
    "stand_in_profile",
    "town_map_png",
    "try_design_town",
    "use_polygons",
    "walking_distance_relaxation",
    "write_town_outputs",
]
