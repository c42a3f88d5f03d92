"""The assessment rule of the programme office: criteria, points, grade bands and consequences.

One frozen model, :class:`AssessmentRules`, holds every number the annual assessment uses. The
criteria are the creation criteria of 浙政发〔2015〕8号 / 浙特镇办〔2015〕9号 (BRIEF §4.1), the
incentives of BRIEF §4.2 (the defaults are the simulation's own
:class:`~xiaozhen.simulate.PolicyPackage`, so a lever means the same in both), the national
thresholds of 发改规划〔2021〕1383号 (BRIEF §4.3) and the 2018 provincial averages (BRIEF §4.4).
How the criteria are turned into points and the points into grades is xiaozhen's documented
rule, **not an official formula** (the office's scoring sheet is not public): every number can
be changed in a rules TOML file (``xiaozhen monitor grade --rules rules.toml``).
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from xiaozhen._model import FrozenModel, validation_problems
from xiaozhen.errors import ConfigError
from xiaozhen.industries import INDUSTRY_CATALOGUE
from xiaozhen.region import LESS_DEVELOPED_COUNTIES
from xiaozhen.simulate import PolicyPackage

__all__ = [
    "CRITERIA",
    "GRADES",
    "GRADE_LABELS_ZH",
    "PUBLISHED_GRADES_2018",
    "TIERS",
    "TIER_LABELS_ZH",
    "AssessmentRules",
    "CriterionPoints",
    "GradeBands",
    "load_rules",
]

Tier = Literal["cultivation", "creation", "named"]
#: Tiers of the provincial lists: 培育 (cultivation), 创建 (creation), 命名 (named).
TIERS: tuple[str, ...] = ("cultivation", "creation", "named")
TIER_LABELS_ZH = {"cultivation": "培育", "creation": "创建", "named": "命名"}

Grade = Literal["excellent", "good", "pass", "warning", "demoted", "eliminated"]
#: Grades from best to worst; ``demoted`` (降格) is the lowest grade of a creation town,
#: ``eliminated`` (淘汰) that of a cultivation town (BRIEF §4.4).
GRADES: tuple[str, ...] = ("excellent", "good", "pass", "warning", "demoted", "eliminated")
GRADE_LABELS_ZH = {
    "excellent": "优秀",
    "good": "良好",
    "pass": "合格",
    "warning": "警告",
    "demoted": "降格",
    "eliminated": "淘汰",
    "not_assessed": "不参加考核",
}

#: Criteria of the score, in the order of the breakdown.
CRITERIA: tuple[str, ...] = (
    "investment",
    "characteristic_share",
    "private_share",
    "output_per_mu",
    "tax_per_mu",
    "visitors",
    "scenic_level",
)

#: The 2018 annual assessment (BRIEF §4.4; gxxsy.com/4-xwxxy.asp?ID=2417): towns per grade.
#: Creation towns: 25 / 45 / 31 / 9 / 5 of 115; cultivation towns: 10 / 16 / 24 / 8 / 6 of 64.
PUBLISHED_GRADES_2018: dict[str, dict[str, int]] = {
    "creation": {"excellent": 25, "good": 45, "pass": 31, "warning": 9, "demoted": 5},
    "cultivation": {"excellent": 10, "good": 16, "pass": 24, "warning": 8, "eliminated": 6},
}

_POLICY = PolicyPackage()
#: The catalogue's creation investment and quota-reward shares, for the defaults below: an
#: emerging industry under the general rule (fashion) and one under the relaxed / priority rule.
_GENERAL, _RELAXED, _PRIORITY = (INDUSTRY_CATALOGUE[k] for k in ("fashion", "digital", "equipment"))


class CriterionPoints(FrozenModel):
    """Maximum points of each criterion; a town's score is its points over the points of the
    criteria that apply to it, × 100 (xiaozhen's weighting, not an official one)."""

    investment: float = Field(
        35.0, ge=0, description="cumulative fixed-asset investment against the creation schedule"
    )
    characteristic_share: float = Field(
        15.0, ge=0, description="characteristic-industry share of the investment"
    )
    private_share: float = Field(10.0, ge=0, description="private share of the investment")
    output_per_mu: float = Field(10.0, ge=0, description="output per mu of construction land")
    tax_per_mu: float = Field(10.0, ge=0, description="tax per mu of construction land")
    visitors: float = Field(10.0, ge=0, description="visitors a year")
    scenic_level: float = Field(10.0, ge=0, description="A-level of the town as a scenic area")

    @model_validator(mode="after")
    def _some_points(self) -> CriterionPoints:
        if sum(getattr(self, c) for c in CRITERIA) <= 0:
            raise ValueError("points: every criterion has 0 points; give at least one > 0")
        return self


class GradeBands(FrozenModel):
    """Lowest score (0–100) of each grade; below ``warning`` a creation town is demoted (降格)
    and a cultivation town eliminated (淘汰). xiaozhen's bands, not an official formula."""

    excellent_min: float = Field(90.0, ge=0, le=100, description="优秀 at or above this score")
    good_min: float = Field(75.0, ge=0, le=100, description="良好 at or above this score")
    pass_min: float = Field(60.0, ge=0, le=100, description="合格 at or above this score")
    warning_min: float = Field(45.0, ge=0, le=100, description="警告 at or above this score")

    @model_validator(mode="after")
    def _ordered(self) -> GradeBands:
        values = [self.excellent_min, self.good_min, self.pass_min, self.warning_min]
        if any(a < b for a, b in itertools.pairwise(values)):
            raise ValueError(
                "bands: need excellent_min ≥ good_min ≥ pass_min ≥ warning_min, received "
                f"{values[0]} / {values[1]} / {values[2]} / {values[3]}"
            )
        return self


class AssessmentRules(FrozenModel):
    """Every number of the annual assessment and its consequences (defaults cite BRIEF §4).

    Score of town *i* in year *y* (0–100): :math:`100\\,\\sum_c p_c \\min(1, x_{ic}/t_{ic}) /
    \\sum_{c\\,\\in\\,A_i} p_c` over the criteria *c* that apply (*A_i*), with points
    :math:`p_c` (:class:`CriterionPoints`), achieved value *x* and full-mark level *t*:

    * investment: cumulative fixed-asset investment since the creation year against the amount
      due by the town's age *a* (0 in its creation year): :math:`F + (T-F)\\min(a, P-1)/(P-1)`
      with the 3-year target *T*, the first-year amount *F* and the creation period *P*;
    * characteristic and private shares of the cumulative investment;
    * output and tax per mu of construction land in use (1 km² = 1,500 mu); visitors a year;
      the town's A-level as a scenic area (3 = AAA). These results apply from age
      ``results_from_age``.

    A criterion not reported counts 0 points (``missing="zero"``, the office's practice) or is
    left out of :math:`A_i` (``missing="reweight"``); the default ``"auto"`` does the first on
    reported rows and the second on simulated rows, whose model has no such indicator.
    """

    points: CriterionPoints = Field(default_factory=CriterionPoints)
    bands: GradeBands = Field(default_factory=GradeBands)
    missing: Literal["auto", "zero", "reweight"] = Field(
        "auto",
        description="a criterion not reported scores 0 ('zero': a missed report) or is left out "
        "and the others reweighted ('reweight'); 'auto': zero on reported rows, reweight on "
        "simulated rows (whose model has no such indicator)",
    )
    # --- investment schedule (BRIEF §4.1)
    target_bn_yuan: float = Field(
        _GENERAL.creation_investment_yuan / 1e9,
        gt=0,
        description="3-year fixed-asset investment target, bn yuan (BRIEF §4.1)",
    )
    target_relaxed_bn_yuan: float = Field(
        _RELAXED.creation_investment_yuan / 1e9,
        gt=0,
        description="same for the industries the catalogue marks relaxed: information economy, "
        "finance, tourism and classic (xiaozhen.industries; BRIEF §4.1)",
    )
    first_year_bn_yuan: float = Field(
        1.0, gt=0, description="investment due in the creation year, bn yuan (BRIEF §4.1)"
    )
    first_year_relaxed_bn_yuan: float = Field(
        0.6,
        gt=0,
        description="same in the 26 less-developed counties and for the relaxed types (BRIEF §4.1)",
    )
    period_years: int = Field(3, ge=1, description="creation period, years (BRIEF §4.1)")
    period_less_developed_years: int = Field(
        5, ge=1, description="creation period in the less-developed counties (BRIEF §4.1)"
    )
    less_developed: tuple[str, ...] | None = Field(
        None,
        description="adcodes of the less-developed counties; unset means the 26 mountain "
        "counties (山区26县, BRIEF §4.1)",
    )
    # --- shares and results
    characteristic_share_min: float = Field(
        0.70,
        gt=0,
        le=1,
        description="characteristic-industry share of investment for full marks: ≥ 70 % (BRIEF §4.1)",
    )
    private_share_full: float = Field(
        0.682,
        gt=0,
        le=1,
        description="private share of investment for full marks: the creation towns' 68.2 % of "
        "H1 2018 (BRIEF §4.4; an observed average, not an official threshold)",
    )
    output_per_mu_full_yuan: float = Field(
        7.81e6,
        gt=0,
        description="output per mu for full marks: the 2018 provincial average, 7.81 M yuan (BRIEF §4.4)",
    )
    tax_per_mu_full_yuan: float = Field(
        5.2e5,
        gt=0,
        description="tax per mu for full marks: the 2018 provincial average, 520,000 yuan "
        "(BRIEF §4.4; the national minimum is 100,000, §4.3)",
    )
    visitors_min: float = Field(
        300_000.0, gt=0, description="visitors a year for full marks: ≥ 300,000 (BRIEF §4.1)"
    )
    visitors_tourism_min: float = Field(
        500_000.0,
        gt=0,
        description="same for tourism towns: ≥ 500,000 (culture-tourism towns, BRIEF §4.3)",
    )
    scenic_level_min: int = Field(
        3, ge=1, le=5, description="A-level for full marks: every town at least AAA (BRIEF §4.1)"
    )
    scenic_level_tourism_min: int = Field(
        5, ge=1, le=5, description="same for tourism towns: built to AAAAA (BRIEF §4.1)"
    )
    results_from_age: int = Field(
        1,
        ge=0,
        description="first age (years since creation) at which output, tax, visitors and the "
        "scenic level are assessed; in earlier years they do not apply",
    )
    warnings_to_demote: int | None = Field(
        None,
        ge=1,
        description="consecutive years of warning after which a town is demoted (eliminated); "
        "unset: no such rule (not in BRIEF §4)",
    )
    # --- consequences (BRIEF §4.2: the simulation's policy defaults)
    reward_min_grade: Literal["excellent", "good", "pass"] = Field(
        "pass",
        description="lowest grade that counts as meeting the annual targets (quota reward)",
    )
    quota_reward_share: float = Field(
        _GENERAL.quota_reward_share,
        ge=0,
        le=1,
        description="share of the new construction-land quota used returned to a creation town "
        "meeting its annual targets: 50 % (BRIEF §4.2)",
    )
    quota_reward_share_priority: float = Field(
        _PRIORITY.quota_reward_share,
        ge=0,
        le=1,
        description="same for the industries the catalogue marks priority: information economy, "
        "environmental, high-end equipment: 60 % (xiaozhen.industries; BRIEF §4.2)",
    )
    double_clawback: bool = Field(
        False,
        description="towns that miss the 3-year investment target at the end of the creation "
        "period give back twice the quota reward received (reported in reposts of "
        "浙政发〔2015〕8号, not verified against a stored official text; off by default)",
    )
    fiscal_return_full_years: int = Field(
        _POLICY.fiscal_return_full_years,
        ge=0,
        description="years from creation with 100 % return of new provincial-share tax (BRIEF §4.2)",
    )
    fiscal_return_full_share: float = Field(
        _POLICY.fiscal_return_full_share, ge=0, le=1, description="share returned then (BRIEF §4.2)"
    )
    fiscal_return_half_years: int = Field(
        _POLICY.fiscal_return_half_years,
        ge=0,
        description="following years with a partial return (BRIEF §4.2)",
    )
    fiscal_return_half_share: float = Field(
        _POLICY.fiscal_return_half_share,
        ge=0,
        le=1,
        description="share returned then: 50 % (BRIEF §4.2)",
    )
    provincial_tax_share: float = Field(
        _POLICY.provincial_tax_share,
        ge=0,
        le=1,
        description="provincial share of the tax raised in a town (the simulation's assumption; "
        "the split differs by tax)",
    )
    naming_min_grade: Literal["excellent", "good", "pass"] = Field(
        "pass",
        description="lowest grade with which a creation town that met every target at the end "
        "of its creation period is proposed for naming (命名, 宽进严定)",
    )

    def less_developed_adcodes(self) -> frozenset[str]:
        """The less-developed counties in force (the 26 mountain counties by default)."""
        return frozenset(self.less_developed or LESS_DEVELOPED_COUNTIES)

    def grade_rank(self, grade: str) -> int:
        """Position of ``grade`` in :data:`GRADES` (0 = excellent)."""
        return GRADES.index(grade)


def load_rules(path: str | Path | None = None) -> AssessmentRules:
    """Read a rules TOML file (keys of :class:`AssessmentRules`); ``None`` gives the defaults.

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or has problems (all listed, one per line).
    """
    if path is None:
        return AssessmentRules()
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            f"--rules: file {str(file)!r} does not exist; write a TOML file with the keys of "
            "the README's assessment-rule table"
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--rules {file}: not valid TOML: {exc}") from None
    try:
        return AssessmentRules.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, AssessmentRules)
        listing = "\n  - ".join(problems)
        raise ConfigError(f"--rules {file}: {len(problems)} problem(s):\n  - {listing}") from None
