"""Report sections of stages 2–3 at province scale: county suitability and positioning."""

from __future__ import annotations

import geopandas as gpd

from xiaozhen.assess import CountyAssessment
from xiaozhen.position import PositioningResult
from xiaozhen.report.figures import county_map
from xiaozhen.report.html import Figure, ReportSection, table_from_frame

__all__ = ["assess_section", "position_section"]


def assess_section(result: CountyAssessment, *, method: str) -> ReportSection:
    """Suitability score and rank, urban–rural coupling coordination, with their maps."""
    scored = result.counties
    score_png = county_map(
        scored,
        "score",
        title=f"County suitability ({method}, {result.weights_method} weights)",
        legend_label="score (0–1, higher is better)",
        cmap="viridis",
    )
    d_png = county_map(
        scored,
        "coordination_D",
        title="Urban–rural coupling coordination D · 城乡耦合协调度",
        legend_label="D (0–1)",
        cmap="RdYlGn",
    )
    top = scored.sort_values("rank")[
        ["name", "city", "score", "rank", "coordination_D", "coordination_zh", "lag"]
    ]
    classes = scored["coordination_zh"].value_counts().rename("counties").to_frame()
    return ReportSection(
        id="assess",
        title="Assess · county suitability and urban–rural coupling",
        summary=(
            f"The 90 counties are scored with {method.upper()} on "
            f"{len(result.indicators)} census and land-cover indicators with "
            f"{result.weights_method} weights. Best: "
            + ", ".join(top["name"].head(5))
            + ". Urban–rural coupling coordination D = √(C·T) ranges from "
            f"{scored['coordination_D'].min():.2f} to {scored['coordination_D'].max():.2f}."
        ),
        figures=(
            Figure(
                "County suitability score (higher is better).",
                score_png,
                path="assess/map_suitability.png",
            ),
            Figure(
                "Urban–rural coupling coordination degree D.", d_png, path="assess/map_coupling.png"
            ),
        ),
        tables=(
            table_from_frame("Indicators, directions and weights", result.indicators),
            table_from_frame("Counties by suitability rank", top),
            table_from_frame("Coupling coordination classes", classes),
        ),
        notes=(
            "There is no open county GDP or income: the economic base is proxied by census "
            "employment structure (location quotients) and population. Scores are relative "
            "to the 90 counties.",
        ),
    )


def position_section(
    result: PositioningResult, counties: gpd.GeoDataFrame, *, neighbour_penalty: float
) -> ReportSection:
    """Each county's best-fitting industry with its explanation, map and counts."""
    table = result.table.join(counties[["name", "city"]])
    mapped = counties[["name", "geometry"]].join(result.table[["best_industry"]])
    png = county_map(
        mapped,
        "best_industry",
        title="Best-fitting characteristic industry · 特色产业定位",
        legend_label="industry",
        cmap="tab20",
    )
    counts = table["best_industry"].value_counts().rename("counties").to_frame()
    shown = table[
        ["name", "city", "best_industry", "score", "runner_up", "runner_up_score", "drivers"]
    ]
    return ReportSection(
        id="position",
        title="Position · characteristic industry of each county",
        summary=(
            f"Each county's fit to {result.fit.shape[1]} industries is a weighted sum of "
            "percentile ranks of documented drivers; a county loses "
            f"{neighbour_penalty:.2f} of an industry's fit for each adjacent county already "
            "holding it, so neighbours do not copy each other."
        ),
        figures=(
            Figure(
                "Assigned characteristic industry by county.",
                png,
                path="position/map_industry.png",
            ),
        ),
        tables=(
            table_from_frame("Counties per industry", counts),
            table_from_frame("Positioning with its explanation", shown),
        ),
    )
