r"""Coupling coordination degree of two or more subsystems (e.g. urban and rural development).

The coupling degree used here is the *correct* general form. About half of published papers
compute C wrongly (刘春林 2017, 《经济地理》; 王淑佳, 孔伟, 任亮, 治丹丹, 戴尔阜 2021,
《自然资源学报》36(3):793–810), e.g. with ``C = n·[∏u / (Σu)^n]^(1/n)``, which is not in [0, 1]
for n > 2, or with a spurious exponent k. Here

.. math::
    C = \frac{\left(\prod_{i=1}^n U_i\right)^{1/n}}{\frac{1}{n}\sum_{i=1}^n U_i}

(geometric over arithmetic mean, in [0, 1], equal to 1 when all subsystems are equal); for n = 2
this is :math:`C = 2\sqrt{U_1U_2}/(U_1+U_2)`. Then :math:`T = \sum_i \alpha_i U_i` with
:math:`\sum\alpha_i = 1` and :math:`D = \sqrt{C\,T}`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from xiaozhen.errors import ConfigError, InputDataError

__all__ = ["COORDINATION_CLASSES", "CouplingResult", "coordination_class", "coupling_coordination"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

#: Ten classes of D in steps of 0.1: (lower bound, Chinese label, English label)
#: (廖重斌 1999, 《热带地理》19(2):171; the scale used throughout the Chinese literature).
COORDINATION_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.0, "极度失调", "extreme imbalance"),
    (0.1, "严重失调", "serious imbalance"),
    (0.2, "中度失调", "moderate imbalance"),
    (0.3, "轻度失调", "mild imbalance"),
    (0.4, "濒临失调", "verge of imbalance"),
    (0.5, "勉强协调", "barely coordinated"),
    (0.6, "初级协调", "primary coordination"),
    (0.7, "中级协调", "intermediate coordination"),
    (0.8, "良好协调", "good coordination"),
    (0.9, "优质协调", "high-quality coordination"),
)


def coordination_class(d: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Class index 1–10 of coordination degree ``d`` (``[0, 0.1)`` → 1, …, ``[0.9, 1]`` → 10)."""
    arr = np.asarray(d, dtype=np.float64)
    # the 1e-9 guard keeps hand values such as 0.3 (stored as 0.29999…) in their class
    return np.clip(np.floor(arr * 10 + 1e-9).astype(np.int64) + 1, 1, 10)


@dataclass(frozen=True)
class CouplingResult:
    """Coupling C, comprehensive development T, coordination D, class and lag per unit."""

    u: FloatArray
    c: FloatArray
    t: FloatArray
    d: FloatArray
    level: npt.NDArray[np.int64]
    label_zh: tuple[str, ...]
    label_en: tuple[str, ...]
    lag: tuple[str, ...]
    subsystems: tuple[str, ...]
    alphas: FloatArray
    index: pd.Index | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: ``U_<subsystem>``, C, T, D, class, labels, lag."""
        frame = pd.DataFrame(
            {f"U_{s}": self.u[:, i] for i, s in enumerate(self.subsystems)}, index=self.index
        )
        frame["coupling_C"] = self.c
        frame["development_T"] = self.t
        frame["coordination_D"] = self.d
        frame["coordination_class"] = self.level
        frame["coordination_zh"] = list(self.label_zh)
        frame["coordination_en"] = list(self.label_en)
        frame["lag"] = list(self.lag)
        return frame


def coupling_coordination(
    subsystems: Any,
    *,
    alphas: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
    lag_tolerance: float = 0.1,
) -> CouplingResult:
    r"""Coupling coordination degree of n >= 2 subsystem indices per unit.

    .. math::
        C = \frac{(\prod_i U_i)^{1/n}}{\bar U},\quad T = \sum_i \alpha_i U_i,\quad D = \sqrt{C T}

    For two subsystems :math:`C = 2\sqrt{U_1U_2}/(U_1+U_2)`. A unit whose subsystems are all 0
    gets C = 0 (the limit along any path with one subsystem at 0).

    The *lag* label (廖重斌 1999) names the subsystem that lags: with two subsystems, if
    :math:`U_1 - U_2 > \tau` the second lags (``"<name2>-lagging"``), if :math:`U_2 - U_1 > \tau`
    the first lags, otherwise ``"synchronous"``; with n subsystems the one with the smallest U
    lags when :math:`\max U - \min U > \tau` (``lag_tolerance``, default 0.1).

    Parameters
    ----------
    subsystems
        DataFrame (columns = subsystems) or array ``(n_units, n_subsystems)`` of indices in [0, 1].
    alphas
        Contribution of each subsystem to T; default equal (1/n); must be >= 0 and sum to 1.
    names
        Subsystem names (default: the DataFrame columns or ``U1``, ``U2``, …).
    lag_tolerance
        Difference below which the subsystems count as synchronous.

    Raises
    ------
    InputDataError
        Fewer than 2 subsystems, NaN, values outside [0, 1].
    ConfigError
        Bad ``alphas`` or ``names``.
    """
    index = subsystems.index if isinstance(subsystems, pd.DataFrame) else None
    if isinstance(subsystems, pd.DataFrame):
        names = names or [str(c) for c in subsystems.columns]
        u = subsystems.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        u = np.asarray(subsystems, dtype=np.float64)
    if u.ndim != 2 or u.shape[1] < 2:
        raise InputDataError(
            f"subsystems: expected a table (units × subsystems) with at least 2 subsystems, "
            f"got shape {u.shape}."
        )
    n = u.shape[1]
    problems = []
    if np.isnan(u).any():
        problems.append(f"{int(np.isnan(u).sum())} NaN value(s)")
    outside = (u < 0) | (u > 1)
    if outside.any():
        problems.append(
            f"{int(outside.sum())} value(s) outside [0, 1] (e.g. {u[outside][0]:.4g}); "
            "normalise the subsystem indices first"
        )
    if problems:
        raise InputDataError("subsystems: " + "; ".join(problems) + ".")
    labels = tuple(names) if names is not None else tuple(f"U{i + 1}" for i in range(n))
    if len(labels) != n:
        raise ConfigError(f"names: {len(labels)} name(s) for {n} subsystems.")
    a = np.full(n, 1.0 / n) if alphas is None else np.asarray(alphas, dtype=np.float64)
    if a.shape != (n,) or np.any(a < 0) or abs(float(a.sum()) - 1.0) > 1e-9:
        raise ConfigError(
            f"alphas: need {n} non-negative contributions summing to 1, got {np.ravel(a).tolist()}."
        )
    mean = u.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.exp(np.log(u).mean(axis=1))  # exp(-inf) = 0 when some U = 0
        c = np.where(mean > 0, geo / np.where(mean > 0, mean, 1.0), 0.0)
    c = np.clip(c, 0.0, 1.0)  # AM-GM: only rounding can exceed 1
    t = u @ a
    d = np.sqrt(c * t)
    level = coordination_class(d)
    zh = tuple(COORDINATION_CLASSES[k - 1][1] for k in level)
    en = tuple(COORDINATION_CLASSES[k - 1][2] for k in level)
    spread = u.max(axis=1) - u.min(axis=1)
    lagging = u.argmin(axis=1)
    lag = tuple(
        f"{labels[int(j)]}-lagging" if s > lag_tolerance else "synchronous"
        for j, s in zip(lagging, spread, strict=True)
    )
    logger.info("coupling coordination of %d units × %d subsystems", u.shape[0], n)
    return CouplingResult(
        u=u, c=c, t=t, d=d, level=level, label_zh=zh, label_en=en, lag=lag,
        subsystems=labels, alphas=a, index=index,
    )  # fmt: skip
