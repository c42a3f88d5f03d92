"""Reading finished run folders: files, key indicators, charts and map layers.

Only files listed in a run's ``manifest.json`` (plus the manifest itself) are ever read or served,
and every path is resolved and checked to lie inside the run folder, so no request can reach a file
outside a known run (no path traversal, no symlink escape).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from xiaozhen.errors import InputDataError

__all__ = [
    "RunFileInfo",
    "layer_spec",
    "list_layers",
    "read_manifest",
    "resolve_run_file",
    "run_charts",
    "run_files",
    "run_indicators",
    "run_towns",
]

logger = logging.getLogger(__name__)

#: Columns whose categories colour a layer (town layouts, chosen towns by industry).
_CATEGORY_COLUMNS = (
    "land_use",
    "use",
    "ple",
    "category",
    "industry",
    "best_industry",
    "kind",
    "class",
)
#: Numeric columns that colour a layer when no category column exists.
_VALUE_COLUMNS = ("suitability", "score", "value", "closeness")
#: Largest layer served as GeoJSON (features).
MAX_FEATURES = 20_000


class RunFileNotFound(LookupError):
    """A file that is not part of the run (or does not exist)."""


@dataclass(frozen=True)
class RunFileInfo:
    """A downloadable file of a run."""

    path: str
    bytes: int
    sha256: str


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The run's manifest (cached by modification time)."""
    file = run_dir / "manifest.json"
    return _manifest(str(file), file.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _manifest(path: str, _mtime: int) -> dict[str, Any]:
    body = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(body, dict):
        raise InputDataError(f"{path}: manifest is not a JSON object")
    return body


def run_files(run_dir: Path) -> list[RunFileInfo]:
    """Files of the run listed in its manifest, and the manifest."""
    manifest = read_manifest(run_dir)
    out = []
    for rel, sha in sorted(dict(manifest.get("outputs_sha256", {})).items()):
        file = run_dir / rel
        if file.is_file():
            out.append(RunFileInfo(rel, file.stat().st_size, str(sha)))
    man = run_dir / "manifest.json"
    out.append(RunFileInfo("manifest.json", man.stat().st_size, ""))
    return out


def resolve_run_file(run_dir: Path, relative: str) -> Path:
    """The path of ``relative`` inside the run, if the manifest lists it and it stays inside.

    Raises
    ------
    RunFileNotFound
        For anything else: unlisted files, '..', absolute paths, symlinks leading outside.
    """
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or "\\" in relative or "\x00" in relative:
        raise RunFileNotFound(relative)
    listed = {f.path for f in run_files(run_dir)}
    if relative not in listed:
        raise RunFileNotFound(relative)
    root = run_dir.resolve()
    target = (root / pure).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise RunFileNotFound(relative)
    return target


def _number(value: Any) -> float | str | None:
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    return None if value is None else str(value)


def _csv(run_dir: Path, rel: str) -> pd.DataFrame | None:
    try:
        return pd.read_csv(run_dir / rel)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        logger.warning("run %s: cannot read %s (%s)", run_dir.name, rel, exc)
        return None


def _run_indicators(run_dir: Path) -> list[tuple[str, float | str | None, str]]:
    """Key indicators ``(name, value, source file)`` read from whatever the run holds.

    * the scenario's main levers (towns, budgets, balance share) from the manifest;
    * population and counties from ``region/counties.csv``;
    * every ``*indicators*.csv`` / ``*summary*.csv``: long form (columns ``indicator`` and
      ``value``) or one row of named values;
    * total run time from the manifest.
    """
    manifest = read_manifest(run_dir)
    out: list[tuple[str, float | str | None, str]] = []
    scenario = manifest.get("scenario", {})
    layout = scenario.get("layout", {}) if isinstance(scenario, dict) else {}
    for key in ("n_towns", "capital_budget_billion_yuan", "land_quota_km2", "balance_share"):
        if key in layout:
            out.append((f"scenario layout.{key}", _number(layout[key]), "scenario.toml"))
    outputs = sorted(dict(manifest.get("outputs_sha256", {})))
    if "region/counties.csv" in outputs:
        frame = _csv(run_dir, "region/counties.csv")
        if frame is not None and "pop_2020" in frame:
            out.append(("counties", float(len(frame)), "region/counties.csv"))
            out.append(("population 2020", _number(frame["pop_2020"].sum()), "region/counties.csv"))
            if "urban_pop_2020" in frame:
                share = frame["urban_pop_2020"].sum() / frame["pop_2020"].sum()
                out.append(("urbanisation 2020", _number(share), "region/counties.csv"))
    for rel in outputs:
        name = PurePosixPath(rel).name
        if not name.endswith(".csv") or not ("indicator" in name or "summary" in name):
            continue
        frame = _csv(run_dir, rel)
        if frame is None or frame.empty:
            continue
        cols = {c.lower(): c for c in frame.columns}
        if "indicator" in cols and "value" in cols:
            for label, value in zip(frame[cols["indicator"]], frame[cols["value"]], strict=True):
                out.append((str(label), _number(value), rel))
        elif len(frame) == 1:
            for column in frame.columns:
                out.append((str(column), _number(frame[column].iloc[0]), rel))
    timings = manifest.get("timings_s", {})
    if isinstance(timings, dict) and timings:
        out.append(
            ("run time (s)", _number(sum(float(v) for v in timings.values())), "manifest.json")
        )
    return out


def _run_charts(run_dir: Path, *, max_charts: int = 8) -> list[tuple[str, str]]:
    """SVG charts ``(caption, svg)`` of a run: stage timings, trajectories, indicator thresholds.

    Trajectories are read from CSVs with a ``year`` column: each numeric column ``v`` is a line,
    with ribbons from ``v_p05``/``v_p95`` and ``v_p25``/``v_p75`` when present. Indicator tables
    with ``indicator``, ``value``, ``threshold`` (and optional ``sense``) columns become bars
    against thresholds.
    """
    from xiaozhen.report.charts import Band, Series, bars_vs_threshold_svg, line_chart_svg

    manifest = read_manifest(run_dir)
    charts: list[tuple[str, str]] = []
    timings = manifest.get("timings_s", {})
    if isinstance(timings, dict) and timings:
        chart = bars_vs_threshold_svg(
            list(map(str, timings)),
            [float(v) for v in timings.values()],
            title="Stage timings",
            value_label="seconds",
        )
        charts.append(("Time per stage (s), from manifest.json.", chart.svg))
    for rel in sorted(dict(manifest.get("outputs_sha256", {}))):
        if not rel.endswith(".csv") or len(charts) >= max_charts:
            continue
        frame = _csv(run_dir, rel)
        if frame is None or frame.empty:
            continue
        cols = {c.lower(): c for c in frame.columns}
        if "year" in cols and len(frame) > 1:
            year = pd.to_numeric(frame[cols["year"]], errors="coerce").to_numpy(dtype=float)
            numeric = [
                c
                for c in frame.columns
                if c != cols["year"] and pd.api.types.is_numeric_dtype(frame[c])
            ]
            bases = [
                c
                for c in numeric
                if not any(c.endswith(s) for s in ("_p05", "_p95", "_p25", "_p75"))
            ]
            for base in bases[: max_charts - len(charts)]:
                bands = tuple(
                    Band(
                        frame[f"{base}_{lo}"].to_numpy(float),
                        frame[f"{base}_{hi}"].to_numpy(float),
                        label,
                    )
                    for lo, hi, label in (("p05", "p95", "5–95 %"), ("p25", "p75", "25–75 %"))
                    if f"{base}_{lo}" in frame and f"{base}_{hi}" in frame
                )
                try:
                    chart = line_chart_svg(
                        [Series(base, year, frame[base].to_numpy(float), bands=bands)],
                        title=base,
                        y_label=base,
                    )
                except InputDataError:
                    continue
                charts.append((f"{base} by year ({rel}).", chart.svg))
        elif {"indicator", "value", "threshold"} <= set(cols):
            senses = (
                [("max" if str(s).lower() == "max" else "min") for s in frame[cols["sense"]]]
                if "sense" in cols
                else "min"
            )
            thresholds = [None if pd.isna(t) else float(t) for t in frame[cols["threshold"]]]
            try:
                chart = bars_vs_threshold_svg(
                    [str(v) for v in frame[cols["indicator"]]],
                    pd.to_numeric(frame[cols["value"]], errors="coerce").to_numpy(float),
                    thresholds,
                    senses=senses,  # type: ignore[arg-type]
                    title=f"Indicators against thresholds ({PurePosixPath(rel).name})",
                )
            except InputDataError:
                continue
            charts.append((f"Indicators against thresholds ({rel}).", chart.svg))
    return charts


def _list_layers(run_dir: Path) -> list[tuple[str, str, str | None, int]]:
    """Map layers of a run: ``(file, layer, geometry type, features)`` of every GeoPackage."""
    import pyogrio

    out = []
    for info in run_files(run_dir):
        if not info.path.endswith(".gpkg"):
            continue
        try:
            layers = pyogrio.list_layers(run_dir / info.path)
        except Exception as exc:  # a corrupt file must not break the run page
            logger.warning("run %s: cannot list layers of %s (%s)", run_dir.name, info.path, exc)
            continue
        for name, geom_type in layers:
            meta = pyogrio.read_info(run_dir / info.path, layer=name)
            out.append(
                (
                    info.path,
                    str(name),
                    None if geom_type is None else str(geom_type),
                    int(meta["features"]),
                )
            )
    return out


def layer_spec(run_dir: Path, file: str, layer: str) -> dict[str, Any]:
    """A run's GeoPackage layer as a styled map layer (see :class:`xiaozhen.report.MapLayer`)."""
    path = resolve_run_file(run_dir, file)
    known = {(f, name) for f, name, _, _ in list_layers(run_dir)}
    if (file, layer) not in known:
        raise RunFileNotFound(f"{file}:{layer}")
    return _layer_spec(str(path), path.stat().st_mtime_ns, layer, f"{run_dir.name}: {layer}")


@lru_cache(maxsize=32)
def _layer_spec(path: str, _mtime: int, layer: str, title: str) -> dict[str, Any]:
    import geopandas as gpd

    from xiaozhen.report.maps import category_layer, choropleth_layer, feature_layer

    frame = gpd.read_file(path, layer=layer, engine="pyogrio", max_features=MAX_FEATURES)
    if frame.crs is None:
        raise InputDataError(f"{path}: layer {layer!r} has no CRS; cannot map it")
    label = next((c for c in ("name", "site_id", "town", "id") if c in frame.columns), None)
    plain = [c for c in frame.columns if c != "geometry"][:12]
    simplify = 100.0 if len(frame) > 200 else 0.0
    category = next((c for c in _CATEGORY_COLUMNS if c in frame.columns), None)
    value = next((c for c in _VALUE_COLUMNS if c in frame.columns), None)
    if category is not None:
        spec = category_layer(
            frame,
            category,
            name=title,
            label_column=label,
            popup_columns=plain,
            simplify_m=simplify,
        )
    elif value is not None and pd.api.types.is_numeric_dtype(frame[value]):
        spec = choropleth_layer(
            frame,
            value,
            name=title,
            label_column=label,
            popup_columns=plain,
            simplify_m=simplify,
            cmap="OrRd",
        )
    else:
        spec = feature_layer(
            frame,
            name=title,
            label_column=label,
            popup_columns=plain,
            simplify_m=simplify,
            colour="#7b3294",
        )
    return spec.to_dict()


def _version(run_dir: Path) -> int:
    """Run folders are immutable once committed (replaced whole): the manifest's mtime is a key."""
    return (run_dir / "manifest.json").stat().st_mtime_ns


@lru_cache(maxsize=64)
def _cached(kind: str, folder: str, _version: int) -> Any:
    run_dir = Path(folder)
    if kind == "indicators":
        return tuple(_run_indicators(run_dir))
    if kind == "charts":
        return tuple(_run_charts(run_dir))
    return tuple(_list_layers(run_dir))


def run_indicators(run_dir: Path) -> list[tuple[str, float | str | None, str]]:
    """Key indicators ``(name, value, source file)`` of a run (cached per run version); see
    :func:`_run_indicators`."""
    return list(_cached("indicators", str(run_dir), _version(run_dir)))


def run_charts(run_dir: Path) -> list[tuple[str, str]]:
    """SVG charts ``(caption, svg)`` of a run (cached per run version); see :func:`_run_charts`."""
    return list(_cached("charts", str(run_dir), _version(run_dir)))


def list_layers(run_dir: Path) -> list[tuple[str, str, str | None, int]]:
    """GeoPackage layers ``(file, layer, geometry type, features)`` of a run (cached)."""
    return list(_cached("layers", str(run_dir), _version(run_dir)))


def run_towns(run_dir: Path) -> list[dict[str, float | str | bool | None]]:
    """The rows of the run's ``towns.csv`` (the plan's towns), or ``[]`` when it has none.

    The same table drives the report's overview; numbers stay numbers, empty cells are ``None``.
    """
    outputs = dict(read_manifest(run_dir).get("outputs_sha256", {}))
    if "towns.csv" not in outputs:
        return []
    frame = pd.read_csv(
        resolve_run_file(run_dir, "towns.csv"),
        dtype={"town_id": str, "adcode": str, "site_id": str},
    )
    rows: list[dict[str, float | str | bool | None]] = []
    for record in frame.to_dict("records"):
        rows.append({str(k): _cell(v) for k, v in record.items()})
    return rows


def _cell(value: Any) -> float | str | bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value) if math.isfinite(float(value)) else None
    return None if value is None else str(value)
