"""The one chain of stages every entry point runs: ``xiaozhen plan``, the sweep's tasks, the web app.

:func:`compute_plan` turns a scenario into a frozen :class:`Plan` — the value of each stage in
pipeline order — and writes nothing. Each stage is a public function of the values before it
(:func:`plan_region` … :func:`plan_simulation`), so a caller may stop early or reuse a stage;
:class:`StageCache` keeps the stages that depend on few scenario keys (region, assessment,
positioning) between scenarios of one process (the sweep's workers).

Data flow (one way)::

    scenario ─► region ─► assessment ─► positioning ─► province layout ─► county plans
                                                                          │ (focus counties)
                                                      towns ◄─────────────┘
                                                        └─► simulations (programme, suburbs only,
                                                            no towns; paired) ─► towns + END
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen.assess import CountyAssessment, SiteRules, assess_counties
from xiaozhen.design import CountyPlan, CountyTown, SitingRules, plan_county
from xiaozhen.errors import ConfigError
from xiaozhen.evaluate import ProgrammeSimulations, simulate_programmes
from xiaozhen.layout import ProvinceLayout, ProvinceLayoutRules, layout_province
from xiaozhen.plan._towns import simulated_towns, towns_of_plan, with_end_year
from xiaozhen.position import PositioningResult, position_counties
from xiaozhen.region import CountyGrid, census_join_report, load_counties, synth_county
from xiaozhen.scenario import Scenario

__all__ = [
    "PROGRAMMES",
    "Plan",
    "PlanOptions",
    "ProvinceRegion",
    "StageCache",
    "child_seed",
    "compute_plan",
    "county_grid",
    "plan_assessment",
    "plan_counties",
    "plan_layout",
    "plan_positioning",
    "plan_region",
    "plan_simulation",
]

logger = logging.getLogger(__name__)

#: Straight-line speed that turns the coverage time into a radius (30 km/h with circuity 1.3).
COVERAGE_SPEED_KMH = 30.0 / 1.3

#: The simulated programmes and the paired comparisons (B − A) of a plan.
PROGRAMMES = ("programme", "suburbs_only", "no_towns")
COMPARISONS = {
    "balanced_vs_suburbs_only": ("suburbs_only", "programme"),
    "programme_vs_no_towns": ("no_towns", "programme"),
}


def child_seed(seed: int, *keys: int) -> int:
    """A seed for one sub-task, derived from the scenario seed and integer keys (e.g. an adcode).

    Independent of the order in which sub-tasks run, so per-county work can run in parallel and
    still reproduce.
    """
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1, dtype=np.uint64)[0] >> 1)


@dataclass(frozen=True)
class ProvinceRegion:
    """Stage 1 value: the 90 counties with their attributes and the census join report."""

    counties: gpd.GeoDataFrame
    join_report: pd.DataFrame


@dataclass(frozen=True)
class Plan:
    """One plan from province to town to simulation: every stage's value, in pipeline order.

    Attributes
    ----------
    scenario
        The validated scenario.
    region, assessment, positioning, layout
        Province-scale stage values.
    counties
        One :class:`~xiaozhen.design.CountyPlan` per focus county (the province's towns there,
        sited and designed, with one decision per town).
    towns
        The towns of the plan, one row each (the run folder's ``towns.csv``): the province's
        towns less those the county stage dropped; ``source`` ``designed`` or ``profile``.
    simulations
        The programme (exactly :attr:`towns`), its counterfactuals and their paired
        comparisons; ``None`` when the options skip the simulation.
    """

    scenario: Scenario
    region: ProvinceRegion
    assessment: CountyAssessment
    positioning: PositioningResult
    layout: ProvinceLayout
    counties: tuple[CountyPlan, ...]
    towns: pd.DataFrame
    simulations: ProgrammeSimulations | None


@dataclass(frozen=True)
class PlanOptions:
    """What :func:`compute_plan` runs beyond the province layout.

    ``frontier``: the price-of-balance frontier; ``counties``: site and design the focus
    counties' towns; ``simulate``: the yearly simulation; ``programmes``: which of
    :data:`PROGRAMMES` to simulate (comparisons need both of their programmes).
    """

    frontier: bool = True
    counties: bool = True
    simulate: bool = True
    programmes: tuple[str, ...] = PROGRAMMES


@dataclass
class StageCache:
    """Stages that depend on few scenario keys, kept between scenarios of one process.

    The region depends on nothing; the assessment on ``assess.method`` and ``assess.weights``;
    the positioning on ``position.neighbour_penalty``. Cached values are frozen dataclasses of
    frames that the chain never modifies.
    """

    region: ProvinceRegion | None = None
    assessments: dict[tuple[str, str], CountyAssessment] = field(default_factory=dict)
    positionings: dict[float, PositioningResult] = field(default_factory=dict)


def plan_region(cache: StageCache | None = None) -> ProvinceRegion:
    """Stage 1: the bundled counties and the census join report."""
    if cache is not None and cache.region is not None:
        return cache.region
    counties = load_counties()
    region = ProvinceRegion(counties=counties, join_report=census_join_report(counties.index))
    if cache is not None:
        cache.region = region
    return region


def plan_assessment(
    scenario: Scenario, region: ProvinceRegion, cache: StageCache | None = None
) -> CountyAssessment:
    """Stage 2: county suitability (MCDA) and urban–rural coupling coordination."""
    cfg = scenario.assess
    key = (cfg.method, cfg.weights)
    if cache is not None and key in cache.assessments:
        return cache.assessments[key]
    result = assess_counties(region.counties, method=cfg.method, weights=cfg.weights)
    if cache is not None:
        cache.assessments[key] = result
    return result


def plan_positioning(
    scenario: Scenario, region: ProvinceRegion, cache: StageCache | None = None
) -> PositioningResult:
    """Stage 3: each county's characteristic-industry fit with uniqueness among neighbours."""
    penalty = scenario.position.neighbour_penalty
    if cache is not None and penalty in cache.positionings:
        return cache.positionings[penalty]
    result = position_counties(region.counties, penalty=penalty)
    if cache is not None:
        cache.positionings[penalty] = result
    return result


def layout_rules(scenario: Scenario) -> ProvinceLayoutRules:
    """The province-layout inputs of a scenario."""
    cfg = scenario.layout
    return ProvinceLayoutRules(
        n_towns=cfg.n_towns,
        capital_budget_yuan=cfg.capital_budget_billion_yuan * 1e9,
        land_quota_km2=cfg.land_quota_km2,
        balance_share=cfg.balance_share,
        max_towns_per_county=cfg.max_towns_per_county,
        min_free_land_km2=cfg.min_free_land_km2,
        frontier_shares=tuple(cfg.frontier_shares),
        time_limit_s=cfg.time_limit_s,
        start_year=scenario.simulate.start_year,
        less_developed=scenario.region.less_developed,
        county_min=tuple(
            (c, cfg.min_towns_per_focus_county) for c in scenario.region.focus_counties
        ),
    )


def plan_layout(
    scenario: Scenario,
    region: ProvinceRegion,
    assessment: CountyAssessment,
    positioning: PositioningResult,
    *,
    frontier: bool = True,
    suburbs_only: bool = True,
) -> ProvinceLayout:
    """Stage 4: the province's batch of towns, the balance frontier and the suburbs-only layout."""
    return layout_province(
        region.counties,
        assessment,
        positioning,
        layout_rules(scenario),
        frontier=frontier,
        suburbs_only=suburbs_only,
    )


def county_grid(scenario: Scenario, adcode: str) -> CountyGrid:
    """A focus county's grid: synthetic (seeded) or imported from the scenario's folder."""
    cfg = scenario.region
    if cfg.grid == "synthetic":
        return synth_county(
            adcode, seed=child_seed(scenario.seed, int(adcode)), cell_size_m=cfg.cell_size_m
        )
    folder = Path(cfg.grid) / adcode
    if not folder.is_dir():
        raise ConfigError(
            f"region.grid: no grid folder {str(folder)!r} for focus county {adcode}; write one "
            f'with `xiaozhen region import CONFIG.toml --out {folder}` or set grid = "synthetic"'
        )
    return CountyGrid.load(folder)


def siting_rules(scenario: Scenario) -> SitingRules:
    """The county-stage inputs of a scenario."""
    cfg = scenario.layout
    return SitingRules(
        site_rules=SiteRules(
            target_area_km2=scenario.assess.site_area_km2,
            min_developable_km2=scenario.assess.min_developable_km2,
        ),
        site_radius_km=scenario.position.site_radius_km,
        neighbour_penalty=scenario.position.neighbour_penalty,
        coverage_radius_m=cfg.coverage_minutes / 60.0 * COVERAGE_SPEED_KMH * 1000.0,
        min_spacing_m=cfg.min_spacing_km * 1000.0,
        fringe_share=cfg.county_fringe_share,
        time_limit_s=cfg.time_limit_s,
    )


def _county_towns(layout: ProvinceLayout, adcode: str) -> tuple[CountyTown, ...]:
    rows = layout.towns[layout.towns["county"] == adcode].to_dict("records")
    return tuple(
        CountyTown(str(r["town_id"]), str(r["industry"]), float(r["investment_yuan"])) for r in rows
    )


def _plan_one_county(
    scenario: Scenario, counties: gpd.GeoDataFrame, adcode: str, towns: tuple[CountyTown, ...]
) -> CountyPlan:
    """One focus county (a pure function of its arguments: runs as a task anywhere)."""
    return plan_county(
        county_grid(scenario, adcode),
        counties,
        adcode,
        towns,
        siting_rules(scenario),
        scenario.design,
        seed=child_seed(scenario.seed, int(adcode), 5),
    )


def plan_counties(
    scenario: Scenario,
    region: ProvinceRegion,
    layout: ProvinceLayout,
    *,
    executor: Executor | None = None,
) -> tuple[CountyPlan, ...]:
    """Stage 5: site and design the province's towns in every focus county.

    Each county is one call of a pure function with its own seed (:func:`child_seed`). With an
    ``executor`` (e.g. a Dask ``Client.get_executor()``) the counties run as tasks in any order;
    results come back in the scenario's order, identical to a serial run.
    """
    codes = scenario.region.focus_counties
    work = {code: _county_towns(layout, code) for code in codes}
    if executor is None or len(codes) < 2:
        return tuple(_plan_one_county(scenario, region.counties, c, work[c]) for c in codes)
    futures = {
        executor.submit(_plan_one_county, scenario, region.counties, c, work[c]): c for c in codes
    }
    done: dict[str, CountyPlan] = {}
    for future in as_completed(futures):
        done[futures[future]] = future.result()
        logger.info("county %s planned (%d/%d)", futures[future], len(done), len(codes))
    return tuple(done[code] for code in codes)


def plan_simulation(
    scenario: Scenario,
    region: ProvinceRegion,
    layout: ProvinceLayout,
    towns: pd.DataFrame,
    *,
    programmes: tuple[str, ...] = PROGRAMMES,
) -> ProgrammeSimulations:
    """Stages 6–7: simulate the plan's towns, the suburbs-only layout and no towns (paired)."""
    unknown = sorted(set(programmes) - set(PROGRAMMES))
    if unknown:
        raise ConfigError(f"programmes: unknown {unknown}; use some of {list(PROGRAMMES)}")
    if "suburbs_only" in programmes and layout.towns_suburbs_only is None:
        raise ConfigError("programmes: 'suburbs_only' needs the layout's suburbs-only solution")
    tables: dict[str, pd.DataFrame | None] = {"programme": simulated_towns(towns), "no_towns": None}
    if layout.towns_suburbs_only is not None:
        tables["suburbs_only"] = simulated_towns(
            towns_of_plan(layout.towns_suburbs_only, (), scenario.design)
        )
    cfg = scenario.simulate
    return simulate_programmes(
        region.counties,
        {name: tables[name] for name in programmes},
        scenario.policy,
        start_year=cfg.start_year,
        years=cfg.years,
        draws=cfg.draws,
        seed=scenario.seed,
        pairs={k: v for k, v in COMPARISONS.items() if set(v) <= set(programmes)},
    )


def compute_plan(
    scenario: Scenario,
    *,
    options: PlanOptions | None = None,
    cache: StageCache | None = None,
    executor: Executor | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Plan:
    """Run the chain on ``scenario`` and return the :class:`Plan` (nothing is written).

    Parameters
    ----------
    scenario
        A validated scenario.
    options
        What to run beyond the province layout (default: everything).
    cache
        Reuse the region, assessment and positioning between calls (the sweep).
    executor
        Runs the focus counties as parallel tasks (identical results).
    on_stage
        Called with each stage's name before it runs (progress display, timings).

    Raises
    ------
    InfeasibleError
        If the province layout has no solution (the message says which constraint and by how
        much).
    """
    opts = options or PlanOptions()

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name)

    stage("region")
    region = plan_region(cache)
    stage("assess")
    assessment = plan_assessment(scenario, region, cache)
    stage("position")
    positioning = plan_positioning(scenario, region, cache)
    stage("layout")
    layout = plan_layout(
        scenario,
        region,
        assessment,
        positioning,
        frontier=opts.frontier,
        suburbs_only="suburbs_only" in opts.programmes,
    )
    county_plans: tuple[CountyPlan, ...] = ()
    if opts.counties:
        stage("sites and designs")
        county_plans = plan_counties(scenario, region, layout, executor=executor)
    towns = towns_of_plan(layout.towns, county_plans, scenario.design)
    simulations = None
    if opts.simulate:
        stage("simulate")
        simulations = plan_simulation(scenario, region, layout, towns, programmes=opts.programmes)
        if "programme" in simulations.results:
            towns = with_end_year(
                towns, simulations.tables["programme"].towns, simulations.final_year
            )
    return Plan(
        scenario=scenario,
        region=region,
        assessment=assessment,
        positioning=positioning,
        layout=layout,
        counties=county_plans,
        towns=towns,
        simulations=simulations,
    )
