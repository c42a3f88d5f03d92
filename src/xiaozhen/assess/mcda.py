"""Multi-criteria decision analysis on tables and on grids: normalisation, TOPSIS, weighted sum.

Every function takes either a *table* — a 2-D array or DataFrame, alternatives × criteria — or a
*grid stack* — a 3-D array ``(n_criteria, ny, nx)``, e.g. ten factor layers of a county raster —
and gives the same numbers for the same cells: statistics (min, max, norms) are global over the
valid cells, and the grid is processed in chunks of cells so that a float32 stack of tens of
millions of cells never needs a float64 copy. ``mask`` (one boolean per alternative / cell)
excludes cells outside the study area; their result is NaN.

Conventions follow pymcdm (Kizielewicz, Shekhovtsov & Sałabun 2023, *SoftwareX* 22:101368), whose
results these functions reproduce to 1e-9 (tests/assess/test_mcda.py).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from xiaozhen.assess._stack import (
    DEFAULT_CHUNK_BYTES,
    Normalization,
    Stack,
    as_stack,
    as_types,
    as_weights,
    blank_invalid,
    chunks,
    full_chunk,
    normalise_chunk,
    scatter,
    stats_for,
)

__all__ = ["normalise", "topsis", "weighted_sum"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


def _empty_output(stack: Stack, leading: tuple[int, ...] = ()) -> npt.NDArray[Any]:
    return np.full((*leading, stack.n_cells), np.nan, dtype=stack.out_dtype)


def _wrap_scores(stack: Stack, flat: npt.NDArray[Any], name: str) -> Any:
    if stack.index is not None:
        return pd.Series(flat, index=stack.index, name=name)
    return flat.reshape(stack.spatial_shape)


def normalise(
    data: Any,
    types: npt.ArrayLike | None = None,
    *,
    method: Normalization = "minmax",
    mask: npt.ArrayLike | None = None,
    constant: Literal["raise", "ignore"] = "raise",
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Any:
    r"""Normalise every criterion of a table or grid stack to a benefit scale.

    Parameters
    ----------
    data
        Table (alternatives × criteria; array or DataFrame) or grid stack ``(n_criteria, ny, nx)``.
    types
        Direction per criterion: ``"benefit"``/``+1`` (more is better) or ``"cost"``/``-1``.
        ``None``: all benefit.
    method
        ``"minmax"``: :math:`r=(x-\min)/(\max-\min)` (benefit), :math:`(\max-x)/(\max-\min)` (cost);
        ``"vector"``: :math:`r=x/\lVert x\rVert_2`, cost :math:`1-x/\lVert x\rVert_2`;
        ``"sum"``: :math:`r=x/\sum x`, cost :math:`(1/x)/\sum(1/x)` (values must be > 0);
        ``"none"``: ``x`` (cost ``1 - x``) for layers already scored on [0, 1].
        These are pymcdm's conventions.
    mask
        Boolean per alternative / cell; ``False`` cells are excluded from the statistics and NaN.
    constant
        ``"raise"`` (default): a criterion with a single value is an error under min–max;
        ``"ignore"``: it normalises to 0 (benefit) or 1 (cost) like a zero range would.
    chunk_bytes
        Working memory per chunk of cells.

    Returns
    -------
    Same layout as ``data`` (DataFrame for a DataFrame), float64 (float32 for float32 grids).

    Raises
    ------
    InputDataError
        NaN/inf values, a constant criterion (min–max), negatives (vector, sum), zeros (sum).
    """
    stack = as_stack(data, mask=mask)
    t = as_types(types, stack.n_criteria)
    stats = stats_for(
        stack, method, t, parameter="data", chunk_bytes=chunk_bytes, constant=constant
    )
    out = _empty_output(stack, (stack.n_criteria,))
    for sl in chunks(stack, chunk_bytes=chunk_bytes):
        x = full_chunk(stack, sl)
        scatter(stack, normalise_chunk(x, stats, t, method), sl, out)
    blank_invalid(stack, out)
    if isinstance(data, pd.DataFrame):
        return pd.DataFrame(out.T, index=data.index, columns=data.columns)
    if stack.is_grid:
        return out.reshape((stack.n_criteria, *stack.spatial_shape))
    return out.T.copy()


def topsis(
    data: Any,
    weights: npt.ArrayLike | pd.Series,
    types: npt.ArrayLike | None = None,
    *,
    normalization: Normalization = "vector",
    mask: npt.ArrayLike | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Any:
    r"""TOPSIS relative closeness of every alternative or grid cell (Hwang & Yoon 1981).

    .. math::
        v_{ij} = w_j r_{ij},\quad v^+_j = \max_i v_{ij},\quad v^-_j = \min_i v_{ij},\\
        D^\pm_i = \sqrt{\textstyle\sum_j (v_{ij}-v^\pm_j)^2},\quad
        P_i = \frac{D^-_i}{D^+_i + D^-_i}

    where :math:`r_{ij}` is the normalised value with cost criteria already reversed (pymcdm's
    convention). With ``normalization="vector"`` this equals the textbook form (vector-normalise,
    then take the minimum of a cost criterion as its ideal) because :math:`1 - x/\lVert x\rVert`
    is an affine reversal that leaves all distances unchanged.

    The ideal and anti-ideal are the normalised images of each criterion's global minimum and
    maximum, so the grid is processed in one statistics pass and one scoring pass, chunked.

    Parameters
    ----------
    data
        Table (alternatives × criteria) or grid stack ``(n_criteria, ny, nx)``.
    weights
        One non-negative weight per criterion, summing to 1 (Series keyed by column for a
        DataFrame).
    types
        Direction per criterion (``"benefit"``/``"cost"`` or ±1); ``None``: all benefit.
    normalization
        See :func:`normalise`; default ``"vector"`` (BRIEF §4.6). pymcdm's ``TOPSIS()`` default is
        min–max: pass ``normalization="minmax"`` to match it.
    mask
        Valid alternatives / cells; others get NaN.

    Returns
    -------
    pandas.Series (DataFrame input), 1-D array (table) or 2-D array ``(ny, nx)`` (grid), in [0, 1].

    References
    ----------
    Hwang, C.-L. & Yoon, K. (1981). *Multiple Attribute Decision Making*, pp. 128–140. Springer.
    """
    stack = as_stack(data, mask=mask)
    t = as_types(types, stack.n_criteria)
    w = as_weights(weights, stack)
    stats = stats_for(stack, normalization, t, parameter="data", chunk_bytes=chunk_bytes)
    ends = np.stack([stats.minimum, stats.maximum], axis=1)  # (m, 2)
    v_ends = normalise_chunk(ends, stats, t, normalization) * w[:, None]
    pis = v_ends.max(axis=1)[:, None]
    nis = v_ends.min(axis=1)[:, None]
    out = _empty_output(stack)
    for sl in chunks(stack, chunk_bytes=chunk_bytes):
        x = full_chunk(stack, sl)
        v = normalise_chunk(x, stats, t, normalization) * w[:, None]
        d_plus = np.sqrt(((v - pis) ** 2).sum(axis=0))
        d_minus = np.sqrt(((v - nis) ** 2).sum(axis=0))
        denom = d_plus + d_minus
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(denom > 0, d_minus / np.where(denom > 0, denom, 1.0), 0.5)
        scatter(stack, p, sl, out)
    blank_invalid(stack, out)
    logger.info(
        "TOPSIS (%s normalisation) scored %d of %d %s",
        normalization,
        stack.n_valid,
        stack.n_cells,
        "cells" if stack.is_grid else "alternatives",
    )
    return _wrap_scores(stack, out, "topsis")


def weighted_sum(
    data: Any,
    weights: npt.ArrayLike | pd.Series,
    types: npt.ArrayLike | None = None,
    *,
    normalization: Normalization = "minmax",
    mask: npt.ArrayLike | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> Any:
    r"""Weighted sum (simple additive weighting; weighted overlay on a grid).

    .. math:: S_i = \sum_j w_j r_{ij}

    with :math:`r_{ij}` from :func:`normalise`. On a grid stack this is the GIS *weighted linear
    combination* of factor layers (Malczewski 2000, *Trans. GIS* 4(1):5–22); use
    ``normalization="none"`` when the layers are already scored on [0, 1].

    pymcdm's ``WSM()`` uses ``normalization="sum"`` by default; pass it to reproduce pymcdm.

    Returns
    -------
    Same shapes as :func:`topsis`.
    """
    stack = as_stack(data, mask=mask)
    t = as_types(types, stack.n_criteria)
    w = as_weights(weights, stack)
    stats = stats_for(stack, normalization, t, parameter="data", chunk_bytes=chunk_bytes)
    out = _empty_output(stack)
    for sl in chunks(stack, chunk_bytes=chunk_bytes):
        x = full_chunk(stack, sl)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            r = normalise_chunk(x, stats, t, normalization)
        scatter(stack, w @ r, sl, out)
    blank_invalid(stack, out)
    logger.info(
        "weighted sum (%s normalisation) scored %d of %d %s",
        normalization,
        stack.n_valid,
        stack.n_cells,
        "cells" if stack.is_grid else "alternatives",
    )
    return _wrap_scores(stack, out, "weighted_sum")
