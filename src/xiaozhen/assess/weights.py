"""Criterion weights: entropy, CRITIC, AHP (with consistency ratio) and fixed weights.

The objective methods (entropy, CRITIC) take the same inputs as :mod:`xiaozhen.assess.mcda`: a
table (alternatives × criteria) or a grid stack ``(n_criteria, ny, nx)`` processed in chunks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from xiaozhen.assess._stack import (
    DEFAULT_CHUNK_BYTES,
    Stack,
    as_stack,
    as_types,
    check_constant,
    chunk_values,
    chunks,
    column_stats,
    normalise_chunk,
)
from xiaozhen.errors import ConfigError, InputDataError

__all__ = [
    "RANDOM_INDEX_SAATY",
    "RANDOM_INDEX_TUMMALA_LING",
    "AHPResult",
    "ahp_weights",
    "critic_weights",
    "entropy_weights",
    "fixed_weights",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

#: Saaty's random consistency indices RI for n = 1..15 (Saaty 1980, *The Analytic Hierarchy
#: Process*, McGraw-Hill, Table 1.7; n = 11–15 from Saaty 1990, *EJOR* 48:9–26).
RANDOM_INDEX_SAATY = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56,
                      1.57, 1.59)  # fmt: skip

#: Tummala & Ling (1998, *Theory and Decision* 44:221–230) indices, as used by pymcdm.
RANDOM_INDEX_TUMMALA_LING = (0.0, 0.0, 0.5799, 0.8921, 1.1159, 1.2358, 1.3322, 1.3952, 1.4537,
                             1.4882, 1.5117, 1.5356, 1.5571, 1.5714, 1.5831)  # fmt: skip


def _wrap(stack: Stack, w: FloatArray, data: Any) -> Any:
    if isinstance(data, pd.DataFrame):
        return pd.Series(w, index=list(stack.names), name="weight")
    return w


def entropy_weights(
    data: Any,
    types: npt.ArrayLike | None = None,
    *,
    normalization: Literal["minmax", "sum"] = "minmax",
    mask: npt.ArrayLike | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Any:
    r"""Entropy weights (Shannon 1948; Zeleny 1982) as BRIEF §4.6 specifies.

    .. math::
        r_{ij} = \frac{x_{ij}-\min_i x_{ij}}{\max_i x_{ij}-\min_i x_{ij}}\ \text{(benefit)},\quad
        \frac{\max_i x_{ij}-x_{ij}}{\max_i x_{ij}-\min_i x_{ij}}\ \text{(cost)}\\
        p_{ij} = r_{ij}/\textstyle\sum_i r_{ij},\quad
        e_j = -\frac{1}{\ln n}\sum_i p_{ij}\ln p_{ij},\quad
        w_j = \frac{1-e_j}{\sum_k (1-e_k)}

    with :math:`0 \ln 0 = 0` (the limit). Chunked on grids through
    :math:`\sum_i p\ln p = T_j/S_j - \ln S_j`, :math:`S_j=\sum_i r_{ij}`,
    :math:`T_j=\sum_i r_{ij}\ln r_{ij}`.

    Parameters
    ----------
    normalization
        ``"minmax"`` (default, BRIEF §4.6, directions applied) or ``"sum"``: :math:`p_{ij}` taken
        straight from the raw values (must be > 0, directions ignored), which is pymcdm's
        ``entropy_weights``. pymcdm sets :math:`e_j = 0` whenever a column holds a zero, which
        differs from the limit used here; with strictly positive raw values both agree.

    Raises
    ------
    InputDataError
        NaN, a constant criterion (no information; min–max divides by zero), values <= 0 for
        ``"sum"``.

    References
    ----------
    Zeleny, M. (1982). *Multiple Criteria Decision Making*, McGraw-Hill, ch. 7.
    """
    if normalization not in ("minmax", "sum"):
        raise ConfigError(
            f"normalization: entropy weights support 'minmax' or 'sum', got {normalization!r}."
        )
    stack = as_stack(data, mask=mask)
    t = (
        as_types(types, stack.n_criteria)
        if normalization == "minmax"
        else as_types(None, stack.n_criteria)
    )
    stats = column_stats(
        stack,
        parameter="data",
        require_positive=normalization == "sum",
        chunk_bytes=chunk_bytes,
    )
    check_constant(stats, stack.names, parameter="data")
    s = np.zeros(stack.n_criteria)
    tsum = np.zeros(stack.n_criteria)
    for sl in chunks(stack, chunk_bytes=chunk_bytes):
        x, _ = chunk_values(stack, sl)
        r = normalise_chunk(x, stats, t, "minmax") if normalization == "minmax" else x
        s += r.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            tsum += np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0).sum(axis=1)
    n = stats.count
    e = -(tsum / s - np.log(s)) / np.log(n)
    d = 1.0 - e
    w = d / d.sum()
    logger.info("entropy weights of %d criteria over %d alternatives/cells", len(w), n)
    return _wrap(stack, w, data)


def critic_weights(
    data: Any,
    types: npt.ArrayLike | None = None,
    *,
    mask: npt.ArrayLike | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Any:
    r"""CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995, *Comput. Oper. Res.* 22(7):763).

    .. math::
        C_j = \sigma_j \sum_k (1 - \rho_{jk}),\qquad w_j = C_j / \textstyle\sum_k C_k

    with :math:`\sigma_j` the sample standard deviation (ddof = 1) of the min–max normalised
    criterion and :math:`\rho` the Pearson correlation between normalised criteria. ``types=None``
    normalises every criterion as a benefit, which is pymcdm's ``critic_weights``; passing the
    directions reverses cost criteria first (as in the original paper), which flips the sign of
    their correlations. Chunked on grids: a mean pass then a centred cross-product pass.

    Raises
    ------
    InputDataError
        NaN or a constant criterion (zero variance: correlation undefined).
    """
    stack = as_stack(data, mask=mask)
    t = as_types(types, stack.n_criteria)
    stats = column_stats(stack, parameter="data", chunk_bytes=chunk_bytes)
    check_constant(stats, stack.names, parameter="data")
    n = stats.count
    mean_raw = stats.total / n
    mean = normalise_chunk(mean_raw[:, None], stats, t, "minmax")[:, 0]
    cross = np.zeros((stack.n_criteria, stack.n_criteria))
    for sl in chunks(stack, chunk_bytes=chunk_bytes):
        x, _ = chunk_values(stack, sl)
        r = normalise_chunk(x, stats, t, "minmax") - mean[:, None]
        cross += r @ r.T
    cov = cross / (n - 1)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    c = sd * (1.0 - corr).sum(axis=0)
    w = c / c.sum()
    logger.info("CRITIC weights of %d criteria over %d alternatives/cells", len(w), n)
    return _wrap(stack, w, data)


def fixed_weights(
    weights: Mapping[str, float] | Sequence[float] | npt.ArrayLike,
    criteria: Sequence[str] | None = None,
    *,
    normalise: bool = False,
) -> FloatArray:
    """Validate user weights and return them aligned with ``criteria``.

    Parameters
    ----------
    weights
        A mapping criterion → weight (aligned to ``criteria``) or a sequence in criterion order.
    criteria
        Criterion names (required for a mapping; checked against its keys).
    normalise
        Divide by the sum instead of requiring a sum of 1.
    """
    if isinstance(weights, Mapping):
        if criteria is None:
            criteria = list(weights)
        unknown = sorted(set(weights) - set(criteria))
        missing = [c for c in criteria if c not in weights]
        if unknown or missing:
            raise ConfigError(
                f"weights: keys must match the criteria {list(criteria)}; "
                f"unknown {unknown}, missing {missing}."
            )
        w = np.array([float(weights[c]) for c in criteria])
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if criteria is not None and len(criteria) != w.size:
            raise ConfigError(
                f"weights: got {w.size} weight(s) for {len(criteria)} criteria {list(criteria)}."
            )
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ConfigError(
            f"weights: must be finite, non-negative and not all zero; got {w.tolist()}."
        )
    total = float(w.sum())
    if normalise:
        return w / total
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(
            f"weights: sum to {total:.6g}, not 1. Rescale them or pass normalise=True."
        )
    return w


@dataclass(frozen=True)
class AHPResult:
    """Result of :func:`ahp_weights`.

    Attributes
    ----------
    weights
        Principal right eigenvector, normalised to sum 1.
    lambda_max
        Principal eigenvalue :math:`\\lambda_{max}`.
    ci
        Consistency index :math:`(\\lambda_{max}-n)/(n-1)`.
    ri
        Random index used.
    cr
        Consistency ratio CI/RI (0 for n <= 2).
    labels
        Criterion names.
    """

    weights: FloatArray
    lambda_max: float
    ci: float
    ri: float
    cr: float
    labels: tuple[str, ...]

    def as_series(self) -> pd.Series:
        """Weights as a Series indexed by label."""
        return pd.Series(self.weights, index=list(self.labels), name="weight")


def ahp_weights(
    pairwise: npt.ArrayLike | pd.DataFrame,
    *,
    labels: Sequence[str] | None = None,
    max_cr: float | None = 0.1,
    random_index: Literal["saaty", "tummala_ling"] = "saaty",
) -> AHPResult:
    r"""AHP weights from a reciprocal pairwise comparison matrix (Saaty 1977, 1980).

    .. math::
        A w = \lambda_{max} w,\quad CI = \frac{\lambda_{max}-n}{n-1},\quad CR = CI / RI_n

    :math:`a_{ij}` says how much more important criterion *i* is than *j* on Saaty's 1–9 scale,
    with :math:`a_{ji} = 1/a_{ij}`. A matrix with CR > ``max_cr`` (0.1, Saaty's rule) is rejected;
    the error names the most inconsistent pair — the entry whose ratio to the weight-implied value
    :math:`\varepsilon_{ij} = a_{ij} w_j / w_i` departs most from 1 (largest
    :math:`|\ln\varepsilon_{ij}|`, Saaty 2003 *EJOR* 145:85) — and the value it implies.

    Parameters
    ----------
    pairwise
        Square positive reciprocal matrix (DataFrame: its index gives the labels).
    labels
        Criterion names for messages and :meth:`AHPResult.as_series`.
    max_cr
        Largest acceptable consistency ratio; ``None`` disables the check.
    random_index
        ``"saaty"`` (default, :data:`RANDOM_INDEX_SAATY`) or ``"tummala_ling"`` (pymcdm's).

    Raises
    ------
    InputDataError
        Not square, not positive, not reciprocal, diagonal not 1, n > 15.
    ConfigError
        CR above ``max_cr`` (message names the most inconsistent pair).
    """
    if isinstance(pairwise, pd.DataFrame):
        labels = labels or [str(c) for c in pairwise.index]
        a = pairwise.to_numpy(dtype=np.float64)
    else:
        a = np.asarray(pairwise, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise InputDataError(f"pairwise: expected a square matrix, got shape {a.shape}.")
    n = a.shape[0]
    names = tuple(labels) if labels is not None else tuple(f"criterion {i}" for i in range(n))
    if len(names) != n:
        raise InputDataError(f"labels: {len(names)} label(s) for a {n}×{n} matrix.")
    table = RANDOM_INDEX_SAATY if random_index == "saaty" else RANDOM_INDEX_TUMMALA_LING
    if random_index not in ("saaty", "tummala_ling"):
        raise ConfigError(f"random_index: use 'saaty' or 'tummala_ling', got {random_index!r}.")
    if n > len(table):
        raise InputDataError(
            f"pairwise: {n} criteria; random indices are tabulated up to {len(table)}. Group the "
            "criteria hierarchically (AHP's 7±2 rule)."
        )
    problems = []
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        problems.append("all entries must be finite and > 0")
    if not np.allclose(np.diag(a), 1.0):
        problems.append(f"the diagonal must be 1, got {np.diag(a).tolist()}")
    if not problems:
        bad = np.argwhere(np.abs(a * a.T - 1.0) > 1e-6)
        bad = bad[bad[:, 0] < bad[:, 1]]
        if bad.size:
            i, j = (int(v) for v in bad[0])
            problems.append(
                f"not reciprocal: a[{names[i]!r}, {names[j]!r}] = {a[i, j]:.4g} but "
                f"a[{names[j]!r}, {names[i]!r}] = {a[j, i]:.4g} (should be {1 / a[i, j]:.4g})"
            )
    if problems:
        raise InputDataError("pairwise: " + "; ".join(problems) + ".")
    eigval, eigvec = np.linalg.eig(a)
    k = int(np.argmax(eigval.real))
    w = np.abs(eigvec[:, k].real)
    w = w / w.sum()
    lam = float(eigval[k].real)
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    ri = table[n - 1]
    cr = ci / ri if n > 2 else 0.0
    if max_cr is not None and cr > max_cr:
        eps = a * w[None, :] / w[:, None]
        dev = np.abs(np.log(eps))
        flat_ij = np.unravel_index(int(np.argmax(np.triu(dev, 1))), dev.shape)
        i, j = int(flat_ij[0]), int(flat_ij[1])
        raise ConfigError(
            f"pairwise: consistency ratio CR = {cr:.3f} exceeds {max_cr} (λmax = {lam:.4f}, "
            f"CI = {ci:.4f}, RI = {ri}). Most inconsistent pair: {names[i]!r} vs {names[j]!r}, "
            f"judged {a[i, j]:.4g} while the other judgements imply about {w[i] / w[j]:.3g}. "
            "Revise that judgement (or pass max_cr=None to accept it)."
        )
    logger.info("AHP weights of %d criteria, CR = %.4f", n, cr)
    return AHPResult(weights=w, lambda_max=lam, ci=ci, ri=ri, cr=cr, labels=names)
