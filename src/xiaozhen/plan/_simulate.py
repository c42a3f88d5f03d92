"""Plan stages 6–7: simulate the programme year by year and compare it with its counterfactuals.

Three programmes are simulated with the same seed, so their Monte Carlo draws are paired and the
comparisons are per-draw differences:

* ``programme``: the towns the layout stage chose (with the scenario's balance share);
* ``suburbs_only``: the towns chosen by the same model from the candidates outside the
  less-developed counties only;
* ``no_towns``: the baseline without the programme.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xiaozhen.evaluate.compare import compare_runs
from xiaozhen.evaluate.outputs import write_simulation_outputs
from xiaozhen.plan._state import PlanState
from xiaozhen.report import (
    Band,
    Chart,
    ReportSection,
    Series,
    line_chart_svg,
    table_from_frame,
)
from xiaozhen.simulate import simulate

__all__ = ["KEY_INDICATORS", "stage_simulate"]

#: Indicators charted in the report: name in indicators.csv -> label.
KEY_INDICATORS: dict[str, str] = {
    "income_ratio": "urban–rural income ratio · 城乡收入比",
    "theil": "Theil index (urban/rural)",
    "rural_income": "rural income per capita (yuan)",
    "core_congestion": "core congestion index",
    "town_jobs": "jobs in towns",
    "coupling_coordination": "urban–rural coupling coordination D",
}

_PROGRAMMES = ("programme", "suburbs_only", "no_towns")
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
                colour=_COLOURS[programme],
            )
        )
    if not series:
        return None
    thresholds = [(1.9, "2025 target < 1.9")] if name == "income_ratio" else []
    return line_chart_svg(series, title=label, y_label=label, thresholds=thresholds)


def stage_simulate(state: PlanState) -> None:
    """Simulate the programme, the suburbs-only layout and no towns; compare them."""
    cfg = state.scenario.simulate
    counties = state.counties
    assert counties is not None
    towns = {
        "programme": state.require("towns"),
        "suburbs_only": state.require("towns_suburbs_only"),
        "no_towns": None,
    }
    folder = state.run.file("simulate/.keep").parent
    indicators: dict[str, pd.DataFrame] = {}
    for programme in _PROGRAMMES:
        result = simulate(
            counties,
            towns[programme],
            state.scenario.policy,
            start_year=cfg.start_year,
            years=cfg.years,
            draws=cfg.draws,
            seed=state.scenario.seed,
        )
        write_simulation_outputs(result, folder / programme)
        indicators[programme] = pd.read_csv(folder / programme / "indicators.csv")
        if programme == "programme":
            state.results["simulation"] = result
    comparisons = {
        "balanced_vs_suburbs_only": ("suburbs_only", "programme"),
        "programme_vs_no_towns": ("no_towns", "programme"),
    }
    tables = []
    for name, (a, b) in comparisons.items():
        table = compare_runs(
            folder / a, folder / b, folder / f"compare_{name}", label_a=a, label_b=b
        )
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
    state.results["simulate_folder"] = Path(folder)
    final_year = cfg.start_year + cfg.years
    state.sections.append(
        ReportSection(
            id="simulate",
            title=f"Simulate · {cfg.start_year}–{final_year}: people, jobs, capital and land",
            summary=(
                f"The yearly model splits each county into its urban core, rural area and towns "
                f"and moves people, jobs, capital and land under the policy package, over "
                f"{cfg.draws} Monte Carlo draws of the uncertain parameters (seed "
                f"{state.scenario.seed}). Programmes share their draws, so differences are paired. "
                "Levels carry calibration error; read differences between programmes."
            ),
            charts=tuple(charts),
            tables=tuple(tables),
            notes=(
                "County incomes are estimated (no open county income data): provincial urban and "
                "rural incomes spread by schooling and non-farm employment shares. Parameters are "
                "calibrated on the 2010→2020 census change and the provincial income-ratio path "
                "(simulate/*/simulation.json records the calibration).",
            ),
        )
    )
