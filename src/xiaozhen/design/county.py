"""The county scale of one plan: site and design **the towns the province chose** in one county.

For a focus county the province layout has already chosen how many towns of which industry the
county gets (:class:`CountyTown` rows). This module finds a site for each of them and designs it:

1. suitability of the county grid and candidate sites (:mod:`xiaozhen.assess`);
2. the fit of every site for every industry (:func:`xiaozhen.position.position_sites`);
3. an assignment of towns to distinct sites by the planning model of :mod:`xiaozhen.layout`:
   one candidate per (site, town) pair with benefit ``10 × (½·q_suit + ½·fit(site, industry))``
   — the province formula with the site's fit *for the town's industry* — village coverage, each
   town exactly once (group limits), one town per site (spacing of at least 1 m between chosen
   pairs: two towns on one site are 0 m apart), the scenario's spacing and fringe share;
4. the design of each sited town (:func:`design_towns`).

Where this cannot be done it says so per town, with the numbers, and the later stages see the
decision (:class:`TownSiting`):

* ``sited``: the assignment's site was designed and passes every hard check;
* ``substituted``: the assigned site could not be designed (the design's reason is recorded);
  the next-best free site for the town's industry that keeps the spacing was designed instead
  (up to :attr:`SitingRules.max_alternatives` tries, in order of pair benefit);
* ``dropped``: no site can hold the town (fewer sites than towns under the site rules and
  spacing, or every alternative failed its design); the town leaves the plan.

If the fringe share cannot be met at site scale the assignment is solved without it and a
warning says so. Towns never change industry here: the province chose it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen.assess import SiteRules, sites_from_suitability, suitability_from_layers
from xiaozhen.assess.suitability import SuitabilityResult
from xiaozhen.design._design import TownLayout, design_towns
from xiaozhen.design._model import Infeasible, programme_counts
from xiaozhen.design._rules import DesignRules
from xiaozhen.errors import InfeasibleError
from xiaozhen.layout import LayoutPlan, check_solution, layout_from_candidates
from xiaozhen.position import position_sites
from xiaozhen.region import CountyGrid

__all__ = [
    "CountyPlan",
    "CountyTown",
    "SitingDecision",
    "SitingRules",
    "TownProfile",
    "TownSiting",
    "plan_county",
    "stand_in_profile",
]

logger = logging.getLogger(__name__)

SitingDecision = Literal["sited", "substituted", "dropped"]


@dataclass(frozen=True)
class CountyTown:
    """A town the province chose for a county: its id, industry and creation investment."""

    town_id: str
    industry: str
    investment_yuan: float


@dataclass(frozen=True)
class SitingRules:
    """How towns are sited in a county (the scenario's assess, position and layout keys).

    ``coverage_radius_m`` turns the coverage time into a straight-line reach; ``fringe_share``
    is the minimum share of the county's towns on fringe sites.
    """

    site_rules: SiteRules
    site_radius_km: float
    neighbour_penalty: float
    coverage_radius_m: float
    min_spacing_m: float
    fringe_share: float
    time_limit_s: float
    max_alternatives: int = 3


@dataclass(frozen=True)
class TownSiting:
    """What the county stage decided for one of the province's towns, and why."""

    town_id: str
    industry: str
    decision: SitingDecision
    site_id: str | None
    first_site_id: str | None
    reason: str


@dataclass(frozen=True)
class CountyPlan:
    """Everything planned for one focus county (a stage value: nothing on disk).

    Attributes
    ----------
    towns
        The province's towns for this county, as given.
    sites
        Candidate sites with their positioning (``best_industry`` is the site's own best fit).
    chosen
        One row per sited town, indexed by ``site_id``, with ``town_id`` and ``industry`` (the
        province's industry) added to the site's columns.
    layout
        The assignment model's plan (``None`` when there was nothing to assign).
    designs
        The final design of each sited town, in the order of ``chosen``.
    failed
        Designs that failed (the first site of a substituted or dropped town).
    sitings
        One decision per province town, in the order of ``towns``.
    """

    adcode: str
    name: str
    grid: CountyGrid
    suitability: SuitabilityResult
    towns: tuple[CountyTown, ...]
    sites: gpd.GeoDataFrame
    chosen: gpd.GeoDataFrame
    layout: LayoutPlan | None
    designs: tuple[TownLayout, ...]
    failed: tuple[TownLayout | Infeasible, ...]
    sitings: tuple[TownSiting, ...]
    warnings: tuple[str, ...]

    def design_of(self, town_id: str) -> TownLayout | None:
        """The design of ``town_id`` (``None`` when it was dropped)."""
        for site_id, design in zip(self.chosen.index, self.designs, strict=True):
            if str(self.chosen.loc[site_id, "town_id"]) == town_id:
                return design
        return None


@dataclass(frozen=True)
class TownProfile:
    """The stand-in of a town that is not designed: the design programme of the same rules.

    Construction land is the rules' target; residents, jobs and land by use follow the programme
    of :func:`~xiaozhen.design._model.programme_counts` on a site without existing roads.
    """

    construction_km2: float
    residents: float
    jobs: float
    residential_km2: float
    industry_km2: float


def stand_in_profile(rules: DesignRules) -> TownProfile:
    """Residents and jobs a town of ``rules`` would house on its target construction land.

    Same programme as a designed town (residential share, support share, road share, services
    from GB 50180-2018 standards, industry the rest) at the rules' densities (``residents_per_ha``,
    ``jobs_per_ha_*``).
    """
    a = rules.cell_size_m**2
    cells = round(rules.target_km2 * 1e6 / a)
    n_ind, n_sup, n_res, _road, residents, services = programme_counts(
        cells, road_existing=0, cell_area_m2=a, rules=rules
    )
    n_srv = sum(services.values())
    ha = a / 1e4
    jobs = (
        n_ind * ha * rules.jobs_per_ha_industry
        + n_sup * ha * rules.jobs_per_ha_support
        + n_srv * ha * rules.jobs_per_ha_services
    )
    return TownProfile(
        construction_km2=cells * a / 1e6,
        residents=float(residents),
        jobs=float(jobs),
        residential_km2=n_res * a / 1e6,
        industry_km2=n_ind * a / 1e6,
    )


def _village_demand(grid: CountyGrid) -> pd.DataFrame:
    settlements = grid.settlements
    rural = settlements[settlements["kind"].isin(["village", "township"])]
    return pd.DataFrame(
        {
            "x": rural.geometry.x,
            "y": rural.geometry.y,
            "population": rural["population"].astype(float),
            "rural_population": np.where(rural["kind"] == "village", rural["population"], 0.0),
        },
        index=rural.index,
    )


def _pair_candidates(
    sites: gpd.GeoDataFrame, fit: pd.DataFrame, towns: Sequence[CountyTown]
) -> pd.DataFrame:
    """One candidate per (site, town): the site's benefit for the town's industry."""
    centroid = sites.geometry.centroid
    q_suit = sites["suitability"].rank(pct=True)
    frames = []
    for town in towns:
        site_fit = fit[town.industry] if town.industry in fit.columns else 0.0 * q_suit
        frames.append(
            pd.DataFrame(
                {
                    "site_id": sites.index.astype(str),
                    "town_id": town.town_id,
                    "industry": town.industry,
                    "fit": site_fit.to_numpy(dtype=float),
                    "benefit": (10.0 * (0.5 * q_suit + 0.5 * site_fit)).to_numpy(dtype=float),
                    "investment": town.investment_yuan,
                    "land": 1.0,
                    "idle_reused_km2": sites["idle_reused_km2"].to_numpy(dtype=float),
                    "fringe": sites["fringe"].to_numpy(dtype=bool),
                    "x": centroid.x.to_numpy(),
                    "y": centroid.y.to_numpy(),
                },
                index=[f"{s}|{town.town_id}" for s in sites.index],
            )
        )
    return pd.concat(frames)


def _assign(
    pairs: pd.DataFrame,
    demand: pd.DataFrame,
    towns: Sequence[CountyTown],
    rules: SitingRules,
    warnings: list[str],
) -> LayoutPlan:
    """Assign towns to distinct sites; fewer towns only when no complete assignment exists."""
    ids = [t.town_id for t in towns]
    common = {
        "demand": demand,
        "service_radius_m": rules.coverage_radius_m,
        "coverage_value": 1e-4,
        "min_spacing_m": max(rules.min_spacing_m, 1.0),
        "columns": {"county": "town_id"},
        "county_max": dict.fromkeys(ids, 1),
        "frontier_shares": None,
        "time_limit": rules.time_limit_s,
    }
    shares = [rules.fringe_share] if rules.fringe_share <= 0 else [rules.fringe_share, 0.0]
    for share in shares:
        try:
            return layout_from_candidates(
                pairs,
                balance_share=share,
                n_towns=len(ids),
                county_min=dict.fromkeys(ids, 1),
                **common,  # type: ignore[arg-type]
            )
        except InfeasibleError as exc:
            if share > 0:
                warnings.append(
                    f"fringe share {share:.0%} cannot be met at site scale ({exc}); the towns "
                    "were sited without it"
                )
    # No complete assignment: site as many towns as the sites and spacing allow.
    return layout_from_candidates(pairs, balance_share=0.0, max_towns=len(ids), **common)  # type: ignore[arg-type]


def _child(seed: int, *keys: int) -> int:
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1, dtype=np.uint64)[0] >> 1)


def _spaced(xy: np.ndarray, taken: list[np.ndarray], spacing_m: float) -> bool:
    return all(float(np.hypot(*(xy - t))) >= spacing_m for t in taken)


def _designed_ok(design: TownLayout | Infeasible) -> bool:
    return isinstance(design, TownLayout) and design.feasible


def _why(design: TownLayout | Infeasible) -> str:
    if isinstance(design, Infeasible):
        return design.message
    failed = [c.name for c in design.checks if c.hard and not c.passed]
    return f"site {design.site_id}: the design fails hard checks {', '.join(failed)}"


def plan_county(
    grid: CountyGrid,
    counties: gpd.GeoDataFrame,
    adcode: str,
    towns: Sequence[CountyTown],
    rules: SitingRules,
    design_rules: DesignRules,
    *,
    seed: int,
) -> CountyPlan:
    """Site and design the province's ``towns`` in county ``adcode`` (see the module docstring).

    Parameters
    ----------
    grid
        The county grid (synthetic or imported).
    counties
        The province's county table (for the county-level positioning drivers and the name).
    adcode
        The county.
    towns
        The towns the province chose for this county, in the province's order.
    rules, design_rules
        Siting rules and design rules.
    seed
        Seed of this county's work (designs draw their generators from it).

    Returns
    -------
    CountyPlan
        With one :class:`TownSiting` per town.
    """
    warnings: list[str] = []
    name = str(counties.loc[adcode, "name"])
    suit = suitability_from_layers(grid, weights="fixed")
    sites = sites_from_suitability(grid, suit, rules=rules.site_rules, county=adcode)
    empty = sites.iloc[0:0].copy()

    def finish(
        chosen: gpd.GeoDataFrame,
        layout: LayoutPlan | None,
        designs: Sequence[TownLayout],
        failed: Sequence[TownLayout | Infeasible],
        sitings: Sequence[TownSiting],
    ) -> CountyPlan:
        return CountyPlan(
            adcode=adcode,
            name=name,
            grid=grid,
            suitability=suit,
            towns=tuple(towns),
            sites=sites,
            chosen=chosen,
            layout=layout,
            designs=tuple(designs),
            failed=tuple(failed),
            sitings=tuple(sitings),
            warnings=tuple(warnings),
        )

    if sites.empty and not towns:
        warnings.append(f"{name}: the province layout placed no town in this county")
        return finish(empty, None, (), (), ())
    if sites.empty:
        reason = (
            f"no site of about {rules.site_rules.target_area_km2:g} km² with "
            f"≥ {rules.site_rules.min_developable_km2:g} km² developable land meets the site "
            "rules in the county"
        )
        warnings.append(f"{name}: {reason}; its {len(towns)} town(s) are dropped")
        dropped = [TownSiting(t.town_id, t.industry, "dropped", None, None, reason) for t in towns]
        return finish(empty, None, (), (), dropped)
    positioning = position_sites(
        sites, counties, radius_km=rules.site_radius_km, penalty=rules.neighbour_penalty
    )
    sites = sites.join(
        positioning.table[["best_industry", "score", "runner_up", "drivers"]].rename(
            columns={"score": "site_best_fit"}
        )
    )
    if not towns:
        warnings.append(f"{name}: the province layout placed no town in this county")
        return finish(sites.iloc[0:0].copy(), None, (), (), ())
    pairs = _pair_candidates(sites, positioning.fit, towns)
    layout = _assign(pairs, _village_demand(grid), towns, rules, warnings)
    check = check_solution(layout.problem, layout.result)
    if not check.ok:
        raise RuntimeError(f"site assignment of {adcode} violates its constraints: {check}")
    assigned = dict(zip(layout.chosen["town_id"], layout.chosen["site_id"], strict=True))
    order = [t for t in towns if t.town_id in assigned]
    first = gpd.GeoDataFrame(
        sites.loc[[assigned[t.town_id] for t in order]], geometry="geometry", crs=sites.crs
    )
    attempts = design_towns(grid, first, design_rules, seed=_child(seed, 0)) if len(first) else []
    centroid = sites.geometry.centroid
    xy = {str(s): np.array([p.x, p.y]) for s, p in zip(sites.index, centroid, strict=True)}
    used = {assigned[t.town_id] for t in order}
    final: dict[str, tuple[str, TownLayout]] = {}
    failed: list[TownLayout | Infeasible] = []
    sitings: dict[str, TownSiting] = {}
    for k, (town, design) in enumerate(zip(order, attempts, strict=True)):
        site_id = assigned[town.town_id]
        if _designed_ok(design):
            assert isinstance(design, TownLayout)
            final[town.town_id] = (site_id, design)
            sitings[town.town_id] = TownSiting(
                town.town_id, town.industry, "sited", site_id, site_id, ""
            )
            continue
        failed.append(design)
        reason = _why(design).rstrip(".")
        used.discard(site_id)
        ranked = pairs[(pairs["town_id"] == town.town_id) & ~pairs["site_id"].isin(used)]
        ranked = ranked.sort_values("benefit", ascending=False, kind="stable")
        tried = 0
        for alt in ranked["site_id"]:
            if tried >= rules.max_alternatives:
                break
            others = [xy[s] for s in used]
            if not _spaced(xy[alt], others, rules.min_spacing_m):
                continue
            tried += 1
            one = gpd.GeoDataFrame(sites.loc[[alt]], geometry="geometry", crs=sites.crs)
            (redo,) = design_towns(grid, one, design_rules, seed=_child(seed, 1, k, tried))
            if _designed_ok(redo):
                assert isinstance(redo, TownLayout)
                used.add(alt)
                final[town.town_id] = (alt, redo)
                sitings[town.town_id] = TownSiting(
                    town.town_id,
                    town.industry,
                    "substituted",
                    alt,
                    site_id,
                    f"{reason}; substituted by site {alt}, the next-best free site for "
                    f"{town.industry} (alternative {tried} of at most {rules.max_alternatives})",
                )
                break
            failed.append(redo)
        if town.town_id not in final:
            sitings[town.town_id] = TownSiting(
                town.town_id,
                town.industry,
                "dropped",
                None,
                site_id,
                f"{reason}; {tried} alternative site(s) tried, none could be designed",
            )
    for town in towns:
        if town.town_id not in sitings:
            sitings[town.town_id] = TownSiting(
                town.town_id,
                town.industry,
                "dropped",
                None,
                None,
                f"no free site: {len(sites)} site(s) meet the site rules and at most "
                f"{len(assigned)} of the county's {len(towns)} towns fit at "
                f"{rules.min_spacing_m / 1000:g} km spacing",
            )
    for s in sitings.values():
        if s.decision != "sited":
            warnings.append(f"{name} town {s.town_id} ({s.industry}): {s.decision}: {s.reason}")
    kept = [t for t in towns if t.town_id in final]
    chosen = gpd.GeoDataFrame(
        sites.loc[[final[t.town_id][0] for t in kept]], geometry="geometry", crs=sites.crs
    )
    chosen.insert(0, "town_id", [t.town_id for t in kept])
    chosen.insert(1, "industry", [t.industry for t in kept])
    fit = positioning.fit
    chosen["fit"] = [
        float(fit[t.industry].to_numpy(float)[fit.index.get_loc(final[t.town_id][0])])
        if t.industry in fit.columns
        else 0.0
        for t in kept
    ]
    logger.info(
        "county %s: %d of %d towns sited (%s)",
        adcode,
        len(kept),
        len(towns),
        ", ".join(f"{s.town_id}: {s.decision}" for s in sitings.values()),
    )
    return finish(
        chosen,
        layout,
        [final[t.town_id][1] for t in kept],
        failed,
        [sitings[t.town_id] for t in towns],
    )
