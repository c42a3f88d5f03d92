"""Travel time over roads and a walking cost surface, on the 8-neighbour grid graph.

Model
-----
Every cell has a speed ``v`` (km/h): the speed of its road class if a road crosses it
(:data:`~xiaozhen.region.grid.ROAD_SPEEDS_KMH`), otherwise walking off-road with the uphill branch
of Tobler's (1993) hiking function, direction-free,

.. math:: v_{walk}(s) = 6 \\, e^{-3.5 (s + 0.05)} \\ \\text{km/h}, \\qquad s = \\text{slope\\_pct} / 100,

which gives 5.0 km/h on the flat, 3.5 km/h at 10 % and 2.1 km/h at 25 %; water without a road
(a bridge) is impassable, and built-up cells without a mapped road move at local-road speed. Moving between 8-neighbours ``a`` and ``b`` (distance ``d`` = cell size,
or cell size · √2 on diagonals) costs half a step at each cell's pace:

.. math:: t_{ab} = d_{ab} \\, \\frac{1}{2} \\left(\\frac{1}{v_a} + \\frac{1}{v_b}\\right).

Travel time from each cell to the nearest of a set of sources is the shortest path on this graph.
The graph is symmetric, so "from every cell to the sources" equals "from the sources to every cell".
Sources off the grid (a prefecture seat in another county) enter through the nearest passable grid
cell with a fixed offset: the straight-line distance times a circuity factor of 1.3 (road networks
are typically 1.2–1.4 × the straight line; Ballou, Rahardja & Sakai 2002, Transp. Res. A 36:843) at
expressway speed.

Solver
------
Two exact solvers give the same times (tested against each other and against networkx).
``method="dijkstra"`` builds the explicit graph (:func:`grid_graph`, ``8·N`` edges, 96 bytes per
cell) and runs :func:`scipy.sparse.csgraph.dijkstra` (``min_only=True``); it is the faster one
on county grids. ``method="sweep"`` never builds the graph, for province grids where the graph
would not fit: it computes the fixed point of Bellman's equations
:math:`T_a = \\min(T_a, T_b + t_{ab})` by alternating sweeps (down, up, right, left, ...), as in
fast-sweeping methods (Zhao 2005, Math. Comp. 74:603). Sweeping down, row :math:`r` first takes
the best of its three neighbours in row :math:`r - 1`; then the whole row is relaxed along itself
in both directions at once, exactly, with a prefix-sum identity: with :math:`C_k` the summed edge
times from the row start to cell :math:`k`,

.. math:: \\min_{j \\le k} (T_j + C_k - C_j) = C_k + \\operatorname{cummin}_{j \\le k}(T_j - C_j),

one ``numpy.minimum.accumulate`` per direction (impassable edges split the row into segments, kept
apart by a per-segment offset larger than any travel time in the row). Column sweeps do the same
on the transposed view. A shortest path needs about one sweep per turn of its direction, so the
sweeps stop when two opposite sweeps in a row change no cell (by more than 1e-9 relative): they
test every edge, so Bellman's inequalities all hold and the times equal Dijkstra's. Memory is one
float64 array of times plus row-sized temporaries. ``method="auto"`` (default) uses Dijkstra up to
:data:`SWEEP_ABOVE_CELLS` cells and sweeps above.

Assumptions: no congestion, no turn penalties, no one-way streets (roads are rasterised by class,
the raster keeps no direction), a road cell is reachable from its off-road neighbours everywhere
(no limited-access junctions), and cells within one cell of each other along a road share its speed.

The explicit graph (reference solver) is built with numpy only: ``8·N`` edges stored in CSR with a
fixed stride of 8 per row; neighbours off the grid or impassable keep an edge of infinite weight,
which Dijkstra never relaxes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import csr_matrix, vstack
from scipy.sparse.csgraph import dijkstra

from xiaozhen.errors import InputDataError
from xiaozhen.region.grid import ROAD_SPEEDS_KMH, CountyGrid

__all__ = [
    "CIRCUITY",
    "SWEEP_ABOVE_CELLS",
    "grid_graph",
    "speed_surface_kmh",
    "sweep_travel_time",
    "travel_time_minutes",
    "travel_times",
    "walking_speed_kmh",
]

logger = logging.getLogger(__name__)

#: Grids with more cells than this use the sweep solver under ``method="auto"`` (the explicit
#: graph would take 96 bytes per cell: 0.38 GB here).
SWEEP_ABOVE_CELLS = 4_000_000

#: Ratio of road distance to straight-line distance for off-grid sources (Ballou et al. 2002).
CIRCUITY = 1.3

_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def walking_speed_kmh(slope_pct: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Off-road walking speed, ``6 exp(-3.5 (s + 0.05))`` km/h with ``s = slope_pct / 100``.

    Tobler, W. (1993), Three presentations on geographical analysis and modeling, NCGIA
    Technical Report 93-1 (uphill branch, used for both directions).
    """
    s = np.abs(np.asarray(slope_pct, dtype=np.float32)) / np.float32(100.0)
    return (np.float32(6.0) * np.exp(np.float32(-3.5) * (s + np.float32(0.05)))).astype(np.float32)


def speed_surface_kmh(
    road_class: npt.ArrayLike,
    slope_pct: npt.ArrayLike,
    *,
    water: npt.ArrayLike | None = None,
    built_up: npt.ArrayLike | None = None,
    road_speeds_kmh: Mapping[int, float] = ROAD_SPEEDS_KMH,
) -> npt.NDArray[np.float32]:
    """Speed of every cell (km/h): road speed on roads, walking elsewhere, 0 on water without a road.

    Built-up cells without a mapped road move at the local-road speed (class 4): a built-up
    100 m cell is crossed by streets that road data at county scale usually omit.

    Raises
    ------
    InputDataError
        If ``road_class`` holds a class without a speed in ``road_speeds_kmh``.
    """
    rc = np.asarray(road_class)
    present = {int(c) for c in np.unique(rc)} - {0}
    missing = sorted(present - set(road_speeds_kmh))
    if missing:
        raise InputDataError(
            f"road_class: classes {missing} have no speed; give road_speeds_kmh for them "
            f"(known: {dict(road_speeds_kmh)})."
        )
    slope = np.nan_to_num(np.asarray(slope_pct, dtype=np.float32), nan=0.0)
    speed = walking_speed_kmh(slope)
    if water is not None:
        speed[np.asarray(water, dtype=bool)] = 0.0
    lut = np.zeros(max([*present, 0]) + 1, dtype=np.float32)
    for cls, v in road_speeds_kmh.items():
        if cls < lut.size:
            lut[cls] = v
    if built_up is not None and 4 in road_speeds_kmh:
        speed[np.asarray(built_up, dtype=bool)] = road_speeds_kmh[4]
    on_road = rc > 0
    speed[on_road] = lut[rc[on_road]]
    return speed


def grid_graph(speed_kmh: npt.ArrayLike, cell_size_m: float) -> csr_matrix:
    """Directed 8-neighbour graph of the grid, edge weights in minutes (see the module docstring).

    Node ``i`` is the cell at row ``i // width``, column ``i % width``. Cells with speed 0 (or
    NaN) are impassable: every edge into or out of them has infinite weight.
    """
    v = np.asarray(speed_kmh, dtype=np.float64)
    if v.ndim != 2:
        raise InputDataError(f"speed_kmh: expected a 2-D array, got shape {v.shape}.")
    h, w = v.shape
    n = h * w
    pace = _pace(v).ravel()
    rows = np.arange(h, dtype=np.int32).repeat(w)
    cols = np.tile(np.arange(w, dtype=np.int32), h)
    own = np.arange(n, dtype=np.int32)
    indices = np.empty((n, 8), dtype=np.int32)
    data = np.empty((n, 8), dtype=np.float64)
    for k, (dr, dc) in enumerate(_OFFSETS):  # 8 vectorised passes, not a loop over cells
        r2, c2 = rows + dr, cols + dc
        ok = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
        nb = np.where(ok, own + dr * w + dc, own)
        dist = cell_size_m * (math.sqrt(2.0) if dr and dc else 1.0)
        indices[:, k] = nb
        with np.errstate(over="ignore", invalid="ignore"):
            weight = 0.5 * dist * (pace + pace[nb])
        weight[~ok] = np.inf
        data[:, k] = weight
        del r2, c2, ok, nb, weight
    del rows, cols, own, pace
    indptr = np.arange(0, 8 * n + 1, 8, dtype=np.int32 if 8 * n < 2**31 else np.int64)
    return csr_matrix((data.ravel(), indices.ravel(), indptr), shape=(n, n))


def _pace(speed_kmh: npt.NDArray[np.generic]) -> npt.NDArray[np.float64]:
    """Minutes per metre, ``60 / (1000 v)``, of speeds in km/h; inf where the speed is 0 or NaN."""
    v = speed_kmh.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, 0.06 / v, np.inf)  # NaN > 0 is False: NaN speeds are impassable


def _relax_along_row(times: npt.NDArray[np.float64], edge: npt.NDArray[np.float64]) -> None:
    """In place: shortest times within one row, ``edge[k]`` the time between cells k and k+1.

    Both directions via the prefix-sum identity of the module docstring; an infinite edge splits
    the row into segments, kept apart by adding ``segment * big``: every time a path inside the row
    can have is below ``big / 2``, and a value carried across a segment boundary is at least
    ``big`` (less rounding), so it is recognised and dropped.
    """
    finite = np.isfinite(times)
    if not finite.any():
        return
    n = times.size
    blocked = ~np.isfinite(edge)
    cum = np.empty(n)
    cum[0] = 0.0
    np.cumsum(np.where(blocked, 0.0, edge), out=cum[1:])
    if blocked.any():
        seg = np.empty(n)
        seg[0] = 0.0
        np.cumsum(blocked, out=seg[1:])
        big = 2.0 * (float(times[finite].max()) + float(cum[-1]) + 1.0)
        off: npt.NDArray[np.float64] | float = seg * big
    else:
        big, off = np.inf, 0.0
    key = times - cum - off  # forward: min over j <= k
    np.minimum.accumulate(key, out=key)
    key += cum
    key += off
    key[key >= 0.5 * big] = np.inf
    np.minimum(times, key, out=times)
    key = times + cum + off  # backward: min over j >= k
    key = np.minimum.accumulate(key[::-1])[::-1]
    key -= cum
    key -= off
    key[key >= 0.5 * big] = np.inf
    np.minimum(times, key, out=times)


def _sweep(
    times: npt.NDArray[np.float64],
    speed_kmh: npt.NDArray[np.generic],
    cell_size_m: float,
    forward: bool,
) -> bool:
    """One sweep over the rows of ``times`` (a view: rows or columns of the grid), in place.

    Returns whether any cell improved by more than ``1e-9 (1 + T)`` minutes.
    """
    straight = 0.5 * cell_size_m
    diagonal = 0.5 * cell_size_m * math.sqrt(2.0)
    h, w = times.shape
    changed = False
    prev_pace: npt.NDArray[np.float64] | None = None
    prev: npt.NDArray[np.float64] | None = None
    for r in range(h) if forward else range(h - 1, -1, -1):
        pace = _pace(speed_kmh[r])
        row = times[r]
        before = row.copy()
        if prev is not None and prev_pace is not None:
            cand = prev + straight * (prev_pace + pace)
            if w > 1:
                np.minimum(
                    cand[1:], prev[:-1] + diagonal * (prev_pace[:-1] + pace[1:]), out=cand[1:]
                )
                np.minimum(
                    cand[:-1], prev[1:] + diagonal * (prev_pace[1:] + pace[:-1]), out=cand[:-1]
                )
            np.minimum(row, cand, out=row)
        if w > 1:
            _relax_along_row(row, straight * (pace[:-1] + pace[1:]))
        if not changed and np.any(row < before * (1.0 - 1e-9) - 1e-9):  # inf -> finite counts
            changed = True
        prev_pace, prev = pace, row
    return changed


def sweep_travel_time(
    speed_kmh: npt.NDArray[np.generic],
    cell_size_m: float,
    sources: npt.NDArray[np.int64],
    offsets_min: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], int]:
    """Shortest times on the 8-neighbour grid by alternating sweeps (module docstring).

    Sweeps go down, up, right, left, and again, until two opposite sweeps in a row change
    nothing: between them they test all eight edges of every cell. Returns the float64 times,
    shape of ``speed_kmh``, and the number of sweeps made.
    """
    h, w = speed_kmh.shape
    times = np.full((h, w), np.inf)
    np.minimum.at(times.reshape(-1), sources, offsets_min)
    sweeps = 0
    while True:
        for view, spd in ((times, speed_kmh), (times.T, speed_kmh.T)):
            first = _sweep(view, spd, cell_size_m, forward=True)
            second = _sweep(view, spd, cell_size_m, forward=False)
            sweeps += 2
            if not (first or second):
                np.maximum(times, 0.0, out=times)  # prefix sums may leave -1e-15 at a source
                return times, sweeps


def travel_time_minutes(
    speed_kmh: npt.ArrayLike,
    cell_size_m: float,
    sources: npt.ArrayLike,
    *,
    source_offsets_min: npt.ArrayLike | None = None,
    method: Literal["auto", "sweep", "dijkstra"] = "auto",
) -> npt.NDArray[np.float32]:
    """Minutes from every cell to the nearest source cell (inf where unreachable).

    Parameters
    ----------
    speed_kmh
        Speed of every cell, shape ``(H, W)`` (:func:`speed_surface_kmh`).
    cell_size_m
        Cell edge in metres.
    sources
        Flat cell indices (``row * W + col``), at least one.
    source_offsets_min
        Minutes already spent before entering each source cell (e.g. from an off-grid city);
        default 0.
    method
        ``"sweep"`` (no graph: float64 times + row temporaries), ``"dijkstra"`` (explicit graph +
        scipy's Dijkstra, 96 bytes per cell) or ``"auto"``: Dijkstra up to
        :data:`SWEEP_ABOVE_CELLS` cells (faster there), sweeps above (memory).

    Returns
    -------
    numpy.ndarray
        float32 minutes, shape ``(H, W)``.
    """
    v = np.asarray(speed_kmh)
    if v.ndim != 2:
        raise InputDataError(f"speed_kmh: expected a 2-D array, got shape {v.shape}.")
    h, w = v.shape
    src = np.atleast_1d(np.asarray(sources, dtype=np.int64))
    if src.size == 0:
        raise InputDataError("sources: no source cells given; give at least one cell index.")
    if src.min() < 0 or src.max() >= h * w:
        raise InputDataError(
            f"sources: cell indices must lie in [0, {h * w}); got {src.min()}..{src.max()}."
        )
    offsets = (
        np.zeros(src.size)
        if source_offsets_min is None
        else np.broadcast_to(np.asarray(source_offsets_min, dtype=np.float64), src.shape)
    )
    if np.any(offsets < 0) or not np.all(np.isfinite(offsets)):
        raise InputDataError("source_offsets_min: offsets must be finite and >= 0.")
    if method == "auto":
        method = "sweep" if h * w > SWEEP_ABOVE_CELLS else "dijkstra"
    if method == "sweep":
        dist, sweeps = sweep_travel_time(v, cell_size_m, src, np.ascontiguousarray(offsets))
        logger.debug("travel time: %d sweeps", sweeps)
    elif method == "dijkstra":
        dist = _dijkstra_travel_time(v, cell_size_m, src, offsets)
    else:
        raise InputDataError(
            f"method: expected 'auto', 'sweep' or 'dijkstra', got {method!r}; use 'auto'."
        )
    out: npt.NDArray[np.float32] = np.asarray(dist, dtype=np.float32).reshape(h, w)
    del dist
    logger.info(
        "travel time: %d sources, %d x %d cells, median %.1f min",
        src.size,
        h,
        w,
        float(np.nanmedian(out[np.isfinite(out)])) if np.isfinite(out).any() else math.nan,
    )
    return out


def _dijkstra_travel_time(
    v: npt.NDArray[np.generic],
    cell_size_m: float,
    src: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Reference solver: explicit graph + :func:`scipy.sparse.csgraph.dijkstra`."""
    g = grid_graph(v, cell_size_m)
    if np.ptp(offsets) == 0:
        return np.asarray(
            dijkstra(g, directed=True, indices=np.unique(src), min_only=True) + offsets[0]
        )
    # a super-source node n with edges of weight offset (+ tiny epsilon: csgraph needs > 0)
    n = g.shape[0]
    extra = csr_matrix(
        (offsets + 1e-12, (np.zeros(src.size, dtype=np.int64), src)), shape=(1, n + 1)
    )
    g_ext = csr_matrix((g.data, g.indices, g.indptr), shape=(n, n + 1))
    full = vstack([g_ext, extra], format="csr")
    dist = np.asarray(dijkstra(full, directed=True, indices=n, min_only=True), dtype=np.float64)
    return np.maximum(dist[:n] - 1e-12, 0.0)


def _cells_of_points(
    grid: CountyGrid, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    t = grid.transform
    h, w = grid.shape
    col = np.floor((x - t.c) / t.a).astype(np.int64)
    row = np.floor((y - t.f) / t.e).astype(np.int64)
    inside = (row >= 0) & (row < h) & (col >= 0) & (col < w)
    return np.where(inside, row * w + col, -1), inside


def travel_times(
    grid: CountyGrid,
    *,
    road_speeds_kmh: Mapping[int, float] = ROAD_SPEEDS_KMH,
) -> CountyGrid:
    """Add ``tt_county_seat_min``, ``tt_prefecture_min`` and ``tt_nearest_settlement_min``.

    Uses the grid's ``road_class``, ``slope_pct`` and ``water`` layers and its settlements
    (kinds ``county_seat``, ``prefecture``, ``township``, ``village``). A prefecture seat off the
    grid enters through the nearest passable cell with an expressway offset (module docstring);
    a county that is itself the prefecture seat gets ``tt_prefecture_min = tt_county_seat_min``.
    Cells outside the county polygon are NaN.

    Raises
    ------
    InputDataError
        If a needed layer or the county seat is missing.
    """
    missing = [n for n in ("road_class", "slope_pct") if n not in grid.layers]
    if missing:
        raise InputDataError(
            f"grid: layers {missing} are needed for travel time; import or generate them first."
        )
    water = grid.layers["water"].values if "water" in grid.layers else None
    built = grid.layers["built_up"].values if "built_up" in grid.layers else None
    speed = speed_surface_kmh(
        grid.layers["road_class"].values,
        grid.layers["slope_pct"].values,
        water=water,
        built_up=built,
        road_speeds_kmh=road_speeds_kmh,
    )
    inside = grid.mask
    speed[~inside & (grid.layers["road_class"].values == 0)] = 0.0  # no shortcuts outside
    pts = grid.settlements
    kinds = pts["kind"].to_numpy()
    xs, ys = shapely.get_x(pts.geometry.values), shapely.get_y(pts.geometry.values)
    cells, on_grid = _cells_of_points(grid, np.asarray(xs), np.asarray(ys))
    seat = (kinds == "county_seat") & on_grid
    if not seat.any():
        raise InputDataError(
            "settlements: no county_seat inside the grid; add one (kind = 'county_seat')."
        )
    result: dict[str, npt.NDArray[np.float32]] = {}
    result["tt_county_seat_min"] = travel_time_minutes(speed, grid.cell_size_m, cells[seat])
    pref = kinds == "prefecture"
    if not pref.any():
        result["tt_prefecture_min"] = result["tt_county_seat_min"].copy()
    elif (pref & on_grid).any():
        result["tt_prefecture_min"] = travel_time_minutes(
            speed, grid.cell_size_m, cells[pref & on_grid]
        )
    else:
        px, py = float(xs[pref][0]), float(ys[pref][0])
        passable = np.flatnonzero((speed > 0).ravel() & inside.ravel())
        cx, cy = grid.spec.coords()
        w = grid.shape[1]
        d = np.hypot(cx[passable % w] - px, cy[passable // w] - py)
        entry = passable[np.argmin(d)]
        offset = float(d.min()) * CIRCUITY / (road_speeds_kmh.get(1, 100.0) * 1000 / 60)
        result["tt_prefecture_min"] = travel_time_minutes(
            speed, grid.cell_size_m, [entry], source_offsets_min=[offset]
        )
    near = np.isin(kinds, ["county_seat", "township", "village"]) & on_grid
    result["tt_nearest_settlement_min"] = travel_time_minutes(speed, grid.cell_size_m, cells[near])
    for arr in result.values():
        arr[~inside] = np.nan
    how = (
        "travel time: roads by class + Tobler walking, 8-neighbour shortest paths "
        "by row sweeps (xiaozhen.region.travel)"
    )
    return grid.with_layers(sources=dict.fromkeys(result, how), **result)
