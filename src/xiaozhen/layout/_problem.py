"""Problem definitions: demand x candidate costs, and the town-planning model."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from xiaozhen.errors import ConfigError, InputDataError

logger = logging.getLogger(__name__)

BalanceOn = Literal["towns", "rural_population"]


def _as_float(name: str, values: Any, size: int, problems: list[str]) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size != size:
        problems.append(f"{name} has {arr.size} values but {size} were expected")
        return np.zeros(size)
    if not np.all(np.isfinite(arr)):
        problems.append(f"{name} holds {int((~np.isfinite(arr)).sum())} NaN/inf values; fill them")
    elif np.any(arr < 0):
        problems.append(
            f"{name} holds negative values (min {arr.min():g}); costs and weights must be >= 0"
        )
    return arr


@dataclass(frozen=True)
class LocationProblem:
    """Demand points, candidates and the travel cost between them.

    Parameters
    ----------
    cost
        Travel cost (distance in metres or time in minutes), shape (demand, candidates). A dense
        array holds every pair; a ``scipy.sparse`` matrix holds only the pairs within a cut-off
        (stored entries are reachable, missing ones are beyond the cut-off; store an exact zero
        cost as a tiny positive value, since sparse formats may drop explicit zeros).
    weights
        Demand weight per demand point (e.g. population); default all ones.
    """

    cost: NDArray[np.float64] | sp.csr_array
    weights: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        problems: list[str] = []
        if sp.issparse(self.cost):
            c: Any = sp.csr_array(self.cost, dtype=np.float64)
            c.sort_indices()
            data = c.data
        else:
            c = np.asarray(self.cost, dtype=np.float64)
            if c.ndim != 2:
                raise InputDataError(
                    f"cost must be a 2-D (demand x candidates) matrix, got shape {c.shape}"
                )
            data = c
        if c.shape[0] == 0 or c.shape[1] == 0:
            raise InputDataError(
                f"cost has shape {c.shape}; need at least one demand and candidate"
            )
        if np.isnan(data).any() or (data < 0).any():
            problems.append("cost holds NaN or negative values; travel costs must be >= 0")
        w = self.weights
        if w.size == 0:
            w = np.ones(c.shape[0])
        w = _as_float("weights", w, c.shape[0], problems)
        if problems:
            raise InputDataError("; ".join(problems))
        object.__setattr__(self, "cost", c)
        object.__setattr__(self, "weights", w)

    @property
    def n_demand(self) -> int:
        """Number of demand points."""
        return int(self.cost.shape[0])

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites."""
        return int(self.cost.shape[1])

    def coverage(self, radius: float) -> sp.csr_array:
        """Boolean sparse matrix: candidate ``j`` covers demand ``i`` if ``cost[i, j] <= radius``."""
        if sp.issparse(self.cost):
            c = sp.csr_array(self.cost)
            # copies of the index arrays: eliminate_zeros works in place and must not touch the cost
            out = sp.csr_array((c.data <= radius, c.indices.copy(), c.indptr.copy()), shape=c.shape)
            out.eliminate_zeros()
            return out
        return sp.csr_array(np.asarray(self.cost) <= radius)

    def dense_cost(self) -> NDArray[np.float64]:
        """The cost matrix as a dense array (missing sparse entries raise, see below).

        Raises
        ------
        InputDataError
            If the cost is sparse with missing pairs (the p-median needs every pair).
        """
        if not sp.issparse(self.cost):
            return np.asarray(self.cost)
        c = sp.csr_array(self.cost)
        if c.nnz != c.shape[0] * c.shape[1]:
            raise InputDataError(
                f"cost is sparse with {c.nnz} of {c.shape[0] * c.shape[1]} pairs stored; the "
                "p-median and p-center need every pair: pass a dense matrix, or fill the pairs "
                "beyond the cut-off with a penalty cost"
            )
        return np.asarray(c.toarray(), dtype=np.float64)


@dataclass(frozen=True)
class PlanningProblem:
    r"""The town-planning model: which candidates become towns.

    .. math::

        \max\; \alpha \sum_i w_i u_i + \sum_j b_j y_j

    subject to coverage :math:`u_i \le \sum_{j \in N_i} y_j` (:math:`N_i`: candidates within the
    service time of demand point :math:`i`), capital budget :math:`\sum_j c_j y_j \le B`, land quota
    :math:`\sum_j \max(l_j - r_j, 0)\, y_j \le L` (land need net of idle construction land reused,
    the Zhejiang rule "existing construction land first", BRIEF §4.2), balance
    :math:`\sum_j f_j y_j \ge s \sum_j y_j` (share of towns in fringe / less-developed places) or
    :math:`\sum_i r_i v_i \ge s \sum_i r_i u_i` with :math:`v_i \le \sum_{j \in N_i, f_j} y_j`
    (share of covered rural population served by fringe towns), per-group limits
    :math:`\underline{g} \le \sum_{j \in g} y_j \le \overline{g}`, spacing
    :math:`y_j + y_k \le 1` for :math:`\|x_j - x_k\| < d`, a town count, and fixed existing towns
    :math:`y_j = 1`. Existing towns are sunk: they count for coverage, balance, group limits,
    spacing and the count but use no budget or land. Coverage is the maximal covering model of
    Church & ReVelle (1974); budgets and equity constraints follow the extensions surveyed in
    Marsh & Schilling (1994), which spopt lacks (pysal/spopt#222, #234, #415).

    Parameters
    ----------
    n_candidates
        Number of candidates ``m``.
    coverage
        Boolean sparse (demand x candidates) matrix ``N``; ``None`` for no coverage term.
    demand_weight
        Population (or other weight) per demand point.
    rural_weight
        Rural population per demand point (for ``balance_on="rural_population"``); default the
        demand weight.
    coverage_value
        Benefit per unit of covered demand weight (:math:`\alpha`).
    benefit
        Per-candidate benefit :math:`b_j` (industry fit, decongestion, ...).
    investment
        Per-candidate capital cost :math:`c_j` (yuan).
    land
        Per-candidate land need :math:`l_j` (km²); ``idle_land`` :math:`r_j` reused idle land.
    budget, land_quota
        :math:`B` (yuan) and :math:`L` (km²); ``None`` for no limit.
    fringe
        Per-candidate flag: in the urban–rural fringe or a less-developed county.
    balance_share
        :math:`s \in [0, 1]`.
    balance_on
        ``"towns"`` or ``"rural_population"``.
    group
        Per-candidate group label (e.g. county adcode); ``group_min`` / ``group_max`` map labels to
        limits.
    xy
        Candidate coordinates in metres, shape (m, 2), for ``min_spacing_m``.
    min_spacing_m
        Minimum distance between two chosen towns.
    fixed
        Indices of existing towns (forced in).
    n_towns, min_towns, max_towns
        Exact, minimum and maximum number of towns (including fixed ones).
    """

    n_candidates: int
    coverage: sp.csr_array | None = None
    demand_weight: NDArray[np.float64] | None = None
    rural_weight: NDArray[np.float64] | None = None
    coverage_value: float = 1.0
    benefit: NDArray[np.float64] | None = None
    investment: NDArray[np.float64] | None = None
    land: NDArray[np.float64] | None = None
    idle_land: NDArray[np.float64] | None = None
    budget: float | None = None
    land_quota: float | None = None
    fringe: NDArray[np.bool_] | None = None
    balance_share: float = 0.0
    balance_on: BalanceOn = "towns"
    group: NDArray[Any] | None = None
    group_min: Mapping[Any, int] = field(default_factory=dict)
    group_max: Mapping[Any, int] = field(default_factory=dict)
    xy: NDArray[np.float64] | None = None
    min_spacing_m: float = 0.0
    fixed: Sequence[int] = ()
    n_towns: int | None = None
    min_towns: int | None = None
    max_towns: int | None = None

    def __post_init__(self) -> None:
        m = int(self.n_candidates)
        problems: list[str] = []
        if m <= 0:
            raise ConfigError(f"n_candidates must be >= 1, got {m}")
        setv = object.__setattr__
        if self.coverage is not None:
            cov = sp.csr_array(self.coverage, dtype=bool, copy=True)  # the caller's stays intact
            cov.eliminate_zeros()
            if cov.shape[1] != m:
                problems.append(
                    f"coverage has {cov.shape[1]} columns but n_candidates={m}; one column per candidate"
                )
            setv(self, "coverage", cov)
            nd = cov.shape[0]
            dw = np.ones(nd) if self.demand_weight is None else self.demand_weight
            setv(self, "demand_weight", _as_float("demand_weight", dw, nd, problems))
            rw = dw if self.rural_weight is None else self.rural_weight
            setv(self, "rural_weight", _as_float("rural_weight", rw, nd, problems))
        for name in ("benefit", "investment", "land", "idle_land"):
            val = getattr(self, name)
            arr = np.zeros(m) if val is None else val
            if name == "benefit":
                b = np.asarray(arr, dtype=np.float64).reshape(-1)
                if b.size != m or not np.all(np.isfinite(b)):
                    problems.append(f"benefit must hold {m} finite values, got {b.size}")
                    b = np.zeros(m)
                setv(self, name, b)
            else:
                setv(self, name, _as_float(name, arr, m, problems))
        fr = np.zeros(m, dtype=bool) if self.fringe is None else np.asarray(self.fringe, dtype=bool)
        if fr.size != m:
            problems.append(f"fringe has {fr.size} values but n_candidates={m}")
            fr = np.zeros(m, dtype=bool)
        setv(self, "fringe", fr.reshape(-1))
        if not (0.0 <= self.balance_share <= 1.0):
            problems.append(f"balance_share must be in [0, 1], got {self.balance_share}")
        if self.balance_on not in ("towns", "rural_population"):
            problems.append(
                f"balance_on must be 'towns' or 'rural_population', got {self.balance_on!r}"
            )
        if (
            self.balance_on == "rural_population"
            and self.balance_share > 0
            and self.coverage is None
        ):
            problems.append("balance_on='rural_population' needs a coverage matrix")
        for name in ("budget", "land_quota"):
            val = getattr(self, name)
            if val is not None and (not np.isfinite(val) or val < 0):
                problems.append(f"{name} must be a finite number >= 0 or None, got {val}")
        if self.group is not None:
            g = np.asarray(self.group)
            if g.size != m:
                problems.append(f"group has {g.size} labels but n_candidates={m}")
            setv(self, "group", g.reshape(-1))
            labels = set(g.tolist())
            for name in ("group_min", "group_max"):
                unknown = [k for k in getattr(self, name) if k not in labels]
                if unknown:
                    problems.append(
                        f"{name} names groups {unknown[:5]} that no candidate belongs to "
                        f"(known: {sorted(map(str, labels))[:10]})"
                    )
        elif self.group_min or self.group_max:
            problems.append("group_min/group_max given without a per-candidate group label")
        for name in ("group_min", "group_max"):
            bad = {k: v for k, v in getattr(self, name).items() if int(v) < 0}
            if bad:
                problems.append(f"{name} holds negative limits {bad}")
        if self.min_spacing_m < 0 or not np.isfinite(self.min_spacing_m):
            problems.append(f"min_spacing_m must be >= 0, got {self.min_spacing_m}")
        if self.min_spacing_m > 0:
            if self.xy is None:
                problems.append("min_spacing_m > 0 needs candidate coordinates xy (metres)")
            else:
                xy = np.asarray(self.xy, dtype=np.float64)
                if xy.shape != (m, 2) or not np.all(np.isfinite(xy)):
                    problems.append(f"xy must be a finite (m, 2)=({m}, 2) array, got {xy.shape}")
                setv(self, "xy", xy)
        fixed = tuple(sorted({int(i) for i in self.fixed}))
        bad_fixed = [i for i in fixed if not (0 <= i < m)]
        if bad_fixed:
            problems.append(f"fixed holds indices {bad_fixed[:5]} outside 0..{m - 1}")
        setv(self, "fixed", fixed)
        for name in ("n_towns", "min_towns", "max_towns"):
            val = getattr(self, name)
            if val is not None and not (0 <= int(val) <= m):
                problems.append(f"{name} must be in 0..{m}, got {val}")
        if problems:
            raise ConfigError("invalid planning problem: " + "; ".join(problems))

    @property
    def net_land(self) -> NDArray[np.float64]:
        """Land need net of reused idle land, ``max(land - idle_land, 0)`` (km²)."""
        assert self.land is not None
        assert self.idle_land is not None
        return np.maximum(self.land - self.idle_land, 0.0)

    @property
    def investment_needed(self) -> NDArray[np.float64]:
        """Capital each candidate needs (yuan): its investment, zero for a fixed (existing) town,
        whose cost is sunk."""
        assert self.investment is not None
        return np.where(self.fixed_mask, 0.0, self.investment)

    @property
    def land_needed(self) -> NDArray[np.float64]:
        """New land each candidate needs net of reused idle land (km²), zero for a fixed town."""
        return np.where(self.fixed_mask, 0.0, self.net_land)

    @cached_property
    def aggregated_demand(
        self,
    ) -> tuple[sp.csr_array, NDArray[np.float64], NDArray[np.float64]]:
        """Coverage with identical demand rows merged (:func:`aggregate_demand`), with the summed
        demand and rural weights; computed once per problem and shared by every solver stage."""
        if self.coverage is None:
            raise ConfigError("aggregated_demand needs a coverage matrix")
        assert self.demand_weight is not None
        assert self.rural_weight is not None
        agg, (w, r), _ = aggregate_demand(self.coverage, self.demand_weight, self.rural_weight)
        return agg, w, r

    @property
    def fixed_mask(self) -> NDArray[np.bool_]:
        """Boolean mask of the fixed (existing) towns."""
        mask = np.zeros(self.n_candidates, dtype=bool)
        mask[list(self.fixed)] = True
        return mask

    def with_balance(self, share: float) -> PlanningProblem:
        """A copy with another balance share."""
        return replace(self, balance_share=float(share))


def aggregate_demand(
    coverage: sp.csr_array, *weights: NDArray[np.float64]
) -> tuple[sp.csr_array, list[NDArray[np.float64]], NDArray[np.int64]]:
    """Merge demand points with identical candidate sets (and drop uncovered ones), summing weights.

    Identical rows are found by two random 31-bit hashes summed per row (exact integer sums), then
    verified exactly; the MILP is unchanged because merged points are covered together.

    Returns
    -------
    tuple
        Aggregated coverage, aggregated weights, and for each original row its aggregate (-1 when
        covered by no candidate).
    """
    cov = sp.csr_array(coverage, dtype=np.int64)
    cov.sort_indices()
    n = cov.shape[0]
    rng = np.random.default_rng(20240601)
    r1 = rng.integers(0, 2**31, cov.shape[1], dtype=np.int64)
    r2 = rng.integers(0, 2**31, cov.shape[1], dtype=np.int64)
    counts = np.diff(cov.indptr)
    keys = np.stack([cov @ r1, cov @ r2, counts], axis=1)
    alive = counts > 0
    uniq, first, inverse = np.unique(keys[alive], axis=0, return_index=True, return_inverse=True)
    rows_alive = np.flatnonzero(alive)
    rep = rows_alive[first]
    agg = sp.csr_array(cov[rep].astype(bool))
    check = cov[rows_alive] - cov[rep[inverse.reshape(-1)]]
    if check.count_nonzero() != 0:  # a hash collision (probability ~2^-62): do not aggregate
        logger.warning("coverage hash collision; solving without demand aggregation")
        mapping = np.where(alive, np.cumsum(alive) - 1, -1).astype(np.int64)
        return (
            sp.csr_array(cov[rows_alive].astype(bool)),
            [w[rows_alive] for w in weights],
            mapping,
        )
    mapping = np.full(n, -1, dtype=np.int64)
    mapping[rows_alive] = inverse.reshape(-1)
    agg_w = [
        np.bincount(inverse.reshape(-1), weights=w[rows_alive], minlength=uniq.shape[0]).astype(
            np.float64
        )
        for w in weights
    ]
    return agg, agg_w, mapping
