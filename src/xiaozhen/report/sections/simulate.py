"""Report section of stages 6–7: the programme simulated year by year against its counterfactuals."""

from __future__ import annotations

import pandas as pd

from xiaozhen.evaluate import ProgrammeSimulations
from xiaozhen.report.charts import Band, Chart, Series, line_chart_svg
from xiaozhen.report.html import ReportSection, table_from_frame

__all__ = ["KEY_INDICATORS", "simulate_section"]

#: Indicators charted in the report: name in indicators.csv -> label.
KEY_INDICATORS: dict[str, str] = {
    "income_ratio": "urban–rural income ratio · 城乡收入比",
    "theil": "Theil index (urban/rural)",
    "rural_income": "rural income per capita (yuan)",
    "core_congestion": "core congestion index",
    "town_jobs": "jobs in towns",
    "coupling_coordination": "urban–rural coupling coordination D",
}

_COLOURS = {"programme": "#0b6e4f", "suburbs_only": "#1f77b4", "no_towns": "#7f7f7f"}


def _trajectory_chart(indicators: dict[str, pd.DataFrame], name: str, label: str) -> Chart | None:
    series = []
    for programme, frame in indicators.items():
        rows = frame[frame["indicator"] == name].sort_values("year")
        if rows.empty or not rows["p95"].abs().gt(0).any():
            continue
        series.append(
            Series(
                programme.replace("_", " "),
                rows["year"].to_numpy(),
                rows["p50"].to_numpy(),
                bands=(Band(rows["p05"].to_numpy(), rows["p95"].to_numpy(), "5–95 %"),),
                colour=_COLOURS.get(programme),
            )
        )
    if not series:
        return None
    thresholds = [(1.9, "2025 target < 1.9")] if name == "income_ratio" else []
    return line_chart_svg(series, title=label, y_label=label, thresholds=thresholds)


def simulate_section(
    simulations: ProgrammeSimulations, *, start_year: int, draws: int, seed: int
) -> ReportSection:
    """Trajectories with bands per programme and the paired differences in the final year."""
    indicators = {name: t.indicators for name, t in simulations.tables.items()}
    tables = []
    for label, (a, b) in simulations.pairs.items():
        table = simulations.comparisons[label]
        final = table[table["year"] == table["year"].max()]
        keep = [c for c in final.columns if c not in {"unit"}]
        tables.append(
            table_from_frame(
                f"{b.replace('_', ' ')} minus {a.replace('_', ' ')} in {int(final['year'].max())} "
                "(paired draws: median and 5–95 % of the per-draw difference)",
                final[keep],
                index=False,
            )
        )
    charts = [
        chart
        for name, label in KEY_INDICATORS.items()
        if (chart := _trajectory_chart(indicators, name, label)) is not None
    ]
    return ReportSection(
        id="simulate",
        title=f"Simulate · {start_year}–{simulations.final_year}: people, jobs, capital and land",
        summary=(
            "The yearly model splits each county into its urban core, rural area and towns "
            "and moves people, jobs, capital and land under the policy package, over "
            f"{draws} Monte Carlo draws of the uncertain parameters (seed {seed}). Programmes "
            "share their draws, so differences are paired. The programme is exactly the "
            "plan's towns (towns.csv): designed towns with their designed residents, jobs and "
            "construction land, the others with the stand-in profile of the same design rules. "
            "Levels carry calibration error; read differences between programmes."
        ),
        charts=tuple(charts),
        tables=tuple(tables),
        notes=(
            "County incomes are estimated (no open county income data): provincial urban and "
            "rural incomes spread by schooling and non-farm employment shares. Parameters are "
            "calibrated on the 2010→2020 census change and the provincial income-ratio path "
            "(simulate/*/simulation.json records the calibration).",
            "The suburbs-only counterfactual is not designed: all its towns use the stand-in "
            "profile.",
        ),
    )
