"""Plan stages 1–5 at county scale, for each focus county: grid, suitability, candidate sites,
their positioning, the choice of sites, and the design of each chosen town.

The county grid is the seeded synthetic county conditioned on the real county's facts
(:func:`xiaozhen.region.synth_county`) unless the scenario names a folder of imported grids
(``region.grid = "path"``, holding one ``<adcode>/`` grid folder per focus county, as written by
``xiaozhen region import``). Each county's work depends only on the scenario and the county, with
its own seed (:func:`~xiaozhen.plan._state.child_seed`), so counties can run in any order or in
parallel and still reproduce.
"""

from __future__ import annotations

import logging
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from xiaozhen._io import write_gpkg, write_json_atomic, write_text_atomic
from xiaozhen.assess import SiteRules, sites_from_suitability, suitability_from_layers
from xiaozhen.assess.suitability import SuitabilityResult, write_suitability_geotiff
from xiaozhen.design import Infeasible, TownLayout, design_towns, write_town_outputs
from xiaozhen.design._rules import USE_COLOURS, USE_NAMES
from xiaozhen.errors import ConfigError, InfeasibleError
from xiaozhen.layout import LayoutPlan, check_solution, layout_from_candidates
from xiaozhen.plan._layout import town_investment_yuan
from xiaozhen.plan._state import PlanState, child_seed
from xiaozhen.position import position_sites
from xiaozhen.region import CountyGrid, synth_county
from xiaozhen.report import (
    Figure,
    MapFigure,
    ReportSection,
    bars_vs_threshold_svg,
    category_layer,
    feature_layer,
    figure_png,
    save_png,
    table_from_frame,
    use_cjk_font,
)
from xiaozhen.scenario import Scenario

__all__ = ["CountyPlan", "plan_county", "stage_counties"]

logger = logging.getLogger(__name__)

#: Straight-line speed that turns the coverage time into a radius (30 km/h with circuity 1.3).
_COVERAGE_SPEED_KMH = 30.0 / 1.3


@dataclass(frozen=True)
class CountyPlan:
    """Everything planned for one focus county."""

    adcode: str
    name: str
    grid: CountyGrid
    suitability: SuitabilityResult
    sites: gpd.GeoDataFrame
    chosen: gpd.GeoDataFrame
    layout: LayoutPlan | None
    designs: tuple[TownLayout | Infeasible, ...]
    warnings: tuple[str, ...]


def load_county_grid(scenario: Scenario, adcode: str) -> CountyGrid:
    """The focus county's grid: synthetic (seeded) or imported from the scenario's folder."""
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


def _site_candidates(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """Layout candidates from positioned sites (benefit as at province scale)."""
    centroid = sites.geometry.centroid
    q_suit = sites["suitability"].rank(pct=True)
    return pd.DataFrame(
        {
            "county": sites["county"].astype(str),
            "industry": sites["best_industry"],
            "fit": sites["fit"],
            "suitability": sites["suitability"],
            "benefit": 10.0 * (0.5 * q_suit + 0.5 * sites["fit"]),
            "investment": [town_investment_yuan(str(i)) for i in sites["best_industry"]],
            "land": 1.0,
            "idle_reused_km2": sites["idle_reused_km2"],
            "fringe": sites["fringe"].astype(bool),
            "x": centroid.x,
            "y": centroid.y,
        },
        index=sites.index,
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


def _choose_sites(
    scenario: Scenario, candidates: pd.DataFrame, demand: pd.DataFrame, warnings: list[str]
) -> LayoutPlan:
    cfg = scenario.layout
    n = min(cfg.towns_per_focus_county, len(candidates))
    kwargs: dict[str, Any] = {
        "demand": demand,
        "service_radius_m": cfg.coverage_minutes / 60.0 * _COVERAGE_SPEED_KMH * 1000.0,
        "coverage_value": 1e-4,
        "n_towns": n,
        "min_spacing_m": cfg.min_spacing_km * 1000.0,
        "frontier_shares": None,
        "time_limit": cfg.time_limit_s,
    }
    try:
        return layout_from_candidates(candidates, balance_share=cfg.balance_share, **kwargs)
    except InfeasibleError as exc:
        warnings.append(
            f"balance share {cfg.balance_share:.0%} is infeasible at site scale ({exc}); "
            "the sites were chosen without it"
        )
        return layout_from_candidates(candidates, balance_share=0.0, **kwargs)


def plan_county(scenario: Scenario, counties: gpd.GeoDataFrame, adcode: str) -> CountyPlan:
    """Grid, suitability, sites, positioning, site choice and town designs of one county."""
    warnings: list[str] = []
    grid = load_county_grid(scenario, adcode)
    suit = suitability_from_layers(grid, weights="fixed")
    rules = SiteRules(
        target_area_km2=scenario.assess.site_area_km2,
        min_developable_km2=scenario.assess.min_developable_km2,
    )
    sites = sites_from_suitability(grid, suit, rules=rules, county=adcode)
    name = str(counties.loc[adcode, "name"])
    if sites.empty:
        warnings.append(f"{name}: no site meets the site rules; no town can be placed")
        return CountyPlan(adcode, name, grid, suit, sites, sites, None, (), tuple(warnings))
    positioning = position_sites(
        sites,
        counties,
        radius_km=scenario.position.site_radius_km,
        penalty=scenario.position.neighbour_penalty,
    )
    sites = sites.join(
        positioning.table[["best_industry", "score", "runner_up", "drivers"]].rename(
            columns={"score": "fit"}
        )
    )
    candidates = _site_candidates(sites)
    plan = _choose_sites(scenario, candidates, _village_demand(grid), warnings)
    check = check_solution(plan.problem, plan.result)
    if not check.ok:
        raise RuntimeError(f"site layout of {adcode} violates its constraints: {check}")
    chosen = sites.loc[plan.chosen.index]
    designs = design_towns(
        grid, chosen, scenario.design, seed=child_seed(scenario.seed, int(adcode), 5)
    )
    for design in designs:
        if isinstance(design, Infeasible):
            warnings.append(f"{name} site {design.site_id}: {design.message}")
    return CountyPlan(
        adcode, name, grid, suit, sites, chosen, plan, tuple(designs), tuple(warnings)
    )


def _site_map(
    county: CountyPlan, suitability: np.ndarray, extent: tuple[float, float, float, float]
) -> bytes:
    use_cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    image = ax.imshow(suitability, extent=extent, cmap="YlGn", vmin=0, vmax=1)
    gpd.GeoSeries([county.grid.boundary]).boundary.plot(ax=ax, color="#333", linewidth=0.8)
    if len(county.sites):
        county.sites.boundary.plot(ax=ax, color="#1f77b4", linewidth=0.5)
    if len(county.chosen):
        county.chosen.boundary.plot(ax=ax, color="#d62728", linewidth=2.0)
        for sid, point in zip(county.chosen.index, county.chosen.geometry.centroid, strict=True):
            industry = county.chosen.loc[sid, "best_industry"]
            ax.annotate(f"{sid}\n{industry}", (point.x, point.y), fontsize=7, color="#d62728")
    fig.colorbar(image, ax=ax, shrink=0.6, label="suitability (0–1)")
    ax.set_title(f"{county.name}: suitability, candidate sites (blue) and chosen towns (red)")
    ax.set_axis_off()
    return figure_png(fig)


def _write_county(state: PlanState, county: CountyPlan) -> ReportSection:
    folder = state.run.file(f"counties/{county.adcode}/.keep").parent
    suit = county.suitability
    write_suitability_geotiff(suit, folder / "suitability.tif")
    write_json_atomic(folder / "grid_metadata.json", county.grid.metadata)
    figures: list[Figure] = []
    tables = []
    if len(county.sites):
        write_gpkg(county.sites.reset_index(), folder / "sites.gpkg", layer="candidate_sites")
        write_gpkg(county.chosen.reset_index(), folder / "sites.gpkg", layer="chosen_sites")
        write_text_atomic(
            folder / "positioning_sites.csv",
            pd.DataFrame(county.sites.drop(columns="geometry")).to_csv(),
        )
    x, y = county.grid.layers["x"].values, county.grid.layers["y"].values
    half = county.grid.cell_size_m / 2
    extent = (
        float(x.min() - half),
        float(x.max() + half),
        float(y.min() - half),
        float(y.max() + half),
    )
    png = _site_map(county, suit.suitability.values, extent)
    save_png(png, folder / "map_sites.png")
    figures.append(Figure(f"{county.name}: suitability, candidate and chosen sites.", png))
    rows = []
    charts = []
    layout_polygons = []
    for design in county.designs:
        if isinstance(design, TownLayout):
            paths = write_town_outputs(design, folder / "towns" / design.site_id)
            uses = gpd.read_file(paths["gpkg"])
            uses["town"] = design.site_id
            layout_polygons.append(uses)
            limited = [c for c in design.checks if c.limit != 0]
            if limited:
                charts.append(
                    bars_vs_threshold_svg(
                        [c.name.replace("_", " ") for c in limited],
                        [c.value for c in limited],
                        [c.limit for c in limited],
                        # a minimum's slack is value − limit, a maximum's limit − value
                        senses=[
                            "min" if abs(c.value - c.limit - c.slack) < 1e-9 else "max"
                            for c in limited
                        ],
                        title=f"Town {design.site_id}: every check as value ÷ limit "
                        "(green passes; 1 is the limit)",
                        normalise=True,
                    )
                )
            figures.append(
                Figure(
                    f"{county.name} town {design.site_id}: production–living–ecological layout.",
                    Path(paths["png"]).read_bytes(),
                )
            )
            failed = [c.name for c in design.checks if c.hard and not c.passed]
            rows.append(
                {
                    "site": design.site_id,
                    "industry": county.chosen.loc[design.site_id, "best_industry"],
                    "status": design.status,
                    "method": design.method,
                    "construction_km2": design.metrics.get("construction_km2", np.nan),
                    "residents": design.metrics.get("residents", np.nan),
                    "jobs": design.metrics.get("jobs", np.nan),
                    "investment_bn_yuan": design.metrics.get("investment_yuan", np.nan) / 1e9,
                    "hard_checks_failed": ", ".join(failed) or "none",
                }
            )
        else:
            rows.append({"site": design.site_id, "status": "infeasible", "reason": design.message})
    designs = pd.DataFrame(rows)
    if len(designs):
        write_text_atomic(folder / "designs.csv", designs.to_csv(index=False))
        tables.append(table_from_frame("Town designs", designs, index=False))
    if len(county.chosen):
        shown = county.chosen[
            [
                "area_km2",
                "developable_km2",
                "idle_reused_km2",
                "suitability",
                "fringe",
                "tt_county_seat_min",
                "pop_30min",
                "best_industry",
                "fit",
                "drivers",
            ]
        ]
        tables.insert(0, table_from_frame("Chosen sites", pd.DataFrame(shown)))
    layers = []
    if len(county.sites):
        sites_wgs = county.sites.reset_index()
        layers.append(
            feature_layer(
                sites_wgs,
                name="Candidate sites 候选地块",
                colour="#1f77b4",
                label_column="site_id",
                popup_columns=("suitability", "best_industry", "fringe", "developable_km2"),
                fill_opacity=0.25,
            )
        )
    if len(county.chosen):
        layers.append(
            category_layer(
                county.chosen.reset_index(),
                "best_industry",
                name="Chosen towns 入选小镇",
                label_column="site_id",
                popup_columns=("best_industry", "fit", "suitability", "drivers"),
            )
        )
    if layout_polygons:
        cells = pd.concat(layout_polygons, ignore_index=True)
        palette = {
            USE_NAMES[u]: "#{:02x}{:02x}{:02x}".format(*USE_COLOURS[u][:3]) for u in USE_COLOURS
        }
        layers.append(
            category_layer(
                gpd.GeoDataFrame(cells, crs=county.chosen.crs),
                "name",
                name="Town layouts 小镇布局",
                colours=palette,
                label_column="name_zh",
                popup_columns=("town", "name_zh", "ple", "area_km2"),
                stroke="#555555",
                weight=0.2,
            )
        )
    maps = (
        (
            MapFigure(
                f"{county.name}: candidate sites, chosen towns and their layouts.", tuple(layers)
            ),
        )
        if layers
        else ()
    )
    result = county.layout.result if county.layout is not None else None
    summary = (
        f"{county.name} ({county.adcode}), synthetic={county.grid.synthetic}: "
        f"{len(county.sites)} candidate sites of about {state.scenario.assess.site_area_km2:g} km² "
        f"meet the site rules; {len(county.chosen)} chosen"
        + (f" (solver {result.method}, status {result.status})" if result is not None else "")
        + "; each chosen site is designed on a "
        f"{state.scenario.design.cell_size_m:g} m grid and re-verified by the independent checker."
    )
    return ReportSection(
        id=f"county-{county.adcode}",
        title=f"Sites and town designs · {county.name}",
        summary=summary,
        maps=maps,
        charts=tuple(charts),
        figures=tuple(figures),
        tables=tuple(tables),
        warnings=county.warnings,
        notes=(
            "The county grid is synthetic: a seeded landscape conditioned on the county's real "
            "area, urban and rural population and land-cover shares; supply real layers with "
            "`xiaozhen region import` to plan real sites."
            if county.grid.synthetic
            else "The county grid was imported from the user's layers.",
        ),
    )


def stage_counties(state: PlanState) -> None:
    """Plan every focus county at site scale and design its towns.

    Each county is one call of the pure function :func:`plan_county` with its own seed
    (:func:`~xiaozhen.plan._state.child_seed`). When the run was given an executor
    (``state.executor``, a :class:`concurrent.futures.Executor` such as a Dask
    ``Client.get_executor()``), the counties run as tasks on it, in any order; their results are
    put back in the scenario's order, so files and report are identical to a serial run.
    """
    counties = state.counties
    assert counties is not None
    codes = state.scenario.region.focus_counties
    executor = state.executor
    if executor is None or len(codes) < 2:
        plans = [plan_county(state.scenario, counties, code) for code in codes]
    else:
        futures = {executor.submit(plan_county, state.scenario, counties, c): c for c in codes}
        done: dict[str, CountyPlan] = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            logger.info("county %s planned (%d/%d)", futures[future], len(done), len(codes))
        plans = [done[code] for code in codes]
    state.results["county_plans"] = plans
    for county in plans:
        state.sections.append(_write_county(state, county))
