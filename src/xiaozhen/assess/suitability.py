"""County scale: constraint masks, factor layers and the weighted-overlay suitability grid.

Input is a :class:`xiaozhen.region.CountyGrid` (or its ``layers`` Dataset directly) with the
contract's variable names (docs/HELPERS_CONTRACT.md). Every step is a whole-array numpy / scipy
operation (distance transforms, box filters); no loop over cells.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr
from scipy import ndimage

from xiaozhen._io import atomic_path
from xiaozhen.assess.mcda import weighted_sum
from xiaozhen.assess.weights import critic_weights, entropy_weights, fixed_weights
from xiaozhen.errors import ConfigError, InputDataError

__all__ = [
    "CONSTRAINT_BITS",
    "DEFAULT_FACTOR_WEIGHTS",
    "FACTORS",
    "SuitabilityResult",
    "suitability_from_layers",
    "write_suitability_geotiff",
]

logger = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
Bool = npt.NDArray[np.bool_]

#: Bits of the constraint code (a cell may carry several).
CONSTRAINT_BITS: dict[str, int] = {
    "water": 1,
    "eco_redline": 2,
    "basic_farmland": 4,
    "steep_slope": 8,
    "urban_core": 16,
    "unreachable": 32,
}

#: Factor name -> (direction, description).
FACTORS: dict[str, tuple[Literal["benefit", "cost"], str]] = {
    "slope_pct": ("cost", "terrain slope (%), CJJ83-99: gentle land is cheaper to build"),
    "tt_county_seat_min": ("cost", "travel time to the county seat (min)"),
    "tt_prefecture_min": ("cost", "travel time to the prefecture city (min)"),
    "road_distance_m": ("cost", "straight-line distance to the nearest road cell (m)"),
    "idle_share": ("benefit", "share of idle construction land within the idle window"),
    "population_reach": ("benefit", "residents within the reach radius (box of equal area)"),
    "height_above_water_m": (
        "benefit",
        "height above the nearest water cell (m, capped at 10): low = flood exposure",
    ),
}

#: Default factor weights (expert judgement, documented in README; sum 1). Access to the county
#: seat and land reuse follow the creation guideline's emphasis on fringe locations and idle
#: land (浙特镇办〔2015〕9号; BRIEF §4.1–4.2).
DEFAULT_FACTOR_WEIGHTS: dict[str, float] = {
    "slope_pct": 0.15,
    "tt_county_seat_min": 0.20,
    "tt_prefecture_min": 0.10,
    "road_distance_m": 0.15,
    "idle_share": 0.15,
    "population_reach": 0.15,
    "height_above_water_m": 0.10,
}


@dataclass(frozen=True)
class SuitabilityResult:
    """Suitability grid and everything needed to explain and reuse it.

    Attributes
    ----------
    suitability
        float32 (y, x) in [0, 1]; 0 in constrained cells, NaN outside the county.
    constraints
        uint8 (y, x) bit code (:data:`CONSTRAINT_BITS`), 0 = unconstrained.
    raw
        Factor layers in their units (float32), plus ``developable`` (bool) and ``urban_core``.
    weights
        Weight per factor used (factors dropped as constant are absent).
    directions
        ``"benefit"`` / ``"cost"`` per factor.
    weights_method
        ``"fixed"``, ``"entropy"`` or ``"CRITIC"``.
    notes
        What was assumed or dropped (e.g. a travel-time layer replaced by a straight-line proxy).
    """

    suitability: xr.DataArray
    constraints: xr.DataArray
    raw: xr.Dataset
    weights: pd.Series
    directions: pd.Series
    weights_method: str
    crs_wkt: str
    cell_size_m: float
    valid: Bool
    notes: tuple[str, ...] = field(default=())

    @property
    def transform(self) -> Any:
        """North-up rasterio Affine of the grid."""
        from affine import Affine

        x = self.suitability["x"].values
        y = self.suitability["y"].values
        c = self.cell_size_m
        return Affine(c, 0.0, float(x[0]) - c / 2, 0.0, -c, float(y[0]) + c / 2)


def _layers_of(grid: Any) -> tuple[xr.Dataset, Bool | None, Any]:
    layers = getattr(grid, "layers", grid)
    if not isinstance(layers, xr.Dataset):
        raise InputDataError(
            f"grid: expected a CountyGrid or an xarray.Dataset of layers, got {type(grid).__name__}."
        )
    mask = np.asarray(grid.mask, dtype=bool) if hasattr(grid, "mask") else None
    settlements = getattr(grid, "settlements", None)
    return layers, mask, settlements


def _require(layers: xr.Dataset, names: list[str]) -> None:
    missing = [n for n in names if n not in layers.data_vars]
    problems = []
    if missing:
        problems.append(f"missing layers {missing}")
    for attr in ("cell_size_m", "crs"):
        if attr not in layers.attrs:
            problems.append(f"attribute {attr!r} is not set")
    if problems:
        raise InputDataError(
            "grid.layers: " + "; ".join(problems) + ". Build the grid with xiaozhen.region "
            "(CountyGrid) or add them with the contract's names (docs/HELPERS_CONTRACT.md)."
        )


def _bool(layers: xr.Dataset, name: str) -> Bool:
    return np.asarray(layers[name].values, dtype=bool)


def _window_cells(metres: float, cell: float) -> int:
    return max(1, round(metres / cell) | 1)  # odd, so the window is centred


def _travel_time_proxy(
    layers: xr.Dataset, settlements: Any, kind: str, speed_kmh: float
) -> F32 | None:
    """Straight-line distance to the nearest settlement of ``kind`` at ``speed_kmh`` (minutes)."""
    if settlements is None or len(settlements) == 0:
        return None
    pts = settlements[settlements["kind"] == kind]
    if len(pts) == 0:
        return None
    x = layers["x"].values.astype(np.float64)
    y = layers["y"].values.astype(np.float64)
    best = np.full((y.size, x.size), np.inf, dtype=np.float32)
    for px, py in zip(pts.geometry.x, pts.geometry.y, strict=True):  # a handful of points
        dx = (x - px).astype(np.float32)[None, :]
        dy = (y - py).astype(np.float32)[:, None]
        np.minimum(best, np.sqrt(dx * dx + dy * dy), out=best)
    return (best / np.float32(speed_kmh * 1000.0 / 60.0)).astype(np.float32)


def suitability_from_layers(
    grid: Any,
    *,
    weights: Literal["fixed", "entropy", "critic"] | Mapping[str, float] = "fixed",
    mask: npt.ArrayLike | None = None,
    max_slope_pct: float = 25.0,
    urban_core_window_m: float = 1000.0,
    urban_core_share: float = 0.5,
    idle_window_m: float = 1000.0,
    reach_radius_m: float = 5000.0,
    proxy_speed_kmh: float = 30.0,
    chunk_bytes: int = 64 * 2**20,
) -> SuitabilityResult:
    r"""Weighted-overlay suitability of every cell of a county for a characteristic town.

    **Constraints** (cell unusable, suitability 0; bits in :data:`CONSTRAINT_BITS`): water, the
    ecological red line, permanent basic farmland, slope above ``max_slope_pct`` (25 %,
    CJJ83-99's residential limit and the textbook class break), and the existing urban core —
    built-up cells whose share of built-up land within ``urban_core_window_m`` is at least
    ``urban_core_share`` (towns are to be "relatively independent of the city centre",
    浙特镇办〔2015〕9号).

    **Factors** (:data:`FACTORS`): slope; travel time to the county seat and to the prefecture
    city (layers ``tt_*_min``; if absent, straight-line distance to the settlement at
    ``proxy_speed_kmh`` and a note); distance to roads by the exact Euclidean distance transform
    (``scipy.ndimage.distance_transform_edt``); share of idle construction land within
    ``idle_window_m`` and residents within ``reach_radius_m`` (box filters of equal area,
    ``scipy.ndimage.uniform_filter``, O(N)); height above the nearest water cell (HAND-like flood
    exposure proxy, Rennó et al. 2008 *Remote Sens. Environ.* 112:3469), capped at 10 m.

    **Overlay**: min–max normalise each factor over the county cells (cost factors reversed) and
    take the weighted linear combination :math:`S = \sum_k w_k r_k` (Malczewski 2000;
    :func:`~xiaozhen.assess.weighted_sum`), then :math:`S \cdot [\text{no constraint}]`. A factor
    that is constant over the county (e.g. no roads) is dropped and the weights renormalised,
    with a note.

    Parameters
    ----------
    grid
        :class:`xiaozhen.region.CountyGrid` or its ``layers`` Dataset.
    weights
        ``"fixed"`` (:data:`DEFAULT_FACTOR_WEIGHTS`), ``"entropy"``, ``"critic"`` (computed on
        the grid, chunked) or a mapping factor → weight.
    mask
        Cells inside the county; default ``grid.mask`` (CountyGrid) or cells with finite
        elevation.
    """
    layers, grid_mask, settlements = _layers_of(grid)
    _require(
        layers,
        ["elevation_m", "slope_pct", "population", "water", "eco_redline", "basic_farmland",
         "built_up", "idle_construction", "road_class"],
    )  # fmt: skip
    cell = float(layers.attrs["cell_size_m"])
    shape = (layers.sizes["y"], layers.sizes["x"])
    notes: list[str] = []
    if mask is not None:
        valid = np.asarray(mask, dtype=bool)
        if valid.shape != shape:
            raise InputDataError(f"mask: shape {valid.shape} differs from the grid {shape}.")
    elif grid_mask is not None:
        valid = grid_mask
    else:
        valid = np.isfinite(np.asarray(layers["elevation_m"].values))
    if int(valid.sum()) < 2:
        raise InputDataError("mask: fewer than 2 cells inside the county.")
    if max_slope_pct <= 0 or not 0 < urban_core_share <= 1:
        raise ConfigError(
            f"max_slope_pct must be > 0 and urban_core_share in (0, 1]; got {max_slope_pct}, "
            f"{urban_core_share}."
        )

    elevation = np.asarray(layers["elevation_m"].values, dtype=np.float32)
    slope = np.asarray(layers["slope_pct"].values, dtype=np.float32)
    nan_inside = {
        n: int(np.isnan(a[valid]).sum())
        for n, a in (("elevation_m", elevation), ("slope_pct", slope))
        if np.isnan(a[valid]).any()
    }
    if nan_inside:
        raise InputDataError(
            f"grid.layers: NaN inside the county in {nan_inside} (cells). Fill the gaps "
            "(e.g. xiaozhen.region import resampling) or pass a mask= that excludes them."
        )
    water = _bool(layers, "water")
    built = _bool(layers, "built_up")
    core_win = _window_cells(urban_core_window_m, cell)
    built_share = ndimage.uniform_filter(built.astype(np.float32), size=core_win, mode="constant")
    urban_core = built & (built_share >= urban_core_share)
    code = np.zeros(shape, dtype=np.uint8)
    code |= np.where(water, CONSTRAINT_BITS["water"], 0).astype(np.uint8)
    code |= np.where(_bool(layers, "eco_redline"), CONSTRAINT_BITS["eco_redline"], 0).astype(
        np.uint8
    )
    code |= np.where(_bool(layers, "basic_farmland"), CONSTRAINT_BITS["basic_farmland"], 0).astype(
        np.uint8
    )
    code |= np.where(slope > max_slope_pct, CONSTRAINT_BITS["steep_slope"], 0).astype(np.uint8)
    code |= np.where(urban_core, CONSTRAINT_BITS["urban_core"], 0).astype(np.uint8)
    code[~valid] = 0

    raw: dict[str, F32] = {"slope_pct": slope}
    for name, kind in (("tt_county_seat_min", "county_seat"), ("tt_prefecture_min", "prefecture")):
        if name in layers.data_vars:
            tt = np.asarray(layers[name].values, dtype=np.float32)
            if np.isnan(tt[valid]).any():
                raise InputDataError(
                    f"grid.layers[{name!r}]: NaN inside the county; recompute travel times "
                    "(unreachable cells are +inf, not NaN)."
                )
            # Cells no road or path reaches (+inf: islands, cells ringed by water) cannot host
            # a town: constrain them and rank the rest on finite values.
            unreachable = valid & np.isinf(tt)
            if unreachable.any():
                code |= np.where(unreachable, CONSTRAINT_BITS["unreachable"], 0).astype(np.uint8)
                finite_max = float(tt[valid & ~unreachable].max(initial=0.0))
                tt = np.where(unreachable, np.float32(finite_max), tt)
                notes.append(f"{name}: {int(unreachable.sum())} unreachable cells constrained")
            raw[name] = tt
            continue
        proxy = _travel_time_proxy(layers, settlements, kind, proxy_speed_kmh)
        if proxy is None:
            notes.append(f"{name}: no layer and no {kind} settlement; factor dropped")
            continue
        raw[name] = proxy
        notes.append(
            f"{name}: layer absent; straight-line distance to the {kind} at {proxy_speed_kmh} km/h"
        )
    roads = np.asarray(layers["road_class"].values) > 0
    if roads.any():
        raw["road_distance_m"] = ndimage.distance_transform_edt(~roads).astype(
            np.float32
        ) * np.float32(cell)
    else:
        notes.append("road_distance_m: no road cells in the grid; factor dropped")
    idle = _bool(layers, "idle_construction")
    raw["idle_share"] = ndimage.uniform_filter(
        idle.astype(np.float32), size=_window_cells(idle_window_m, cell), mode="constant"
    )
    pop = np.nan_to_num(np.asarray(layers["population"].values, dtype=np.float32), nan=0.0)
    side = _window_cells(np.sqrt(np.pi) * reach_radius_m, cell)
    raw["population_reach"] = ndimage.uniform_filter(pop, size=side, mode="constant") * np.float32(
        side * side
    )
    if water.any():
        _, (iy, ix) = ndimage.distance_transform_edt(~water, return_indices=True)
        haw = elevation - elevation[iy, ix]
        del iy, ix
        raw["height_above_water_m"] = np.clip(haw, 0.0, 10.0).astype(np.float32)
    else:
        notes.append("height_above_water_m: no water cells; factor dropped")

    names = [n for n in FACTORS if n in raw]
    const = [n for n in names if float(np.ptp(raw[n][valid])) == 0.0]
    for n in const:
        notes.append(f"{n}: constant over the county; factor dropped")
    names = [n for n in names if n not in const]
    if not names:
        raise InputDataError("grid: every factor is constant over the county; nothing to rank.")
    directions = pd.Series({n: FACTORS[n][0] for n in names})
    stack = np.stack([raw[n] for n in names])
    types = list(directions)
    if isinstance(weights, Mapping):
        unknown = sorted(set(weights) - set(FACTORS))
        if unknown:
            raise ConfigError(f"weights: unknown factors {unknown}; use {list(FACTORS)}.")
        w = pd.Series(fixed_weights({n: weights.get(n, 0.0) for n in names}, names, normalise=True),
                      index=names)  # fmt: skip
        method = "fixed"
    elif weights == "fixed":
        w = pd.Series(
            fixed_weights({n: DEFAULT_FACTOR_WEIGHTS[n] for n in names}, names, normalise=True),
            index=names,
        )
        method = "fixed"
    elif weights in ("entropy", "critic"):
        fn = entropy_weights if weights == "entropy" else critic_weights
        w = pd.Series(fn(stack, types, mask=valid, chunk_bytes=chunk_bytes), index=names)
        method = "entropy" if weights == "entropy" else "CRITIC"
    else:
        raise ConfigError(
            f"weights: use 'fixed', 'entropy', 'critic' or a mapping factor -> weight; got "
            f"{weights!r}."
        )
    score = weighted_sum(
        stack, w.to_numpy(), types, normalization="minmax", mask=valid, chunk_bytes=chunk_bytes
    )
    del stack
    suit = np.where(code == 0, score, np.float32(0.0)).astype(np.float32)
    suit[~valid] = np.nan
    coords = {"y": layers["y"].values, "x": layers["x"].values}
    dims = ("y", "x")
    raw_ds = xr.Dataset({n: (dims, a) for n, a in raw.items()}, coords=coords)
    developable = valid & (code == 0)
    raw_ds["developable"] = (dims, developable)
    raw_ds["urban_core"] = (dims, urban_core & valid)
    crs_wkt = str(layers.attrs["crs"])
    logger.info(
        "suitability: %d county cells, %.1f %% constrained, factors %s (%s weights)",
        int(valid.sum()),
        100.0 * float((code[valid] > 0).mean()),
        names,
        method,
    )
    return SuitabilityResult(
        suitability=xr.DataArray(suit, coords=coords, dims=dims, name="suitability"),
        constraints=xr.DataArray(code, coords=coords, dims=dims, name="constraints"),
        raw=raw_ds,
        weights=w,
        directions=directions,
        weights_method=method,
        crs_wkt=crs_wkt,
        cell_size_m=cell,
        valid=valid,
        notes=tuple(notes),
    )


def write_suitability_geotiff(result: SuitabilityResult, path: str | Path) -> Path:
    """Write suitability (band 1, NaN nodata) and the constraint code (band 2) atomically.

    Deflate-compressed, tiled, no timestamp tag: reruns are byte-identical.
    """
    import rasterio

    suit = result.suitability.values.astype(np.float32)
    code = result.constraints.values.astype(np.float32)
    profile = {
        "driver": "GTiff",
        "height": suit.shape[0],
        "width": suit.shape[1],
        "count": 2,
        "dtype": "float32",
        "crs": rasterio.crs.CRS.from_wkt(result.crs_wkt),
        "transform": result.transform,
        "nodata": float("nan"),
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(suit, 1)
        dst.write(code, 2)
        dst.set_band_description(1, "suitability (0-1; 0 = constrained)")
        dst.set_band_description(2, "constraint bits: " + ", ".join(
            f"{v} {k}" for k, v in CONSTRAINT_BITS.items()))  # fmt: skip
        dst.update_tags(
            weights_method=result.weights_method,
            weights=", ".join(f"{k}={v:.4f}" for k, v in result.weights.items()),
            notes="; ".join(result.notes),
        )
    logger.info("wrote %s", path)
    return Path(path)
