"""Plan stage 4 at province scale: how many towns of which industry in which county.

Candidates are (county, industry) pairs: each county's positioned industry and its next-best
industries by fit, up to ``max_towns_per_county``. The planning model of :mod:`xiaozhen.layout`
chooses ``n_towns`` of them under the capital budget and land quota with the balance share of
towns in the less-developed counties, and the frontier shows what balance costs.

Benefit of a candidate (documented assumption): ``10 × (½·q_suit + ½·fit)`` where ``q_suit`` is
the county's suitability percentile and ``fit`` the industry fit (0–1); coverage adds 1 per
10,000 rural residents of counties whose seat lies within the service radius of the town's county
seat (straight line), so the best possible benefit of a town equals covering 100,000 rural people.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen._io import write_gpkg, write_text_atomic
from xiaozhen.assess import CountyAssessment
from xiaozhen.layout import LayoutPlan, check_solution, layout_from_candidates
from xiaozhen.plan._state import PlanState
from xiaozhen.position import PositioningResult
from xiaozhen.report import (
    Figure,
    MapFigure,
    ReportSection,
    category_layer,
    choropleth_layer,
    county_map,
    figure_png,
    frontier_chart_svg,
    save_png,
    table_from_frame,
)
from xiaozhen.scenario import Scenario

__all__ = ["INVESTMENT_YUAN", "province_candidates", "stage_layout_province"]

logger = logging.getLogger(__name__)

#: Fixed-asset investment of a town over its 3-year creation (浙特镇办〔2015〕9号 §2(3)):
#: 5 billion yuan; 3 billion for information-economy, finance, tourism and classic towns.
INVESTMENT_YUAN = {"default": 5e9, "digital": 3e9, "finance": 3e9, "tourism": 3e9, "classic": 3e9}
#: Construction land of a town: about 1 km² (BRIEF §4.1).
TOWN_LAND_KM2 = 1.0
#: Coverage radius at province scale (straight line between county seats).
SERVICE_RADIUS_M = 30_000.0


def town_investment_yuan(industry: str) -> float:
    """Creation investment of a town of ``industry`` (BRIEF §4.1)."""
    key = "classic" if industry.startswith("classic") else industry
    return INVESTMENT_YUAN.get(key, INVESTMENT_YUAN["default"])


def province_candidates(
    scenario: Scenario,
    counties: gpd.GeoDataFrame,
    assessment: CountyAssessment,
    positioning: PositioningResult,
) -> pd.DataFrame:
    """The (county, industry) candidate table for the province-scale layout."""
    cfg = scenario.layout
    fit = positioning.fit
    free = counties["area_km2"] * (1.0 - counties["lc_urban"] - counties["lc_water"])
    eligible = counties.index[free >= cfg.min_free_land_km2]
    q_suit = assessment.counties["score"].rank(pct=True)
    less = scenario.region.less_developed
    fringe = counties.index.isin(list(less)) if less is not None else counties["less_developed"]
    fringe = pd.Series(np.asarray(fringe, dtype=bool), index=counties.index)
    rows = []
    for adcode in eligible:
        best = str(positioning.table.loc[adcode, "best_industry"])
        others = [i for i in fit.loc[adcode].sort_values(ascending=False).index if i != best]
        for rank, industry in enumerate([best, *others][: cfg.max_towns_per_county]):
            f = float(fit.loc[adcode, industry])
            rows.append(
                {
                    "candidate": f"{adcode}-{industry}",
                    "county": adcode,
                    "name": counties.loc[adcode, "name"],
                    "industry": industry,
                    "industry_rank": rank + 1,
                    "fit": f,
                    "suitability_pct": float(q_suit.loc[adcode]),
                    "benefit": 10.0 * (0.5 * float(q_suit.loc[adcode]) + 0.5 * f),
                    "investment": town_investment_yuan(industry),
                    "land": TOWN_LAND_KM2,
                    "fringe": bool(fringe.loc[adcode]),
                    "x": float(counties.loc[adcode, "seat_x"]),
                    "y": float(counties.loc[adcode, "seat_y"]),
                }
            )
    return pd.DataFrame(rows).set_index("candidate")


def _demand(counties: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": counties["seat_x"],
            "y": counties["seat_y"],
            "population": counties["rural_pop_2020"],
            "rural_population": counties["rural_pop_2020"],
        }
    )


def solve_province_layout(
    scenario: Scenario,
    counties: gpd.GeoDataFrame,
    candidates: pd.DataFrame,
    *,
    balance_share: float,
    frontier: bool,
) -> LayoutPlan:
    """Solve the province planning model at ``balance_share`` (frontier optional)."""
    cfg = scenario.layout
    return layout_from_candidates(
        candidates,
        demand=_demand(counties),
        service_radius_m=SERVICE_RADIUS_M,
        budget=cfg.capital_budget_billion_yuan * 1e9,
        land_quota_km2=cfg.land_quota_km2,
        balance_share=balance_share,
        coverage_value=1e-4,
        n_towns=cfg.n_towns,
        county_max=dict.fromkeys(candidates["county"].unique(), cfg.max_towns_per_county),
        frontier_shares=cfg.frontier_shares if frontier else None,
        time_limit=cfg.time_limit_s,
    )


def towns_table(chosen: pd.DataFrame, *, start_year: int) -> pd.DataFrame:
    """The chosen towns as the simulation's programme: three yearly batches by benefit."""
    ordered = chosen.sort_values("benefit", ascending=False)
    batch = np.arange(len(ordered)) * 3 // max(len(ordered), 1)
    return pd.DataFrame(
        {
            "town_id": ordered.index.astype(str),
            "county": ordered["county"].astype(str).to_numpy(),
            "name": ordered["name"].to_numpy(),
            "industry": ordered["industry"].to_numpy(),
            "start_year": start_year + 1 + batch,
            "investment_yuan": ordered["investment"].to_numpy(),
            "fringe": ordered["fringe"].to_numpy(),
        }
    )


def _frontier_png(frontier: pd.DataFrame, chosen_share: float) -> bytes:
    import matplotlib.pyplot as plt

    ok = frontier[frontier["status"] != "infeasible"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(ok["balance_share"], ok["objective"], "o-", color="#0b6e4f", label="objective")
    ax.set_xlabel("balance share: minimum share of towns in less-developed counties")
    ax.set_ylabel("planning objective (benefit + coverage)")
    ax2 = ax.twinx()
    ax2.plot(
        ok["balance_share"],
        ok["rural_covered"] / 1e6,
        "s--",
        color="#a15c00",
        label="rural residents covered (M)",
    )
    ax2.set_ylabel("rural residents covered (million)")
    ax.axvline(chosen_share, color="grey", lw=0.8, ls=":")
    ax.set_title("Objective and rural residents covered as the balance share rises")
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(lines, labels, loc="lower left", fontsize=8)
    return figure_png(fig)


def stage_layout_province(state: PlanState) -> None:
    """Choose the batch of towns across counties and industries; the balance frontier."""
    cfg = state.scenario.layout
    counties = state.counties
    assert counties is not None
    candidates = province_candidates(
        state.scenario,
        counties,
        state.require("county_assessment"),
        state.require("county_positioning"),
    )
    plan = solve_province_layout(
        state.scenario, counties, candidates, balance_share=cfg.balance_share, frontier=True
    )
    # The counterfactual "suburbs only": the same model without any less-developed county.
    suburbs = solve_province_layout(
        state.scenario,
        counties,
        candidates[~candidates["fringe"]],
        balance_share=0.0,
        frontier=False,
    )
    check = check_solution(plan.problem, plan.result)
    if not check.ok:
        raise RuntimeError(f"province layout violates its constraints: {check}")
    chosen = plan.chosen
    towns = towns_table(chosen, start_year=state.scenario.simulate.start_year)
    towns_suburbs = towns_table(suburbs.chosen, start_year=state.scenario.simulate.start_year)
    state.results.update(province_layout=plan, towns=towns, towns_suburbs_only=towns_suburbs)
    folder = state.run.file("layout/.keep").parent
    write_text_atomic(folder / "candidates.csv", candidates.to_csv())
    write_text_atomic(folder / "towns.csv", towns.to_csv(index=False))
    write_text_atomic(folder / "towns_suburbs_only.csv", towns_suburbs.to_csv(index=False))
    frontier = plan.frontier
    assert frontier is not None  # requested above
    write_text_atomic(folder / "balance_frontier.csv", frontier.to_csv(index=False))
    result = plan.result
    summary_json = {
        "status": result.status,
        "method": result.method,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "n_towns": len(chosen),
        "n_fringe": int(chosen["fringe"].sum()),
        "investment_yuan": float(chosen["investment"].sum()),
        "land_km2": float(chosen["land"].sum()),
    }
    from xiaozhen._io import write_json_atomic

    # Solver time goes to the manifest, not to a data file, so reruns stay byte-identical.
    state.run.timings_s["layout solver"] = round(result.seconds, 3)
    write_json_atomic(folder / "solution.json", summary_json)
    per_county = towns.groupby("county").agg(
        towns=("town_id", "size"), industries=("industry", lambda s: "、".join(sorted(s)))
    )
    mapped = counties[["name", "geometry"]].join(per_county)
    mapped["towns"] = mapped["towns"].fillna(0).astype(int)
    seats = counties.loc[counties.index.isin(towns["county"])]

    points = gpd.GeoDataFrame(
        seats[["name"]],
        geometry=gpd.points_from_xy(seats["seat_x"], seats["seat_y"]),
        crs=counties.crs,
    )
    png = county_map(
        mapped,
        "towns",
        title="Towns in the batch by county · 特色小镇布局",
        legend_label="towns",
        cmap="Greens",
        highlight=points,
    )
    save_png(png, folder / "map_towns.png")
    frontier_png = _frontier_png(frontier, cfg.balance_share)
    save_png(frontier_png, folder / "balance_frontier.png")
    write_gpkg(
        gpd.GeoDataFrame(
            towns.merge(counties[["geometry"]], left_on="county", right_index=True),
            crs=counties.crs,
        ),
        folder / "towns.gpkg",
        layer="towns_by_county",
    )
    by_industry = towns["industry"].value_counts().rename("towns").to_frame()
    assessment = state.require("county_assessment").counties
    map_counties = (
        counties[["name", "city", "geometry"]].join(assessment[["score", "rank"]]).join(per_county)
    )
    map_counties["towns"] = map_counties["towns"].fillna(0).astype(int)
    map_counties["industries"] = map_counties["industries"].fillna("")
    town_points = gpd.GeoDataFrame(
        towns.merge(counties[["seat_x", "seat_y"]], left_on="county", right_index=True),
        geometry=gpd.points_from_xy(
            towns["county"].map(counties["seat_x"]), towns["county"].map(counties["seat_y"])
        ),
        crs=counties.crs,
    )
    town_points["label"] = town_points["name"] + " · " + town_points["industry"]
    interactive = MapFigure(
        "Counties by suitability score; the towns of the batch at their county seats.",
        (
            choropleth_layer(
                map_counties,
                "score",
                name="County suitability 适宜性",
                popup_columns=("city", "rank", "towns", "industries"),
            ),
            category_layer(
                town_points,
                "industry",
                name="Towns of the batch 特色小镇",
                label_column="label",
                popup_columns=("industry", "investment_yuan", "start_year", "fringe"),
            ),
        ),
    )
    ok = frontier[frontier["status"] != "infeasible"]
    frontier_chart = frontier_chart_svg(
        ok["balance_share"].to_numpy(),
        ok["objective"].to_numpy(),
        title="The price of balance · 均衡布局的代价",
        x_label="minimum share of towns in less-developed counties",
        y_label="planning objective (benefit + coverage)",
        point_labels=[f"{p:.1%}" for p in ok["price_of_balance"]],
        chosen=int(np.argmin(np.abs(ok["balance_share"].to_numpy() - cfg.balance_share))),
    )
    price = frontier.set_index("balance_share")["price_of_balance"]
    state.sections.append(
        ReportSection(
            id="layout",
            title="Layout · which counties get towns of which industry",
            summary=(
                f"{len(chosen)} towns chosen among {len(candidates)} (county, industry) "
                f"candidates in {candidates['county'].nunique()} counties with room for a town, "
                f"under a {cfg.capital_budget_billion_yuan:.0f} bn yuan budget and a "
                f"{cfg.land_quota_km2:.0f} km² land quota; at least {cfg.balance_share:.0%} "
                f"of towns in less-developed counties ({int(chosen['fringe'].sum())} chosen). "
                f"Solver: {result.method}, status {result.status}, gap {result.gap:.2%}. "
                "The frontier shows the benefit given up as the balance share rises."
            ),
            facts=(
                ("towns", f"{len(chosen)}"),
                ("in less-developed counties", f"{int(chosen['fringe'].sum())}"),
                ("investment", f"{chosen['investment'].sum() / 1e9:.0f} bn yuan"),
                ("land", f"{chosen['land'].sum():.0f} km²"),
                ("price of balance", f"{float(price.get(cfg.balance_share, np.nan)):.1%}"),
            ),
            maps=(interactive,),
            charts=(frontier_chart,),
            figures=(
                Figure("Towns per county (triangles: counties with towns).", png),
                Figure(
                    "Balance frontier: the objective given up and the rural residents covered "
                    "at each balance share.",
                    frontier_png,
                ),
            ),
            tables=(
                table_from_frame("Towns of the batch", towns.set_index("town_id")),
                table_from_frame("Towns per industry", by_industry),
                table_from_frame(
                    "Balance frontier", frontier.drop(columns=["message"]), index=False
                ),
            ),
            notes=(
                "Benefit = 10 × (½ suitability percentile + ½ industry fit); coverage adds 1 per "
                "10,000 rural residents of counties within 30 km (seat to seat). Investment per "
                "town: 5 bn yuan, 3 bn for digital, finance, tourism and classic towns "
                "(浙特镇办〔2015〕9号). Land: 1 km² of construction land per town.",
            ),
        )
    )
