r"""Indicators of a simulation: province per year and draw, each town per year, assessment grades.

Province indicators (arrays ``(years, draws)``):

* ``income_ratio`` — urban ÷ rural per-capita income (BRIEF §4.5 definition); urban = cores and
  towns, rural = rural zones.
* ``theil`` — population-weighted Theil T over the urban and rural zones of all counties,
  :math:`T = \sum_i (Y_i/Y)\ln\big((Y_i/Y)/(P_i/P)\big)` (Theil 1967; Shorrocks 1980).
* ``coupling_coordination`` — urban–rural coupling coordination degree D (BRIEF §4.6) of the
  urban subsystem :math:`U_1` = mean(real urban income / 2 × the 2020 value, 1/(1 + core
  congestion)) and the rural subsystem :math:`U_2` = mean(real rural income / 2 × the 2020 value,
  rural employment rate); :math:`C = 2\sqrt{U_1U_2}/(U_1+U_2)`, :math:`T = (U_1+U_2)/2`,
  :math:`D = \sqrt{CT}`, computed by :func:`xiaozhen.assess.coupling_coordination`.
* rural employment and income, core density and congestion, housing cost to income in cores,
  land (construction, idle reused, farmland), town totals and the fiscal cost per job created.

Town assessment grades (Zhejiang annual assessment, BRIEF §4.4): see :func:`assessment_grades`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from xiaozhen.assess import coupling_coordination
from xiaozhen.simulate.model import CORE, RURAL, TOWN, SimulationResult
from xiaozhen.simulate.parameters import industry_profile

__all__ = [
    "GRADES",
    "GRADE_SHARES_2018",
    "NATIONAL_THRESHOLDS_2021",
    "assessment_grades",
    "province_indicators",
    "summarise",
    "theil_index",
    "town_indicators",
]

logger = logging.getLogger(__name__)

F = NDArray[np.float64]

GRADES = ("excellent", "good", "pass", "warning", "demoted")
#: 2018 assessment of 115 creation towns: 25 / 45 / 31 / 9 / 5 (BRIEF §4.4).
GRADE_SHARES_2018 = np.array([25, 45, 31, 9, 5], dtype=float) / 115.0
#: National thresholds "in principle", 发改规划〔2021〕1383号 (BRIEF §4.3); 1 km² = 1,500 mu.
NATIONAL_THRESHOLDS_2021 = {
    "jobs": 2000.0,
    "tax_per_mu_yuan": 100_000.0,
    "productivity_yuan_per_job": 200_000.0,
    "investment_per_mu_yuan": 2_000_000.0,
    "visitors_culture_tourism": 500_000.0,
}
MU_PER_KM2 = 1500.0
#: Units of the province indicators.
UNITS = {
    "population": "persons",
    "urbanisation": "share",
    "urban_income": "yuan/person/yr",
    "rural_income": "yuan/person/yr",
    "income_ratio": "ratio",
    "theil": "index",
    "coupling_coordination": "index 0-1",
    "rural_employment": "jobs",
    "rural_employment_rate": "share",
    "core_density": "persons/km2",
    "core_congestion": "index",
    "housing_cost_to_income": "share",
    "construction_km2": "km2",
    "idle_km2": "km2",
    "idle_reused_km2": "km2 cumulative",
    "farmland_km2": "km2",
    "town_jobs": "jobs",
    "town_residents": "persons",
    "town_investment": "yuan/yr",
    "town_tax": "yuan/yr",
    "town_visitors": "persons/yr",
    "fiscal_cost": "yuan/yr",
    "fiscal_cost_per_job": "yuan/job cumulative",
    "rural_demand": "yuan/yr",
    "commuters": "persons",
}


def theil_index(income_total: F, population: F, axis: int = -1) -> F:
    r"""Population-weighted Theil T index of group incomes along ``axis``.

    :math:`T = \sum_i s_i \ln(s_i / p_i)` with income shares :math:`s_i = Y_i/Y` and population
    shares :math:`p_i = P_i/P`; groups with no income contribute 0. Equals 0 when every group has
    the same income per person, and :math:`\ln n` when one of n equal-sized groups has all income.
    """
    y = np.asarray(income_total, float)
    p = np.asarray(population, float)
    s = y / y.sum(axis=axis, keepdims=True)
    q = p / p.sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(s > 0, s * np.log(s / np.where(q > 0, q, 1.0)), 0.0)
    return np.asarray(term.sum(axis=axis))


def _zone_income_total(r: SimulationResult) -> tuple[F, F]:
    pop = r.population.astype(float)
    inc = r.income.astype(float)
    tot = inc[:, :, 0] * pop[:, :, :2].sum(axis=2) + inc[:, :, 1] * pop[:, :, 2:].sum(axis=2)
    return tot, pop.sum(axis=2)


def province_indicators(r: SimulationResult) -> dict[str, F]:
    """Province indicators per year and draw, each an array ``(years, draws)``."""
    kind = r.zones.kind
    urban = kind != RURAL
    core = kind == CORE
    tot, pop = _zone_income_total(r)
    out: dict[str, F] = {}
    out["population"] = pop.sum(axis=2)
    out["urbanisation"] = pop[:, :, urban].sum(axis=2) / out["population"]
    out["urban_income"] = tot[:, :, urban].sum(axis=2) / pop[:, :, urban].sum(axis=2)
    out["rural_income"] = tot[:, :, ~urban].sum(axis=2) / np.maximum(
        pop[:, :, ~urban].sum(axis=2), 1
    )
    out["income_ratio"] = out["urban_income"] / out["rural_income"]
    keep = pop.sum(axis=(0, 1)) > 0
    out["theil"] = theil_index(tot[:, :, keep], pop[:, :, keep], axis=2)
    rural_pop = pop[:, :, kind == RURAL]
    out["rural_employment"] = r.rural_employment.sum(axis=2)
    out["rural_employment_rate"] = out["rural_employment"] / np.maximum(
        r.parameters.participation * rural_pop.sum(axis=2), 1.0
    )
    constr = r.land[:, :, 0, :]
    dens = pop[:, :, core] / np.maximum(constr[:, :, core], 1e-3)
    w = pop[:, :, core]
    out["core_density"] = (dens * w).sum(axis=2) / w.sum(axis=2)
    out["core_congestion"] = (r.congestion[:, :, core] * w).sum(axis=2) / w.sum(axis=2)
    out["housing_cost_to_income"] = (r.housing_cost[:, :, core] * w).sum(axis=2) / tot[
        :, :, core
    ].sum(axis=2)
    out["construction_km2"] = constr.sum(axis=2)
    out["idle_km2"] = r.land[:, :, 1, :].sum(axis=2)
    out["farmland_km2"] = r.land[:, :, 2, :].sum(axis=2)
    t = r.town
    out["idle_reused_km2"] = np.cumsum(t["idle_reused"].sum(axis=2), axis=0)
    out["town_jobs"] = t["jobs"].sum(axis=2)
    out["town_residents"] = t["residents"].sum(axis=2)
    out["town_investment"] = t["investment"].sum(axis=2)
    out["town_tax"] = t["tax"].sum(axis=2)
    out["town_visitors"] = t["visitors"].sum(axis=2)
    out["commuters"] = t["commuters"].sum(axis=2)
    out["rural_demand"] = r.rural_demand.sum(axis=2)
    fiscal = (t["public_budget"] + t["fiscal_return_in"] + t["talent_cost"]).sum(axis=2)
    out["fiscal_cost"] = fiscal
    out["fiscal_cost_per_job"] = np.cumsum(fiscal, axis=0) / np.maximum(out["town_jobs"], 1.0)
    # coupling coordination of urban and rural subsystems
    k = np.arange(len(r.years))[:, None]
    real = np.exp(-r.parameters.income_growth * k)
    u1 = np.clip(
        (
            np.clip(out["urban_income"] * real / (2 * out["urban_income"][:1]), 0, 1)
            + 1.0 / (1.0 + out["core_congestion"])
        )
        / 2,
        0,
        1,
    )
    u2 = np.clip(
        (
            np.clip(out["rural_income"] * real / (2 * out["rural_income"][:1]), 0, 1)
            + np.clip(out["rural_employment_rate"], 0, 1)
        )
        / 2,
        0,
        1,
    )
    cc = coupling_coordination(np.stack([u1.ravel(), u2.ravel()], axis=1), names=["urban", "rural"])
    out["coupling_coordination"] = np.asarray(cc.d, float).reshape(u1.shape)
    logger.info("computed %d province indicators for %d years × %d draws", len(out), *u1.shape)
    return out


def assessment_grades(score: F, assessed: NDArray[np.bool_]) -> NDArray[np.int8]:
    r"""Zhejiang annual assessment grade of each town (0 excellent … 4 demoted; −1 not assessed).

    Rule derived from BRIEF §4.4 and §4.1 (documented, not an official formula): towns assessed in
    a year are ranked by their achievement score ``score`` (see :func:`town_indicators`) within the
    year and draw, and graded by the 2018 distribution of 115 creation towns (21.7 % excellent,
    39.1 % good, 27.0 % pass, 7.8 % warning, 4.3 % demoted). Absolute floors then apply: a town
    meeting every target (score ≥ 1) is at least *pass*; a town below target (score < 1) is at best
    *pass*; a town below half its targets (score < 0.5) is *demoted*.

    Parameters
    ----------
    score : ndarray (..., T)
        Achievement scores (1 = all targets exactly met).
    assessed : ndarray (..., T) bool
        Towns under assessment (active) in that year.
    """
    s = np.where(assessed, score, -np.inf)
    n = assessed.sum(axis=-1, keepdims=True)
    order = np.argsort(-s, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(
        rank,
        order,
        np.arange(s.shape[-1])[(None,) * (s.ndim - 1)].repeat(1, 0)
        if s.ndim > 1
        else np.arange(s.shape[-1]),
        axis=-1,
    )
    frac = (rank + 0.5) / np.maximum(n, 1)
    cum = np.cumsum(GRADE_SHARES_2018)
    grade = np.searchsorted(cum, frac.ravel()).reshape(frac.shape).clip(0, 4)
    grade = np.where(score >= 1.0, np.minimum(grade, 2), np.maximum(grade, 2))
    grade = np.where(score < 0.5, 4, grade)
    return np.where(assessed, grade, -1).astype(np.int8)


def _town_arrays(r: SimulationResult) -> dict[str, F]:
    t = r.town
    towns = r.zones.towns
    target = np.array([industry_profile(str(k))["target"] for k in towns["industry"]])
    ld = r.zones.less_developed[r.zones.town_county]
    period = np.where(ld, 5, 3)
    start = towns["start_year"].to_numpy(int)
    years = r.years[:, None, None]
    age = years - start[None, None, :]
    active = (age >= 0) & (age < 1000)
    cum_inv = np.cumsum(t["investment"], axis=0)
    mu = np.maximum(t["construction"], 1e-6) * MU_PER_KM2
    a: dict[str, Any] = {
        "active": np.broadcast_to(active, t["jobs"].shape),
        "age": np.broadcast_to(age, t["jobs"].shape),
        "cum_investment": cum_inv,
        "tax_per_mu": np.where(t["construction"] > 1e-6, t["tax"] / mu, 0.0),
        "investment_per_mu": np.where(t["construction"] > 1e-6, t["capital"] / mu, 0.0),
        "productivity": np.where(
            t["industry_jobs"] > 1, t["output"] / np.maximum(t["industry_jobs"], 1), 0.0
        ),
    }
    due = target[None, None, :] * np.minimum(1.0, (a["age"] + 1) / period[None, None, :])
    crit = [np.minimum(cum_inv / np.maximum(due, 1.0), 1.5)]
    after = a["age"] >= 1
    crit.append(np.where(after, np.minimum(t["jobs"] / 2000.0, 1.5), np.nan))
    crit.append(np.where(after, np.minimum(a["tax_per_mu"] / 100_000.0, 1.5), np.nan))
    crit.append(np.where(after, np.minimum(t["visitors"] / 300_000.0, 1.5), np.nan))
    stack = np.stack(crit)
    a["score"] = np.nanmean(np.where(np.isnan(stack), np.nan, stack), axis=0)
    a["grade"] = assessment_grades(np.nan_to_num(a["score"]), a["active"])
    return a


def town_indicators(r: SimulationResult) -> pd.DataFrame:
    """One row per (year, town) with medians (p05/p95 for jobs) and the grade distribution.

    Achievement score = mean over applicable criteria of min(ratio, 1.5): cumulative investment ÷
    the pro-rata creation target (BRIEF §4.1: 5 bn / 3 bn in 3 years, 5 years in less-developed
    counties); from the second year also jobs ÷ 2,000, tax per mu ÷ 100,000 yuan (BRIEF §4.3) and
    visitors ÷ 300,000 (BRIEF §4.1). Threshold columns compare medians with the 2021 national
    thresholds.
    """
    towns = r.zones.towns
    a = _town_arrays(r)
    t = r.town
    rows = []
    n_t = t["jobs"].shape[2]
    med = {k: np.median(v, axis=1) for k, v in t.items()}
    for key in ("cum_investment", "tax_per_mu", "investment_per_mu", "productivity", "score"):
        med[key] = np.median(a[key], axis=1)
    p05 = np.percentile(t["jobs"], 5, axis=1)
    p95 = np.percentile(t["jobs"], 95, axis=1)
    grade_share = np.stack([(a["grade"] == g).mean(axis=1) for g in range(5)], axis=-1)
    for yi, year in enumerate(r.years):
        for ti in range(n_t):
            if not a["active"][yi, 0, ti]:
                continue
            ind = str(towns["industry"].iat[ti])
            row = {
                "year": int(year),
                "town_id": towns["town_id"].iat[ti],
                "county": towns["county"].iat[ti],
                "industry": ind,
                "jobs": med["jobs"][yi, ti],
                "jobs_p05": p05[yi, ti],
                "jobs_p95": p95[yi, ti],
                "industry_jobs": med["industry_jobs"][yi, ti],
                "residents": med["residents"][yi, ti],
                "commuters": med["commuters"][yi, ti],
                "investment_yuan": med["investment"][yi, ti],
                "cum_investment_yuan": med["cum_investment"][yi, ti],
                "capital_yuan": med["capital"][yi, ti],
                "tax_yuan": med["tax"][yi, ti],
                "tax_per_mu_yuan": med["tax_per_mu"][yi, ti],
                "investment_per_mu_yuan": med["investment_per_mu"][yi, ti],
                "productivity_yuan_per_job": med["productivity"][yi, ti],
                "visitors": med["visitors"][yi, ti],
                "construction_km2": med["construction"][yi, ti],
                "idle_reused_km2": med["idle_reused"][yi, ti],
                "new_quota_used_km2": med["new_quota_used"][yi, ti],
                "fiscal_return_yuan": med["tax_returned"][yi, ti],
                "score": med["score"][yi, ti],
            }
            thr = NATIONAL_THRESHOLDS_2021
            row["meets_jobs"] = bool(row["jobs"] >= thr["jobs"])
            row["meets_tax_per_mu"] = bool(row["tax_per_mu_yuan"] >= thr["tax_per_mu_yuan"])
            row["meets_productivity"] = bool(
                row["productivity_yuan_per_job"] >= thr["productivity_yuan_per_job"]
            )
            row["meets_investment_per_mu"] = bool(
                row["investment_per_mu_yuan"] >= thr["investment_per_mu_yuan"]
            )
            row["meets_visitors"] = (
                bool(row["visitors"] >= thr["visitors_culture_tourism"])
                if ind in ("tourism",) or ind.startswith("classic")
                else None
            )
            shares = grade_share[yi, ti]
            row["grade"] = GRADES[int(np.argmax(shares))]
            for g, name in enumerate(GRADES):
                row[f"p_{name}"] = float(shares[g])
            rows.append(row)
    return pd.DataFrame(rows)


def summarise(values: dict[str, F], years: NDArray[np.int64]) -> pd.DataFrame:
    """Long table year × indicator with mean and the 5th / 50th / 95th percentiles over draws."""
    frames = []
    for name, arr in values.items():
        frames.append(
            pd.DataFrame(
                {
                    "year": years,
                    "indicator": name,
                    "unit": UNITS.get(name, ""),
                    "mean": arr.mean(axis=1),
                    "p05": np.percentile(arr, 5, axis=1),
                    "p50": np.percentile(arr, 50, axis=1),
                    "p95": np.percentile(arr, 95, axis=1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


_ = TOWN  # re-exported kinds are used by callers
