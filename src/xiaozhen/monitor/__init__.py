"""The programme office — annual assessment and monitoring of a portfolio of towns.

Public face::

    read_portfolio(path) / portfolio_from_bytes(data, filename=...) -> Portfolio
    portfolio_from_run(run_folder) -> Portfolio          # the plan's towns, indicators simulated
    example_portfolio() -> Portfolio                     # the 37 batch-1 towns, simulated
    write_portfolio_template(path)                       # CSV or XLSX template
    grade_portfolio(portfolio, rules, year) -> GradeResult
    grade_distribution(grades) -> the 2018 comparison (BRIEF §4.4)
    write_grade_folder(result, out, counties=..., figures=..., report_html=...)

:class:`AssessmentRules` holds every number of the assessment (criteria, points, grade bands,
consequences), each default citing BRIEF §4; ``load_rules`` reads a rules TOML file.
"""

from __future__ import annotations

from xiaozhen.monitor._grade import GradeResult, grade_distribution, grade_portfolio
from xiaozhen.monitor._portfolio import (
    INDICATOR_COLUMNS,
    PORTFOLIO_COLUMNS,
    Column,
    Portfolio,
    portfolio_from_bytes,
    portfolio_from_frame,
    read_portfolio,
    template_columns,
    write_portfolio_template,
)
from xiaozhen.monitor._rules import (
    CRITERIA,
    GRADE_LABELS_ZH,
    GRADES,
    PUBLISHED_GRADES_2018,
    TIER_LABELS_ZH,
    TIERS,
    AssessmentRules,
    CriterionPoints,
    GradeBands,
    load_rules,
)
from xiaozhen.monitor._simulated import (
    batch1_towns,
    example_portfolio,
    portfolio_from_run,
    simulate_batch1_portfolio,
)
from xiaozhen.monitor._write import grade_points, grade_trends, write_grade_folder

__all__ = [
    "CRITERIA",
    "GRADES",
    "GRADE_LABELS_ZH",
    "INDICATOR_COLUMNS",
    "PORTFOLIO_COLUMNS",
    "PUBLISHED_GRADES_2018",
    "TIERS",
    "TIER_LABELS_ZH",
    "AssessmentRules",
    "Column",
    "CriterionPoints",
    "GradeBands",
    "GradeResult",
    "Portfolio",
    "batch1_towns",
    "example_portfolio",
    "grade_distribution",
    "grade_points",
    "grade_portfolio",
    "grade_trends",
    "load_rules",
    "portfolio_from_bytes",
    "portfolio_from_frame",
    "portfolio_from_run",
    "read_portfolio",
    "simulate_batch1_portfolio",
    "template_columns",
    "write_grade_folder",
    "write_portfolio_template",
]
