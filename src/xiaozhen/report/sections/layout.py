"""Report section of stage 4 at province scale: which counties get towns of which industry."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen.assess import CountyAssessment
from xiaozhen.layout import ProvinceLayout
from xiaozhen.report.charts import frontier_chart_svg
from xiaozhen.report.figures import county_map, figure_png
from xiaozhen.report.html import Figure, ReportSection, table_from_frame
from xiaozhen.report.maps import MapFigure, category_layer, choropleth_layer

__all__ = ["layout_section"]


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


def _per_county(towns: pd.DataFrame) -> pd.DataFrame:
    return towns.groupby("county").agg(
        towns=("town_id", "size"), industries=("industry", lambda s: "、".join(sorted(s)))
    )


def layout_section(
    layout: ProvinceLayout, counties: gpd.GeoDataFrame, assessment: CountyAssessment
) -> ReportSection:
    """The batch of towns, its maps, the price-of-balance frontier and the tables."""
    rules = layout.rules
    towns = layout.towns
    chosen = layout.plan.chosen
    candidates = layout.candidates
    result = layout.plan.result
    frontier = layout.frontier
    per_county = _per_county(towns)
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
    frontier_png = _frontier_png(frontier, rules.balance_share)
    map_counties = (
        counties[["name", "city", "geometry"]]
        .join(assessment.counties[["score", "rank"]])
        .join(per_county)
    )
    map_counties["towns"] = map_counties["towns"].fillna(0).astype(int)
    map_counties["industries"] = map_counties["industries"].fillna("")
    town_points = gpd.GeoDataFrame(
        towns.drop(columns=["x", "y"]),
        geometry=gpd.points_from_xy(towns["x"], towns["y"]),
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
        chosen=int(np.argmin(np.abs(ok["balance_share"].to_numpy() - rules.balance_share))),
    )
    by_industry = towns["industry"].value_counts().rename("towns").to_frame()
    return ReportSection(
        id="layout",
        title="Layout · which counties get towns of which industry",
        summary=(
            f"{len(chosen)} towns chosen among {len(candidates)} (county, industry) "
            f"candidates in {candidates['county'].nunique()} counties with room for a town, "
            f"under a {rules.capital_budget_yuan / 1e9:.0f} bn yuan budget and a "
            f"{rules.land_quota_km2:.0f} km² land quota; at least {rules.balance_share:.0%} "
            f"of towns in less-developed counties ({int(chosen['fringe'].sum())} chosen). "
            f"Solver: {result.method}, status {result.status}, gap {result.gap:.2%}. "
            "The frontier shows the benefit given up as the balance share rises."
        ),
        facts=(
            ("towns", f"{len(chosen)}"),
            ("in less-developed counties", f"{int(chosen['fringe'].sum())}"),
            ("investment", f"{chosen['investment'].sum() / 1e9:.0f} bn yuan"),
            ("land", f"{chosen['land'].sum():.0f} km²"),
            ("price of balance", f"{layout.price_of_balance:.1%}"),
        ),
        maps=(interactive,),
        charts=(frontier_chart,),
        figures=(
            Figure(
                "Towns per county (triangles: counties with towns).",
                png,
                path="layout/map_towns.png",
            ),
            Figure(
                "Balance frontier: the objective given up and the rural residents covered "
                "at each balance share.",
                frontier_png,
                path="layout/balance_frontier.png",
            ),
        ),
        tables=(
            table_from_frame(
                "Towns of the batch", towns.drop(columns=["x", "y"]).set_index("town_id")
            ),
            table_from_frame("Towns per industry", by_industry),
            table_from_frame("Balance frontier", frontier.drop(columns=["message"]), index=False),
        ),
        notes=(
            "Benefit = 10 × (½ suitability percentile + ½ industry fit); coverage adds 1 per "
            "10,000 rural residents of counties within 30 km (seat to seat). Investment per "
            "town: 5 bn yuan, 3 bn for digital, finance, tourism and classic towns "
            "(浙特镇办〔2015〕9号). Land: 1 km² of construction land per town.",
        ),
    )
