"""The report's first section: the answers a programme office asks for, from every stage."""

from __future__ import annotations

import pandas as pd

from xiaozhen.design import TownLayout
from xiaozhen.plan._state import PlanState
from xiaozhen.report import ReportSection

__all__ = ["overview_section"]


def _paired(table: pd.DataFrame, indicator: str) -> pd.Series | None:
    rows = table[(table["indicator"] == indicator) & (table["year"] == table["year"].max())]
    return None if rows.empty else rows.iloc[0]


def overview_section(state: PlanState) -> ReportSection:
    """Key numbers of the run, one line each, with where to find the detail."""
    scenario = state.scenario
    towns = state.require("towns")
    plan = state.require("province_layout")
    frontier = plan.frontier
    price = float(
        frontier.loc[
            (frontier["balance_share"] - scenario.layout.balance_share).abs().idxmin(),
            "price_of_balance",
        ]
    )
    facts = [
        ("towns in the batch", f"{len(towns)}"),
        ("in less-developed counties", f"{int(towns['fringe'].sum())}"),
        ("investment", f"{towns['investment_yuan'].sum() / 1e9:.0f} bn yuan"),
        ("price of balance", f"{price:.1%}"),
    ]
    lines = [
        f"Layout: {len(towns)} towns in {towns['county'].nunique()} counties "
        f"({plan.result.method}, {plan.result.status}); at least "
        f"{scenario.layout.balance_share:.0%} in the less-developed counties costs "
        f"{price:.1%} of the unconstrained objective.",
    ]
    designed = passing = infeasible = 0
    for county in state.results.get("county_plans", []):
        for design in county.designs:
            if isinstance(design, TownLayout):
                designed += 1
                passing += all(c.passed for c in design.checks if c.hard)
            else:
                infeasible += 1
    lines.append(
        f"Sites and designs: {designed} towns designed in {len(scenario.region.focus_counties)} "
        f"focus counties, {passing} of them passing every hard check of the independent "
        f"checker; {infeasible} site(s) reported infeasible with the reason."
    )
    folder = state.results.get("simulate_folder")
    if folder is not None:
        table = pd.read_csv(folder / "compare_programme_vs_no_towns" / "comparison.csv")
        year = int(table["year"].max())
        ratio = _paired(table, "income_ratio")
        jobs = _paired(table, "town_jobs")
        if ratio is not None:
            facts.append((f"income ratio {year}", f"{ratio['programme_p50']:.2f}"))
            lines.append(
                f"Simulation to {year}: the urban–rural income ratio is "
                f"{ratio['programme_p50']:.2f} with the programme against "
                f"{ratio['no_towns_p50']:.2f} without towns (paired difference "
                f"{ratio['paired_diff_p50']:+.3f}, 90 % band {ratio['paired_diff_p05']:+.3f} to "
                f"{ratio['paired_diff_p95']:+.3f})."
            )
        if jobs is not None:
            facts.append((f"jobs in towns {year}", f"{jobs['programme_p50']:,.0f}"))
        balanced = pd.read_csv(folder / "compare_balanced_vs_suburbs_only" / "comparison.csv")
        diff = _paired(balanced, "income_ratio")
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
        notes=(
            "Each section below shows one stage: its method, maps, charts and tables; every "
            "number is also in the run folder's CSV, GeoPackage and GeoTIFF files.",
        ),
    )
