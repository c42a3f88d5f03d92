"""The independent checker: a hand-made valid layout, then one broken constraint per test."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest
from affine import Affine

from xiaozhen.design import DesignRules, SiteGrid, Use, check_layout, walking_distance_relaxation
from xiaozhen.region.crs import EQUAL_AREA_CRS

N = 12
CELL = 50.0


def make_site(**overrides: np.ndarray) -> SiteGrid:
    shape = (N, N)
    f = np.zeros(shape, dtype=bool)
    water, red, bf = f.copy(), f.copy(), f.copy()
    water[11, 11] = True
    red[10, 11] = True
    bf[11, 10] = True
    fields = {
        "site_id": "hand",
        "transform": Affine(CELL, 0, 500_000, 0, -CELL, 3_300_000),
        "crs_wkt": EQUAL_AREA_CRS.to_wkt(),
        "cell_size_m": CELL,
        "in_site": ~f,
        "slope_pct": np.full(shape, 3.0),
        "ple": np.full(shape, 3, dtype=np.int8),
        "built_up": f.copy(),
        "idle": f.copy(),
        "redline": red,
        "basic_farmland": bf,
        "urban_boundary": ~f,
        "water": water,
        "road": f.copy(),
        "road_dist_m": np.zeros(shape),
    }
    fields.update(overrides)
    return SiteGrid(**fields)  # type: ignore[arg-type]


def base_layout() -> np.ndarray:
    u = np.full((N, N), Use.GREEN_KEPT, dtype=np.int64)
    u[0:4, 0:6] = Use.INDUSTRY  # 24
    u[0:4, 6:8] = Use.SUPPORT  # 8
    u[4, :] = Use.ROAD  # 12
    u[5:8, 0:6] = Use.RESIDENTIAL  # 18 -> 900 residents
    u[8, 0:3] = Use.SCHOOL  # 7,500 m² >= 6,000
    u[8, 3] = Use.CLINIC
    u[8, 4:6] = Use.ELDERLY
    u[8, 6:8] = Use.CULTURE
    u[8, 8] = Use.MARKET
    u[8, 9] = Use.TRANSIT
    u[11, 11] = Use.WATER
    u[11, 10] = Use.FARMLAND
    return u


RULES = DesignRules(
    cell_size_m=CELL,
    construction_min_km2=0.1,
    construction_max_km2=0.2,
    polluting_industry=True,
    pollution_buffer_m=60.0,
    walk_max_m=600.0,
)


def hard_failures(
    u: np.ndarray, site: SiteGrid | None = None, rules: DesignRules = RULES
) -> set[str]:
    checks = check_layout(u, site or make_site(), rules)
    return {c.name for c in checks if c.hard and not c.passed}


def test_hand_layout_passes_every_hard_check() -> None:
    checks = check_layout(base_layout(), make_site(), RULES)
    assert {c.name for c in checks if c.hard and not c.passed} == set()
    by = {c.name: c for c in checks}
    assert by["construction_area_max"].value == pytest.approx(72 * 2500 / 1e6)
    assert by["residential_share_max"].value == pytest.approx(18 / 72)
    assert by["green_cover_min"].value == pytest.approx(70 / 142)
    # closest sensitive cell to industry: row 3 -> row 5 = 100 m
    assert by["pollution_buffer"].value == pytest.approx(100.0)
    # walk from (5,0) to the market at (8,8): 3 diagonal + 5 straight steps
    assert by["walk_market"].value == pytest.approx(3 * CELL * np.sqrt(2) + 5 * CELL)


def test_construction_min() -> None:
    rules = RULES.model_copy(update={"construction_min_km2": 0.19})
    assert hard_failures(base_layout(), rules=rules) == {"construction_area_min"}


def test_construction_max() -> None:
    u = base_layout()
    u[11, 0:10] = Use.INDUSTRY  # 82 cells = 0.205 km²
    assert hard_failures(u) == {"construction_area_max"}


def test_residential_share() -> None:
    u = base_layout()
    u[9, 6:12] = Use.RESIDENTIAL  # 24 / 78 = 30.8 %
    assert hard_failures(u) == {"residential_share_max"}


def test_green_cover() -> None:
    u = base_layout()
    u[9, :] = Use.RESERVE
    u[10, 0:11] = Use.RESERVE
    u[11, 0:10] = Use.RESERVE  # green 37 of 142 < 30 %
    assert hard_failures(u) == {"green_cover_min"}


def test_water_untouched() -> None:
    u = base_layout()
    u[11, 11] = Use.GREEN_KEPT
    assert hard_failures(u) == {"water_untouched"}


def test_redline_untouched() -> None:
    u = base_layout()
    u[10, 11] = Use.RESERVE
    assert hard_failures(u) == {"redline_untouched"}


def test_farmland_untouched() -> None:
    u = base_layout()
    u[11, 10] = Use.GREEN_NEW
    assert hard_failures(u) == {"farmland_untouched"}


@pytest.mark.parametrize(
    ("cell", "slope", "name"),
    [
        ((0, 0), 12.0, "slope_industry"),
        ((0, 6), 10.5, "slope_industry"),
        ((6, 2), 26.0, "slope_residential"),
        ((8, 0), 21.0, "slope_public"),
        ((4, 8), 9.0, "slope_road"),
    ],
)
def test_slope_limits(cell: tuple[int, int], slope: float, name: str) -> None:
    s = np.full((N, N), 3.0)
    s[cell] = slope
    assert hard_failures(base_layout(), make_site(slope_pct=s)) == {name}


def test_existing_road_is_exempt_from_the_new_road_slope() -> None:
    s = np.full((N, N), 3.0)
    s[4, 8] = 9.0
    road = np.zeros((N, N), dtype=bool)
    road[4, :] = True
    assert hard_failures(base_layout(), make_site(slope_pct=s, road=road)) == set()


def test_pollution_buffer() -> None:
    u = base_layout()
    u[4, 0] = Use.RESIDENTIAL  # 50 m from industry at row 3
    assert hard_failures(u) == {"pollution_buffer"}
    clean = RULES.model_copy(update={"polluting_industry": False})
    assert hard_failures(u, rules=clean) == set()


def test_walk_distance_to_transit() -> None:
    u = base_layout()
    u[8, 9] = Use.GREEN_KEPT
    u[0, 11] = Use.TRANSIT  # (7,0)->(0,11): 7 diagonal + 4 straight = 695 m > 600 m
    checks = {c.name: c for c in check_layout(u, make_site(), RULES)}
    assert {n for n, c in checks.items() if c.hard and not c.passed} == {"walk_transit"}
    assert checks["walk_transit"].value == pytest.approx(7 * CELL * np.sqrt(2) + 4 * CELL)


def test_walk_is_measured_around_water() -> None:
    """A river between homes and the school: the walk goes round, not across."""
    u = base_layout()
    water = np.zeros((N, N), dtype=bool)
    water[11, 11] = True
    # a wall of water in column 9 from row 0 to row 10 separates the transit at (8, 10)
    u[8, 9] = Use.GREEN_KEPT
    u[0:11, 9] = Use.WATER
    water[0:11, 9] = True
    u[8, 10] = Use.TRANSIT
    site = make_site(water=water)
    checks = {
        c.name: c for c in check_layout(u, site, RULES.model_copy(update={"walk_max_m": 760.0}))
    }
    # from (5,0): 6 diagonal + 3 straight steps to the gap at (11,9), then 4 straight steps round
    detour = 6 * CELL * np.sqrt(2) + 3 * CELL + 4 * CELL
    assert checks["walk_transit"].value == pytest.approx(detour)
    assert not checks["walk_transit"].passed
    # the straight line (3 diagonal + 7 straight = 562 m) would have passed
    assert 3 * CELL * np.sqrt(2) + 7 * CELL < 760.0


def test_capacity_school() -> None:
    u = base_layout()
    u[8, 2] = Use.GREEN_KEPT  # 5,000 m² < 6,000 m²
    assert hard_failures(u) == {"capacity_school"}


def test_covers_site() -> None:
    u = base_layout()
    u[10, 0] = Use.OUTSIDE
    assert hard_failures(u) == {"covers_site"}


def test_urban_boundary() -> None:
    ub = np.ones((N, N), dtype=bool)
    ub[0, 0] = False
    rules = RULES.model_copy(update={"require_urban_boundary": True})
    assert hard_failures(base_layout(), make_site(urban_boundary=ub), rules) == {"urban_boundary"}


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="layout_grid: shape"):
        check_layout(np.zeros((3, 3), dtype=int), make_site(), RULES)


def test_relaxation_matches_networkx() -> None:
    rng = np.random.default_rng(3)
    walk = rng.random((15, 17)) > 0.25
    src = np.zeros_like(walk)
    src[7, 8] = True
    walk[7, 8] = True
    d = walking_distance_relaxation(src, walk, 10.0)
    g = nx.Graph()
    for r, c in zip(*np.nonzero(walk), strict=True):
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
            r2, c2 = r + dr, c + dc
            if 0 <= r2 < 15 and 0 <= c2 < 17 and walk[r2, c2]:
                if dr and dc and not (walk[r + dr, c] and walk[r, c + dc]):
                    continue
                g.add_edge((r, c), (r2, c2), weight=10.0 * (np.sqrt(2) if dr and dc else 1.0))
    ref = nx.single_source_dijkstra_path_length(g, (7, 8))
    for (r, c), dist in ref.items():
        assert d[r, c] == pytest.approx(dist)
    unreachable = walk & ~np.isfinite(d)
    assert all((r, c) not in ref for r, c in zip(*np.nonzero(unreachable), strict=True))
    assert dataclasses.is_dataclass(make_site())
