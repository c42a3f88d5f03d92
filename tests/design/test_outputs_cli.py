"""Files written per town, and the `xiaozhen design` command."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from affine import Affine
from pyproj import CRS
from tests.design.conftest import make_layers, site_box

from xiaozhen.cli import main
from xiaozhen.design import DesignRules, Use, design_town, write_town_outputs
from xiaozhen.region.crs import EQUAL_AREA_CRS

RULES = DesignRules(
    cell_size_m=100.0,
    construction_min_km2=0.2,
    construction_target_km2=0.25,
    construction_max_km2=0.25,
)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, dict[str, Path]]:
    ds = make_layers(30, 30, 100.0)
    lay = design_town(ds, site_box(ds, 1, 10, 9, 18), RULES, method="heuristic", site_id="t1")
    paths = write_town_outputs(lay, tmp_path_factory.mktemp("town"))
    return lay, paths


def test_geotiff(written: tuple[object, dict[str, Path]]) -> None:
    lay, paths = written
    with rasterio.open(paths["tif"]) as src:
        assert CRS.from_user_input(src.crs.to_wkt()).equals(EQUAL_AREA_CRS)
        assert np.array_equal(src.read(1), lay.use)  # type: ignore[attr-defined]
        assert src.colormap(1)[int(Use.WATER)][:3] == (30, 136, 229)
        assert src.tags(1)["USE_3"] == "residential|居住用地"


def test_geopackage_opens_with_pyogrio_in_projected_crs(
    written: tuple[object, dict[str, Path]],
) -> None:
    lay, paths = written
    info = pyogrio.read_info(paths["gpkg"], layer="uses")
    assert CRS.from_user_input(info["crs"]).is_projected
    gdf = pyogrio.read_dataframe(paths["gpkg"], layer="uses")
    assert CRS.from_user_input(gdf.crs).equals(EQUAL_AREA_CRS)
    # one dissolved row per use present; polygon areas equal cell counts
    counts = {
        int(u): int(n) for u, n in zip(*np.unique(lay.use, return_counts=True), strict=True) if u
    }  # type: ignore[attr-defined]
    assert sorted(gdf["use"]) == sorted(counts)
    for _, row in gdf.iterrows():
        assert row.geometry.area == pytest.approx(counts[int(row["use"])] * 1e4)


def test_tables_and_map(written: tuple[object, dict[str, Path]]) -> None:
    _lay, paths = written
    metrics = pd.read_csv(paths["metrics"]).set_index("metric")["value"]
    assert metrics["construction_km2"] == pytest.approx(0.25)
    checks = pd.read_csv(paths["checks"])
    assert set(checks.columns) >= {"check", "passed", "value", "limit", "slack", "hard", "source"}
    assert checks.loc[checks["hard"], "passed"].all()
    assert paths["png"].stat().st_size > 10_000
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_is_byte_identical(written: tuple[object, dict[str, Path]], tmp_path: Path) -> None:
    lay, paths = written
    again = write_town_outputs(lay, tmp_path)  # type: ignore[arg-type]
    for kind in ("gpkg", "tif", "metrics", "checks", "summary", "png"):
        assert again[kind].read_bytes() == paths[kind].read_bytes(), kind


def test_cli_design_from_geotiff_layers(tmp_path: Path) -> None:
    ds = make_layers(30, 30, 100.0)
    grid = tmp_path / "grid"
    grid.mkdir()
    x, y = ds["x"].values, ds["y"].values
    transform = Affine(100, 0, x[0] - 50, 0, -100, y[0] + 50)
    for name in ds.data_vars:
        arr = ds[name].values
        arr = arr.astype(np.uint8) if arr.dtype == bool else arr
        with rasterio.open(
            grid / f"{name}.tif",
            "w",
            driver="GTiff",
            height=30,
            width=30,
            count=1,
            dtype=arr.dtype,
            crs=EQUAL_AREA_CRS.to_wkt(),
            transform=transform,
        ) as dst:
            dst.write(arr, 1)
    sites = gpd.GeoDataFrame(
        {"site_id": ["north", "corner"]},
        geometry=[site_box(ds, 1, 10, 9, 18), site_box(ds, 27, 27, 29, 29)],
        crs=EQUAL_AREA_CRS,
    )
    sites.to_file(tmp_path / "sites.gpkg")
    out = tmp_path / "out"
    main(
        [
            "design",
            str(tmp_path / "sites.gpkg"),
            "--grid",
            str(grid),
            "--out",
            str(out),
            "--cell-size-m",
            "100",
            "--construction-max-km2",
            "0.25",
            "--method",
            "heuristic",
        ]
    )
    assert (out / "north" / "uses.gpkg").is_file()
    towns = pd.read_csv(out / "towns.csv")
    assert list(towns["feasible"]) == [True, False]
    assert towns.loc[1, "constraint"] == "construction_area_min"


def test_cli_bad_grid_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sites = gpd.GeoDataFrame(
        {"site_id": ["a"]}, geometry=[site_box(make_layers(), 0, 0, 5, 5)], crs=EQUAL_AREA_CRS
    )
    sites.to_file(tmp_path / "s.gpkg")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exc:
        main(["design", str(tmp_path / "s.gpkg"), "--grid", str(tmp_path / "empty")])
    assert exc.value.code == 2
    assert "neither metadata.json" in capsys.readouterr().err
