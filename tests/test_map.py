"""``devzone map``: data read from a small hand-built database, offline HTML, escaping.

The browser tests live in ``test_map_browser.py``; these check what the HTML carries.
The small database (``build_small_db``) is shared with them: 6 synthetic parcels in one
zone near 六安经开区, their results for 2019 / 2019-12-31, one district, two zones.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # noqa: F401  (load GDAL before SpatiaLite: the reverse order segfaults)
import pytest
import shapely
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine

from devzone.db.bulk import insert_rows
from devzone.db.io import table_of, write_frame
from devzone.units import SRID

YEAR = 2019
AS_OF = dt.date(2019, 12, 31)
XSS = "<img src=x onerror=alert(1)>"
ZONE_XSS = "<img src=y onerror=alert(2)>汽车零配件"
#: 6666.67 m² = 10.00 亩 (1 亩 = 10000/15 m² = 666.667 m²).
AREA_M2 = 6666.67
LON0, LAT0 = 116.590, 31.760


def parcel_box(i: int) -> MultiPolygon:
    """Parcel ``i``: a 0.0015° × 0.0012° rectangle, 0.002° east of parcel ``i-1``."""
    x = LON0 + 0.002 * i
    return MultiPolygon([box(x, LAT0, x + 0.0015, LAT0 + 0.0012)])


def parcel_code(i: int) -> str:
    return f"341502001001GB0000{i + 1}"


def insert_spatial(engine: Engine, name: str, df: pd.DataFrame) -> None:
    """Append rows with a shapely ``geom`` column to input table ``name``.

    GeoPackage: through GDAL (pyogrio), which writes GeoPackage binary geometries as
    QGIS does; PostGIS: the bulk path (COPY).
    """
    if engine.dialect.name == "geopackage":
        import pyogrio

        from devzone.db.engine import gpkg_path

        gdf = gpd.GeoDataFrame(df, geometry="geom", crs=SRID)
        engine.dispose()  # GDAL must not write while a pooled SQLite connection is open
        pyogrio.write_dataframe(gdf, gpkg_path(str(engine.url)), layer=name, append=True)
        return
    with engine.begin() as conn:
        insert_rows(
            conn,
            table_of(name),
            df.drop(columns="geom"),
            np.asarray(df["geom"].to_numpy(), dtype=object),
        )


def write_result(
    engine: Engine, name: str, df: pd.DataFrame, replace_where: dict | None = None
) -> None:
    """Write the given columns of result table ``name``; its other columns stay empty."""
    columns = [c.name for c in table_of(name).c if c.name != "fid"]
    frame = df.reindex(columns=columns)
    if "geom" in frame:
        frame["geom"] = np.array([None] * len(frame), dtype=object)
    write_frame(engine, name, frame, replace_where=replace_where)


def build_small_db(engine: Engine) -> None:
    """Districts, zones, 6 parcels and their 2019 results (all synthetic)."""
    insert_spatial(
        engine,
        "district",
        pd.DataFrame(
            {
                "adcode": ["341502"],
                "name": ["金安区"],
                "level": ["district"],
                "geom": [MultiPolygon([box(116.45, 31.65, 116.75, 31.85)])],
            }
        ),
    )
    insert_spatial(
        engine,
        "dev_zone",
        pd.DataFrame(
            {
                "zone_code": ["G341130", "S347042"],
                "name": ["六安经济技术开发区", "安徽裕安经济开发区"],
                "level": ["国务院", "省政府"],
                "zone_type": ["经济技术开发区", "经济开发区"],
                "lead_industry": ["装备制造", ZONE_XSS],
                "main_industries": ["装备制造、轻工纺织、建材", "机械装备、汽车零配件"],
                "approved_area_ha": [794.0, 462.26],
                "geom": [
                    MultiPolygon([box(116.585, 31.755, 116.605, 31.765)]),
                    MultiPolygon([box(116.46, 31.66, 116.48, 31.68)]),
                ],
            }
        ),
    )
    holders = [
        "六安示例机械有限公司(合成)",
        XSS,
        "皖西样例纺织有限公司(合成)",
        "示例建材有限公司(合成)",
        "样例电子有限公司(合成)",
        "示例食品有限公司(合成)",
    ]
    insert_spatial(
        engine,
        "parcel",
        pd.DataFrame(
            {
                "parcel_code": [parcel_code(i) for i in range(6)],
                "supervision_no": [f"3415022019B0000{i}" for i in range(6)],
                "zone_code": ["G341130"] * 6,
                "holder": holders,
                "area_m2": [AREA_M2] * 6,
                "geom": [parcel_box(i) for i in range(6)],
            }
        ),
    )
    # Grades A, B, C, D, T; parcel 6 has no evaluation → "none".
    write_result(
        engine,
        "parcel_performance",
        pd.DataFrame(
            {
                "year": [YEAR] * 5,
                "parcel_code": [parcel_code(i) for i in range(5)],
                "zone_code": ["G341130"] * 5,
                "grade": ["A", "B", "C", "D", "T"],
                "tax_per_mu_wan": [35.5, 20.0, 12.25, 3.0, None],
                "enterprise_names": [holders[0], XSS, holders[2], holders[3], holders[4]],
            }
        ),
        replace_where={"year": YEAR},
    )
    write_result(
        engine,
        "parcel_intensity",
        pd.DataFrame(
            {
                "year": [YEAR] * 6,
                "parcel_code": [parcel_code(i) for i in range(6)],
                "far": [1.2, 0.8, 1.5, 0.6, 1.0, 0.0],
            }
        ),
    )
    write_result(
        engine,
        "parcel_idle_status",
        pd.DataFrame(
            {
                "as_of_date": [AS_OF] * 3,
                "parcel_code": [parcel_code(3), parcel_code(5), parcel_code(0)],
                "status": ["idle_fee", "overdue", "completed"],
                "days_idle": [400, 100, None],
                # 闲置费 = 成交价格 100 万元 × 20 % = 20 万元 (POLICY §1).
                "idle_fee_wan": [20.0, None, None],
            }
        ),
        replace_where={"as_of_date": AS_OF},
    )
    insert_spatial(
        engine,
        "corridor",
        pd.DataFrame(
            {
                "name": ["合六经济走廊 (测试)"],
                "geom": [MultiPolygon([box(116.55, 31.70, 116.70, 31.80)])],
            }
        ),
    )
    write_result(
        engine,
        "corridor_zone",
        pd.DataFrame({"zone_code": ["G341130"], "member_by": ["geometry"]}),
    )
    write_result(
        engine,
        "zone_evaluation",
        pd.DataFrame(
            {
                "year": [YEAR],
                "zone_code": ["G341130"],
                "zone_name": ["六安经济技术开发区"],
                "zone_type": ["工业主导型"],
                "rank": [1],
            }
        ),
        replace_where={"year": YEAR},
    )
    write_result(
        engine,
        "parcel_industry_fit",
        pd.DataFrame(
            {
                "parcel_code": [parcel_code(2)],
                "zone_code": ["G341130"],
                "industry_code": ["1711"],
                "industry_name": ["棉纺纱加工"],
                "fit": ["misfit"],
            }
        ),
    )


def test_read_map_data_joins_every_fact(engine: Engine) -> None:
    from devzone.jobs.maps import read_map_data

    build_small_db(engine)
    data = read_map_data(engine, year=YEAR, as_of=AS_OF)
    p = data.parcels.set_index("parcel_code")
    assert list(p["grade"]) == ["A", "B", "C", "D", "T", "none"]
    # 6666.67 m² / (10000/15 m² per 亩) = 10.000005 亩
    assert p["area_mu"].round(4).tolist() == [10.0] * 6
    assert p.loc[parcel_code(0), "tax_per_mu_wan"] == pytest.approx(35.5)
    assert p.loc[parcel_code(2), "far"] == pytest.approx(1.5)
    assert p.loc[parcel_code(3), "idle_status"] == "idle_fee"
    assert p.loc[parcel_code(3), "idle_fee_wan"] == pytest.approx(20.0)
    assert pd.isna(p.loc[parcel_code(4), "idle_status"])
    assert p.loc[parcel_code(1), "holder"] == XSS
    assert set(p["zone_name"]) == {"六安经济技术开发区"}
    assert data.has_performance
    assert data.has_idle
    assert data.has_intensity
    assert len(data.zones) == 2
    assert len(data.districts) == 1
    assert data.corridor["name"].tolist() == ["合六经济走廊 (测试)"]
    assert data.corridor_zones.tolist() == ["G341130"]
    assert data.notes == []


def test_parcels_without_registered_area_are_measured(tmp_path: Path) -> None:
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.jobs.maps import read_map_data

    eng = make_engine(f"gpkg:///{tmp_path / 'area.gpkg'}", create=True)
    init_db(eng)
    insert_spatial(
        eng,
        "parcel",
        pd.DataFrame(
            {
                "parcel_code": ["P1", "P2", "P3"],
                "area_m2": [AREA_M2, None, 0.0],
                "geom": [parcel_box(0), parcel_box(1), parcel_box(2)],
            }
        ),
    )
    p = read_map_data(eng, year=YEAR, as_of=AS_OF).parcels.set_index("parcel_code")
    eng.dispose()
    assert p.loc["P1", "area_mu"] == pytest.approx(10.0, abs=1e-4)  # registered area kept
    # 0.0015° x 0.0012° at 31.76° N on the CGCS2000 ellipsoid: 142.11 m x 133.06 m
    # = 18 909 m² = 28.36 亩 (worked by hand; the Gauss-Krüger scale error is ~2e-5).
    assert p.loc["P2", "area_mu"] == pytest.approx(28.36, rel=2e-3)
    assert p.loc["P3", "area_mu"] == pytest.approx(28.36, rel=2e-3)  # 0 m² is not an area


def test_missing_results_leave_layers_out_with_a_note(tmp_path: Path) -> None:
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.jobs.maps import run_map

    eng = make_engine(f"gpkg:///{tmp_path / 'empty.gpkg'}", create=True)
    init_db(eng)
    insert_spatial(
        eng,
        "parcel",
        pd.DataFrame(
            {
                "parcel_code": ["P1"],
                "holder": ["甲(合成)"],
                "area_m2": [AREA_M2],
                "geom": [parcel_box(0)],
            }
        ),
    )
    res = run_map(eng, year=YEAR, as_of=AS_OF, out_html=tmp_path / "m.html", basemap="none")
    eng.dispose()
    notes = res["headline"]["说明 notes"]
    assert "无 2019 年评价结果" in notes
    assert "无 2019-12-31 的认定结果" in notes
    assert "闲置土地" not in res["headline"]["图层 layers"]
    assert "宗地亩均效益等级" in res["headline"]["图层 layers"]


def test_html_is_offline_and_escapes_data(engine: Engine, tmp_path: Path) -> None:
    from devzone.jobs.maps import run_map
    from devzone.maps.offline import remote_references

    build_small_db(engine)
    out = tmp_path / "map.html"
    res = run_map(engine, year=YEAR, as_of=AS_OF, out_html=out, basemap="osm")
    html = out.read_text(encoding="utf-8")
    assert res["outputs"] == [out]
    assert remote_references(html) == []
    # Only the tile template may name a remote host; no script/link does.
    assert not re.search(r"<(script|link)[^>]+(src|href)=", html)
    assert "cdn.jsdelivr" not in html
    assert "cdnjs" not in html
    assert "code.jquery" not in html
    assert XSS not in html  # the raw markup never appears; JSON carries \u003cimg …
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert "EPSG:4490" in html
    assert "OpenStreetMap" in html
    assert res["headline"]["闲置宗地 idle parcels"] == 2  # idle_fee + overdue; completed not drawn
    assert res["headline"]["闲置费 idle fees (万元)"] == pytest.approx(20.0)


def test_unknown_basemap_is_a_config_error(engine: Engine, tmp_path: Path) -> None:
    from devzone.errors import ConfigError
    from devzone.jobs.maps import run_map

    with pytest.raises(ConfigError, match="Unknown basemap 'bing'"):
        run_map(engine, year=YEAR, as_of=AS_OF, out_html=tmp_path / "m.html", basemap="bing")


def test_unwritable_out_is_an_input_error(engine: Engine, tmp_path: Path) -> None:
    from devzone.errors import InputError
    from devzone.jobs.maps import run_map

    build_small_db(engine)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot write the map"):
        run_map(engine, year=YEAR, as_of=AS_OF, out_html=blocker / "m.html", basemap="none")


def test_encode_polygons_round_trips() -> None:
    from devzone.maps.encode import decode_polygons, encode_polygons

    square = box(116.5, 31.7, 116.501, 31.7012)
    holed = square.difference(box(116.5002, 31.7002, 116.5004, 31.7004))
    geoms = [MultiPolygon([square, box(116.6, 31.8, 116.6005, 31.8005)]), None, holed]
    payload = encode_polygons(geoms, precision=6)
    out = decode_polygons(payload)
    assert payload["n"] == 3
    assert [len(r) for r in out] == [2, 0, 2]  # 2 parts; nothing; exterior + hole
    # First ring: the square's 4 corners (closing vertex dropped), to 1e-6°.
    ring = out[0][0]
    assert ring.shape == (4, 2)
    corners = shapely.get_coordinates(square)[:4]
    assert np.allclose(sorted(map(tuple, ring)), sorted(map(tuple, corners)), atol=1e-6)


def test_gcj02_shift_matches_the_catalog_points(shared_dir: Path) -> None:
    """The catalog lists each zone's AMap point in GCJ-02 and WGS84 (real, public data).

    Its WGS84 columns were derived from the GCJ-02 geocodes by the usual one-step
    inverse ``wgs = gcj - (f(gcj) - gcj)``, where ``f`` is the WGS84→GCJ-02 formula:
    with our ``f`` that reproduces them to the catalog's 6 decimals, which checks the
    formula itself. The map's forward shift of the WGS84 points then lands within the
    one-step inverse's own error (< 2e-5°, ≈ 2 m) of the GCJ-02 points, against a
    shift of ≈ 0.005° lon (≈ 470 m).
    """
    from devzone.crs import geometry_wgs84_to_gcj02, wgs84_to_gcj02
    from devzone.maps.encode import decode_polygons, encode_polygons

    cat = pd.read_csv(shared_dir / "reference" / "dev_zones_catalog_2018_luan_hefei.csv")
    assert len(cat) >= 8
    glon, glat = cat["经度_GCJ02"].to_numpy(), cat["纬度_GCJ02"].to_numpy()
    wlon, wlat = cat["经度_WGS84"].to_numpy(), cat["纬度_WGS84"].to_numpy()
    flon, flat = wgs84_to_gcj02(glon, glat)
    assert np.abs((2 * glon - flon) - wlon).max() < 1e-6
    assert np.abs((2 * glat - flat) - wlat).max() < 1e-6
    # A 2 m square at each WGS84 point, shifted and encoded as the Gaode map does.
    squares = shapely.box(wlon, wlat, wlon + 2e-5, wlat + 2e-5)
    rings = decode_polygons(encode_polygons(geometry_wgs84_to_gcj02(squares), precision=6))
    corner = np.array([min(map(tuple, r[0])) for r in rings])
    assert np.abs(corner[:, 0] - glon).max() < 2e-5
    assert np.abs(corner[:, 1] - glat).max() < 2e-5
    assert np.abs(glon - wlon).min() > 0.004  # the shift itself is ~200x larger
    # 六安经开区: WGS84 116.594864, 31.766705 → GCJ-02 116.599815, 31.764510 (catalog).
    row = cat.index[cat["代码"] == "G341130"][0]
    assert corner[row, 0] == pytest.approx(116.599815, abs=2e-5)
    assert corner[row, 1] == pytest.approx(31.764510, abs=2e-5)


def test_gaode_map_draws_layers_in_gcj02(engine: Engine, tmp_path: Path) -> None:
    from devzone.crs import wgs84_to_gcj02
    from devzone.jobs.maps import read_map_data
    from devzone.maps.build import build_map
    from devzone.policy import load_policy

    build_small_db(engine)
    data = read_map_data(engine, year=YEAR, as_of=AS_OF)
    policy = load_policy().maps
    m, head = build_map(data, year=YEAR, as_of=AS_OF, basemap="gaode", policy=policy)
    assert head["底图 basemap"] == "高德地图 (GCJ-02)"
    stores = [c for c in m._children.values() if type(c).__name__ == "PolygonStore"]
    parcel = next(s for s in stores if s.key == "parcel")
    import json

    geom = json.loads(parcel.payload)["geom"]
    from devzone.maps.encode import decode_polygons

    first = decode_polygons(geom)[0][0]
    # Parcel 1's south-west corner (116.590, 31.760) shifted by the GCJ-02 formula.
    glon, glat = wgs84_to_gcj02([LON0], [LAT0])
    assert first[:, 0].min() == pytest.approx(glon[0], abs=1e-6)
    assert first[:, 1].min() == pytest.approx(glat[0], abs=1e-6)
    assert abs(glon[0] - LON0) > 0.004  # the shift is real: ~500 m, not rounding


def test_as_of_defaults_to_year_end() -> None:
    from devzone.cli.map import _parse_date
    from devzone.errors import InputError

    assert _parse_date(None, 2019) == dt.date(2019, 12, 31)
    assert _parse_date("2020-06-30", 2019) == dt.date(2020, 6, 30)
    with pytest.raises(InputError, match="--as-of"):
        _parse_date("2019/13/01", 2019)


def test_cli_writes_the_map_and_reports_bad_input(tmp_path: Path) -> None:
    import subprocess
    import sys

    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine

    db = tmp_path / "small.gpkg"
    eng = make_engine(str(db), create=True)
    init_db(eng)
    build_small_db(eng)
    eng.dispose()
    devzone = str(Path(sys.executable).with_name("devzone"))
    out = tmp_path / "out" / "m.html"
    res = subprocess.run(
        [
            devzone,
            "map",
            "--db",
            str(db),
            "--year",
            "2019",
            "--out",
            str(out),
            "--basemap",
            "gaode",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert out.stat().st_size > 100_000  # Leaflet and plugins are inlined
    assert "高德地图 (GCJ-02)" in res.stdout
    assert "宗地 parcels: 6" in res.stdout
    # Without --year/--as-of: the latest results stored (2019, 2019-12-31).
    again = subprocess.run(
        [devzone, "map", "--db", str(db), "--out", str(out), "--basemap", "none"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert "年度 year: 2019" in again.stdout
    assert "基准日 as-of: 2019-12-31" in again.stdout
    bad = subprocess.run(
        [devzone, "map", "--db", str(db), "--as-of", "2019-13-01"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "--as-of" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_drawn_layers_follow_the_typed_maps_policy(engine: Engine) -> None:
    """The idle layer draws exactly the statuses of [maps.idle_colors]; every grade needs
    a colour (no built-in fallback); legend labels are the vocabulary's."""
    from devzone.errors import ConfigError
    from devzone.jobs.maps import read_map_data
    from devzone.maps.build import build_map
    from devzone.policy import load_policy, replace
    from devzone.vocab import GRADE_LABELS, IDLE_STATUS_LABELS

    build_small_db(engine)
    data = read_map_data(engine, year=YEAR, as_of=AS_OF)
    maps = load_policy().maps
    _, head = build_map(data, year=YEAR, as_of=AS_OF, basemap="none", policy=maps)
    assert head["闲置宗地 idle parcels"] == 2  # idle_fee + overdue
    fee_only = replace(maps, idle_colors={"idle_fee": maps.idle_colors["idle_fee"]})
    m, head = build_map(data, year=YEAR, as_of=AS_OF, basemap="none", policy=fee_only)
    assert head["闲置宗地 idle parcels"] == 1  # overdue is no longer drawn
    runtime = next(c for c in m._children.values() if type(c).__name__ == "Runtime")
    import json

    items = [i["label"] for sec in json.loads(runtime.legend)["sections"] for i in sec["items"]]
    legend = "\n".join(items)
    assert f"{IDLE_STATUS_LABELS['idle_fee']} (1 宗, 闲置费 20.00 万元)" in legend
    assert IDLE_STATUS_LABELS["overdue"] not in legend
    assert f"{GRADE_LABELS['none']} (1 宗)" in legend
    no_t = replace(maps, grade_colors={k: v for k, v in maps.grade_colors.items() if k != "T"})
    with pytest.raises(ConfigError, match=r"\[maps.grade_colors\] has no colour for T"):
        build_map(data, year=YEAR, as_of=AS_OF, basemap="none", policy=no_t)
