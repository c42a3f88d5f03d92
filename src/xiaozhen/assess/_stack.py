"""Private helpers: one view of a decision table or a criteria grid as a ``(criteria, cells)`` stack.

A *table* is a 2-D array or DataFrame, alternatives × criteria. A *grid* is a 3-D array,
``(n_criteria, ny, nx)``. Both are viewed as ``flat`` with shape ``(n_criteria, n_cells)``; for a
C-contiguous grid this is a view (no copy), so that grids of tens of millions of cells are
processed in chunks of columns without ever materialising a float64 copy of the whole stack.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from xiaozhen.errors import ConfigError, InputDataError

__all__ = [
    "Normalization",
    "Stack",
    "as_stack",
    "as_types",
    "as_weights",
    "chunks",
    "column_stats",
    "normalise_chunk",
]

FloatArray = npt.NDArray[np.float64]

#: Normalisation conventions, identical to pymcdm's functions of the same names.
Normalization = Literal["minmax", "vector", "sum", "none"]
_NORMALIZATIONS = ("minmax", "vector", "sum", "none")

#: Default working-memory budget of one chunk (bytes of float64 temporaries).
DEFAULT_CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Stack:
    """A decision table or criteria grid viewed as ``(n_criteria, n_cells)``."""

    flat: npt.NDArray[Any]
    spatial_shape: tuple[int, ...]
    valid: npt.NDArray[np.bool_] | None
    names: tuple[str, ...]
    index: pd.Index | None
    is_grid: bool

    @property
    def n_criteria(self) -> int:
        return int(self.flat.shape[0])

    @property
    def n_cells(self) -> int:
        return int(self.flat.shape[1])

    @property
    def n_valid(self) -> int:
        return self.n_cells if self.valid is None else int(self.valid.sum())

    @property
    def out_dtype(self) -> np.dtype[Any]:
        """float32 output for float32 grids (memory), float64 otherwise."""
        if self.is_grid and self.flat.dtype == np.float32:
            return np.dtype(np.float32)
        return np.dtype(np.float64)


def as_stack(
    data: object,
    *,
    parameter: str = "data",
    mask: npt.ArrayLike | None = None,
) -> Stack:
    """View ``data`` (table or grid) as a :class:`Stack`; check shape, dtype and mask."""
    index: pd.Index | None = None
    if isinstance(data, pd.DataFrame):
        names = tuple(str(c) for c in data.columns)
        index = data.index
        non_numeric = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
        if non_numeric:
            raise InputDataError(
                f"{parameter}: columns {non_numeric} are not numeric. Drop them or convert "
                "them to numbers before the assessment."
            )
        arr: npt.NDArray[Any] = data.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        arr = np.asarray(data)
        names = ()
    if arr.dtype.kind not in "fiub":
        raise InputDataError(
            f"{parameter}: expected numbers, got an array of dtype {arr.dtype}. Convert to float."
        )
    if arr.dtype.kind != "f" or arr.dtype.itemsize not in (4, 8):
        arr = arr.astype(np.float64)
    if arr.ndim == 2:
        n_alt, n_crit = arr.shape
        if n_alt < 2 or n_crit < 1:
            raise InputDataError(
                f"{parameter}: a decision table needs at least 2 alternatives (rows) and 1 "
                f"criterion (column); got shape {arr.shape}."
            )
        arr = arr.astype(np.float64, copy=False)
        flat = arr.T
        spatial: tuple[int, ...] = (n_alt,)
        is_grid = False
    elif arr.ndim == 3:
        n_crit = arr.shape[0]
        spatial = (int(arr.shape[1]), int(arr.shape[2]))
        flat = np.ascontiguousarray(arr).reshape(n_crit, -1)
        is_grid = True
    else:
        raise InputDataError(
            f"{parameter}: expected a 2-D table (alternatives × criteria) or a 3-D grid stack "
            f"(n_criteria, ny, nx); got {arr.ndim} dimension(s) with shape {arr.shape}."
        )
    if not names:
        names = tuple(f"criterion {j}" for j in range(flat.shape[0]))
    valid: npt.NDArray[np.bool_] | None = None
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != spatial:
            raise InputDataError(
                f"mask: shape {m.shape} does not match the cells of {parameter} {spatial}. "
                "Pass a boolean array with one value per alternative / grid cell."
            )
        valid = m.reshape(-1)
        if int(valid.sum()) < 2:
            raise InputDataError(
                f"mask: only {int(valid.sum())} valid cell(s); at least 2 are needed to compare."
            )
    return Stack(
        flat=flat, spatial_shape=spatial, valid=valid, names=names, index=index, is_grid=is_grid
    )


def as_types(types: npt.ArrayLike | None, n_criteria: int) -> npt.NDArray[np.int8]:
    """Return criterion directions as +1 (benefit) / -1 (cost); ``None`` means all benefit."""
    if types is None:
        return np.ones(n_criteria, dtype=np.int8)
    raw = list(types) if not isinstance(types, str) else [types]  # type: ignore[arg-type]
    mapped = []
    for t in raw:
        if isinstance(t, str):
            key = t.lower()
            if key not in ("benefit", "cost"):
                raise ConfigError(
                    f"types: unknown direction {t!r}; use 'benefit' / 'cost' or +1 / -1."
                )
            mapped.append(1 if key == "benefit" else -1)
        else:
            if t not in (1, -1):
                raise ConfigError(f"types: unknown direction {t!r}; use +1 (benefit) or -1 (cost).")
            mapped.append(1 if t == 1 else -1)
    out = np.asarray(mapped, dtype=np.int8)
    if out.shape != (n_criteria,):
        raise ConfigError(
            f"types: got {out.shape[0]} direction(s) for {n_criteria} criteria; give one per "
            "criterion (column of the table, first axis of the grid)."
        )
    return out


def as_weights(weights: npt.ArrayLike | pd.Series, stack: Stack) -> FloatArray:
    """Return weights as a float64 vector aligned with the criteria; they must sum to 1."""
    if isinstance(weights, pd.Series) and stack.index is not None:
        missing = [n for n in stack.names if n not in weights.index]
        if missing:
            raise ConfigError(
                f"weights: no weight for criteria {missing}; give one per column "
                f"{list(stack.names)}."
            )
        w = weights.loc[list(stack.names)].to_numpy(dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (stack.n_criteria,):
        raise ConfigError(
            f"weights: got {w.shape[0]} weight(s) for {stack.n_criteria} criteria; give one per "
            "criterion."
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ConfigError(f"weights: must be finite and non-negative; got {w.tolist()}.")
    total = float(w.sum())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(
            f"weights: must sum to 1, got {total:.6g}. Divide them by their sum "
            "(xiaozhen.assess.fixed_weights(..., normalise=True) does this)."
        )
    return w


def chunks(stack: Stack, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[slice]:
    """Yield column slices of ``stack.flat`` whose float64 temporaries fit in ``chunk_bytes``."""
    per_cell = max(1, stack.n_criteria) * 8 * 4  # a few float64 temporaries per criterion
    step = max(1024, chunk_bytes // per_cell)
    for start in range(0, stack.n_cells, step):
        yield slice(start, min(start + step, stack.n_cells))


def chunk_values(stack: Stack, sl: slice) -> tuple[FloatArray, npt.NDArray[np.bool_] | None]:
    """Return the float64 values of the valid cells of one chunk and the chunk's validity."""
    x = np.asarray(stack.flat[:, sl], dtype=np.float64)
    if stack.valid is None:
        return x, None
    v = stack.valid[sl]
    return np.compress(v, x, axis=1), v


def full_chunk(stack: Stack, sl: slice) -> FloatArray:
    """All cells of one chunk as float64 (scoring passes; invalid cells are blanked after)."""
    return np.asarray(stack.flat[:, sl], dtype=np.float64)


@dataclass(frozen=True)
class ColumnStats:
    """Per-criterion statistics over the valid cells (float64)."""

    minimum: FloatArray
    maximum: FloatArray
    total: FloatArray
    sumsq: FloatArray
    sum_inv: FloatArray
    count: int


def column_stats(
    stack: Stack,
    *,
    parameter: str = "data",
    allow_negative: bool = True,
    require_positive: bool = False,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> ColumnStats:
    """One chunked pass: min, max, sum, sum of squares, sum of reciprocals; reject NaN / inf.

    Every problem (NaN per criterion, negative values) is collected before raising.
    """
    m = stack.n_criteria
    lo = np.full(m, np.inf)
    hi = np.full(m, -np.inf)
    total = np.zeros(m)
    sumsq = np.zeros(m)
    sum_inv = np.zeros(m)
    bad = np.zeros(m, dtype=np.int64)
    neg = np.zeros(m, dtype=np.int64)
    nonpos = np.zeros(m, dtype=np.int64)
    count = 0
    for sl in chunks(stack, chunk_bytes=chunk_bytes):
        x, _ = chunk_values(stack, sl)
        if x.shape[1] == 0:
            continue
        finite = np.isfinite(x)
        if finite.all():
            xf = x
            lo = np.minimum(lo, x.min(axis=1))
            hi = np.maximum(hi, x.max(axis=1))
        else:
            bad += (~finite).sum(axis=1)
            xf = np.where(finite, x, 0.0)
            lo = np.minimum(lo, np.where(finite, x, np.inf).min(axis=1))
            hi = np.maximum(hi, np.where(finite, x, -np.inf).max(axis=1))
        total += xf.sum(axis=1)
        sumsq += np.einsum("ij,ij->i", xf, xf)
        if not allow_negative:
            neg += (xf < 0).sum(axis=1)
        if require_positive:
            nonpos += (finite & (x <= 0)).sum(axis=1)
            with np.errstate(divide="ignore"):
                sum_inv += np.where(finite & (x > 0), 1.0 / np.where(x > 0, x, 1.0), 0.0).sum(
                    axis=1
                )
        count += x.shape[1]
    problems = []
    for j in np.flatnonzero(bad):
        problems.append(
            f"{stack.names[j]!r} has {bad[j]} NaN/infinite value(s) "
            "(fill or drop them; the mask= argument excludes cells outside the study area)"
        )
    if not allow_negative:
        for j in np.flatnonzero(neg):
            problems.append(
                f"{stack.names[j]!r} has {neg[j]} negative value(s), not allowed for this "
                "normalisation (use normalization='minmax', or shift the indicator)"
            )
    if require_positive:
        for j in np.flatnonzero(nonpos):
            problems.append(
                f"{stack.names[j]!r} has {nonpos[j]} value(s) <= 0; sum normalisation needs "
                "strictly positive values (use normalization='minmax')"
            )
    if problems:
        raise InputDataError(f"{parameter}: " + "; ".join(problems) + ".")
    return ColumnStats(lo, hi, total, sumsq, sum_inv, count)


def check_constant(stats: ColumnStats, names: Sequence[str], *, parameter: str) -> None:
    """Raise if a criterion takes one value everywhere (it cannot discriminate alternatives)."""
    const = np.flatnonzero(stats.maximum - stats.minimum <= 0)
    if const.size:
        listed = ", ".join(f"{names[int(j)]!r} (= {stats.minimum[j]:.6g})" for j in const)
        raise InputDataError(
            f"{parameter}: criteria {listed} take the same value for every alternative/cell, so "
            "they cannot discriminate and their normalisation divides by zero. Drop them (or check "
            "the join that produced them)."
        )


def check_method(normalization: str) -> None:
    if normalization not in _NORMALIZATIONS:
        raise ConfigError(
            f"normalization: unknown method {normalization!r}; use one of {list(_NORMALIZATIONS)}."
        )


def normalise_chunk(
    x: FloatArray,
    stats: ColumnStats,
    types: npt.NDArray[np.int8],
    method: str,
) -> FloatArray:
    """Normalise a ``(n_criteria, k)`` chunk with global statistics (pymcdm conventions).

    ``minmax``: benefit (x−min)/(max−min), cost (max−x)/(max−min);
    ``vector``: benefit x/‖x‖₂, cost 1 − x/‖x‖₂;
    ``sum``: benefit x/Σx, cost (1/x)/Σ(1/x);
    ``none``: benefit x, cost 1 − x (for layers already scored on [0, 1]).
    """
    cost = (types < 0)[:, None]
    # minmax, vector and none are affine per criterion: r = (x - base) * scale (one fused pass)
    if method == "minmax":
        rng = stats.maximum - stats.minimum
        rng = np.where(rng > 0, rng, 1.0)
        base = np.where(types < 0, stats.maximum, stats.minimum)
        scale = np.where(types < 0, -1.0, 1.0) / rng
        return _affine(x, base, scale)
    if method == "vector":
        norm = np.sqrt(stats.sumsq)
        norm = np.where(norm > 0, norm, 1.0)
        base = np.where(types < 0, norm, 0.0)
        scale = np.where(types < 0, -1.0, 1.0) / norm
        return _affine(x, base, scale)
    if method == "sum":
        with np.errstate(divide="ignore"):
            inv = (1.0 / np.where(x != 0, x, 1.0)) / stats.sum_inv[:, None]
        return np.where(cost, inv, x / stats.total[:, None])
    return _affine(x, np.where(types < 0, 1.0, 0.0), np.where(types < 0, -1.0, 1.0))


def _affine(x: FloatArray, base: FloatArray, scale: FloatArray) -> FloatArray:
    out = np.subtract(x, base[:, None])
    out *= scale[:, None]
    return out


def stats_for(
    stack: Stack,
    normalization: str,
    types: npt.NDArray[np.int8],
    *,
    parameter: str,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    constant: Literal["raise", "ignore"] = "raise",
) -> ColumnStats:
    """Column statistics with the checks the chosen normalisation needs."""
    check_method(normalization)
    stats = column_stats(
        stack,
        parameter=parameter,
        allow_negative=normalization in ("minmax", "none"),
        require_positive=normalization == "sum",
        chunk_bytes=chunk_bytes,
    )
    if constant == "raise" and normalization == "minmax":
        check_constant(stats, stack.names, parameter=parameter)
    if normalization == "vector":
        zero = np.flatnonzero(stats.sumsq <= 0)
        if zero.size:
            raise InputDataError(
                f"{parameter}: criteria {[stack.names[j] for j in zero]} are zero everywhere; "
                "vector normalisation divides by their norm. Drop them."
            )
    return stats


def scatter(stack: Stack, values: FloatArray, sl: slice, out: npt.NDArray[Any]) -> None:
    """Write the per-valid-cell ``values`` of chunk ``sl`` into the flat output ``out``."""
    if stack.valid is None or values.shape[-1] == sl.stop - sl.start:
        out[..., sl] = values  # full chunk: invalid cells are blanked by blank_invalid()
    else:
        target = out[..., sl]
        target[..., stack.valid[sl]] = values


def blank_invalid(stack: Stack, out: npt.NDArray[Any]) -> None:
    """Set the cells outside the mask to NaN."""
    if stack.valid is not None:
        out[..., ~stack.valid] = np.nan
