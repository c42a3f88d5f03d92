"""Report section of the programme office: the annual assessment of a portfolio of towns.

Built from a :class:`~xiaozhen.monitor.GradeResult` (nothing is read): the grades of the
assessed year on a map, their distribution against the published 2018 assessment (BRIEF §4.4),
each town's score broken down by criterion, the consequences (quota reward, clawback, fiscal
return, naming, demotion) and, when several years were graded, the trend of the grades.
:func:`monitor_report` renders the section as a self-contained page.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from xiaozhen.monitor import (
    CRITERIA,
    GRADE_LABELS_ZH,
    GRADES,
    TIER_LABELS_ZH,
    GradeResult,
    grade_distribution,
    grade_points,
    grade_trends,
)
from xiaozhen.report.charts import Chart, Series, line_chart_svg
from xiaozhen.report.figures import figure_png
from xiaozhen.report.fonts import use_cjk_font
from xiaozhen.report.html import Figure, ReportSection, render_report, table_from_frame
from xiaozhen.report.maps import MapFigure, MapLayer, category_layer, feature_layer
from xiaozhen.runs import package_versions

__all__ = ["GRADE_COLOURS", "grade_layer", "monitor_report", "monitor_section"]

#: One colour per grade, green (优秀) to red (降格 / 淘汰); grey for towns not assessed.
GRADE_COLOURS: dict[str, str] = {
    "excellent": "#1a9850",
    "good": "#91cf60",
    "pass": "#d9ef8b",
    "warning": "#fc8d59",
    "demoted": "#d73027",
    "eliminated": "#a50026",
    "not_assessed": "#bdbdbd",
}


def grade_layer(
    grades: pd.DataFrame, counties: gpd.GeoDataFrame, *, css_class: str = "xz-grade"
) -> MapLayer:
    """The towns of ``grades`` as map points coloured by grade (:data:`GRADE_COLOURS`), each
    feature's id its ``town_id``, the popup its tier, county, industry and score (the report's
    map and the web app's)."""
    points = grade_points(grades, counties).set_index("town_id")
    points["label"] = points["name"] + " · " + points["grade_zh"]
    points["score"] = points["score"].round(1)
    return category_layer(
        points,
        "grade",
        name="Grades 考核等级",
        colours=GRADE_COLOURS,
        label_column="label",
        popup_columns=("tier", "county", "industry", "score", "grade_zh"),
        css_class=css_class,
    )


def _label(grade: str) -> str:
    return f"{GRADE_LABELS_ZH[grade]} {grade.replace('_', ' ')}"


def _map_png(points: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, title: str) -> bytes:
    import matplotlib.pyplot as plt

    use_cjk_font()
    fig, ax = plt.subplots(figsize=(8.5, 9.0))
    counties.plot(ax=ax, color="#eeeeee", edgecolor="white", linewidth=0.5)
    for grade in (*GRADES, "not_assessed"):
        some = points[points["grade"] == grade]
        if len(some):
            some.plot(
                ax=ax,
                color=GRADE_COLOURS[grade],
                markersize=46,
                edgecolor="#333333",
                linewidth=0.5,
                label=f"{_label(grade)} ({len(some)})",
                zorder=3,
            )
    ax.legend(loc="lower right", fontsize=8, title="grade 等级")
    ax.set_title(title)
    ax.set_axis_off()
    return figure_png(fig)


def _distribution_png(distribution: pd.DataFrame, year: int) -> bytes:
    import matplotlib.pyplot as plt

    use_cjk_font()
    shown = distribution[distribution["towns"].groupby(distribution["tier"]).transform("sum") > 0]
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    x = np.arange(len(shown))
    labels = [
        f"{TIER_LABELS_ZH[t]}\n{GRADE_LABELS_ZH[g]}"
        for t, g in zip(shown["tier"], shown["grade"], strict=True)
    ]
    colours = [GRADE_COLOURS[g] for g in shown["grade"]]
    ax.bar(
        x - 0.2,
        shown["share"],
        0.4,
        color=colours,
        edgecolor="#333333",
        label=f"this portfolio, {year}",
    )
    ax.bar(
        x + 0.2,
        shown["published_2018_share"],
        0.4,
        color="white",
        edgecolor="#333333",
        hatch="//",
        label="published 2018",
    )
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("share of towns of the tier")
    ax.legend(fontsize=8)
    ax.set_title("Grades against the 2018 assessment · 与2018年考核结果比较")
    return figure_png(fig)


def _breakdown(grades: pd.DataFrame) -> pd.DataFrame:
    table = grades[["name", "tier", "county", "industry", "age", "score", "grade_zh"]].copy()
    for criterion in CRITERIA:
        points, most = grades[f"{criterion}_points"], grades[f"{criterion}_max"]
        table[criterion] = [
            "–" if pd.isna(m) else f"{p:.1f}/{m:g}" for p, m in zip(points, most, strict=True)
        ]
    table["notes"] = grades["notes"]
    return table.sort_values("score", ascending=False)


def _trend_chart(result: GradeResult) -> tuple[Chart, ...]:
    trends = grade_trends(result)
    if len(trends) < 2:
        return ()
    years = trends.index.to_numpy()
    series = [
        Series(_label(g), years, trends[g].to_numpy(dtype=float), colour=GRADE_COLOURS[g])
        for g in trends.columns
    ]
    return (
        line_chart_svg(
            series, title="Towns per grade, year by year · 历年考核等级", y_label="towns"
        ),
    )


def _facts(result: GradeResult) -> tuple[tuple[str, str], ...]:
    grades, cons = result.grades_of(), result.consequences_of()
    counts = grades["grade"].value_counts()
    shown = " / ".join(
        f"{GRADE_LABELS_ZH[g]} {int(counts.get(g, 0))}" for g in GRADES if g in counts
    )
    return (
        ("towns assessed", f"{int((grades['grade'] != 'not_assessed').sum())} of {len(grades)}"),
        ("grades", shown or "–"),
        ("quota reward", f"{cons['quota_reward_km2'].sum():.2f} km² ({cons['quota_reward_mu'].sum():,.0f} mu)"),
        ("clawback", f"{cons['clawback_km2'].sum():.2f} km²" if result.rules.double_clawback else "off"),
        ("fiscal return", f"{cons['fiscal_return_bn_yuan'].sum():.3f} bn yuan"),
        ("proposed for naming", f"{int((cons['naming'] == 'proposed').sum())}"),
    )  # fmt: skip


def monitor_section(result: GradeResult, counties: gpd.GeoDataFrame) -> ReportSection:
    """The assessment of ``result.year``: map, distribution against 2018, breakdown per town,
    consequences, trends. Figures carry the paths the assessment folder keeps them under
    (``map_grades.png``, ``distribution.png``)."""
    year, rules = result.year, result.rules
    grades, cons = result.grades_of(), result.consequences_of()
    simulated = result.provenance != "reported"
    points = grade_points(grades, counties)
    interactive = MapFigure(
        f"The towns' grades in {year} (each town near its county seat; the portfolio has no site).",
        (
            feature_layer(
                counties[["name", "geometry"]],
                name="Counties 县级单位",
                colour="#dddddd",
                label_column="name",
                simplify_m=150.0,
                fill_opacity=0.6,
            ),
            grade_layer(grades, counties),
        ),
    )
    distribution = grade_distribution(grades)
    provenance_note = (
        "Indicators are SIMULATED by xiaozhen's model (marked 'simulated' on every row), not "
        "data reported by the towns: read the grades as those the plan would earn."
        if simulated
        else "Indicators as reported by the towns (not verified by xiaozhen)."
    )
    summary = (
        f"{len(grades)} towns of {result.portfolio.source} assessed for {year} "
        f"(years graded: {', '.join(map(str, result.years))}) by xiaozhen's documented rule "
        "built on the creation criteria (浙政发〔2015〕8号 / 浙特镇办〔2015〕9号): investment "
        "against the 3-/5-year schedule, characteristic and private shares, output and tax per "
        "mu, visitors and the scenic level, 100 points. " + provenance_note
    )
    return ReportSection(
        id="monitor",
        title=f"Programme office · the {year} annual assessment 年度考核",
        summary=summary,
        facts=_facts(result),
        maps=(interactive,),
        charts=_trend_chart(result),
        figures=(
            Figure(
                f"Grades of {year} (towns near their county seat).",
                _map_png(points, counties, f"Annual assessment {year} · 特色小镇年度考核"),
                path="map_grades.png",
            ),
            Figure(
                "Share of each grade against the published 2018 assessment (BRIEF §4.4).",
                _distribution_png(distribution, year),
                path="distribution.png",
            ),
        ),
        tables=(
            table_from_frame(
                "Grades against the 2018 assessment (115 creation, 64 cultivation towns)",
                distribution,
                index=False,
            ),
            table_from_frame(
                f"Score breakdown of each town in {year} (points / maximum; – = not applicable "
                "or left out)",
                _breakdown(grades),
                index=False,
            ),
            table_from_frame(
                f"Consequences of the {year} assessment",
                cons.drop(columns=["year", "town_id", "grade"]),
                index=False,
            ),
        ),
        warnings=((provenance_note,) if simulated else ()),
        notes=(
            f"Grade bands: 优秀 ≥ {rules.bands.excellent_min:g}, 良好 ≥ {rules.bands.good_min:g}, "
            f"合格 ≥ {rules.bands.pass_min:g}, 警告 ≥ {rules.bands.warning_min:g}, below: 降格 "
            "(creation towns) or 淘汰 (cultivation towns). Named towns are not assessed.",
            "A criterion not reported scores 0 on reported rows; on simulated rows it is left "
            "out and the others reweighted (rule 'missing'). grades.csv has every value, "
            "full-mark level and point.",
        ),
        assumptions=(
            "The scoring and the bands are xiaozhen's documented rule, not the office's "
            "official scoring sheet (not public); every number is a rules-file key.",
            "The double clawback of the quota reward for towns missing the 3-year target is "
            "reported in reposts of 浙政发〔2015〕8号 but not verified; it is a switch "
            f"(now {'on' if rules.double_clawback else 'off'}).",
            "Fiscal return: the town's whole tax is taken as new revenue; its provincial share "
            f"is {rules.provincial_tax_share:.0%} (an assumption shared with the simulation).",
        ),
    )


def monitor_report(result: GradeResult, section: ReportSection) -> str:
    """The assessment as a self-contained HTML page (``report.html`` of the folder)."""
    return render_report(
        title=f"xiaozhen · annual assessment {result.year} · 特色小镇年度考核",
        scenario_toml="# assessment rule (rules.json)\n" + result.rules.model_dump_json(indent=2),
        sections=[section],
        manifest={
            "seed": "– (no randomness in an assessment)",
            "versions": package_versions(),
            "source": result.portfolio.source,
            "provenance": result.provenance,
            "year": result.year,
            "years": list(result.years),
        },
        sources=[
            (
                "2018 assessment results",
                "gxxsy.com/4-xwxxy.asp?ID=2417 (BRIEF §4.4)",
                "published figures",
            ),
            (
                "creation criteria and incentives",
                "浙政发〔2015〕8号, 浙特镇办〔2015〕9号 as reposted (BRIEF §4.1–4.2)",
                "official texts",
            ),
        ],
        description=section.summary,
    )
