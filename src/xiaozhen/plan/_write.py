"""Writers of one plan: each stage value to its files in the run folder (nothing is computed here).

=====================================  ===========================================================
``towns.csv``, ``towns.gpkg``          the plan's towns (:data:`~xiaozhen.plan._towns.TOWN_COLUMNS`
                                       and the simulation's end-year columns); layer ``towns``:
                                       points at the site (designed) or the county seat (profile)
``region/``                            counties (GeoPackage, CSV), census join report
``assess/``, ``position/``             county scores and coupling; positioning of each county
``layout/``                            candidates, the province's towns (``province_towns.csv``),
                                       the suburbs-only towns, frontier, ``solution.json``
``counties/<adcode>/``                 suitability.tif, grid metadata, ``sites.gpkg``,
                                       ``positioning_sites.csv``, ``siting.csv`` (one decision per
                                       town), ``designs.csv``, ``towns/<site_id>/`` design files
                                       (``summary.json`` names the ``town_id`` and ``industry``)
``simulate/<programme>/``              the simulation's tables; ``compare_<name>/`` paired
                                       comparisons
figures                                every report figure that carries a ``path``
=====================================  ===========================================================
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from xiaozhen._io import write_bytes_atomic, write_gpkg, write_json_atomic, write_text_atomic
from xiaozhen.assess import write_county_outputs
from xiaozhen.assess.suitability import write_suitability_geotiff
from xiaozhen.design import CountyPlan, write_town_outputs
from xiaozhen.evaluate import ProgrammeSimulations, write_comparison, write_simulation_tables
from xiaozhen.layout import ProvinceLayout
from xiaozhen.plan._chain import Plan, ProvinceRegion
from xiaozhen.position import write_positioning
from xiaozhen.report import ReportSection
from xiaozhen.report.sections import designs_table, sitings_table
from xiaozhen.runs import RunFolder

__all__ = ["write_figures", "write_plan", "write_towns"]


def write_region(region: ProvinceRegion, run: RunFolder) -> None:
    """``region/``: counties as GeoPackage and CSV, the census join report."""
    counties = region.counties
    write_gpkg(counties, run.file("region/counties.gpkg"), layer="counties")
    attributes = pd.DataFrame(counties.drop(columns="geometry"))
    write_text_atomic(run.file("region/counties.csv"), attributes.to_csv(float_format="%.6g"))
    write_text_atomic(
        run.file("region/census_join_report.csv"), region.join_report.to_csv(index=False)
    )


def write_layout(layout: ProvinceLayout, run: RunFolder) -> None:
    """``layout/``: candidates, the province's towns, the suburbs-only towns, frontier, solution."""
    folder = run.file("layout/.keep").parent
    write_text_atomic(folder / "candidates.csv", layout.candidates.to_csv())
    write_text_atomic(folder / "province_towns.csv", layout.towns.to_csv(index=False))
    if layout.towns_suburbs_only is not None:
        write_text_atomic(
            folder / "towns_suburbs_only.csv", layout.towns_suburbs_only.to_csv(index=False)
        )
    if layout.plan.frontier is not None:
        write_text_atomic(folder / "balance_frontier.csv", layout.frontier.to_csv(index=False))
    result = layout.plan.result
    chosen = layout.plan.chosen
    write_json_atomic(
        folder / "solution.json",
        {
            "status": result.status,
            "method": result.method,
            "objective": result.objective,
            "bound": result.bound,
            "gap": result.gap,
            "n_towns": len(chosen),
            "n_fringe": int(chosen["fringe"].sum()),
            "investment_yuan": float(chosen["investment"].sum()),
            "land_km2": float(chosen["land"].sum()),
        },
    )
    # Solver time goes to the manifest, not to a data file, so reruns stay byte-identical.
    run.timings_s["layout solver"] = round(result.seconds, 3)


def write_county(county: CountyPlan, run: RunFolder) -> None:
    """``counties/<adcode>/``: grid products, sites, siting decisions and each town's design."""
    folder = run.file(f"counties/{county.adcode}/.keep").parent
    write_suitability_geotiff(county.suitability, folder / "suitability.tif")
    write_json_atomic(folder / "grid_metadata.json", county.grid.metadata)
    if len(county.sites):
        write_gpkg(county.sites.reset_index(), folder / "sites.gpkg", layer="candidate_sites")
        write_gpkg(county.chosen.reset_index(), folder / "sites.gpkg", layer="chosen_sites")
        write_text_atomic(
            folder / "positioning_sites.csv",
            pd.DataFrame(county.sites.drop(columns="geometry")).to_csv(),
        )
    write_text_atomic(folder / "siting.csv", sitings_table(county).to_csv(index=False))
    designs = designs_table(county)
    if len(designs):
        write_text_atomic(folder / "designs.csv", designs.to_csv(index=False))
    for site_id, design in zip(county.chosen.index, county.designs, strict=True):
        row = county.chosen.loc[site_id]
        write_town_outputs(
            design,
            folder / "towns" / str(site_id),
            summary_extra={"town_id": str(row["town_id"]), "industry": str(row["industry"])},
        )


def write_simulations(simulations: ProgrammeSimulations, run: RunFolder) -> None:
    """``simulate/<programme>/`` tables and ``simulate/compare_<name>/`` comparisons."""
    folder = run.file("simulate/.keep").parent
    for name, tables in simulations.tables.items():
        write_simulation_tables(tables, folder / name)
    for label, (a, b) in simulations.pairs.items():
        write_comparison(
            simulations.comparisons[label],
            simulations.tables[a].indicators,
            simulations.tables[b].indicators,
            folder / f"compare_{label}",
            label_a=a,
            label_b=b,
        )


def write_towns(towns: pd.DataFrame, run: RunFolder, *, crs: object) -> None:
    """``towns.csv`` and ``towns.gpkg`` (layer ``towns``) at the run folder's root."""
    write_text_atomic(run.file("towns.csv"), towns.to_csv(index=False, float_format="%.6g"))
    points = gpd.GeoDataFrame(
        towns.drop(columns=["x", "y"]),
        geometry=gpd.points_from_xy(towns["x"], towns["y"]),
        crs=crs,
    )
    write_gpkg(points, run.file("towns.gpkg"), layer="towns")


def write_figures(sections: list[ReportSection], run: RunFolder) -> None:
    """Every report figure that names a ``path`` in the run folder."""
    for section in sections:
        for figure in section.figures:
            if figure.path is not None:
                write_bytes_atomic(run.file(figure.path), figure.png)


def write_plan(plan: Plan, run: RunFolder) -> None:
    """Write every stage value of ``plan`` into ``run`` (the report is written by the caller)."""
    write_region(plan.region, run)
    write_county_outputs(plan.assessment, run.file("assess/.keep").parent)
    write_positioning(plan.positioning, run.file("position/positioning_counties.csv"))
    write_layout(plan.layout, run)
    for county in plan.counties:
        write_county(county, run)
    if plan.simulations is not None:
        write_simulations(plan.simulations, run)
    write_towns(plan.towns, run, crs=plan.region.counties.crs)
