"""Travel time on the grid graph: hand-computed cases and networkx on random grids."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from xiaozhen.errors import InputDataError
from xiaozhen.region.travel import (
    grid_graph,
    speed_surface_kmh,
    sweep_travel_time,
    travel_time_minutes,
    walking_speed_kmh,
)


def test_uniform_speed_hand_values() -> None:
    # 6 km/h = 100 m/min; cell 100 m: one straight step = 1 min, one diagonal = sqrt 2 min
    v = np.full((3, 4), 6.0)
    tt = travel_time_minutes(v, 100.0, [0])
    assert tt[0, 1] == pytest.approx(1.0)
    assert tt[1, 1] == pytest.approx(math.sqrt(2))
    assert tt[2, 3] == pytest.approx(2 * math.sqrt(2) + 1)  # 2 diagonals + 1 straight


def test_road_and_offroad_mix_and_barrier() -> None:
    v = np.array([[60.0, 60.0, 60.0], [6.0, 0.0, 6.0]])
    tt = travel_time_minutes(v, 100.0, [0])
    # along the road: 100 m at 60 km/h = 0.1 min per step
    assert tt[0, 2] == pytest.approx(0.2)
    # road -> off-road cell below: half a step at each pace: 50/1000 + 50/100 = 0.55 min
    assert tt[1, 0] == pytest.approx(0.55)
    assert np.isinf(tt[1, 1])  # water without a bridge
    # (1,2) via the road: 0.1 + diagonal from (0,1): 141.4 * (1/1000 + 1/100) / 2 ... or straight
    assert tt[1, 2] == pytest.approx(min(0.1 + math.sqrt(2) * 0.55, 0.2 + 0.55))


def test_offsets_and_multisource() -> None:
    v = np.full((1, 5), 6.0)
    tt = travel_time_minutes(v, 100.0, [0, 4], source_offsets_min=[0.0, 3.0])
    np.testing.assert_allclose(tt[0], [0, 1, 2, 3, 3])
    tt2 = travel_time_minutes(v, 100.0, [0, 4])
    np.testing.assert_allclose(tt2[0], [0, 1, 2, 1, 0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_networkx_on_random_grids(seed: int) -> None:
    rng = np.random.default_rng(seed)
    h, w = 9, 11
    v = rng.uniform(1.0, 80.0, (h, w))
    v[rng.random((h, w)) < 0.15] = 0.0  # impassable cells
    v[0, 0] = 10.0
    cell = 50.0
    g = nx.DiGraph()
    for r in range(h):
        for c in range(w):
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    r2, c2 = r + dr, c + dc
                    if (dr or dc) and 0 <= r2 < h and 0 <= c2 < w and v[r, c] > 0 and v[r2, c2] > 0:
                        d = cell * (math.sqrt(2) if dr and dc else 1.0)
                        wgt = d * 0.5 * (0.06 / v[r, c] + 0.06 / v[r2, c2])
                        g.add_edge(r * w + c, r2 * w + c2, weight=wgt)
    sources = [0, w * h - 1] if v[-1, -1] > 0 else [0]
    ref = nx.multi_source_dijkstra_path_length(g, sources)
    tt = travel_time_minutes(v, cell, sources).ravel()
    tt_sweep = travel_time_minutes(v, cell, sources, method="sweep").ravel()
    np.testing.assert_allclose(tt_sweep, tt, rtol=1e-6)
    for node in range(h * w):
        if node in ref:
            assert tt[node] == pytest.approx(ref[node], rel=1e-6)
        else:
            assert np.isinf(tt[node])


def test_graph_shape_and_walking_speed() -> None:
    g = grid_graph(np.ones((4, 5)), 100.0)
    assert g.shape == (20, 20)
    assert g.nnz == 160  # fixed stride of 8, off-grid edges stored with infinite weight
    assert np.isfinite(g.data).sum() == 2 * (4 * 4 + 3 * 5 + 2 * 3 * 4)
    assert walking_speed_kmh([0.0])[0] == pytest.approx(6 * math.exp(-0.175))  # 5.04 km/h
    assert walking_speed_kmh([10.0])[0] < walking_speed_kmh([5.0])[0]


def test_speed_surface_and_errors() -> None:
    rc = np.array([[0, 1], [4, 0]], dtype=np.int8)
    slope = np.zeros((2, 2))
    water = np.array([[True, True], [False, False]])
    v = speed_surface_kmh(rc, slope, water=water)
    assert v[0, 0] == 0.0  # water, no road
    assert v[0, 1] == 100.0  # expressway bridge
    assert v[1, 0] == 25.0
    with pytest.raises(InputDataError, match=r"classes \[7\] have no speed"):
        speed_surface_kmh(np.array([[7]]), np.zeros((1, 1)))
    with pytest.raises(InputDataError, match="no source cells"):
        travel_time_minutes(np.ones((2, 2)), 100.0, [])
    with pytest.raises(InputDataError, match=r"must lie in \[0, 4\)"):
        travel_time_minutes(np.ones((2, 2)), 100.0, [9])


@pytest.mark.parametrize("seed", range(12))
def test_sweep_equals_scipy_dijkstra(seed: int) -> None:
    """The row-sweep solver reproduces scipy's Dijkstra on random grids with barriers and offsets."""
    rng = np.random.default_rng(seed)
    h, w = (int(x) for x in rng.integers(1, 40, 2))
    v = rng.uniform(1.0, 100.0, (h, w)).astype(np.float32)
    v[rng.random((h, w)) < rng.uniform(0.0, 0.45)] = 0.0
    src = rng.choice(h * w, size=min(4, h * w), replace=False)
    offsets = rng.uniform(0.0, 5.0, src.size)
    ref = travel_time_minutes(v, 50.0, src, source_offsets_min=offsets, method="dijkstra")
    got = travel_time_minutes(v, 50.0, src, source_offsets_min=offsets, method="sweep")
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=1e-6)


def test_sweep_follows_a_serpentine_road() -> None:
    """A road that turns back up and down many times: the sweeps repeat until nothing changes."""
    h, w = 21, 15
    v = np.full((h, w), 0.0)  # walls everywhere but the corridor
    down = True
    corridor = []
    for c in range(0, w, 2):
        rows = range(h) if down else range(h - 1, -1, -1)
        corridor += [(rr, c) for rr in rows]
        if c + 1 < w:
            end = h - 1 if down else 0
            corridor.append((end, c + 1))
        down = not down
    for rr, cc in corridor:
        v[rr, cc] = 6.0  # 100 m per minute
    times, sweeps = sweep_travel_time(v, 100.0, np.array([0]), np.zeros(1))
    ref = travel_time_minutes(v, 100.0, [0], method="dijkstra")
    np.testing.assert_allclose(times, ref, rtol=1e-6)
    assert sweeps > 4  # the corridor turns back 7 times: more than one round of sweeps
    assert np.isfinite(times).sum() == len(corridor)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(InputDataError, match="method: expected 'auto', 'sweep' or 'dijkstra'"):
        travel_time_minutes(np.ones((2, 2)), 100.0, [0], method="astar")  # type: ignore[arg-type]


def test_sweep_equals_dijkstra_on_a_synthetic_county() -> None:
    """Rivers, lakes and winding roads of a generated county: both solvers agree everywhere."""
    from xiaozhen.region.synth import synth_county

    grid = synth_county("330381", seed=3)
    speed = speed_surface_kmh(
        grid.layers["road_class"].values,
        grid.layers["slope_pct"].values,
        water=grid.layers["water"].values,
    )
    src = np.array([0, speed.size // 2, speed.size - 1])
    ref = travel_time_minutes(speed, grid.cell_size_m, src, method="dijkstra")
    got = travel_time_minutes(speed, grid.cell_size_m, src, method="sweep")
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=1e-6)
