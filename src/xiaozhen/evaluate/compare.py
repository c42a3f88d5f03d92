"""Compare two simulation runs: a table of differences and charts with uncertainty bands.

``compare_runs(a, b, out)`` reads each run's ``indicators.csv`` (and, when both have it with the
same draws, ``indicators_draws.parquet`` for *paired* differences B − A per draw: the same seed
gives the same parameter draws, so the paired band isolates the effect of the scenario from
parameter uncertainty). It writes ``comparison.csv`` and ``comparison.png``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from xiaozhen._io import write_text_atomic, write_with
from xiaozhen.errors import InputDataError

__all__ = [
    "CHART_INDICATORS",
    "compare_indicators",
    "compare_runs",
    "find_simulation_folder",
    "write_comparison",
]

logger = logging.getLogger(__name__)

CHART_INDICATORS = (
    "income_ratio",
    "theil",
    "coupling_coordination",
    "rural_income",
    "rural_employment",
    "core_congestion",
    "housing_cost_to_income",
    "town_jobs",
    "fiscal_cost_per_job",
)


def find_simulation_folder(run: str | Path) -> Path:
    """The folder holding ``indicators.csv``: ``run`` itself or ``run/simulate``.

    Raises
    ------
    InputDataError
        If neither holds ``indicators.csv``.
    """
    run = Path(run)
    for cand in (run, run / "simulate"):
        if (cand / "indicators.csv").is_file():
            return cand
    raise InputDataError(
        f"run folder {str(run)!r}: no indicators.csv in it or in its 'simulate' sub-folder; "
        "run `xiaozhen simulate --out FOLDER` or `xiaozhen plan` first"
    )


def compare_runs(
    run_a: str | Path,
    run_b: str | Path,
    out: str | Path,
    *,
    label_a: str = "A",
    label_b: str = "B",
) -> pd.DataFrame:
    """Write ``comparison.csv`` and ``comparison.png`` for runs A and B; return the table.

    The table has one row per indicator and reported year (base, middle, final): A and B
    medians with 5–95 % bands, the difference of medians and, if paired draws are available,
    the 5th / 50th / 95th percentiles of the per-draw difference B − A and the share of draws
    in which B > A.
    """
    fa, fb = find_simulation_folder(run_a), find_simulation_folder(run_b)
    ia, ib = pd.read_csv(fa / "indicators.csv"), pd.read_csv(fb / "indicators.csv")
    da = db = None
    pa, pb = fa / "indicators_draws.parquet", fb / "indicators_draws.parquet"
    if pa.is_file() and pb.is_file():
        da, db = pd.read_parquet(pa), pd.read_parquet(pb)
    table = compare_indicators(ia, ib, da, db, label_a=label_a, label_b=label_b)
    write_comparison(table, ia, ib, out, label_a=label_a, label_b=label_b)
    logger.info("compared %s vs %s: %d rows -> %s", fa, fb, len(table), out)
    return table


def compare_indicators(
    ia: pd.DataFrame,
    ib: pd.DataFrame,
    da: pd.DataFrame | None = None,
    db: pd.DataFrame | None = None,
    *,
    label_a: str = "A",
    label_b: str = "B",
) -> pd.DataFrame:
    """The comparison table of two indicator summaries (pure; see :func:`compare_runs`).

    ``ia``/``ib`` are ``indicators.csv`` tables; ``da``/``db`` the per-draw tables
    (``indicators_draws``), used for paired differences when both have the same years and draws.

    Raises
    ------
    InputDataError
        If the two share no year.
    """
    years = sorted(set(ia["year"]) & set(ib["year"]))
    if not years:
        raise InputDataError("compare: the two runs share no simulated year")
    report_years = sorted({years[0], years[len(years) // 2], years[-1]})
    if (
        da is not None
        and db is not None
        and (
            len(da) != len(db)
            or not (da[["year", "draw"]].to_numpy() == db[["year", "draw"]].to_numpy()).all()
        )
    ):
        da = db = None
    rows = []
    for ind in sorted(set(ia["indicator"]) & set(ib["indicator"])):
        for y in report_years:
            ra = ia[(ia.indicator == ind) & (ia.year == y)].iloc[0]
            rb = ib[(ib.indicator == ind) & (ib.year == y)].iloc[0]
            row = {
                "indicator": ind,
                "unit": ra["unit"],
                "year": y,
                f"{label_a}_p50": ra["p50"],
                f"{label_a}_p05": ra["p05"],
                f"{label_a}_p95": ra["p95"],
                f"{label_b}_p50": rb["p50"],
                f"{label_b}_p05": rb["p05"],
                f"{label_b}_p95": rb["p95"],
                "diff_p50": rb["p50"] - ra["p50"],
                "diff_pct": 100 * (rb["p50"] - ra["p50"]) / abs(ra["p50"]) if ra["p50"] else np.nan,
            }
            if da is not None and db is not None and ind in da.columns and ind in db.columns:
                sel = da["year"] == y
                d = db.loc[sel, ind].to_numpy() - da.loc[sel, ind].to_numpy()
                row["paired_diff_p05"], row["paired_diff_p50"], row["paired_diff_p95"] = (
                    np.percentile(d, [5, 50, 95])
                )
                row["share_draws_b_greater"] = float((d > 0).mean())
            rows.append(row)
    return pd.DataFrame(rows)


def write_comparison(
    table: pd.DataFrame,
    ia: pd.DataFrame,
    ib: pd.DataFrame,
    out: str | Path,
    *,
    label_a: str = "A",
    label_b: str = "B",
) -> Path:
    """Write ``comparison.csv`` and ``comparison.png`` into ``out`` (created); return ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "comparison.csv", table.to_csv(index=False, float_format="%.6g"))
    _chart(ia, ib, out / "comparison.png", label_a, label_b)
    return out


def _chart(ia: pd.DataFrame, ib: pd.DataFrame, path: Path, la: str, lb: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inds = [i for i in CHART_INDICATORS if i in set(ia.indicator) and i in set(ib.indicator)]
    ncol = 3
    nrow = max(1, int(np.ceil(len(inds) / ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, ind in zip(axes.ravel(), inds, strict=False):
        for frame, label, colour in ((ia, la, "tab:blue"), (ib, lb, "tab:orange")):
            f = frame[frame.indicator == ind].sort_values("year")
            ax.fill_between(f.year, f.p05, f.p95, color=colour, alpha=0.2, lw=0)
            ax.plot(f.year, f.p50, color=colour, label=label)
        unit = ia.loc[ia.indicator == ind, "unit"].iloc[0]
        ax.set_title(f"{ind} ({unit})", fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in axes.ravel()[len(inds) :]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("median and 5–95 % band over Monte Carlo draws", fontsize=10)
    fig.tight_layout()
    write_with(path, lambda p: fig.savefig(p, dpi=110, metadata={"Software": None}))
    plt.close(fig)
