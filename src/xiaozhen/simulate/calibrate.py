r"""Calibration of the free parameters on the 2010 → 2020 censuses and the income-ratio path.

The model is started from the 2010 census state of the 90 counties — with the **2010 census
covariates** (schooling, tertiary and migrant shares, sector mix; :func:`with_census_2010_covariates`)
— without characteristic towns (the programme started in 2015 and no list of its towns is
bundled), and run to 2023. The free parameters :data:`~xiaozhen.simulate.parameters.FREE_PARAMETERS`
minimise (``scipy.optimize.least_squares``, trust-region reflective, bounded, soft-L1 loss)

.. math::

    r = \Big[\frac{\ln(\hat P_{c,2020}/P_{c,2020})}{0.05},\;
             \frac{\hat u_{c,2020} - u_{c,2020}}{0.03},\;
             w_R\frac{\hat R_y - R_y}{s_y}\Big]

over the *training* counties and the provincial urban–rural income ratios :math:`R_y` of
:data:`INCOME_RATIO_PATH`, :math:`w_R = \sqrt{n_{train}/n_R}` so the ratio path weighs like the
counties. Held-out counties still exist in the simulation (people move to and from them) but
their 2020 values never enter the objective.

**One income-ratio series, not two.** Until 2012 China's household survey reported rural *net
income* (纯收入); from 2013 the integrated survey reports rural *disposable income*
(可支配收入), about 12.7 % higher for the same households (Jinhua statistical yearbook table
11-1 publishes both bases: 2010 11,497 / 10,201 = 1.127, 2013 16,661 / 14,788 = 1.127; urban
36,386 / 36,423 = 0.999). Zhejiang's published 2.42 (2010) and 2.37 (2012) are on the old basis;
the 2.37 → 2.07 fall of 2012 → 2015 quoted in BRIEF §4.5 is mostly this change of definition. On
the comparable (new) basis the path is 2.15, 2.10, 2.085, 2.07, 1.96, 1.90, 1.86 (2010, 2012,
2014, 2015, 2020, 2022, 2023): a decline of ≈ 1.1 % a year, not ≈ 4 %. The earlier calibration
fitted the break as real convergence and pushed farm productivity growth to its bound.

The external in-migration of 2011–2020 is the census province total change, spread evenly
(a province aggregate, not a county target); 2021–2023 use ``external_inflow_rate``.

**Naive baseline** for the out-of-sample comparison: each county keeps its 2010 share of the
province population, :math:`\hat P_{c} = P_{c,2010} P_{2020}/P_{2010}`, and its urbanisation
follows the mean 2010 → 2020 change of the training counties (the provincial trend),
:math:`\hat u_c = \min(1, u_{c,2010} + \overline{\Delta u})`.

:func:`cross_validate` repeats the fit over k folds of counties and reports the mean ± sd of the
held-out RMSE of model and baseline, so the verdict does not hang on one split.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import least_squares

from xiaozhen._io import write_json_atomic
from xiaozhen.errors import ConfigError
from xiaozhen.simulate._zones import (
    PROVINCE_INCOME_2020,
    build_zones,
    covariate_year,
    validate_counties,
)
from xiaozhen.simulate.model import CountyAggregates, draw_parameters, run_zones
from xiaozhen.simulate.parameters import FREE_PARAMETERS, ModelParameters, PolicyPackage

__all__ = [
    "INCOME_RATIO_PATH",
    "INCOME_RATIO_PUBLISHED",
    "CalibrationResult",
    "CrossValidationResult",
    "calibrate",
    "cross_validate",
    "with_census_2010_covariates",
    "write_calibration",
]

logger = logging.getLogger(__name__)

F = NDArray[np.float64]

#: Zhejiang urban ÷ rural per-capita income as published, with the survey basis
#: ("old": rural net income; "new": rural disposable income). Sources: BRIEF §4.5; 2010, 2012,
#: 2013 Zhejiang Daily 2014-01-21 (people.com.cn, 37,851 / 16,106); 2014 Zhejiang Online
#: 2015-01-23 (40,393 / 19,373).
INCOME_RATIO_PUBLISHED: dict[int, tuple[float, str]] = {
    2010: (2.42, "old"),
    2012: (2.37, "old"),
    2013: (2.35, "old"),
    2014: (40_393 / 19_373, "new"),
    2015: (2.07, "new"),
    2020: (1.96, "new"),
    2022: (1.90, "new"),
    2023: (1.86, "new"),
}
#: Rural disposable ÷ net income and urban new ÷ old basis (Jinhua yearbook table 11-1).
BASIS_FACTOR_RURAL, BASIS_FACTOR_URBAN = 1.127, 0.999

#: The calibration target: every published ratio on the new basis (old-basis values converted)
#: with its standard deviation (converted values 0.04, "about 1.86" 0.03, others 0.02).
INCOME_RATIO_PATH: dict[int, float] = {
    y: round(v * (BASIS_FACTOR_URBAN / BASIS_FACTOR_RURAL if b == "old" else 1.0), 3)
    for y, (v, b) in INCOME_RATIO_PUBLISHED.items()
    if y != 2013
}
_RATIO_SD = {2010: 0.04, 2012: 0.04, 2014: 0.02, 2015: 0.02, 2020: 0.02, 2022: 0.02, 2023: 0.03}
_SD_POP, _SD_URB = 0.05, 0.03

#: Gaussian prior (mean, sd) on ``agri_tfp_growth`` from the provincial accounts: farm value
#: added grew ≈ 4.5 %/yr in 2010-2020 (1,386 → 2,169 bn yuan: 5.0 % of GDP 27,722 bn and
#: 3.3 % of 64,613 bn), urban income 8.3 %/yr (27,359 → 62,699 yuan), farm labour −9.0 %/yr
#: (census long form: 0.484 → 0.197 M sampled workers), so with φ = 0.4 the growth of farm
#: income per unit of labour and land beyond the urban trend is 4.5 − 8.3 + 0.4 × 9.0 ≈ −0.2
#: %/yr; sd 1 %/yr covers φ in 0.3-0.5 and the price-index uncertainty.
AGRI_PRIOR = (-0.002, 0.01)
_END_YEAR = max(INCOME_RATIO_PATH)

#: 2010 census industry columns (GB/T 4754-2002) → the model's census sector keys.
_SECTORS_2010 = {
    "农林牧渔业": "agriculture",
    "采矿业": "mining",
    "制造业": "manufacturing",
    "电力、燃气及水的生产和供应业": "utilities",
    "建筑业": "construction",
    "仓储和邮政业": "transport",
    "交通运输、计算机服务和软件业": "ict",
    "信息传输、批发和零售业": "wholesale_retail",
    "住宿和餐饮业": "hospitality",
    "金融业": "finance",
    "房地产业": "real_estate",
    "租赁和商务服务业": "business_services",
    "科学研究、技术服务和地质勘察业": "research",
    "水利、环境和公共设施管理业": "environment_public",
    "居民服务和其他服务业": "resident_services",
    "教育": "education",
    "卫生、社会保障和社会福利业": "health_social",
    "文化、体育和娱乐业": "culture_sports",
    "公共管理和社会组织": "public_admin",
    "国际组织": "public_admin",
}
_EDU_2010 = ("未上过学", "小学", "初中", "高中", "大学专科", "大学本科及以上")


def with_census_2010_covariates(counties: pd.DataFrame) -> pd.DataFrame:
    """The county table plus the 2010 census covariates the 2010 start of calibration needs.

    From :func:`xiaozhen.region.census_table` (2010, on the post-2021 county codes):
    ``edu_years_2010`` = 平均受教育年限（年）-合计; ``tertiary_share_2010`` = (大学专科 +
    大学本科及以上) / all persons classified by education (aged 6+); ``migrant_intra_province_
    share_2010`` and ``migrant_inter_province_share_2010`` = 迁入人口 from another county of the
    province / from another province ÷ population; ``emp_<sector>_2010`` from the long-form
    industry table (the yearbook's merged header cells are shifted for three service columns;
    the model only uses agriculture, industry and the service total, which the shift does not
    affect). Tables without the bundled adcodes (e.g. synthetic counties) are returned unchanged
    and the model falls back to the 2020 covariates (logged).
    """
    from xiaozhen.region import census_table

    try:
        c10 = census_table(2010, counties.index)
    except Exception as exc:  # a table that is not the bundled province
        logger.info("no 2010 census covariates for this county table (%s); using 2020", exc)
        return counties
    if c10.reindex(counties.index)["合计"].isna().any():
        logger.info("2010 census does not cover every county; using the 2020 covariates")
        return counties
    c10 = c10.reindex(counties.index)
    out = counties.copy()
    total = c10["合计"].to_numpy(float)
    out["edu_years_2010"] = c10["平均受教育年限（年）-合计"].to_numpy(float)
    educated = sum(c10[f"{lvl}-{s}"].to_numpy(float) for lvl in _EDU_2010 for s in ("男", "女"))
    tertiary = sum(
        c10[f"{lvl}-{s}"].to_numpy(float)
        for lvl in ("大学专科", "大学本科及以上")
        for s in ("男", "女")
    )
    out["tertiary_share_2010"] = tertiary / np.maximum(educated, 1.0)
    out["migrant_intra_province_share_2010"] = (
        c10["迁入人口（人）-本省其他县（市）、市区"].to_numpy(float) / total
    )
    out["migrant_inter_province_share_2010"] = c10["迁入人口（人）-外省"].to_numpy(float) / total
    for key in dict.fromkeys(_SECTORS_2010.values()):
        cols = [c for c, k in _SECTORS_2010.items() if k == key]
        out[f"emp_{key}_2010"] = c10[cols].to_numpy(float).sum(axis=1)
    logger.info("added 2010 census covariates for %d counties", len(out))
    return out


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted parameters, the train/test split and the fit statistics."""

    parameters: ModelParameters
    free: dict[str, float]
    train: tuple[str, ...]
    test: tuple[str, ...]
    metrics: pd.DataFrame  # rows: (sample, target), columns model / baseline
    income_ratio: dict[int, float]
    predictions: pd.DataFrame  # per county: observed, model, baseline, sample
    beats_baseline: bool
    at_bounds: tuple[str, ...]
    covariate_year: int
    seed: int
    holdout_share: float
    evaluations: int
    seconds: float
    caveats: tuple[str, ...]


@dataclass(frozen=True)
class CrossValidationResult:
    """k-fold cross-validation: per-fold held-out metrics and their mean ± sd."""

    folds: pd.DataFrame  # fold, target, model, baseline
    summary: pd.DataFrame  # target: model_mean, model_sd, baseline_mean, baseline_sd, wins
    parameters: pd.DataFrame  # fold × free parameter
    income_ratio: pd.DataFrame  # fold × year
    seed: int
    n_folds: int
    seconds: float


class _Problem:
    def __init__(self, counties: pd.DataFrame, base: ModelParameters) -> None:
        self.counties = counties
        self.base = base
        self.zones = build_zones(counties, None, base_year=2010, params=base)
        p10 = float(counties["pop_2010"].sum())
        p20 = float(counties["pop_2020"].sum())
        extra = _END_YEAR - 2020
        self.inflow = np.concatenate(
            [
                np.full(10, (p20 - p10) / 10.0 / p10),
                np.full(extra, base.external_inflow_rate * p20 / p10),
            ]
        )
        self.names = list(FREE_PARAMETERS)
        self.evals = 0

    def params(self, x: F) -> ModelParameters:
        return self.base.model_copy(update=dict(zip(self.names, map(float, x), strict=True)))

    def run(self, x: F) -> CountyAggregates:
        self.evals += 1
        params = self.params(x)
        drawn = draw_parameters(params, 1, np.random.default_rng(0))
        scale = params.rural_income_2010 / (
            PROVINCE_INCOME_2020["rural"] / PROVINCE_INCOME_2020["urban"]
        )
        return run_zones(
            self.zones,
            params,
            drawn,
            PolicyPackage(),
            start_year=2010,
            years=_END_YEAR - 2010,
            inflow_rate=self.inflow,
            draws=1,
            record=False,
            rural_scale=scale,
        )


def _predict(out: CountyAggregates) -> tuple[F, F, dict[int, float]]:
    pop = out.county_pop[10, 0]
    urb = out.county_urban[10, 0] / pop
    ratio = {y: float(out.income_ratio[y - 2010, 0]) for y in INCOME_RATIO_PATH}
    return pop, urb, ratio


def _rmse(a: F, b: F) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def calibrate(
    counties: pd.DataFrame,
    *,
    seed: int = 0,
    holdout_share: float = 0.25,
    max_evaluations: int = 400,
    start: ModelParameters | None = None,
    loss: str = "soft_l1",
    test: Sequence[str] | None = None,
) -> CalibrationResult:
    """Fit the free parameters on training counties; evaluate on held-out counties.

    Parameters
    ----------
    counties : DataFrame
        :func:`xiaozhen.region.load_counties` (2010 and 2020 census columns). The 2010 census
        covariates are added by :func:`with_census_2010_covariates` when available.
    seed : int
        Seed of the train/test split (``numpy.random.default_rng(seed).permutation``).
    holdout_share : float
        Share of counties held out, in [0, 0.5]; 0 fits on every county (no test metrics).
    max_evaluations : int
        Budget of model runs for the optimiser.
    loss : str
        ``least_squares`` loss; the default ``"soft_l1"`` (f_scale 2 standard deviations) limits
        the pull of counties whose 2010 → 2020 change is a boundary artefact of the census
        crosswalk.
    test : sequence of str, optional
        Adcodes to hold out (overrides ``seed`` / ``holdout_share``; used by :func:`cross_validate`).

    Raises
    ------
    ConfigError
        If ``holdout_share`` is outside [0, 0.5] or ``test`` names unknown counties.
    """
    if not 0 <= holdout_share <= 0.5:
        raise ConfigError(f"holdout_share: received {holdout_share}; use a value in [0, 0.5]")
    t0 = time.perf_counter()
    counties = with_census_2010_covariates(validate_counties(counties))
    base = start or ModelParameters()
    prob = _Problem(counties, base)
    n = len(counties)
    if test is not None:
        unknown = sorted(set(map(str, test)) - set(counties.index))
        if unknown:
            raise ConfigError(f"test: adcodes not in the county table: {unknown[:10]}")
        test_idx = np.flatnonzero(counties.index.isin([str(t) for t in test]))
    else:
        perm = np.random.default_rng(seed).permutation(n)
        n_test = round(holdout_share * n)
        test_idx = np.sort(perm[:n_test])
    train_idx = np.setdiff1d(np.arange(n), test_idx)
    pop20 = counties["pop_2020"].to_numpy(float)
    urb20 = (counties["urban_pop_2020"] / counties["pop_2020"]).to_numpy(float)
    years = list(INCOME_RATIO_PATH)
    w_ratio = np.sqrt(len(train_idx) / len(years))
    targets = np.array([INCOME_RATIO_PATH[y] for y in years])
    sds = np.array([_RATIO_SD[y] for y in years])

    i_agri = prob.names.index("agri_tfp_growth")

    def residuals(x: F) -> F:
        pop, urb, ratio = _predict(prob.run(x))
        r_pop = np.log(pop[train_idx] / pop20[train_idx]) / _SD_POP
        r_urb = (urb[train_idx] - urb20[train_idx]) / _SD_URB
        r_ratio = w_ratio * (np.array([ratio[y] for y in years]) - targets) / sds
        r_prior = np.array([(x[i_agri] - AGRI_PRIOR[0]) / AGRI_PRIOR[1]])
        return np.concatenate([r_pop, r_urb, r_ratio, r_prior])

    lo = np.array([FREE_PARAMETERS[k][0] for k in prob.names])
    hi = np.array([FREE_PARAMETERS[k][1] for k in prob.names])
    x0 = np.clip(np.array([getattr(base, k) for k in prob.names], float), lo + 1e-9, hi - 1e-9)
    fit = least_squares(
        residuals,
        x0,
        bounds=(lo, hi),
        max_nfev=max_evaluations,
        x_scale=np.maximum(hi - lo, 1e-3) / 10,
        diff_step=1e-3,
        loss=loss,
        f_scale=2.0,
    )
    best = prob.params(fit.x)
    pop, urb, ratio = _predict(prob.run(fit.x))
    span = hi - lo
    at_bounds = tuple(
        k
        for k, v, a, b, s in zip(prob.names, fit.x, lo, hi, span, strict=True)
        if min(v - a, b - v) < 0.01 * s
    )

    # naive baseline
    p10 = counties["pop_2010"].to_numpy(float)
    urb10 = (counties["urban_pop_2010"] / counties["pop_2010"]).to_numpy(float)
    base_pop = p10 * pop20.sum() / p10.sum()
    trend = float(np.mean(urb20[train_idx] - urb10[train_idx]))
    base_urb = np.minimum(1.0, urb10 + trend)

    rows = []
    samples = [("train", train_idx)] + ([("test", test_idx)] if len(test_idx) else [])
    for sample, idx in samples:
        rows.append(
            {
                "sample": sample,
                "target": "log population 2020 (RMSE)",
                "model": _rmse(np.log(pop[idx]), np.log(pop20[idx])),
                "baseline": _rmse(np.log(base_pop[idx]), np.log(pop20[idx])),
            }
        )
        rows.append(
            {
                "sample": sample,
                "target": "urbanisation 2020 (RMSE, share)",
                "model": _rmse(urb[idx], urb20[idx]),
                "baseline": _rmse(base_urb[idx], urb20[idx]),
            }
        )
    rows.append(
        {
            "sample": "province",
            "target": "income ratio path (RMSE, new basis; baseline holds 2010)",
            "model": _rmse(np.array([ratio[y] for y in years]), targets),
            "baseline": _rmse(np.full(len(years), targets[0]), targets),
        }
    )
    metrics = pd.DataFrame(rows)
    metrics["model_better"] = metrics["model"] < metrics["baseline"]
    test_rows = metrics[metrics["sample"] == "test"]
    beats = bool(len(test_rows)) and bool(test_rows["model_better"].all())
    split = np.where(np.isin(np.arange(n), test_idx), "test", "train")
    predictions = pd.DataFrame(
        {
            "name": counties["name"].to_numpy(),
            "sample": split,
            "pop_2010": p10,
            "pop_2020": pop20,
            "pop_model": pop,
            "pop_baseline": base_pop,
            "urbanisation_2010": urb10,
            "urbanisation_2020": urb20,
            "urbanisation_model": urb,
            "urbanisation_baseline": base_urb,
        },
        index=counties.index,
    )
    cov_year = covariate_year(counties, 2010)
    caveats = [
        "no characteristic towns in the calibration run (no bundled list of the 2015-2018 towns)",
        "county incomes are estimated from provincial means and proxies (no county income data)",
        "2010 and 2012 income ratios are old-basis values converted with the Jinhua yearbook "
        "factor (rural disposable / net income = 1.127)",
    ]
    if cov_year != 2010:
        caveats.insert(
            0,
            "county covariates are 2020 census values used for the 2010 start (no 2010 values "
            "in the table): they partly reflect the decade being fitted",
        )
    result = CalibrationResult(
        parameters=best,
        free={k: float(getattr(best, k)) for k in prob.names},
        train=tuple(counties.index[train_idx]),
        test=tuple(counties.index[test_idx]),
        metrics=metrics,
        income_ratio=ratio,
        predictions=predictions,
        beats_baseline=beats,
        at_bounds=at_bounds,
        covariate_year=cov_year,
        seed=seed,
        holdout_share=len(test_idx) / n,
        evaluations=prob.evals,
        seconds=time.perf_counter() - t0,
        caveats=tuple(caveats),
    )
    logger.info(
        "calibrated %d parameters in %d runs (%.1f s; at bounds: %s); %s",
        len(prob.names),
        prob.evals,
        result.seconds,
        ", ".join(at_bounds) or "none",
        "; ".join(
            f"{r.sample} {r.target}: model {r.model:.4f} vs baseline {r.baseline:.4f}"
            for r in metrics.itertuples()
        ),
    )
    return result


def cross_validate(
    counties: pd.DataFrame,
    *,
    folds: int = 5,
    seed: int = 0,
    max_evaluations: int = 400,
    start: ModelParameters | None = None,
) -> CrossValidationResult:
    """k-fold cross-validation over counties: fit on k−1 folds, score the held-out fold.

    Folds are a seeded permutation of the counties cut into ``folds`` near-equal parts. For each
    target the held-out RMSE of the model and of the naive baseline are summarised as mean ± sd
    over folds, with the number of folds the model wins.

    Raises
    ------
    ConfigError
        If ``folds`` is not in 2 … number of counties.
    """
    counties = validate_counties(counties)
    n = len(counties)
    if not 2 <= folds <= n:
        raise ConfigError(f"folds: received {folds}; use 2..{n}")
    t0 = time.perf_counter()
    perm = np.random.default_rng(seed).permutation(n)
    parts = np.array_split(perm, folds)
    rows, prows, rrows = [], [], []
    for f, part in enumerate(parts):
        res = calibrate(
            counties,
            test=list(counties.index[np.sort(part)]),
            max_evaluations=max_evaluations,
            start=start,
        )
        for r in res.metrics[res.metrics["sample"] == "test"].itertuples():
            rows.append({"fold": f, "target": r.target, "model": r.model, "baseline": r.baseline})
        prows.append({"fold": f, **res.free, "at_bounds": ",".join(res.at_bounds)})
        rrows.append({"fold": f, **{str(y): v for y, v in res.income_ratio.items()}})
    table = pd.DataFrame(rows)
    table["model_better"] = table["model"] < table["baseline"]
    summary = (
        table.groupby("target", sort=False)
        .agg(
            model_mean=("model", "mean"),
            model_sd=("model", "std"),
            baseline_mean=("baseline", "mean"),
            baseline_sd=("baseline", "std"),
            folds_won=("model_better", "sum"),
        )
        .reset_index()
    )
    diff = (table["model"] - table["baseline"]).groupby(table["target"], sort=False)
    summary["diff_mean"] = diff.mean().to_numpy()
    summary["diff_sd"] = diff.std().to_numpy()
    summary["folds"] = folds
    out = CrossValidationResult(
        folds=table,
        summary=summary,
        parameters=pd.DataFrame(prows),
        income_ratio=pd.DataFrame(rrows),
        seed=seed,
        n_folds=folds,
        seconds=time.perf_counter() - t0,
    )
    logger.info(
        "%d-fold CV in %.0f s: %s",
        folds,
        out.seconds,
        "; ".join(
            f"{r.target}: model {r.model_mean:.4f}±{r.model_sd:.4f} vs baseline "
            f"{r.baseline_mean:.4f}±{r.baseline_sd:.4f} ({r.folds_won}/{folds} won)"
            for r in summary.itertuples()
        ),
    )
    return out


def write_calibration(
    result: CalibrationResult,
    path: str | Path,
    *,
    command: str,
    cv: CrossValidationResult | None = None,
) -> Path:
    """Write the calibration record (parameters, metrics, split, CV, command, date) as JSON."""
    record: dict[str, Any] = {
        "command": command,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "parameters": result.parameters.model_dump(),
        "free": result.free,
        "free_bounds": {k: list(v) for k, v in FREE_PARAMETERS.items()},
        "at_bounds": list(result.at_bounds),
        "covariate_year": result.covariate_year,
        "seed": result.seed,
        "holdout_share": result.holdout_share,
        "train": list(result.train),
        "test": list(result.test),
        "metrics": result.metrics.to_dict(orient="records"),
        "income_ratio_model": {str(k): v for k, v in result.income_ratio.items()},
        "income_ratio_target": {str(k): v for k, v in INCOME_RATIO_PATH.items()},
        "income_ratio_published": {
            str(k): {"value": v, "basis": b} for k, (v, b) in INCOME_RATIO_PUBLISHED.items()
        },
        "beats_baseline_out_of_sample": result.beats_baseline,
        "evaluations": result.evaluations,
        "caveats": list(result.caveats),
    }
    if cv is not None:
        record["cross_validation"] = {
            "folds": cv.n_folds,
            "seed": cv.seed,
            "summary": cv.summary.to_dict(orient="records"),
            "per_fold": cv.folds.to_dict(orient="records"),
            "parameters_per_fold": cv.parameters.to_dict(orient="records"),
            "income_ratio_per_fold": cv.income_ratio.to_dict(orient="records"),
        }
        wins = cv.summary["folds_won"].to_numpy()
        record["beats_baseline_out_of_sample"] = bool((wins > cv.n_folds / 2).all())
    return write_json_atomic(path, record)
