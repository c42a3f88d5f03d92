r"""One node of the p-median Lagrangian tree: subgradient optimisation of its bound.

The node's bound (see :mod:`xiaozhen.layout._pmedian_bb`) is

.. math::

    L(\lambda) = \sum_i \lambda_i + \sum_{j \in F} \rho_j + \min_{T \subseteq R,\, |T| = q}
    \sum_{j \in T} \rho_j, \qquad \rho_j = \sum_i \min(0, c_{ij} - \lambda_i),

maximised by subgradient steps :math:`g_i = 1 - |\{j \in F \cup T : c_{ij} < \lambda_i\}|` with
Polyak step length. Two interchangeable implementations, chosen by :class:`NodeSolver`:

* **numpy** (always available): each step takes one ``minimum`` and one row sum over the node's
  candidates-by-clients matrix;
* **numba** (the ``fast`` extra): a compiled loop over each client's candidates sorted by cost,
  which stops at the first cost :math:`\ge \lambda_i`. Only a few per cent of the pairs are below
  the multipliers, so a step touches those few instead of the whole matrix, and the loop has no
  per-step interpreter overhead (pmed36: 58 s against 152 s for the whole tree, same 3,653 nodes).

Both return the same kind of bound, valid for any multipliers; tests check that they agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

try:
    import numba

    #: Whether the compiled kernel can be used (numba importable).
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    HAVE_NUMBA = False

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Subgradient step control inside a node: halve the step after this many iterations without a
#: better bound, stop below this step size. Tuned with the tree's 800 iterations per node on
#: pmed16/17/22/26/36/38/39: slower decay and more steps per node give 3-8x fewer nodes than
#: 10 / 0.005 with 400 steps, and a third less time (pmed36: 3,653 nodes, 54 s against 9,379, 71 s).
STALL = 20
THETA_MIN = 0.003


def prune_level(ub: float, integral: bool) -> float:
    """Bound from which no solution strictly better than ``ub`` remains (``UB - 1`` on integral
    data, where every solution value is an integer)."""
    return ub - 1.0 + 1e-6 if integral else ub + 1e-9 * max(1.0, abs(ub))


def _jit(fn: Any, *, nogil: bool = False) -> Any:
    """``fn`` compiled by numba, cached on disk where the package folder (or numba's user cache)
    is writable, else compiled once per process; ``fn`` itself without numba."""
    if not HAVE_NUMBA:
        return fn
    try:
        return numba.njit(cache=True, nogil=nogil)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return numba.njit(nogil=nogil)(fn)


#: The same level inside the compiled kernel.
_prune_level_jit: Any = _jit(prune_level)


class Incumbent(Protocol):
    """What a node needs from the tree's incumbent: its cost, the pruning level and an offer."""

    cost: float

    def threshold(self) -> float: ...

    def offer(self, cost: float, chosen: IntArray) -> None: ...


@dataclass(frozen=True)
class NodeBound:
    """Best bound found at a node, its multipliers, the ``rho`` of the node's columns and the step."""

    bound: float
    lam: FloatArray
    rho: FloatArray  # per node column (forced first, then free)
    theta: float


def _numpy_bound(
    cost_t: FloatArray,
    act: IntArray,
    n_forced: int,
    q: int,
    lam: FloatArray,
    theta: float,
    iterations: int,
    inc: Incumbent,
) -> NodeBound:
    """Subgradient steps with numpy on the gathered rows ``cost_t[act]`` (candidates x clients)."""
    sub = cost_t[act]  # gathered rows: a contiguous copy, (|act|, n)
    lam_n = lam.copy()
    buf = np.empty_like(sub)
    best_b = -np.inf
    best_lam = lam_n.copy()
    rho_best = np.zeros(act.size)
    stall = 0
    last_key = b""
    forced_idx = np.arange(n_forced)
    for _ in range(iterations):
        lam_sum = float(lam_n.sum())
        np.minimum(sub, lam_n[None, :], out=buf)
        rho = buf.sum(axis=1)
        rho -= lam_sum
        rf = rho[n_forced:]
        part = np.argpartition(rf, q - 1)[:q] if q < rf.size else np.arange(rf.size)
        chosen = np.concatenate([forced_idx, n_forced + part])
        value = lam_sum + float(rho[:n_forced].sum() + rf[part].sum())
        rows = sub[chosen]
        key = np.sort(chosen).tobytes()
        if key != last_key:  # a new Lagrangian set: a feasible solution, price it
            last_key = key
            inc.offer(float(rows.min(axis=0).sum()), act[chosen])
        if value > best_b + 1e-12 * max(1.0, abs(value)):
            best_b, best_lam, rho_best, stall = value, lam_n.copy(), rho.copy(), 0
        else:
            stall += 1
        if best_b >= inc.threshold():
            break
        g = 1.0 - (rows < lam_n[None, :]).sum(axis=0)
        norm = float(g @ g)
        if norm == 0.0:
            break
        lam_n += theta * (inc.cost - value) / norm * g
        if stall >= STALL:
            theta *= 0.5
            stall = 0
            if theta < THETA_MIN:
                break
    return NodeBound(best_b, best_lam, rho_best, theta)


def _sorted_kernel_py(
    cs_all: FloatArray,
    order_all: NDArray[np.int32],
    status: NDArray[np.int8],
    q: int,
    lam0: FloatArray,
    theta: float,
    iterations: int,
    ub: float,
    integral: bool,
    stall_max: int,
    theta_min: float,
) -> tuple[float, FloatArray, FloatArray, float, float, BoolArray]:
    """Subgradient steps on per-client sorted costs (compiled by numba; plain Python otherwise).

    ``cs_all[i]`` are client ``i``'s costs in increasing order, ``order_all[i]`` the local column of
    each; ``status`` is 0 (closed), 1 (free) or 2 (forced open) per local column; the closed ones are
    filtered out first, so that every walk touches the node's columns only. Returns the best bound,
    its multipliers, ``rho`` per local column, the step size, and the cheapest Lagrangian set
    priced on the way (cost and mask; cost ``inf`` if none beat ``ub``).
    """
    n, a0 = cs_all.shape
    # the node's own columns only, still sorted per client (closed ones would only be skipped)
    na = 0
    for j in range(a0):
        if status[j] > 0:
            na += 1
    cs = np.empty((n, na))
    order = np.empty((n, na), dtype=np.int32)
    for i in range(n):
        k2 = 0
        for k in range(a0):
            j = order_all[i, k]
            if status[j] > 0:
                cs[i, k2] = cs_all[i, k]
                order[i, k2] = j
                k2 += 1
    lam = lam0.copy()
    rho = np.zeros(a0)
    rho_best = np.zeros(a0)
    best_lam = lam.copy()
    best_b = -np.inf
    free_idx = np.flatnonzero(status == 1)
    forced_idx = np.flatnonzero(status == 2)
    chosen = np.zeros(a0, dtype=np.bool_)
    prev = np.zeros(a0, dtype=np.bool_)
    best_price = np.inf
    price_set = np.zeros(a0, dtype=np.bool_)
    g = np.zeros(n)
    below = np.zeros(n, dtype=np.int64)
    stall = 0
    for _ in range(iterations):
        thresh = _prune_level_jit(ub, integral)
        lam_sum = 0.0
        for i in range(n):
            lam_sum += lam[i]
        rho[:] = 0.0
        for i in range(n):
            li = lam[i]
            k = 0
            while k < na and cs[i, k] < li:
                rho[order[i, k]] += cs[i, k] - li
                k += 1
            below[i] = k  # client i's pairs below its multiplier: the first k
        rf = rho[free_idx]
        sel = np.argsort(rf)[:q]
        chosen[:] = False
        value = lam_sum
        for jf in forced_idx:
            chosen[jf] = True
            value += rho[jf]
        for s in sel:
            chosen[free_idx[s]] = True
            value += rf[s]
        changed = False
        for j in range(a0):
            if chosen[j] != prev[j]:
                changed = True
                break
        if changed:  # a new Lagrangian set: a feasible solution, price it
            prev[:] = chosen
            price = 0.0
            for i in range(n):
                k = 0
                while k < na - 1 and not chosen[order[i, k]]:  # q >= 1: a chosen one is met
                    k += 1
                price += cs[i, k]
            if price < min(ub, best_price) - 1e-9 * max(1.0, abs(ub)):
                best_price = price
                price_set[:] = chosen
                ub = price
                thresh = _prune_level_jit(ub, integral)
        if value > best_b + 1e-12 * max(1.0, abs(value)):
            best_b = value
            best_lam[:] = lam
            rho_best[:] = rho
            stall = 0
        else:
            stall += 1
        if best_b >= thresh:
            break
        norm = 0.0
        for i in range(n):
            cnt = 0
            for k in range(below[i]):
                if chosen[order[i, k]]:
                    cnt += 1
            g[i] = 1.0 - cnt
            norm += g[i] * g[i]
        if norm == 0.0:
            break
        step = theta * (ub - value) / norm
        for i in range(n):
            lam[i] += step * g[i]
        if stall >= stall_max:
            theta *= 0.5
            stall = 0
            if theta < theta_min:
                break
    return best_b, best_lam, rho_best, theta, best_price, price_set


_sorted_kernel: Any = _jit(_sorted_kernel_py, nogil=True)


class NodeSolver:
    """Computes node bounds for one tree; picks the compiled kernel when numba is installed.

    Parameters
    ----------
    cost
        Weighted cost matrix ``w_i d_ij``, shape (demand, candidates).
    allowed
        Candidates any node may use (not closed at the root); every node's columns are a subset.
    integral
        Whether solution values are integers (pruning level ``UB - 1``).
    use_numba
        ``None``: numba if installed; ``True`` / ``False`` force one implementation (tests).
    """

    def __init__(
        self,
        cost: FloatArray,
        allowed: IntArray,
        *,
        integral: bool,
        use_numba: bool | None = None,
    ) -> None:
        if use_numba and not HAVE_NUMBA:
            raise ImportError("numba is not installed: pip install 'xiaozhen[fast]'")
        self.use_numba = HAVE_NUMBA if use_numba is None else use_numba
        self.integral = integral
        self.allowed = np.asarray(allowed, dtype=np.int64)
        self.cost = cost
        if self.use_numba:
            sub = cost[:, self.allowed]
            order = np.argsort(sub, axis=1, kind="stable")
            self.order = np.ascontiguousarray(order, dtype=np.int32)
            self.cs = np.ascontiguousarray(np.take_along_axis(sub, order, axis=1))
            self.local = np.full(cost.shape[1], -1, dtype=np.int64)
            self.local[self.allowed] = np.arange(self.allowed.size)
        else:
            self.cost_t = np.ascontiguousarray(cost.T)

    def bound(
        self,
        act: IntArray,
        n_forced: int,
        q: int,
        lam: FloatArray,
        theta: float,
        iterations: int,
        inc: Incumbent,
    ) -> NodeBound:
        """Bound of the node whose columns are ``act`` (global ids, the first ``n_forced`` forced
        open) with ``q`` more to open; offers every priced Lagrangian set to ``inc``."""
        if not self.use_numba:
            return _numpy_bound(self.cost_t, act, n_forced, q, lam, theta, iterations, inc)
        loc = self.local[act]
        status = np.zeros(self.allowed.size, dtype=np.int8)
        status[loc[n_forced:]] = 1
        status[loc[:n_forced]] = 2
        try:
            out: tuple[float, FloatArray, FloatArray, float, float, BoolArray] = _sorted_kernel(
                self.cs,
                self.order,
                status,
                q,
                np.asarray(lam, dtype=np.float64),
                float(theta),
                int(iterations),
                float(inc.cost),
                self.integral,
                STALL,
                THETA_MIN,
            )
        except numba.core.errors.NumbaError as exc:  # a numba that cannot compile it here
            logger.warning("numba kernel unavailable (%s); node bounds fall back to numpy", exc)
            self.use_numba = False
            self.cost_t = np.ascontiguousarray(self.cost.T)
            return self.bound(act, n_forced, q, lam, theta, iterations, inc)
        best_b, best_lam, rho, theta_out, price, price_set = out
        if np.isfinite(price):
            inc.offer(float(price), self.allowed[price_set])
        return NodeBound(float(best_b), best_lam, rho[loc], float(theta_out))
