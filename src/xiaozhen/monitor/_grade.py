r"""The annual assessment of a portfolio: scores, grades and their consequences (pure).

:func:`grade_portfolio` grades every town in every year up to the assessed one (the history
is needed for cumulative investment, consecutive warnings and the clawback) and returns a frozen
:class:`GradeResult`; nothing is written (see :func:`~xiaozhen.monitor.write_grade_folder`).
Everything is computed on whole columns (one row per town and year).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xiaozhen.errors import InputDataError
from xiaozhen.industries import industry as industry_record
from xiaozhen.monitor._portfolio import Portfolio
from xiaozhen.monitor._rules import (
    CRITERIA,
    GRADE_LABELS_ZH,
    GRADES,
    PUBLISHED_GRADES_2018,
    AssessmentRules,
)

__all__ = ["GradeResult", "grade_distribution", "grade_portfolio"]

logger = logging.getLogger(__name__)

#: 1 km² = 1,500 mu (1 mu = 666.67 m², BRIEF §4.3).
MU_PER_KM2 = 1500.0
_BN = 1e9


@dataclass(frozen=True)
class GradeResult:
    """The assessment of a portfolio up to ``year``.

    Attributes
    ----------
    year
        The assessed year (the latest graded).
    years
        Every year graded (the portfolio's years up to ``year``).
    grades
        One row per town and year: identity, tier, age, the breakdown of each criterion
        (``<criterion>_value``, ``_target``, ``_points``, ``_max``), ``score`` (0–100),
        ``grade`` (key of :data:`~xiaozhen.monitor.GRADES` or ``not_assessed``), ``grade_zh``,
        ``provenance`` and ``notes``.
    consequences
        One row per town and year: quota reward, clawback, fiscal return, naming and the tier
        of the next year.
    rules, portfolio
        What was graded, and by which rule.
    """

    year: int
    years: tuple[int, ...]
    grades: pd.DataFrame
    consequences: pd.DataFrame
    rules: AssessmentRules
    portfolio: Portfolio

    def grades_of(self, year: int | None = None) -> pd.DataFrame:
        """The grades of one year (default the assessed year)."""
        return self.grades[self.grades["year"] == (self.year if year is None else year)]

    def consequences_of(self, year: int | None = None) -> pd.DataFrame:
        """The consequences of one year (default the assessed year)."""
        c = self.consequences
        return c[c["year"] == (self.year if year is None else year)]

    @property
    def provenance(self) -> str:
        """``reported``, ``simulated`` or ``mixed`` — of the graded rows."""
        kinds = set(self.grades["provenance"])
        return kinds.pop() if len(kinds) == 1 else "mixed"


# ----------------------------------------------------------------------------- schedule
def _rule_flags(industry: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the relaxed creation target, the priority quota reward (the catalogue's rules)."""
    records = {k: industry_record(k) for k in industry.unique()}
    relaxed = industry.map({k: r.relaxed_investment for k, r in records.items()})
    priority = industry.map({k: r.priority_reward for k, r in records.items()})
    return relaxed.to_numpy(dtype=bool), priority.to_numpy(dtype=bool)


def _schedule(rows: pd.DataFrame, rules: AssessmentRules) -> pd.DataFrame:
    """Target *T*, first-year amount *F*, period *P* and the amount due by each row's age."""
    less = rows["adcode"].isin(rules.less_developed_adcodes()).to_numpy()
    relaxed = _rule_flags(rows["industry"])[0]
    target = np.where(relaxed, rules.target_relaxed_bn_yuan, rules.target_bn_yuan)
    first = np.where(relaxed | less, rules.first_year_relaxed_bn_yuan, rules.first_year_bn_yuan)
    period = np.where(less, rules.period_less_developed_years, rules.period_years)
    age = (rows["year"] - rows["creation_year"]).to_numpy()
    frac = np.where(period > 1, np.minimum(age, period - 1) / np.maximum(period - 1, 1), 1.0)
    due = np.minimum(first + (target - first) * frac, target)
    due = np.where(period > 1, due, target)
    return pd.DataFrame(
        {
            "less_developed": less,
            "age": age,
            "period_years": period,
            "target_bn_yuan": target,
            "first_year_bn_yuan": first,
            "due_bn_yuan": due,
        },
        index=rows.index,
    )


# ----------------------------------------------------------------------------- criteria
def _cumulative(rows: pd.DataFrame, column: str, where: pd.Series | None = None) -> pd.Series:
    values = rows[column].fillna(0.0)
    if where is not None:
        values = values.where(where, 0.0)
    return values.groupby(rows["town_id"]).cumsum()


def _criteria(rows: pd.DataFrame, rules: AssessmentRules) -> dict[str, tuple[pd.Series, ...]]:
    """Per criterion: (value, full-mark level, reported, applies)."""
    results = rows["age"] >= rules.results_from_age
    always = pd.Series(True, index=rows.index)
    tourism = rows["industry"] == "tourism"
    total = rows["fai_total_bn_yuan"]
    cum_total = _cumulative(rows, "fai_total_bn_yuan")
    out: dict[str, tuple[pd.Series, ...]] = {}
    out["investment"] = (cum_total, rows["due_bn_yuan"], total.notna(), always)
    for criterion, part, full in (
        ("characteristic_share", "fai_characteristic_bn_yuan", rules.characteristic_share_min),
        ("private_share", "fai_private_bn_yuan", rules.private_share_full),
    ):
        both = rows[part].notna() & total.notna()
        denominator = _cumulative(rows, "fai_total_bn_yuan", both)
        share = _cumulative(rows, part, both) / denominator.where(denominator > 0)
        out[criterion] = (share, pd.Series(full, index=rows.index), share.notna() & both, always)
    mu = rows["construction_land_km2"] * MU_PER_KM2
    mu = mu.where(mu > 0)
    for criterion, column, full in (
        ("output_per_mu", "output_bn_yuan", rules.output_per_mu_full_yuan),
        ("tax_per_mu", "tax_bn_yuan", rules.tax_per_mu_full_yuan),
    ):
        value = rows[column] * _BN / mu
        out[criterion] = (value, pd.Series(full, index=rows.index), value.notna(), results)
    visitors_full = pd.Series(
        np.where(tourism, rules.visitors_tourism_min, rules.visitors_min), index=rows.index
    )
    out["visitors"] = (rows["visitors"], visitors_full, rows["visitors"].notna(), results)
    level_full = pd.Series(
        np.where(tourism, rules.scenic_level_tourism_min, rules.scenic_level_min),
        index=rows.index,
        dtype=float,
    )
    out["scenic_level"] = (rows["scenic_level"], level_full, rows["scenic_level"].notna(), results)
    return out


def _score(rows: pd.DataFrame, rules: AssessmentRules) -> pd.DataFrame:
    """The breakdown columns, ``score`` and ``not_reported`` of every row."""
    parts: dict[str, pd.Series] = {}
    earned = pd.Series(0.0, index=rows.index)
    possible = pd.Series(0.0, index=rows.index)
    missing: list[pd.Series] = []
    zero = (
        (rows["provenance"] == "reported") if rules.missing == "auto" else rules.missing == "zero"
    )
    for criterion, (value, full, reported, applies) in _criteria(rows, rules).items():
        points = getattr(rules.points, criterion)
        counted = applies & (reported | zero)
        got = (points * np.minimum(value / full, 1.0)).where(reported & applies, 0.0)
        parts[f"{criterion}_value"] = value.where(reported)
        parts[f"{criterion}_target"] = full
        parts[f"{criterion}_points"] = got.where(counted)
        parts[f"{criterion}_max"] = pd.Series(points, index=rows.index).where(counted)
        earned += got.where(counted, 0.0)
        possible += pd.Series(points, index=rows.index).where(counted, 0.0)
        missing.append(pd.Series(np.where(applies & ~reported, criterion, ""), index=rows.index))
    frame = pd.DataFrame(parts)
    frame["score"] = (100.0 * earned / possible.where(possible > 0)).round(6)
    stacked = pd.concat(missing, axis=1)
    frame["not_reported"] = stacked.apply(lambda r: ", ".join(v for v in r if v), axis=1)
    return frame


# ----------------------------------------------------------------------------- grades
def _rank(grades: pd.Series) -> pd.Series:
    order = {g: i for i, g in enumerate(GRADES)}
    return grades.map(order).fillna(len(GRADES)).astype(int)


def _band(rows: pd.DataFrame, rules: AssessmentRules) -> np.ndarray:
    """Grade of each row from its score bands and tier (before the warning rule)."""
    score, b = rows["score"], rules.bands
    lowest = np.where(rows["tier"] == "cultivation", "eliminated", "demoted")
    grade = np.select(
        [
            score >= b.excellent_min,
            score >= b.good_min,
            score >= b.pass_min,
            score >= b.warning_min,
        ],
        ["excellent", "good", "pass", "warning"],
        default="lowest",
    )
    return np.where(grade == "lowest", lowest, grade)


def _naming(rows: pd.DataFrame, rules: AssessmentRules) -> pd.Series:
    """``proposed`` (met every target at the end of the creation period), ``not yet: …`` after
    it, or '' during it (creation towns only). A criterion left out of the score (not simulated)
    is not checked."""

    def met(criterion: str, target: pd.Series | float) -> pd.Series:
        value = rows[f"{criterion}_value"]
        left_out = value.isna() & rows[f"{criterion}_max"].isna()
        return (value >= target - 1e-9) | left_out

    ended = (rows["tier"] == "creation") & (rows["age"] >= rows["period_years"] - 1)
    checks = {
        "investment target": met("investment", rows["target_bn_yuan"]),
        "characteristic share": met("characteristic_share", rules.characteristic_share_min),
        "visitors": met("visitors", rows["visitors_target"]),
        "scenic level": met("scenic_level", rows["scenic_level_target"]),
        f"grade {rules.naming_min_grade} or better": _rank(rows["grade"])
        <= GRADES.index(rules.naming_min_grade),
    }
    failed = pd.concat(
        [pd.Series(np.where(ok, "", name), index=rows.index) for name, ok in checks.items()],
        axis=1,
    ).apply(lambda r: ", ".join(v for v in r if v), axis=1)
    return pd.Series(
        np.where(~ended, "", np.where(failed == "", "proposed", "not yet: missed " + failed)),
        index=rows.index,
        dtype=object,
    )


def _next_tier(rows: pd.DataFrame) -> np.ndarray:
    return np.select(
        [
            rows["tier"] == "named",
            rows["grade"] == "demoted",
            rows["grade"] == "eliminated",
            rows["naming"] == "proposed",
        ],
        ["named", "cultivation", "removed", "named"],
        default=rows["tier"].to_numpy(),
    )


def _assess_years(rows: pd.DataFrame, rules: AssessmentRules) -> pd.DataFrame:
    """Tier, grade, naming and next tier of every row, year by year (vectorised over towns).

    Reported rows keep the tier reported. On simulated rows the tier follows the previous
    year's consequence (named after a proposal, cultivation after a demotion, ``removed``
    after an elimination), since a model cannot know the office's decisions. With
    ``warnings_to_demote`` = n, the n-th consecutive yearly warning is a demotion (elimination).
    """
    out = rows.copy()
    out["warnings"] = 0
    out["grade"] = ""
    out["naming"] = ""
    out["next_tier"] = ""
    last = pd.DataFrame(columns=["year", "warnings", "next_tier"])
    for year in sorted(out["year"].unique()):
        at = out.index[out["year"] == year]
        towns = out.loc[at, "town_id"]
        before = last.reindex(towns)
        consecutive = (before["year"] == year - 1).to_numpy()
        carried = before["next_tier"].where(consecutive).to_numpy()
        simulated = (out.loc[at, "provenance"] == "simulated").to_numpy()
        roll = simulated & pd.notna(carried)
        out.loc[at, "tier"] = np.where(roll, carried, out.loc[at, "tier"])
        year_rows = out.loc[at]
        grade = _band(year_rows, rules)
        warned = grade == "warning"
        runs = np.where(warned, np.where(consecutive, before["warnings"].fillna(0), 0) + 1, 0)
        if rules.warnings_to_demote is not None:
            lowest = np.where(year_rows["tier"] == "cultivation", "eliminated", "demoted")
            grade = np.where(runs >= rules.warnings_to_demote, lowest, grade)
        skip = year_rows["score"].isna() | year_rows["tier"].isin(["named", "removed"])
        out.loc[at, "grade"] = np.where(skip, "not_assessed", grade)
        out.loc[at, "warnings"] = runs.astype(int)
        out.loc[at, "naming"] = _naming(out.loc[at], rules)
        out.loc[at, "next_tier"] = _next_tier(out.loc[at])
        update = out.loc[at, ["town_id", "year", "warnings", "next_tier"]].set_index("town_id")
        last = pd.concat([last[~last.index.isin(update.index)], update])
    return out[out["tier"] != "removed"]


# ----------------------------------------------------------------------------- consequences
def _consequences(rows: pd.DataFrame, rules: AssessmentRules) -> pd.DataFrame:
    creation = rows["tier"] == "creation"
    meets = creation & (_rank(rows["grade"]) <= GRADES.index(rules.reward_min_grade))
    priority = _rule_flags(rows["industry"])[1]
    share = np.where(priority, rules.quota_reward_share_priority, rules.quota_reward_share)
    reward = (meets * share * rows["new_quota_km2"].fillna(0.0)).astype(float)
    in_period = rows["age"] <= rows["period_years"] - 1
    received = reward.where(in_period, 0.0).groupby(rows["town_id"]).cumsum()
    period_end = creation & (rows["age"] == rows["period_years"] - 1)
    missed = period_end & (rows["investment_value"].fillna(0.0) < rows["target_bn_yuan"] - 1e-9)
    clawback = np.where(missed & rules.double_clawback, 2.0 * received, 0.0)
    age = rows["age"]
    full, half = rules.fiscal_return_full_years, rules.fiscal_return_half_years
    return_share = np.where(
        age < full,
        rules.fiscal_return_full_share,
        np.where(age < full + half, rules.fiscal_return_half_share, 0.0),
    )
    return_share = np.where(rows["tier"].isin(["creation", "named"]), return_share, 0.0)
    returned = return_share * rules.provincial_tax_share * rows["tax_bn_yuan"].fillna(0.0)
    return pd.DataFrame(
        {
            "meets_annual_targets": meets,
            "quota_reward_share": np.where(meets, share, 0.0),
            "new_quota_km2": rows["new_quota_km2"],
            "quota_reward_km2": reward,
            "quota_reward_mu": reward * MU_PER_KM2,
            "quota_reward_received_km2": received,
            "missed_period_target": missed,
            "clawback_km2": clawback,
            "fiscal_return_share": return_share,
            "fiscal_return_bn_yuan": returned,
            "naming": rows["naming"],
            "next_tier": rows["next_tier"],
        },
        index=rows.index,
    )


# ----------------------------------------------------------------------------- public
_IDENTITY = [
    "year",
    "town_id",
    "name",
    "tier",
    "adcode",
    "county",
    "industry",
    "creation_year",
    "age",
    "period_years",
    "less_developed",
]


def _notes(rows: pd.DataFrame) -> pd.Series:
    expected = rows["age"] + 1
    seen = rows.groupby("town_id").cumcount() + 1
    gaps = expected - seen
    text = np.where(rows["not_reported"] != "", "not reported: " + rows["not_reported"], "")
    gap_text = np.where(gaps > 0, gaps.astype(str) + " earlier year(s) without a report", "")
    return pd.Series(
        ["; ".join(p for p in (a, b) if p) for a, b in zip(text, gap_text, strict=True)],
        index=rows.index,
    )


def grade_portfolio(portfolio: Portfolio, rules: AssessmentRules, year: int) -> GradeResult:
    """Grade every town of ``portfolio`` in every year up to ``year`` by ``rules``.

    Score (0–100) and criteria: see :class:`~xiaozhen.monitor.AssessmentRules`. Grades by the
    score bands; the lowest grade is 降格 (demoted) for a creation town and 淘汰 (eliminated)
    for a cultivation town; named towns are not assessed. Consequences (BRIEF §4.2): a creation
    town graded ``reward_min_grade`` or better gets ``quota_reward_share`` (60 % for the
    priority industries) of the new quota used that year; with ``double_clawback`` a town short
    of its target at the end of the creation period gives back twice the reward received in it;
    the fiscal return is 100 % of the provincial share of its tax in the first 3 years from
    creation, then 50 % for 2 (creation and named towns); a demoted town is cultivation next
    year, an eliminated one leaves the list; a creation town that met every target at the end of
    its period with at least ``naming_min_grade`` is proposed for naming.

    Raises
    ------
    InputDataError
        If the portfolio has no report for ``year``.
    """
    if year not in portfolio.years:
        raise InputDataError(
            f"--year: the portfolio has no report for {year}; its years are "
            f"{', '.join(map(str, portfolio.years))}"
        )
    reports = portfolio.reports[portfolio.reports["year"] <= year]
    rows = reports.join(portfolio.towns, on="town_id").reset_index(drop=True)
    rows = rows.join(_schedule(rows, rules))
    rows = rows.join(_score(rows, rules))
    rows = _assess_years(rows, rules)
    rows["grade_zh"] = rows["grade"].map(GRADE_LABELS_ZH)
    rows["notes"] = _notes(rows)
    consequences = _consequences(rows, rules)
    breakdown = [f"{c}_{k}" for c in CRITERIA for k in ("value", "target", "points", "max")]
    grades = rows[
        [
            *_IDENTITY,
            "target_bn_yuan",
            "due_bn_yuan",
            *breakdown,
            "score",
            "grade",
            "grade_zh",
            "provenance",
            "notes",
        ]
    ]
    consequences = rows[["year", "town_id", "name", "tier", "grade", "grade_zh"]].join(consequences)
    graded = grades[grades["year"] == year]
    logger.info(
        "graded %d towns for %d (%s): %s",
        len(graded),
        year,
        portfolio.provenance,
        graded["grade"].value_counts().to_dict(),
    )
    return GradeResult(
        year=year,
        years=tuple(int(y) for y in sorted(grades["year"].unique())),
        grades=grades.sort_values(["year", "town_id"]).reset_index(drop=True),
        consequences=consequences.sort_values(["year", "town_id"]).reset_index(drop=True),
        rules=rules,
        portfolio=portfolio,
    )


def grade_distribution(grades: pd.DataFrame) -> pd.DataFrame:
    """Towns per grade and tier against the 2018 assessment (BRIEF §4.4).

    One row per (tier, grade) of the creation and cultivation tiers: ``towns``, ``share``,
    ``published_2018`` (towns), ``published_2018_share`` and ``difference`` (share minus the
    published share).
    """
    rows = []
    for tier, published in PUBLISHED_GRADES_2018.items():
        graded = grades[(grades["tier"] == tier) & (grades["grade"] != "not_assessed")]
        n, total = len(graded), sum(published.values())
        for grade, count in published.items():
            towns = int((graded["grade"] == grade).sum())
            share = towns / n if n else float("nan")
            rows.append(
                {
                    "tier": tier,
                    "grade": grade,
                    "grade_zh": GRADE_LABELS_ZH[grade],
                    "towns": towns,
                    "share": share,
                    "published_2018": count,
                    "published_2018_share": count / total,
                    "difference": share - count / total,
                }
            )
    return pd.DataFrame(rows)
