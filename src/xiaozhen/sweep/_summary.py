r"""The sweep summary: ``summary.csv`` and ``report.html``.

* **Distributions** of each key indicator over the scenarios (mean, standard deviation,
  percentiles; histograms).
* **Sensitivity**: for a ``sobol`` design, first-order :math:`S_i` and total :math:`S_{Ti}` Sobol
  indices with bootstrap confidence intervals (SALib's ``sobol.analyze``: Saltelli et al. 2010
  estimators, Jansen 1999 for the total effect); for ``grid`` and ``lhs`` designs Spearman rank
  correlations of each parameter with each indicator (a screening measure, not a variance
  decomposition).
* **Best scenarios** by each indicator in its good direction.
* **Trade-offs**: Pareto fronts (non-dominated scenarios) of the rural-income gain over no towns
  (maximise) against the cumulative fiscal cost and against the price of balance (minimise).
  A scenario :math:`a` dominates :math:`b` when it is no worse in both criteria and better in one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from xiaozhen._io import write_text_atomic
from xiaozhen.plan import DATA_SOURCES
from xiaozhen.runs import package_versions
from xiaozhen.sweep._spec import SweepScenarios, SweepSpec, salib_problem, sweep_scenarios
from xiaozhen.sweep._store import ResultStore
from xiaozhen.sweep._task import TASK_SECONDS

__all__ = [
    "KEY_INDICATORS",
    "SweepSummary",
    "pareto_front",
    "sobol_indices",
    "summarise_sweep",
    "write_sweep_report",
]

logger = logging.getLogger(__name__)

Sense = Literal["min", "max"]

#: Indicators summarised in the report: column -> (label, good direction).
KEY_INDICATORS: dict[str, tuple[str, Sense]] = {
    "income_ratio": ("urban–rural income ratio · 城乡收入比 (final year)", "min"),
    "income_ratio_vs_no_towns": ("income-ratio change vs no towns", "min"),
    "rural_income": ("rural income per capita, yuan (final year)", "max"),
    "rural_income_vs_no_towns": ("rural-income gain vs no towns, yuan", "max"),
    "theil": ("Theil index urban/rural", "min"),
    "coupling_coordination": ("urban–rural coupling coordination D", "max"),
    "core_congestion": ("core congestion index", "min"),
    "town_jobs": ("jobs in towns", "max"),
    "fiscal_cost_total_bn_yuan": ("fiscal cost over the horizon, bn yuan", "min"),
    "fiscal_cost_per_job": ("fiscal cost per town job, yuan", "min"),
    "price_of_balance": ("price of balance (objective lost)", "min"),
    "fringe_share": ("share of towns in less-developed counties", "max"),
    "objective": ("planning objective", "max"),
}

#: Trade-offs drawn as Pareto fronts: (x column, x sense, y column, y sense).
TRADE_OFFS: tuple[tuple[str, Sense, str, Sense], ...] = (
    ("fiscal_cost_total_bn_yuan", "min", "rural_income_vs_no_towns", "max"),
    ("price_of_balance", "min", "rural_income_vs_no_towns", "max"),
)


def pareto_front(x: Any, y: Any, *, senses: tuple[Sense, Sense] = ("min", "max")) -> np.ndarray:
    """Boolean mask of the non-dominated points of a two-criteria problem.

    Points are sorted by the first criterion (best first, ties by the second); a point is on the
    front when its second criterion is strictly better than that of every point before it —
    O(n log n) (Kung, Luccio & Preparata 1975). NaN points are never on the front; of identical
    points only the first is kept.
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError(
            f"pareto_front: x and y must be 1-D of equal length ({xa.shape}, {ya.shape})"
        )
    sx = xa if senses[0] == "min" else -xa
    sy = ya if senses[1] == "min" else -ya
    ok = np.isfinite(sx) & np.isfinite(sy)
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((sy[idx], sx[idx]))]
    best_before = np.minimum.accumulate(np.concatenate([[np.inf], sy[order][:-1]]))
    mask = np.zeros(xa.shape, dtype=bool)
    mask[order[sy[order] < best_before]] = True
    return mask


def sobol_indices(
    spec: SweepSpec, expanded: SweepScenarios, y: np.ndarray, *, seed: int = 0
) -> pd.DataFrame:
    """First-order and total Sobol indices of one output ``y`` (one value per design row).

    Returns a table indexed by parameter path with ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
    (half-widths of the 95 % bootstrap intervals).
    """
    from SALib.analyze import sobol

    res = sobol.analyze(
        salib_problem(spec),
        np.asarray(y, dtype=float),
        calc_second_order=spec.design.second_order,
        conf_level=0.95,
        num_resamples=200,
        seed=seed,
    )
    return pd.DataFrame(
        {k: np.asarray(res[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")},
        index=pd.Index(list(spec.paths), name="parameter"),
    )


@dataclass(frozen=True)
class SweepSummary:
    """The sweep's results and what the report shows.

    Attributes
    ----------
    table
        One row per distinct scenario: swept parameters, then every result column.
    distributions
        Per key indicator: n, mean, sd, min, p05, p50, p95, max.
    sensitivity
        Long table: indicator, parameter, measure columns (Sobol S1/ST with conf, or Spearman rho).
    best
        Per key indicator: the best scenario and its parameters.
    fronts
        Per trade-off name: the Pareto-optimal scenarios.
    missing
        Scenarios of the design with no stored result yet.
    """

    table: pd.DataFrame
    distributions: pd.DataFrame
    sensitivity: pd.DataFrame
    best: pd.DataFrame
    fronts: dict[str, pd.DataFrame]
    missing: int


def _design_values(expanded: SweepScenarios) -> pd.DataFrame:
    return expanded.design.drop_duplicates("digest").set_index("digest")


def summarise_sweep(spec: SweepSpec, out: str | Path) -> SweepSummary:
    """Gather the stored results of ``spec`` in ``out`` and compute the summary."""
    expanded = sweep_scenarios(spec)
    results = ResultStore.in_folder(out).read(expanded.scenarios)
    params = _design_values(expanded)
    table = params.join(results, how="inner")
    missing = len(expanded) - len(table)
    keys = [k for k in KEY_INDICATORS if k in table.columns]
    ok = table[table["status"] == "ok"] if "status" in table.columns else table
    dist = pd.DataFrame(
        {
            k: {
                "n": int(ok[k].notna().sum()),
                "mean": ok[k].mean(),
                "sd": ok[k].std(),
                "min": ok[k].min(),
                "p05": ok[k].quantile(0.05),
                "p50": ok[k].median(),
                "p95": ok[k].quantile(0.95),
                "max": ok[k].max(),
            }
            for k in keys
        }
    ).T
    dist.index.name = "indicator"
    sensitivity = _sensitivity(spec, expanded, table, keys)
    best_rows = []
    for k in keys:
        col = ok[k].dropna()
        if col.empty:
            continue
        sense = KEY_INDICATORS[k][1]
        digest = str(col.idxmin() if sense == "min" else col.idxmax())
        row: dict[str, Any] = {"indicator": k, "direction": sense, "best": float(col[digest])}
        row.update({p: params.loc[digest, p] for p in spec.paths})
        row["digest"] = str(digest)[:12]
        best_rows.append(row)
    fronts = {}
    for xk, xs, yk, ys in TRADE_OFFS:
        if xk in ok.columns and yk in ok.columns:
            mask = pareto_front(ok[xk], ok[yk], senses=(xs, ys))
            front = ok.loc[mask, [*spec.paths, xk, yk]].sort_values(xk)
            fronts[f"{yk} vs {xk}"] = front
    return SweepSummary(
        table=table,
        distributions=dist,
        sensitivity=sensitivity,
        best=pd.DataFrame(best_rows),
        fronts=fronts,
        missing=missing,
    )


def _sensitivity(
    spec: SweepSpec, expanded: SweepScenarios, table: pd.DataFrame, keys: list[str]
) -> pd.DataFrame:
    frames = []
    if spec.design.kind == "sobol":
        if len(table) < len(expanded):
            logger.warning("sobol indices need every scenario's result; skipped")
            return pd.DataFrame()
        for k in keys:
            y = table[k].reindex(expanded.design["digest"]).to_numpy(dtype=float)
            if not np.isfinite(y).all() or np.ptp(y) == 0:
                continue
            frame = sobol_indices(spec, expanded, y, seed=spec.design.seed).reset_index()
            frame.insert(0, "indicator", k)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    from scipy.stats import spearmanr

    rows = []
    for k in keys:
        for p in spec.paths:
            xs = pd.Series(pd.to_numeric(table[p], errors="coerce"), dtype=float)
            ys = pd.Series(table[k], dtype=float)
            ok = xs.notna() & ys.notna()
            if ok.sum() < 3 or xs[ok].nunique() < 2 or ys[ok].nunique() < 2:
                continue
            rho = spearmanr(xs[ok], ys[ok]).statistic
            rows.append({"indicator": k, "parameter": p, "spearman_rho": float(rho)})
    return pd.DataFrame(rows)


def _histograms_png(table: pd.DataFrame, keys: list[str]) -> bytes | None:
    import matplotlib.pyplot as plt

    from xiaozhen.report import figure_png, use_cjk_font

    shown = [k for k in keys if table[k].notna().sum() > 0]
    if not shown:
        return None
    use_cjk_font()
    cols = 3
    rows = (len(shown) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.6 * rows), squeeze=False)
    for ax, k in zip(axes.ravel(), shown, strict=False):
        ax.hist(table[k].dropna(), bins=min(30, max(5, len(table) // 5)), color="#0b6e4f")
        ax.set_title(KEY_INDICATORS[k][0], fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(shown) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return figure_png(fig)


def _sobol_png(sens: pd.DataFrame) -> bytes | None:
    import matplotlib.pyplot as plt

    from xiaozhen.report import figure_png, use_cjk_font

    if sens.empty or "S1" not in sens.columns:
        return None
    use_cjk_font()
    indicators = list(dict.fromkeys(sens["indicator"]))
    fig, axes = plt.subplots(
        len(indicators),
        1,
        figsize=(8, 1.2 + 0.45 * len(sens) / max(len(indicators), 1) * len(indicators)),
        squeeze=False,
    )
    for ax, k in zip(axes.ravel(), indicators, strict=True):
        part = sens[sens["indicator"] == k]
        pos = np.arange(len(part))
        ax.barh(
            pos - 0.2,
            part["S1"],
            0.4,
            xerr=part["S1_conf"],
            label="first-order S1",
            color="#0b6e4f",
        )
        ax.barh(pos + 0.2, part["ST"], 0.4, xerr=part["ST_conf"], label="total ST", color="#a15c00")
        ax.set_yticks(pos, part["parameter"], fontsize=7)
        ax.set_title(KEY_INDICATORS.get(k, (k, "min"))[0], fontsize=8)
        ax.set_xlim(-0.05, 1.05)
    axes.ravel()[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return figure_png(fig)


def write_sweep_report(spec: SweepSpec, out: str | Path) -> SweepSummary:
    """Write ``summary.csv``, ``sensitivity.csv`` and ``report.html`` into the sweep folder."""
    from xiaozhen.report import (
        Figure,
        ReportSection,
        frontier_chart_svg,
        render_report,
        table_from_frame,
    )

    folder = Path(out)
    summary = summarise_sweep(spec, folder)
    shown = summary.table.drop(columns=["scenario_json"], errors="ignore")
    write_text_atomic(folder / "summary.csv", shown.to_csv(float_format="%.6g"))
    write_text_atomic(folder / "sensitivity.csv", summary.sensitivity.to_csv(index=False))
    keys = list(summary.distributions.index)
    warnings = []
    if summary.missing:
        warnings.append(
            f"{summary.missing} scenario(s) have no result yet; run the sweep again to finish it"
        )
    if "status" in summary.table.columns:
        bad = summary.table[summary.table["status"] != "ok"]
        if len(bad):
            warnings.append(
                f"{len(bad)} scenario(s) have an infeasible layout and no indicators "
                f"(e.g. {bad['message'].iloc[0]})"
            )
    seconds = summary.table[TASK_SECONDS] if TASK_SECONDS in summary.table else pd.Series([])
    sections = [
        ReportSection(
            id="design",
            title=f"Design · {spec.design.kind}, {len(summary.table)} scenarios",
            summary=(
                f"{spec.design.kind} design over {len(spec.paths)} parameter(s) "
                f"({', '.join(spec.paths)}) on the base scenario {spec.base.name!r}; stages: "
                f"{', '.join(spec.stages)}; {spec.base.simulate.draws} draws × "
                f"{spec.base.simulate.years} years per scenario unless swept. Each scenario is "
                "one task keyed by its SHA-256 digest; results are in results/<digest>.parquet "
                "and summary.csv."
            ),
            facts=(
                ("scenarios", f"{len(summary.table)}"),
                ("missing", f"{summary.missing}"),
                ("median task time", f"{float(seconds.median()):.2f} s" if len(seconds) else "–"),
            ),
            tables=(
                table_from_frame(
                    "Swept parameters",
                    pd.DataFrame([p.model_dump() for p in spec.parameters]).set_index("path"),
                ),
            ),
            warnings=tuple(warnings),
        ),
    ]
    hist = _histograms_png(summary.table, keys)
    sections.append(
        ReportSection(
            id="distributions",
            title="Distributions of the indicators over the scenarios",
            summary="Each value is one scenario's median over its Monte Carlo draws (final year).",
            figures=(Figure("Histograms over scenarios.", hist),) if hist else (),
            tables=(table_from_frame("Distribution over scenarios", summary.distributions),),
        )
    )
    sens = summary.sensitivity
    if spec.design.kind == "sobol":
        png = _sobol_png(sens)
        sens_summary = (
            "Variance-based (Sobol) sensitivity: S1 is the share of an indicator's variance over "
            "the design explained by a parameter alone, ST including its interactions; ± is the "
            "half-width of the 95 % bootstrap interval (SALib, Saltelli et al. 2010)."
        )
    else:
        png = None
        sens_summary = (
            "Spearman rank correlation of each parameter with each indicator over the scenarios "
            "(screening; use design.kind = 'sobol' for variance-based indices)."
        )
    sections.append(
        ReportSection(
            id="sensitivity",
            title="Sensitivity · which parameters move the indicators",
            summary=sens_summary,
            figures=(Figure("Sobol indices with 95 % intervals.", png),) if png else (),
            tables=(table_from_frame("Sensitivity", sens, index=False),) if len(sens) else (),
        )
    )
    sections.append(
        ReportSection(
            id="best",
            title="Best scenarios by each indicator",
            tables=(table_from_frame("Best scenario per indicator", summary.best, index=False),)
            if len(summary.best)
            else (),
        )
    )
    charts = []
    tables = []
    for name, front in summary.fronts.items():
        yk, xk = name.split(" vs ")
        if len(front) == 0:
            continue
        charts.append(
            frontier_chart_svg(
                front[xk].to_numpy(float),
                front[yk].to_numpy(float),
                title=f"Pareto front: {KEY_INDICATORS[yk][0]} vs {KEY_INDICATORS[xk][0]}",
                x_label=KEY_INDICATORS[xk][0],
                y_label=KEY_INDICATORS[yk][0],
            )
        )
        tables.append(table_from_frame(f"Pareto-optimal scenarios: {name}", front))
    sections.append(
        ReportSection(
            id="trade-offs",
            title="Trade-offs · Pareto fronts",
            summary=(
                "Scenarios no other scenario beats in both criteria: more rural income than no "
                "towns for less fiscal cost, or for a smaller price of balance."
            ),
            charts=tuple(charts),
            tables=tuple(tables),
        )
    )
    manifest = {
        "sweep": spec.name,
        "seed": spec.base.seed,
        "scenarios": len(summary.table),
        "base_digest": spec.base.digest(),
        "versions": package_versions(),
    }
    html = render_report(
        title=f"Sweep {spec.name}",
        scenario_toml=spec.source,
        sections=sections,
        manifest=manifest,
        sources=DATA_SOURCES,
        description=spec.base.description,
    )
    write_text_atomic(folder / "report.html", html)
    logger.info("sweep report: %d scenarios -> %s", len(summary.table), folder / "report.html")
    return summary
