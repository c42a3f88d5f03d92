"""Import user layers into one county grid: reproject, resample, clip, align — and say what was done.

A TOML file maps layer names (docs/HELPERS_CONTRACT.md) to files::

    [grid]
    boundary = "county.gpkg"     # or: adcode = "330127" (bundled Zhejiang county)
    crs = "EPSG:32651"           # projected, metres; needed if the boundary is geographic
    cell_size_m = 100
    max_nodata_share = 0.5       # of the county's cells, per raster layer

    [layers.elevation_m]
    path = "dem.tif"             # GeoTIFF (rasterio)

    [layers.landcover]
    path = "worldcover.tif"
    classes = "esa_worldcover"   # gbt21010 (三调), modis_igbp, esa_worldcover or a CSV path
    nodata = 0

    [layers.eco_redline]
    path = "redline.gpkg"        # GeoPackage / GeoJSON / Shapefile (pyogrio): rasterised

    [layers.population]
    path = "villages.csv"        # CSV with coordinates: summed per cell
    x = "lon"
    y = "lat"
    crs = "EPSG:4326"
    value = "pop"

    [layers.roads]
    path = "county.osm.pbf"      # OSM PBF (pyrosm, extra `osm`) or lines with `value` = class column

    [layers.settlements]
    path = "settlements.csv"     # name, kind, population + coordinates

Resampling is chosen by layer kind (:data:`~xiaozhen.region.grid.LAYER_SPECS`): categorical and
mask layers by **mode** when source cells are smaller than grid cells (aggregation) and by
**nearest** neighbour otherwise — so class codes are never averaged; continuous layers by average (aggregation) or bilinear (refinement). Rasters are
warped with :func:`rasterio.warp.reproject`, vectors burned with
:func:`rasterio.features.rasterize` (cell centres; lines with ``all_touched``), points summed.
"""

from __future__ import annotations

import logging
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import rasterio
import shapely
from pydantic import Field, ValidationError, field_validator
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.features import geometry_mask, rasterize
from rasterio.warp import reproject, transform_bounds
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from xiaozhen._model import FrozenModel, validation_problems
from xiaozhen.errors import ConfigError, CRSError, InputDataError
from xiaozhen.region.classes import class_table_path, ple_of_codes
from xiaozhen.region.grid import (
    LAYER_SPECS,
    ROAD_SPEEDS_KMH,
    CountyGrid,
    GridSpec,
    empty_roads,
    empty_settlements,
    grid_spec_for,
    new_layers,
    slope_percent,
)

__all__ = [
    "OSM_ROAD_CLASS",
    "GridConfig",
    "ImportConfig",
    "LayerSource",
    "align_raster",
    "import_grid",
    "load_import_config",
    "roads_from_osm",
]

logger = logging.getLogger(__name__)

#: OSM ``highway`` value -> road class (1 expressway, 2 national/arterial, 3 provincial/county,
#: 4 local). Anything else drivable is 4.
OSM_ROAD_CLASS: dict[str, int] = {
    **dict.fromkeys(["motorway", "motorway_link", "trunk", "trunk_link"], 1),
    **dict.fromkeys(["primary", "primary_link"], 2),
    **dict.fromkeys(["secondary", "secondary_link", "tertiary", "tertiary_link"], 3),
}

VECTOR_LAYERS = ("roads", "settlements")
_RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img"}
_CLASS_SENTINEL = -32768


class LayerSource(FrozenModel):
    """One input file for one layer."""

    path: Path = Field(description="GeoTIFF, GeoPackage/GeoJSON/Shapefile, OSM PBF or CSV.")
    layer: str | None = Field(None, description="Layer name inside a multi-layer vector file.")
    crs: str | None = Field(None, description="CRS of the file if it has none (CSV always).")
    nodata: float | None = Field(
        None,
        allow_inf_nan=True,
        description="Nodata value if the file does not declare one (nan allowed).",
    )
    classes: str | None = Field(None, description="Class scheme or CSV (landcover only).")
    value: str | None = Field(None, description="Attribute / CSV column to burn (default: 1).")
    x: str = Field("x", description="CSV column of x / longitude.")
    y: str = Field("y", description="CSV column of y / latitude.")
    band: int = Field(1, ge=1, description="Raster band.")
    network_type: str = Field("driving", description="pyrosm network type for OSM roads.")


class GridConfig(FrozenModel):
    """The target grid."""

    boundary: Path | None = Field(None, description="County polygon file (features dissolved).")
    boundary_layer: str | None = None
    adcode: str | None = Field(None, description="Bundled Zhejiang county instead of a file.")
    crs: str | None = Field(None, description="Projected CRS in metres of the grid.")
    cell_size_m: float = Field(100.0, gt=0, description="Cell edge in metres.")
    max_nodata_share: float = Field(
        0.5, ge=0, le=1, description="Per raster layer, of county cells."
    )


class ImportConfig(FrozenModel):
    """A parsed import TOML (paths resolved against the TOML's folder)."""

    grid: GridConfig
    layers: dict[str, LayerSource]

    @field_validator("layers")
    @classmethod
    def _known_names(cls, value: dict[str, LayerSource]) -> dict[str, LayerSource]:
        allowed = set(LAYER_SPECS) | set(VECTOR_LAYERS)
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown layer names {unknown}; allowed: {sorted(allowed)}")
        return value


def load_import_config(path: str | Path) -> ImportConfig:
    """Read and validate an import TOML; relative paths are resolved against its folder.

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or a key or value is wrong (all problems listed).
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config: {p} does not exist; give the path of an import TOML file.")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {p} is not valid TOML ({exc}).") from exc
    base = p.parent
    for src in raw.get("layers", {}).values():
        if isinstance(src, dict) and "path" in src:
            src["path"] = str(base / src["path"])
    grid = raw.get("grid", {})
    if isinstance(grid, dict) and "boundary" in grid:
        grid["boundary"] = str(base / grid["boundary"])
    try:
        return ImportConfig.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc, ImportConfig)
        listing = "\n  - ".join(problems)
        raise ConfigError(f"config {p}: {len(problems)} problem(s):\n  - {listing}") from None


# ---------------------------------------------------------------------------------- helpers
def _read_vector(src: LayerSource, name: str) -> gpd.GeoDataFrame:
    path = src.path
    if not path.is_file():
        raise InputDataError(f"layer {name}: file {path} does not exist; fix `path`.")
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path)
            missing = [c for c in (src.x, src.y) if c not in table.columns]
            if missing:
                raise InputDataError(
                    f"layer {name}: CSV {path} has no columns {missing}; set `x` and `y` to the "
                    f"coordinate columns (found {list(table.columns)})."
                )
            if src.crs is None:
                raise CRSError(
                    f'layer {name}: CSV {path} has no CRS; set `crs` (e.g. "EPSG:4326").'
                )
            frame = gpd.GeoDataFrame(
                table, geometry=gpd.points_from_xy(table[src.x], table[src.y]), crs=src.crs
            )
        else:
            frame = pyogrio.read_dataframe(path, layer=src.layer)
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        UnicodeDecodeError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    ) as exc:
        raise InputDataError(f"layer {name}: cannot read {path} ({exc}); is it corrupt?") from exc
    if len(frame) == 0:
        raise InputDataError(f"layer {name}: {path} has no features; give a non-empty file.")
    if frame.crs is None:
        if src.crs is None:
            raise CRSError(f"layer {name}: {path} has no CRS; set `crs` for the layer.")
        frame = frame.set_crs(src.crs)
    return frame


def _check_overlap(
    name: str, path: Path, bounds: tuple[float, ...], spec: GridSpec, boundary: BaseGeometry
) -> bool:
    """Raise if ``bounds`` (grid CRS) miss the county; return whether the source covers it all."""
    footprint = box(*bounds)
    if not footprint.intersects(boundary):
        w, s, e, n = spec.bounds
        raise InputDataError(
            f"layer {name}: {path} (extent {tuple(round(b) for b in bounds)} in the grid CRS) "
            f"does not overlap the county (extent {(round(w), round(s), round(e), round(n))}); "
            "check the file and its CRS."
        )
    return bool(footprint.contains(boundary))


def align_raster(
    path: str | Path,
    spec: GridSpec,
    *,
    kind: Literal["continuous", "categorical", "mask"],
    name: str = "layer",
    band: int = 1,
    src_crs: str | None = None,
    nodata: float | None = None,
    boundary: BaseGeometry | None = None,
) -> tuple[npt.NDArray[Any], dict[str, Any]]:
    """Warp one raster band onto ``spec`` and report what was done.

    Resampling: categorical / mask → mode if the source cells are smaller than the grid's
    (aggregation), nearest otherwise; continuous → average or bilinear likewise.

    Returns
    -------
    (array, report)
        ``float32`` with NaN for continuous layers, ``int32`` with ``-32768`` as nodata for
        categorical and mask layers; the report holds source CRS and resolution, resampling,
        whether it was reprojected and clipped, and the nodata share inside ``boundary``.

    Raises
    ------
    InputDataError
        File missing, corrupt or not overlapping the county.
    CRSError
        The raster has no CRS and none was given.
    """
    p = Path(path)
    if not p.is_file():
        raise InputDataError(f"layer {name}: file {p} does not exist; fix `path`.")
    try:
        src = rasterio.open(p)
    except rasterio.errors.RasterioIOError as exc:
        raise InputDataError(
            f"layer {name}: cannot open {p} as a raster ({exc}); is it corrupt?"
        ) from exc
    with src:
        crs = (
            src.crs if src.crs is not None else (CRS.from_user_input(src_crs) if src_crs else None)
        )
        if crs is None:
            raise CRSError(f"layer {name}: {p} has no CRS; set `crs` for the layer in the TOML.")
        if src.width == 0 or src.height == 0:
            raise InputDataError(f"layer {name}: {p} is empty (0 cells).")
        src_nodata = src.nodata if nodata is None else nodata
        grid_bounds = transform_bounds(crs, spec.crs, *src.bounds, densify_pts=21)
        county = boundary if boundary is not None else box(*spec.bounds)
        covers = _check_overlap(name, p, grid_bounds, spec, county)
        # source cell size measured in the grid CRS
        src_res = math.sqrt(
            (grid_bounds[2] - grid_bounds[0])
            * (grid_bounds[3] - grid_bounds[1])
            / (src.width * src.height)
        )
        coarsen = src_res < spec.cell_size_m
        if kind == "continuous":
            resampling = Resampling.average if coarsen else Resampling.bilinear
            out = np.full(spec.shape, np.nan, dtype=np.float32)
            dst_nodata: float = np.nan
        else:
            resampling = Resampling.mode if coarsen else Resampling.nearest
            out = np.full(spec.shape, _CLASS_SENTINEL, dtype=np.int32)
            dst_nodata = _CLASS_SENTINEL
        try:
            data = src.read(band)
        except (rasterio.errors.RasterioIOError, IndexError) as exc:
            raise InputDataError(f"layer {name}: cannot read band {band} of {p} ({exc}).") from exc
        if kind != "continuous":
            data = data.astype(np.int32)
        reproject(
            source=data,
            destination=out,
            src_transform=src.transform,
            src_crs=crs,
            src_nodata=src_nodata,
            dst_transform=spec.transform,
            dst_crs=spec.crs,
            dst_nodata=dst_nodata,
            resampling=resampling,
        )
        inside = ~geometry_mask([county], out_shape=spec.shape, transform=spec.transform)
        missing = np.isnan(out) if kind == "continuous" else out == _CLASS_SENTINEL
        share = float(missing[inside].mean()) if inside.any() else 1.0
        report: dict[str, Any] = {
            "source": str(p),
            "source_crs": crs.to_string(),
            "reprojected": CRS.from_user_input(crs) != spec.crs,
            "source_cell_m": round(src_res, 3),
            "resampling": resampling.name,
            "clipped": True,
            "covers_county": covers,
            "nodata_share": round(share, 6),
        }
        if kind != "continuous":
            report["class_codes"] = sorted(int(c) for c in np.unique(out[inside & ~missing]))
        logger.info(
            "aligned %s: %s -> %s, %s, nodata %.1f %%",
            name,
            report["source_crs"],
            spec.crs.name,
            resampling.name,
            100 * share,
        )
        return out, report


def roads_from_osm(path: str | Path, *, network_type: str = "driving") -> gpd.GeoDataFrame:
    """Road edges of an OSM PBF as parsed by pyrosm, with road class and speed.

    Keeps pyrosm's graph exactly: one row per edge with node ids ``u``, ``v``; adds
    ``road_class`` (:data:`OSM_ROAD_CLASS`), ``speed_kmh`` (OSM ``maxspeed`` where numeric, else the
    class default) and ``length_m`` (pyrosm's).

    Raises
    ------
    ConfigError
        If pyrosm is not installed (install hint in the message).
    InputDataError
        If the file cannot be parsed or holds no roads.
    """
    try:
        import pyrosm
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "roads: reading OSM PBF needs pyrosm; install it with `pip install 'xiaozhen[osm]'` "
            "or give the roads as a GeoPackage with a class column."
        ) from exc
    p = Path(path)
    if not p.is_file():
        raise InputDataError(f"layer roads: file {p} does not exist; fix `path`.")
    try:
        osm = pyrosm.OSM(str(p))
        result = osm.get_network(nodes=True, network_type=network_type)
    except Exception as exc:  # pyrosm raises bare exceptions on corrupt files
        raise InputDataError(
            f"layer roads: cannot parse {p} as OSM PBF ({exc}); is it corrupt?"
        ) from exc
    if result is None:
        raise InputDataError(f"layer roads: {p} holds no {network_type} roads.")
    _nodes, edges = result
    highway = edges["highway"].astype(str)
    road_class = highway.map(OSM_ROAD_CLASS).fillna(4).astype(np.int8)
    default = road_class.map(ROAD_SPEEDS_KMH).astype(float)
    maxspeed = (
        pd.to_numeric(edges.get("maxspeed"), errors="coerce")
        if "maxspeed" in edges
        else default * np.nan
    )
    out = gpd.GeoDataFrame(
        {
            "road_class": road_class.to_numpy(),
            "speed_kmh": np.where(maxspeed.notna() & (maxspeed > 0), maxspeed, default),
            "u": edges["u"].astype(np.int64).to_numpy(),
            "v": edges["v"].astype(np.int64).to_numpy(),
            "length_m": edges["length"].astype(float).to_numpy(),
            "highway": highway.to_numpy(),
        },
        geometry=edges.geometry.values,
        crs=edges.crs,
    )
    logger.info("OSM roads: %d edges, %d nodes from %s", len(out), len(_nodes), p.name)
    return out


def _boundary(cfg: GridConfig) -> tuple[BaseGeometry, CRS]:
    if (cfg.boundary is None) == (cfg.adcode is None):
        raise ConfigError(
            "grid: give exactly one of `boundary` (a polygon file) or `adcode` (bundled county)."
        )
    if cfg.adcode is not None:
        from xiaozhen.region.crs import EQUAL_AREA_CRS
        from xiaozhen.region.province import load_counties

        counties = load_counties(cfg.crs or EQUAL_AREA_CRS)
        if cfg.adcode not in counties.index:
            raise ConfigError(f"grid.adcode: {cfg.adcode!r} is not a bundled Zhejiang county.")
        return counties.loc[cfg.adcode].geometry, CRS.from_user_input(counties.crs)
    frame = _read_vector(LayerSource(path=cfg.boundary, layer=cfg.boundary_layer), "boundary")
    target = CRS.from_user_input(cfg.crs) if cfg.crs else CRS.from_user_input(frame.crs)
    if not target.is_projected:
        raise CRSError(
            f"grid: the boundary {cfg.boundary} is in {target.name!r} (degrees) and no projection "
            'was given; set `crs` in [grid] to a projected CRS in metres (e.g. "EPSG:32651", '
            "UTM 51N, or the equal-area CRS of xiaozhen.region.EQUAL_AREA_CRS)."
        )
    geom = shapely.union_all(frame.to_crs(target).geometry.values)
    return geom, target


def import_grid(config: str | Path | ImportConfig) -> CountyGrid:
    """Build a :class:`CountyGrid` from an import TOML (see the module docstring).

    Derived layers: ``slope_pct`` from ``elevation_m`` (Horn 1981) unless given; ``ple`` from
    ``landcover`` through its class table. ``metadata["import_report"]`` records, per layer, the
    source, its CRS and cell size, whether it was reprojected, the resampling, clipping, nodata
    share and class codes found.

    Raises
    ------
    ConfigError, CRSError, InputDataError
        With the layer name, what was found and the fix.
    """
    cfg = config if isinstance(config, ImportConfig) else load_import_config(config)
    boundary, crs = _boundary(cfg.grid)
    spec = grid_spec_for(boundary.bounds, crs=crs, cell_size_m=cfg.grid.cell_size_m)
    inside = ~geometry_mask([boundary], out_shape=spec.shape, transform=spec.transform)
    ds = new_layers(spec, synthetic=False)
    sources: dict[str, str] = {"boundary": str(cfg.grid.boundary or f"bundled {cfg.grid.adcode}")}
    report: dict[str, dict[str, Any]] = {}
    roads = empty_roads(spec.crs)
    settlements = empty_settlements(spec.crs)
    problems: list[str] = []
    landcover_scheme: str | None = None
    for name, src in cfg.layers.items():
        if name == "roads":
            roads, road_raster, rep = _import_roads(src, spec, boundary)
            ds["road_class"] = (("y", "x"), road_raster)
            sources["road_class"] = sources["roads"] = str(src.path)
            report["roads"] = rep
            continue
        if name == "settlements":
            settlements, rep = _import_settlements(src, spec, boundary)
            sources["settlements"] = str(src.path)
            report["settlements"] = rep
            continue
        lspec = LAYER_SPECS[name]
        if src.path.suffix.lower() in _RASTER_SUFFIXES:
            arr, rep = align_raster(
                src.path,
                spec,
                kind=lspec.kind,
                name=name,
                band=src.band,
                src_crs=src.crs,
                nodata=src.nodata,
                boundary=boundary,
            )
            if rep["nodata_share"] > cfg.grid.max_nodata_share:
                problems.append(
                    f"layer {name}: {100 * rep['nodata_share']:.1f} % of the county's cells have "
                    f"no data (limit {100 * cfg.grid.max_nodata_share:.0f} %, grid.max_nodata_share); "
                    "give a file that covers the county or raise the limit"
                )
        else:
            arr, rep = _rasterize_vector(src, spec, boundary, name, lspec.kind)
        if name == "landcover":
            scheme = src.classes or "gbt21010"
            landcover_scheme = scheme
            rep["class_table"] = str(class_table_path(scheme))
            valid = arr != _CLASS_SENTINEL
            ple = ple_of_codes(
                np.where(valid, arr, _CLASS_SENTINEL),
                scheme,
                nodata=_CLASS_SENTINEL,
                parameter="layer landcover",
            )
            ds["ple"] = (("y", "x"), ple)
            sources["ple"] = f"derived: PLE of landcover via {scheme}"
        if lspec.kind == "mask":
            arr = (arr > 0) & (arr != _CLASS_SENTINEL)
        elif lspec.kind == "categorical":
            arr = np.where(arr == _CLASS_SENTINEL, lspec.nodata, arr)
        ds[name] = (("y", "x"), np.asarray(arr).astype(lspec.dtype))
        sources[name] = str(src.path)
        report[name] = rep
    if problems:
        raise InputDataError("; ".join(problems) + ".")
    if "elevation_m" in ds and "slope_pct" not in ds:
        ds["slope_pct"] = (("y", "x"), slope_percent(ds["elevation_m"].values, spec.cell_size_m))
        sources["slope_pct"] = "derived: Horn (1981) slope of elevation_m"
    for var in list(ds.data_vars):
        if LAYER_SPECS[str(var)].kind == "continuous" and str(var) != "population":
            ds[var] = ds[var].where(inside)
    metadata = {
        "synthetic": False,
        "import_report": report,
        "landcover_scheme": landcover_scheme,
        "area_km2": float(boundary.area) / 1e6,
    }
    grid = CountyGrid(ds, boundary, settlements, roads, sources, metadata)
    logger.info("imported grid: %d layers, %d x %d cells", len(ds.data_vars), *spec.shape)
    return grid


def _rasterize_vector(
    src: LayerSource, spec: GridSpec, boundary: BaseGeometry, name: str, kind: str
) -> tuple[npt.NDArray[Any], dict[str, Any]]:
    frame = _read_vector(src, name)
    src_crs = CRS.from_user_input(frame.crs)
    frame = frame.to_crs(spec.crs)
    covers = _check_overlap(name, src.path, tuple(frame.total_bounds), spec, boundary)
    geoms = frame.geometry.values
    if src.value is not None and src.value not in frame.columns:
        raise InputDataError(
            f"layer {name}: {src.path} has no column {src.value!r} (`value`); found "
            f"{[c for c in frame.columns if c != 'geometry']}."
        )
    values = frame[src.value].to_numpy() if src.value else np.ones(len(frame))
    points = bool(np.all(shapely.get_type_id(geoms) == 0))
    if points:
        t = spec.transform
        col = np.floor((shapely.get_x(geoms) - t.c) / t.a).astype(np.int64)
        row = np.floor((shapely.get_y(geoms) - t.f) / t.e).astype(np.int64)
        ok = (row >= 0) & (row < spec.height) & (col >= 0) & (col < spec.width)
        out = np.zeros(spec.shape, dtype=np.float64)
        np.add.at(out, (row[ok], col[ok]), values[ok].astype(np.float64))
        method = "sum of points per cell"
        arr: npt.NDArray[Any] = (
            out.astype(np.float32) if kind == "continuous" else out.astype(np.int32)
        )
    else:
        if kind == "categorical":
            values = pd.to_numeric(
                pd.Series(values).astype(str).str.lstrip("0").replace("", "0"), errors="coerce"
            ).to_numpy()
            if np.isnan(values).any():
                raise InputDataError(f"layer {name}: column {src.value!r} holds non-numeric codes.")
        lines = bool(np.all(np.isin(shapely.get_type_id(geoms), [1, 5])))
        fill = _CLASS_SENTINEL if kind == "categorical" else (0 if kind == "mask" else np.nan)
        arr = rasterize(
            zip(geoms, values.astype(np.float64), strict=True),
            out_shape=spec.shape,
            transform=spec.transform,
            fill=fill,
            all_touched=lines,
            dtype="float32" if kind == "continuous" else "int32",
        )
        method = "rasterize (all touched)" if lines else "rasterize (cell centres)"
    rep: dict[str, Any] = {
        "source": str(src.path),
        "source_crs": src_crs.to_string(),
        "reprojected": src_crs != spec.crs,
        "resampling": method,
        "clipped": True,
        "covers_county": covers,
        "features": len(frame),
    }
    if kind != "continuous":
        inside = ~geometry_mask([boundary], out_shape=spec.shape, transform=spec.transform)
        rep["class_codes"] = sorted(int(c) for c in np.unique(arr[inside]) if c != _CLASS_SENTINEL)
    return arr, rep


def _import_roads(
    src: LayerSource, spec: GridSpec, boundary: BaseGeometry
) -> tuple[gpd.GeoDataFrame, npt.NDArray[np.int8], dict[str, Any]]:
    if src.path.name.lower().endswith(".pbf"):
        edges = roads_from_osm(src.path, network_type=src.network_type)
        how = f"pyrosm get_network({src.network_type!r})"
    else:
        edges = _read_vector(src, "roads")
        cls_col = src.value or "road_class"
        if cls_col not in edges.columns:
            raise InputDataError(
                f"layer roads: {src.path} has no class column {cls_col!r}; set `value` to the "
                "column holding road classes 1–4."
            )
        edges = edges.rename(columns={cls_col: "road_class"})
        edges["road_class"] = edges["road_class"].astype(np.int8)
        edges["speed_kmh"] = edges["road_class"].map(ROAD_SPEEDS_KMH).astype(float)
        edges["u"] = np.arange(len(edges), dtype=np.int64) * 2
        edges["v"] = edges["u"] + 1
        how = f"lines with class column {cls_col!r}"
    src_crs = CRS.from_user_input(edges.crs)
    edges = edges.to_crs(spec.crs)
    covers = _check_overlap("roads", src.path, tuple(edges.total_bounds), spec, boundary)
    keep = edges.intersects(boundary)
    edges = edges.loc[keep].reset_index(drop=True)
    edges["length_m"] = edges.geometry.length
    bad = sorted(set(edges["road_class"].unique()) - set(ROAD_SPEEDS_KMH))
    if bad:
        raise InputDataError(f"layer roads: road classes {bad} unknown; use 1–4.")
    # best (lowest) class wins: burn worst first
    order = np.argsort(-edges["road_class"].to_numpy(), kind="stable")
    raster = rasterize(
        zip(edges.geometry.values[order], edges["road_class"].to_numpy()[order], strict=True),
        out_shape=spec.shape,
        transform=spec.transform,
        fill=0,
        all_touched=True,
        dtype="uint8",
    ).astype(np.int8)
    cols = ["road_class", "speed_kmh", "u", "v", "length_m"]
    roads = gpd.GeoDataFrame(edges[cols], geometry=edges.geometry.values, crs=spec.crs)
    nodes = np.unique(np.r_[roads["u"].to_numpy(), roads["v"].to_numpy()])
    rep = {
        "source": str(src.path),
        "source_crs": src_crs.to_string(),
        "reprojected": src_crs != spec.crs,
        "resampling": f"{how}; rasterize lines (all touched, best class wins)",
        "clipped": f"{int((~keep).sum())} edges outside the county dropped",
        "covers_county": covers,
        "edges": len(roads),
        "nodes": int(nodes.size),
        "class_codes": sorted(int(c) for c in np.unique(raster) if c),
    }
    return roads, raster, rep


def _import_settlements(
    src: LayerSource, spec: GridSpec, boundary: BaseGeometry
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    frame = _read_vector(src, "settlements")
    missing = [c for c in ("name", "kind") if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"layer settlements: {src.path} lacks columns {missing}; give name, kind "
            "(county_seat, prefecture, township, village) and population."
        )
    kinds = {"county_seat", "prefecture", "township", "village"}
    bad = sorted(set(frame["kind"].astype(str)) - kinds)
    if bad:
        raise InputDataError(f"layer settlements: unknown kinds {bad}; use {sorted(kinds)}.")
    src_crs = CRS.from_user_input(frame.crs)
    frame = frame.to_crs(spec.crs)
    pop = pd.to_numeric(frame.get("population", pd.Series(0.0, index=frame.index)), errors="coerce")
    out = gpd.GeoDataFrame(
        {
            "name": frame["name"].astype(str).to_numpy(),
            "kind": frame["kind"].astype(str).to_numpy(),
            "population": pop.fillna(0.0).to_numpy(dtype=float),
        },
        geometry=frame.geometry.values,
        crs=spec.crs,
    )
    rep = {
        "source": str(src.path),
        "source_crs": src_crs.to_string(),
        "reprojected": src_crs != spec.crs,
        "resampling": "points kept as vectors",
        "clipped": False,
        "features": len(out),
        "inside_county": int(out.within(boundary).sum()),
    }
    return out, rep
