"""Plan stages 2–3 at province scale: county suitability, urban–rural coupling, positioning."""

from __future__ import annotations

from xiaozhen.assess import assess_counties, write_county_outputs
from xiaozhen.plan._state import PlanState
from xiaozhen.position import position_counties, write_positioning
from xiaozhen.report import Figure, ReportSection, county_map, save_png, table_from_frame

__all__ = ["stage_assess", "stage_position"]


def stage_assess(state: PlanState) -> None:
    """Score and rank the counties; urban–rural coupling coordination per county."""
    cfg = state.scenario.assess
    counties = state.counties
    assert counties is not None
    result = assess_counties(counties, method=cfg.method, weights=cfg.weights)
    state.results["county_assessment"] = result
    folder = state.run.file("assess/.keep").parent
    write_county_outputs(result, folder)
    scored = result.counties
    score_png = county_map(
        scored,
        "score",
        title=f"County suitability ({cfg.method}, {result.weights_method} weights)",
        legend_label="score (0–1, higher is better)",
        cmap="viridis",
    )
    save_png(score_png, folder / "map_suitability.png")
    d_png = county_map(
        scored,
        "coordination_D",
        title="Urban–rural coupling coordination D · 城乡耦合协调度",
        legend_label="D (0–1)",
        cmap="RdYlGn",
    )
    save_png(d_png, folder / "map_coupling.png")
    top = scored.sort_values("rank")[
        ["name", "city", "score", "rank", "coordination_D", "coordination_zh", "lag"]
    ]
    classes = scored["coordination_zh"].value_counts().rename("counties").to_frame()
    state.sections.append(
        ReportSection(
            id="assess",
            title="Assess · county suitability and urban–rural coupling",
            summary=(
                f"The 90 counties are scored with {cfg.method.upper()} on "
                f"{len(result.indicators)} census and land-cover indicators with "
                f"{result.weights_method} weights. Best: "
                + ", ".join(top["name"].head(5))
                + ". Urban–rural coupling coordination D = √(C·T) ranges from "
                f"{scored['coordination_D'].min():.2f} to {scored['coordination_D'].max():.2f}."
            ),
            figures=(
                Figure("County suitability score (higher is better).", score_png),
                Figure("Urban–rural coupling coordination degree D.", d_png),
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
    )


def stage_position(state: PlanState) -> None:
    """Each county's best-fitting characteristic industry, with uniqueness among neighbours."""
    counties = state.counties
    assert counties is not None
    result = position_counties(counties, penalty=state.scenario.position.neighbour_penalty)
    state.results["county_positioning"] = result
    path = state.run.file("position/positioning_counties.csv")
    write_positioning(result, path)
    table = result.table.join(counties[["name", "city"]])
    mapped = counties[["name", "geometry"]].join(result.table[["best_industry"]])
    png = county_map(
        mapped,
        "best_industry",
        title="Best-fitting characteristic industry · 特色产业定位",
        legend_label="industry",
        cmap="tab20",
    )
    save_png(png, path.with_name("map_industry.png"))
    counts = table["best_industry"].value_counts().rename("counties").to_frame()
    shown = table[
        ["name", "city", "best_industry", "score", "runner_up", "runner_up_score", "drivers"]
    ]
    state.sections.append(
        ReportSection(
            id="position",
            title="Position · characteristic industry of each county",
            summary=(
                "Each county's fit to 13 industries is a weighted sum of percentile ranks of "
                "documented drivers; a county loses "
                f"{state.scenario.position.neighbour_penalty:.2f} of an industry's fit for each "
                "adjacent county already holding it, so neighbours do not copy each other."
            ),
            figures=(Figure("Assigned characteristic industry by county.", png),),
            tables=(
                table_from_frame("Counties per industry", counts),
                table_from_frame("Positioning with its explanation", shown),
            ),
        )
    )
