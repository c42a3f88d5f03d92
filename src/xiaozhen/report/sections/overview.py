"""The report's first section: the answers a programme office asks for, from the plan's towns."""

from __future__ import annotations

import pandas as pd

from xiaozhen.design import CountyPlan
from xiaozhen.evaluate import ProgrammeSimulations
from xiaozhen.layout import ProvinceLayout
from xiaozhen.report.html import ReportSection, table_from_frame

__all__ = ["overview_section"]


def _paired(table: pd.DataFrame, indicator: str) -> pd.Series | None:
    rows = table[(table["indicator"] == indicator) & (table["year"] == table["year"].max())]
    return None if rows.empty else rows.iloc[0]


def _towns_shown(towns: pd.DataFrame) -> pd.DataFrame:
    """The towns with the designed ones first (then in the plan's order)."""
    drop = [c for c in ("x", "y", "adcode", "idle_reused_km2") if c in towns.columns]
    order = (towns["source"] != "designed").to_numpy().argsort(kind="stable")
    return towns.iloc[order].drop(columns=drop).set_index("town_id")


def overview_section(
    towns: pd.DataFrame,
    layout: ProvinceLayout,
    counties: tuple[CountyPlan, ...],
    simulations: ProgrammeSimulations | None,
) -> ReportSection:
    """Key numbers of the plan, one line each, and the plan's towns (``towns.csv``)."""
    price = layout.price_of_balance
    result = layout.plan.result
    designed = towns[towns["source"] == "designed"]
    facts = [
        ("towns in the plan", f"{len(towns)}"),
        ("designed", f"{len(designed)}"),
        ("in less-developed counties", f"{int(towns['less_developed'].sum())}"),
        ("investment", f"{towns['investment_bn_yuan'].sum():.0f} bn yuan"),
        ("price of balance", f"{price:.1%}"),
    ]
    lines = [
        f"Layout: the province chose {len(layout.towns)} towns in "
        f"{layout.towns['county'].nunique()} counties ({result.method}, {result.status}); at "
        f"least {layout.rules.balance_share:.0%} in the less-developed counties costs "
        f"{price:.1%} of the unconstrained objective.",
    ]
    decisions = [s for c in counties for s in c.sitings]
    if counties:
        n = {
            d: sum(s.decision == d for s in decisions) for d in ("sited", "substituted", "dropped")
        }
        lines.append(
            f"Sites and designs: the {len(decisions)} town(s) the province chose in the "
            f"{len(counties)} focus count{'y' if len(counties) == 1 else 'ies'} are sited and "
            f"designed with the province's industry: {n['sited']} sited, {n['substituted']} on "
            f"a substitute site, {n['dropped']} dropped (reasons in the county sections); "
            f"{len(designed)} designed towns house {designed['residents_designed'].sum():,.0f} "
            f"residents and {designed['jobs_designed'].sum():,.0f} jobs."
        )
    if simulations is not None and "programme_vs_no_towns" in simulations.comparisons:
        table = simulations.comparisons["programme_vs_no_towns"]
        year = int(table["year"].max())
        ratio = _paired(table, "income_ratio")
        jobs = _paired(table, "town_jobs")
        if ratio is not None:
            facts.append((f"income ratio {year}", f"{ratio['programme_p50']:.2f}"))
            lines.append(
                f"Simulation of these {len(towns)} towns to {year}: the urban–rural income "
                f"ratio is {ratio['programme_p50']:.2f} with the programme against "
                f"{ratio['no_towns_p50']:.2f} without towns (paired difference "
                f"{ratio['paired_diff_p50']:+.3f}, 90 % band {ratio['paired_diff_p05']:+.3f} to "
                f"{ratio['paired_diff_p95']:+.3f})."
            )
        if jobs is not None:
            facts.append((f"jobs in towns {year}", f"{jobs['programme_p50']:,.0f}"))
        balanced = simulations.comparisons.get("balanced_vs_suburbs_only")
        diff = None if balanced is None else _paired(balanced, "income_ratio")
        if diff is not None:
            lines.append(
                "Balanced against suburbs-only (no town in a less-developed county): income "
                f"ratio {diff['paired_diff_p50']:+.4f} (90 % band {diff['paired_diff_p05']:+.4f} "
                f"to {diff['paired_diff_p95']:+.4f}); negative means the balanced layout narrows "
                "the gap more."
            )
    return ReportSection(
        id="overview",
        title="Overview · 概览",
        summary=" ".join(lines),
        facts=tuple(facts),
        tables=(
            table_from_frame(
                "The towns of the plan (towns.csv): designed towns carry their design, the others "
                "the stand-in profile of the same design rules",
                _towns_shown(towns),
            ),
        ),
        notes=(
            "Each section below shows one stage: its method, maps, charts and tables; every "
            "number is also in the run folder's CSV, GeoPackage and GeoTIFF files.",
        ),
    )
