r"""Calibration of the free parameters on the 2010 → 2020 censuses and the income-ratio path.

The model is started from the 2010 census state of the 90 counties (no characteristic towns:
the programme started in 2015 and no list of its towns is bundled) and run to 2022. The free
parameters :data:`~xiaozhen.simulate.parameters.FREE_PARAMETERS` minimise (``scipy.optimize.
least_squares``, trust-region reflective, bounded) the weighted residuals

.. math::

    r = \Big[\frac{\ln(\hat P_{c,2020}/P_{c,2020})}{0.05},\;
             \frac{\hat u_{c,2020} - u_{c,2020}}{0.03},\;
             w_R\frac{\hat R_y - R_y}{0.02}\Big]

over the *training* counties (a seeded random split holds out ``holdout_share`` of the counties)
and the provincial urban–rural income ratios :math:`R_{2012,2015,2020,2022} = 2.37, 2.07, 1.96,
1.90` (BRIEF §4.5), :math:`w_R = \sqrt{n_{train}/4}` so the four ratios weigh like the counties.
Held-out counties still exist in the simulation (people move to and from them) but their 2020
values never enter the objective.

The external in-migration of 2011–2020 is the census province total change, spread evenly
(a province aggregate, not a county target); 2021–2022 use ``external_inflow_rate``.

**Naive baseline** for the out-of-sample comparison: each county keeps its 2010 share of the
province population, :math:`\hat P_{c} = P_{c,2010} P_{2020}/P_{2010}`, and its urbanisation
follows the mean 2010 → 2020 change of the training counties (the provincial trend),
:math:`\hat u_c = \min(1, u_{c,2010} + \overline{\Delta u})`.

Caveats (reported with the result): county covariates (schooling, tertiary and migrant shares,
sector mix) come from the 2020 census because the county table carries no 2010 values; they are
partly outcomes of the decade being fitted, which flatters the in-sample fit.
"""

from __future__ import annotations

import logging
import time
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
from xiaozhen.simulate._zones import PROVINCE_INCOME_2020, build_zones, validate_counties
from xiaozhen.simulate.model import draw_parameters, run_zones
from xiaozhen.simulate.parameters import FREE_PARAMETERS, ModelParameters, PolicyPackage

__all__ = ["INCOME_RATIO_PATH", "CalibrationResult", "calibrate", "write_calibration"]

logger = logging.getLogger(__name__)

F = NDArray[np.float64]

#: Zhejiang urban ÷ rural per-capita disposable income (BRIEF §4.5).
INCOME_RATIO_PATH = {2012: 2.37, 2015: 2.07, 2020: 1.96, 2022: 1.90}
_SD_POP, _SD_URB, _SD_RATIO = 0.05, 0.03, 0.02


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
    seed: int
    holdout_share: float
    evaluations: int
    seconds: float
    caveats: tuple[str, ...]


class _Problem:
    def __init__(self, counties: pd.DataFrame, base: ModelParameters) -> None:
        self.counties = counties
        self.base = base
        self.zones = build_zones(counties, None, base_year=2010, params=base)
        p10 = float(counties["pop_2010"].sum())
        p20 = float(counties["pop_2020"].sum())
        self.inflow = np.concatenate(
            [
                np.full(10, (p20 - p10) / 10.0 / p10),
                np.full(2, base.external_inflow_rate * p20 / p10),
            ]
        )
        self.names = list(FREE_PARAMETERS)
        self.evals = 0

    def params(self, x: F) -> ModelParameters:
        return self.base.model_copy(update=dict(zip(self.names, map(float, x), strict=True)))

    def run(self, x: F) -> dict[str, Any]:
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
            years=12,
            inflow_rate=self.inflow,
            draws=1,
            record=False,
            rural_scale=scale,
        )


def _predict(out: dict[str, Any]) -> tuple[F, F, dict[int, float]]:
    pop = out["county_pop"][10, 0]
    urb = out["county_urban"][10, 0] / pop
    ratio = {y: float(out["income_ratio"][y - 2010, 0]) for y in INCOME_RATIO_PATH}
    return pop, urb, ratio


def calibrate(
    counties: pd.DataFrame,
    *,
    seed: int = 0,
    holdout_share: float = 0.25,
    max_evaluations: int = 400,
    start: ModelParameters | None = None,
    loss: str = "soft_l1",
) -> CalibrationResult:
    """Fit the free parameters on training counties; evaluate on held-out counties.

    Parameters
    ----------
    counties : DataFrame
        :func:`xiaozhen.region.load_counties` (2010 and 2020 census columns).
    seed : int
        Seed of the train/test split (``numpy.random.default_rng(seed).permutation``).
    holdout_share : float
        Share of counties held out, in (0, 0.5].
    max_evaluations : int
        Budget of model runs for the optimiser.
    loss : str
        ``least_squares`` loss; the default ``"soft_l1"`` (f_scale 2 standard deviations) limits
        the pull of counties whose 2010 → 2020 change is a boundary artefact of the census
        crosswalk (e.g. 海曙区 +102 % after the 2016 Ningbo re-districting).

    Raises
    ------
    ConfigError
        If ``holdout_share`` is outside (0, 0.5].
    """
    if not 0 < holdout_share <= 0.5:
        raise ConfigError(f"holdout_share: received {holdout_share}; use a value in (0, 0.5]")
    t0 = time.perf_counter()
    counties = validate_counties(counties)
    base = start or ModelParameters()
    prob = _Problem(counties, base)
    n = len(counties)
    perm = np.random.default_rng(seed).permutation(n)
    n_test = max(1, round(holdout_share * n))
    test_idx = np.sort(perm[:n_test])
    train_idx = np.sort(perm[n_test:])
    pop20 = counties["pop_2020"].to_numpy(float)
    urb20 = (counties["urban_pop_2020"] / counties["pop_2020"]).to_numpy(float)
    w_ratio = np.sqrt(len(train_idx) / 4.0)
    years = list(INCOME_RATIO_PATH)
    targets = np.array([INCOME_RATIO_PATH[y] for y in years])

    def residuals(x: F) -> F:
        pop, urb, ratio = _predict(prob.run(x))
        r_pop = np.log(pop[train_idx] / pop20[train_idx]) / _SD_POP
        r_urb = (urb[train_idx] - urb20[train_idx]) / _SD_URB
        r_ratio = w_ratio * (np.array([ratio[y] for y in years]) - targets) / _SD_RATIO
        return np.concatenate([r_pop, r_urb, r_ratio])

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

    # naive baseline
    p10 = counties["pop_2010"].to_numpy(float)
    urb10 = (counties["urban_pop_2010"] / counties["pop_2010"]).to_numpy(float)
    base_pop = p10 * pop20.sum() / p10.sum()
    trend = float(np.mean(urb20[train_idx] - urb10[train_idx]))
    base_urb = np.minimum(1.0, urb10 + trend)

    def rmse(a: F, b: F) -> float:
        return float(np.sqrt(np.mean((a - b) ** 2)))

    rows = []
    for sample, idx in (("train", train_idx), ("test", test_idx)):
        rows.append(
            {
                "sample": sample,
                "target": "log population 2020 (RMSE)",
                "model": rmse(np.log(pop[idx]), np.log(pop20[idx])),
                "baseline": rmse(np.log(base_pop[idx]), np.log(pop20[idx])),
            }
        )
        rows.append(
            {
                "sample": sample,
                "target": "urbanisation 2020 (RMSE, share)",
                "model": rmse(urb[idx], urb20[idx]),
                "baseline": rmse(base_urb[idx], urb20[idx]),
            }
        )
    metrics = pd.DataFrame(rows)
    metrics["model_better"] = metrics["model"] < metrics["baseline"]
    test_rows = metrics[metrics["sample"] == "test"]
    beats = bool(test_rows["model_better"].all())
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
    caveats = (
        "county covariates (schooling, tertiary and migrant shares, sector mix) are 2020 census "
        "values used for the 2010 start: they partly reflect the decade being fitted",
        "no characteristic towns in the calibration run (no bundled list of the 2015-2018 towns)",
        "county incomes are estimated from provincial means and proxies (no county income data)",
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
        seed=seed,
        holdout_share=holdout_share,
        evaluations=prob.evals,
        seconds=time.perf_counter() - t0,
        caveats=caveats,
    )
    logger.info(
        "calibrated %d parameters in %d runs (%.1f s); held-out: %s",
        len(prob.names),
        prob.evals,
        result.seconds,
        "; ".join(
            f"{r.target}: model {r.model:.4f} vs baseline {r.baseline:.4f}"
            for r in test_rows.itertuples()
        ),
    )
    return result


def write_calibration(result: CalibrationResult, path: str | Path, *, command: str) -> Path:
    """Write the calibration record (parameters, metrics, split, command, date) as JSON."""
    record = {
        "command": command,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "parameters": result.parameters.model_dump(),
        "free": result.free,
        "seed": result.seed,
        "holdout_share": result.holdout_share,
        "train": list(result.train),
        "test": list(result.test),
        "metrics": result.metrics.to_dict(orient="records"),
        "income_ratio_model": {str(k): v for k, v in result.income_ratio.items()},
        "income_ratio_target": {str(k): v for k, v in INCOME_RATIO_PATH.items()},
        "beats_baseline_out_of_sample": result.beats_baseline,
        "evaluations": result.evaluations,
        "caveats": list(result.caveats),
    }
    return write_json_atomic(path, record)
