"""The county grid: named raster layers on one projected grid in metres, plus vectors.

:class:`CountyGrid` is the value every county-scale stage reads (docs/HELPERS_CONTRACT.md): an
:class:`xarray.Dataset` of layers with dims ``("y", "x")`` and cell-centre coordinates in metres
(``y`` descending), the county polygon, settlements, roads and the provenance of every layer.

On disk a grid is a folder that QGIS opens directly::

    grid/
      layers/<name>.tif      one single-band GeoTIFF per layer (deflate, tiled)
      boundary.gpkg          the county polygon
      settlements.gpkg       points: name, kind, population
      roads.gpkg             lines: road_class, speed_kmh, u, v, length_m
      metadata.json          CRS, cell size, shape, transform, synthetic flag, sources, extras

:meth:`CountyGrid.save` writes everything into a temporary folder beside the target and renames
it into place, so a failed save never leaves a half-written grid and an earlier grid survives.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyogrio
import rasterio
import xarray as xr
from affine import Affine
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from xiaozhen._io import FIXED_TIMESTAMP, atomic_folder
from xiaozhen.errors import InputDataError
from xiaozhen.region.crs import require_projected_metres

__all__ = [
    "LAYER_SPECS",
    "ROAD_SPEEDS_KMH",
    "CountyGrid",
    "GridSpec",
    "LayerSpec",
    "empty_roads",
    "empty_settlements",
    "grid_spec_for",
    "slope_percent",
]

logger = logging.getLogger(__name__)

LayerKind = Literal["continuous", "categorical", "mask"]


@dataclass(frozen=True)
class LayerSpec:
    """How a layer is stored and resampled.

    ``continuous`` layers are resampled by average (coarsening) or bilinear (refining);
    ``categorical`` and ``mask`` layers by mode (coarsening) or nearest (refining), so codes are
    never averaged.
    """

    dtype: str
    kind: LayerKind
    nodata: float | int
    unit: str


#: Every layer name of the contract, with dtype, resampling kind, nodata and unit.
LAYER_SPECS: dict[str, LayerSpec] = {
    "elevation_m": LayerSpec("float32", "continuous", np.nan, "m"),
    "slope_pct": LayerSpec("float32", "continuous", np.nan, "%"),
    "landcover": LayerSpec("int16", "categorical", -1, "class code"),
    "ple": LayerSpec("int8", "categorical", 0, "1 production, 2 living, 3 ecological"),
    "population": LayerSpec("float32", "continuous", np.nan, "persons per cell"),
    "built_up": LayerSpec("bool", "mask", 0, "bool"),
    "idle_construction": LayerSpec("bool", "mask", 0, "bool"),
    "eco_redline": LayerSpec("bool", "mask", 0, "bool"),
    "basic_farmland": LayerSpec("bool", "mask", 0, "bool"),
    "urban_boundary": LayerSpec("bool", "mask", 0, "bool"),
    "water": LayerSpec("bool", "mask", 0, "bool"),
    "road_class": LayerSpec("int8", "categorical", 0, "0 none, 1 expressway ... 4 local"),
    "tt_county_seat_min": LayerSpec("float32", "continuous", np.nan, "min"),
    "tt_prefecture_min": LayerSpec("float32", "continuous", np.nan, "min"),
    "tt_nearest_settlement_min": LayerSpec("float32", "continuous", np.nan, "min"),
}

#: Default speed by road class (km/h): 1 expressway 100 (JTG B01-2014 design speed 100–120),
#: 2 national / class-I highway 60, 3 provincial / county road 40, 4 local / village road 25.
ROAD_SPEEDS_KMH: dict[int, float] = {1: 100.0, 2: 60.0, 3: 40.0, 4: 25.0}

SETTLEMENT_KINDS = ("county_seat", "prefecture", "township", "village")


def empty_settlements(crs: CRS) -> gpd.GeoDataFrame:
    """A settlements frame with the contract's columns and no rows."""
    return gpd.GeoDataFrame(
        {
            "name": np.array([], dtype=object),
            "kind": np.array([], dtype=object),
            "population": np.array([], dtype="float64"),
        },
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def empty_roads(crs: CRS) -> gpd.GeoDataFrame:
    """A roads frame with the contract's columns and no rows."""
    return gpd.GeoDataFrame(
        {
            "road_class": np.array([], dtype="int8"),
            "speed_kmh": np.array([], dtype="float64"),
            "u": np.array([], dtype="int64"),
            "v": np.array([], dtype="int64"),
            "length_m": np.array([], dtype="float64"),
        },
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


@dataclass(frozen=True)
class GridSpec:
    """Geometry of a grid: CRS (projected, metres), cell size, shape and north-up transform."""

    crs: CRS
    cell_size_m: float
    x0: float  # west edge
    y0: float  # north edge
    width: int
    height: int

    @property
    def transform(self) -> Affine:
        """North-up affine transform of the grid."""
        return Affine(self.cell_size_m, 0.0, self.x0, 0.0, -self.cell_size_m, self.y0)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in metres."""
        return (
            self.x0,
            self.y0 - self.height * self.cell_size_m,
            self.x0 + self.width * self.cell_size_m,
            self.y0,
        )

    def coords(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Cell-centre coordinates ``(x, y)``; ``y`` descending."""
        c = self.cell_size_m
        x = self.x0 + c * (np.arange(self.width, dtype=np.float64) + 0.5)
        y = self.y0 - c * (np.arange(self.height, dtype=np.float64) + 0.5)
        return x.astype(np.float64), y.astype(np.float64)


def grid_spec_for(
    bounds: tuple[float, float, float, float], *, crs: object, cell_size_m: float = 100.0
) -> GridSpec:
    """Grid snapped to multiples of ``cell_size_m`` that covers ``bounds`` (west, south, east, north).

    Raises
    ------
    CRSError
        If ``crs`` is not projected in metres.
    InputDataError
        If ``cell_size_m`` is not positive or the bounds are empty.
    """
    parsed = require_projected_metres(crs, parameter="grid crs")
    if not (cell_size_m > 0 and math.isfinite(cell_size_m)):
        raise InputDataError(
            f"cell_size_m: got {cell_size_m!r}; give a positive cell size in metres (e.g. 100)."
        )
    west, south, east, north = bounds
    if not (east > west and north > south):
        raise InputDataError(f"bounds: got {bounds!r}, an empty extent; check the county polygon.")
    x0 = math.floor(west / cell_size_m) * cell_size_m
    y0 = math.ceil(north / cell_size_m) * cell_size_m
    width = max(1, math.ceil((east - x0) / cell_size_m))
    height = max(1, math.ceil((y0 - south) / cell_size_m))
    return GridSpec(parsed, float(cell_size_m), x0, y0, width, height)


def slope_percent(elevation_m: npt.ArrayLike, cell_size_m: float) -> npt.NDArray[np.float32]:
    """Slope in percent (100 · tan θ) by Horn's (1981) third-order finite difference.

    .. math::
        \\partial z/\\partial x = ((c + 2f + i) - (a + 2d + g)) / (8 Δ), \\quad
        \\partial z/\\partial y = ((g + 2h + i) - (a + 2b + c)) / (8 Δ), \\quad
        s = 100 \\sqrt{(\\partial z/\\partial x)^2 + (\\partial z/\\partial y)^2}

    for the 3 × 3 window ``a b c / d e f / g h i``. Edges are padded by replication (the edge
    derivative becomes one-sided); NaN cells (outside the county) take the nearest valid
    elevation before differencing and stay NaN in the result. Source: Horn, B. K. P. (1981), Hill shading
    and the reflectance map, Proc. IEEE 69(1):14–47; same kernel as GDAL ``gdaldem slope -p``.
    """
    z = np.asarray(elevation_m, dtype=np.float32)
    nan = np.isnan(z)
    if nan.any() and (~nan).any():
        # outside cells take the value of the nearest valid cell, so the edge is one-sided too
        from scipy.ndimage import distance_transform_edt

        idx = distance_transform_edt(nan, return_distances=False, return_indices=True)
        z = z[tuple(idx)]
    p = np.pad(z, 1, mode="edge")
    a, b, c = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    d, f = p[1:-1, :-2], p[1:-1, 2:]
    g, h, i = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    scale = np.float32(1.0 / (8.0 * cell_size_m))
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) * scale
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) * scale
    out = np.hypot(dzdx, dzdy) * np.float32(100.0)
    out[nan] = np.nan
    return out.astype(np.float32, copy=False)


def _transform_from_coords(x: npt.NDArray[Any], y: npt.NDArray[Any], cell: float) -> Affine:
    return Affine(cell, 0.0, float(x[0]) - cell / 2, 0.0, -cell, float(y[0]) + cell / 2)


@dataclass(frozen=True)
class CountyGrid:
    """Raster layers of one county on one grid, with its polygon, settlements, roads and sources.

    Attributes
    ----------
    layers
        Dataset with dims ``("y", "x")``; attrs ``crs`` (WKT), ``cell_size_m``, ``synthetic``.
    boundary
        County polygon in the grid CRS.
    settlements
        Points with ``name``, ``kind`` (county_seat, prefecture, township, village),
        ``population``.
    roads
        Lines with ``road_class``, ``speed_kmh``, ``u``, ``v`` (graph node ids), ``length_m``.
    sources
        Layer name -> provenance (``"synthetic: ..."`` for generated layers).
    metadata
        Free-form JSON-serialisable facts (adcode, name, targets, import report, seed).
    """

    layers: xr.Dataset
    boundary: BaseGeometry
    settlements: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    sources: Mapping[str, str]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for attr in ("crs", "cell_size_m", "synthetic"):
            if attr not in self.layers.attrs:
                raise InputDataError(
                    f"CountyGrid.layers: attribute {attr!r} is missing; set it on the Dataset "
                    "(crs as WKT, cell_size_m in metres, synthetic as bool)."
                )
        require_projected_metres(self.layers.attrs["crs"], parameter="CountyGrid.layers.crs")
        unknown = sorted({str(n) for n in self.layers.data_vars} - set(LAYER_SPECS))
        if unknown:
            raise InputDataError(
                f"CountyGrid.layers: unknown layer names {unknown}; allowed: {sorted(LAYER_SPECS)}."
            )

    @property
    def crs(self) -> CRS:
        """CRS of the grid (projected, metres)."""
        return CRS.from_wkt(self.layers.attrs["crs"])

    @property
    def cell_size_m(self) -> float:
        """Cell edge length in metres."""
        return float(self.layers.attrs["cell_size_m"])

    @property
    def synthetic(self) -> bool:
        """True if any layer was generated rather than read from data."""
        return bool(self.layers.attrs["synthetic"])

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return (self.layers.sizes["y"], self.layers.sizes["x"])

    @property
    def transform(self) -> Affine:
        """North-up affine transform (rasterio) of the grid."""
        return _transform_from_coords(
            self.layers["x"].values, self.layers["y"].values, self.cell_size_m
        )

    @property
    def spec(self) -> GridSpec:
        """The grid geometry."""
        t = self.transform
        return GridSpec(self.crs, self.cell_size_m, t.c, t.f, self.shape[1], self.shape[0])

    @property
    def mask(self) -> npt.NDArray[np.bool_]:
        """Cells whose centre lies inside the county polygon."""
        from rasterio.features import geometry_mask

        outside = geometry_mask([self.boundary], out_shape=self.shape, transform=self.transform)
        return np.asarray(~outside, dtype=bool)

    def with_layers(
        self, *, sources: Mapping[str, str] | None = None, **arrays: npt.ArrayLike
    ) -> CountyGrid:
        """A new grid with layers added or replaced (same shape) and their sources recorded."""
        ds = self.layers.copy()
        for name, arr in arrays.items():
            spec = LAYER_SPECS.get(name)
            if spec is None:
                raise InputDataError(f"layer {name!r} is not in LAYER_SPECS; use one of those.")
            ds[name] = (("y", "x"), np.asarray(arr).astype(spec.dtype, copy=False))
        merged = {**self.sources, **(sources or {})}
        return dataclasses.replace(self, layers=ds, sources=merged)

    # ------------------------------------------------------------------ disk
    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the grid folder atomically (see the module docstring for the layout).

        Raises
        ------
        FileExistsError
            If ``path`` exists and ``overwrite`` is false.
        """
        target = Path(path)
        if target.exists() and not overwrite:
            raise FileExistsError(
                f"out: {target} exists; pass overwrite=True (CLI: --force) or choose another folder."
            )
        with atomic_folder(target, replace=True) as tmp:
            self._write(tmp)
        logger.info(
            "county grid saved: %s (%d layers, %s cells)",
            target,
            len(self.layers.data_vars),
            self.shape,
        )
        return target

    def _write(self, folder: Path) -> None:
        (folder / "layers").mkdir()
        crs = self.crs
        h, w = self.shape
        for name in self.layers.data_vars:
            spec = LAYER_SPECS[str(name)]
            arr = self.layers[name].values
            dtype = "uint8" if spec.dtype == "bool" else spec.dtype
            nodata = spec.nodata
            profile = {
                "driver": "GTiff",
                "height": h,
                "width": w,
                "count": 1,
                "dtype": dtype,
                "crs": crs.to_wkt(),
                "transform": self.transform,
                "compress": "deflate",
                "tiled": w >= 256 and h >= 256,
                "nodata": None if spec.kind == "mask" else nodata,
            }
            if profile["tiled"]:
                profile.update(blockxsize=256, blockysize=256)
            with rasterio.open(folder / "layers" / f"{name}.tif", "w", **profile) as dst:
                dst.write(arr.astype(dtype, copy=False), 1)
                dst.update_tags(source=self.sources.get(str(name), "unknown"), unit=spec.unit)
        with rasterio.Env(OGR_CURRENT_DATE=FIXED_TIMESTAMP):
            gpd.GeoDataFrame({"name": ["county"]}, geometry=[self.boundary], crs=crs).to_file(
                folder / "boundary.gpkg", layer="boundary", driver="GPKG"
            )
            pyogrio.write_dataframe(
                self.settlements, folder / "settlements.gpkg", layer="settlements", driver="GPKG"
            )
            pyogrio.write_dataframe(self.roads, folder / "roads.gpkg", layer="roads", driver="GPKG")
        meta = {
            "format": "xiaozhen-county-grid/1",
            "crs": crs.to_wkt(),
            "cell_size_m": self.cell_size_m,
            "shape": [h, w],
            "transform": list(self.transform)[:6],
            "synthetic": self.synthetic,
            "layers": sorted(str(n) for n in self.layers.data_vars),
            "sources": dict(self.sources),
            "metadata": dict(self.metadata),
        }
        text = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True, default=_json_default)
        (folder / "metadata.json").write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CountyGrid:
        """Read a grid folder written by :meth:`save`.

        Raises
        ------
        InputDataError
            If the folder, its metadata or a layer file is missing or corrupt.
        """
        folder = Path(path)
        meta_path = folder / "metadata.json"
        if not meta_path.is_file():
            raise InputDataError(
                f"grid: {folder} has no metadata.json; give a folder written by "
                "`xiaozhen region import` or `xiaozhen region synth`."
            )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputDataError(
                f"grid: {meta_path} is not valid JSON ({exc}); rewrite the grid."
            ) from exc
        h, w = meta["shape"]
        cell = float(meta["cell_size_m"])
        t = Affine(*meta["transform"])
        x = t.c + cell * (np.arange(w) + 0.5)
        y = t.f - cell * (np.arange(h) + 0.5)
        data_vars = {}
        for name in meta["layers"]:
            spec = LAYER_SPECS[name]
            file = folder / "layers" / f"{name}.tif"
            try:
                with rasterio.open(file) as src:
                    arr = src.read(1)
            except rasterio.errors.RasterioIOError as exc:
                raise InputDataError(
                    f"grid: layer file {file} is missing or corrupt ({exc})."
                ) from exc
            data_vars[name] = (("y", "x"), arr.astype(spec.dtype, copy=False))
        ds = xr.Dataset(
            data_vars,
            coords={"x": x, "y": y},
            attrs={"crs": meta["crs"], "cell_size_m": cell, "synthetic": bool(meta["synthetic"])},
        )
        boundary = gpd.read_file(folder / "boundary.gpkg").geometry.iloc[0]
        settlements = gpd.read_file(folder / "settlements.gpkg")
        roads = gpd.read_file(folder / "roads.gpkg")
        return cls(
            layers=ds,
            boundary=boundary,
            settlements=settlements,
            roads=roads,
            sources=dict(meta["sources"]),
            metadata=dict(meta.get("metadata", {})),
        )


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def new_layers(spec: GridSpec, *, synthetic: bool) -> xr.Dataset:
    """An empty layer Dataset on ``spec`` with the contract's attrs."""
    x, y = spec.coords()
    return xr.Dataset(
        coords={"x": x, "y": y},
        attrs={"crs": spec.crs.to_wkt(), "cell_size_m": spec.cell_size_m, "synthetic": synthetic},
    )
