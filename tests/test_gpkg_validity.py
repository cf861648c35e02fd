"""The GeoPackage a planner opens is a valid GeoPackage 1.2, read the same by every reader.

* GDAL's own validator (``validate_gpkg.py``, shipped with GDAL's Python utilities) finds
  no error in the demo GeoPackage;
* every geometry of every feature layer is GeoPackage binary: ``GP`` magic, version 0,
  the layer's srs_id, an envelope equal to the geometry's bounds, ISO WKB after it;
* a reader that does not use GDAL (``fudgeo``) reads every feature of every layer;
* ``gpkg_data_columns`` carries the Chinese titles, ``layer_styles`` the default styles;
* the latest-evaluation layer shows each parcel's own latest year (both backends).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import struct
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import missing_service
from sqlalchemy import text

VALIDATOR_PLACES = (
    Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"),
    Path("/usr/share/doc/python3-gdal/examples/validate_gpkg.py"),
)
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def demo_gpkg(demo_out: Path) -> Path:
    return demo_out / "landbase.gpkg"


@pytest.fixture(scope="module")
def validator(request: pytest.FixtureRequest) -> Path:
    """GDAL's validate_gpkg.py (Debian ``python3-gdal``), run by the system Python."""
    for place in VALIDATOR_PLACES:
        if place.exists():
            return place
    missing_service(request.config, "GDAL's validate_gpkg.py not found (apt install python3-gdal)")
    raise AssertionError  # unreachable


def _feature_layers(con: sqlite3.Connection) -> list[tuple[str, str, int]]:
    return con.execute(
        "SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns"
    ).fetchall()


def test_gdal_validator_finds_no_error(demo_gpkg: Path, validator: Path) -> None:
    res = subprocess.run(
        [SYSTEM_PYTHON, str(validator), "-k", str(demo_gpkg)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Req " not in res.stdout


def test_header_version_srs_and_extents(demo_gpkg: Path) -> None:
    with open(demo_gpkg, "rb") as f:
        head = f.read(100)
    assert head[68:72] == b"GPKG"  # application_id
    assert struct.unpack(">I", head[60:64])[0] >= 10200  # user_version
    con = sqlite3.connect(demo_gpkg)
    srs = dict(con.execute("SELECT srs_id, definition FROM gpkg_spatial_ref_sys").fetchall())
    assert srs[-1] == "undefined"
    assert srs[0] == "undefined"
    assert 4490 in srs
    for name, _, _ in _feature_layers(con):
        rows = con.execute(f'SELECT count(*) FROM "{name}" WHERE geom IS NOT NULL').fetchone()[0]
        box = con.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", (name,)
        ).fetchone()
        if rows:
            assert None not in box, name
            # Lu'an and the neighbouring 合肥市 lie within 115–118.5°E, 30.5–33°N
            assert 115 < box[0] < box[2] < 118.5, (name, box)
            assert 30.5 < box[1] < box[3] < 33, (name, box)


def _check_blob(blob: bytes, srs_id: int, where: str) -> None:
    assert blob[:2] == b"GP", where
    assert blob[2] == 0, where  # version 1
    flags = blob[3]
    assert not flags & 0b0010_0000, where  # standard (not extended) GeoPackage binary
    env_code = (flags >> 1) & 0b111
    little = flags & 1
    order = "<" if little else ">"
    assert struct.unpack(order + "i", blob[4:8])[0] == srs_id, where
    env_len = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[env_code]
    geom = shapely.from_wkb(blob[8 + env_len :])
    assert geom.geom_type == "MultiPolygon", where
    assert not geom.is_empty, where
    if env_len:
        x0, x1, y0, y1 = struct.unpack(order + "4d", blob[8:40])
        assert np.allclose((x0, y0, x1, y1), geom.bounds), where


def test_every_geometry_is_geopackage_binary(demo_gpkg: Path) -> None:
    con = sqlite3.connect(demo_gpkg)
    layers = _feature_layers(con)
    names = {n for n, _, _ in layers}
    assert {"parcel", "parcel_idle_status", "corridor", "parcel_latest"} <= names
    checked = 0
    for name, col, srs_id in layers:
        for fid, blob in con.execute(f'SELECT fid, "{col}" FROM "{name}" WHERE "{col}" NOTNULL'):
            _check_blob(blob, srs_id, f"{name} fid {fid}")
            checked += 1
    assert checked > 2400 * 3  # parcels, idle statuses and the latest view at least


def test_non_gdal_reader_reads_every_feature(demo_gpkg: Path) -> None:
    from fudgeo.geopkg import GeoPackage

    con = sqlite3.connect(demo_gpkg)
    gpkg = GeoPackage(demo_gpkg)
    for name, _, _ in _feature_layers(con):
        fc = gpkg.feature_classes[name]
        rows = fc.select(include_geometry=True).fetchall()
        total, with_geom = con.execute(f'SELECT count(*), count(geom) FROM "{name}"').fetchone()
        assert len(rows) == total, name
        geoms = [r[0] for r in rows if r[0] is not None]
        assert len(geoms) == with_geom, name
        assert all(not g.is_empty for g in geoms), name
    for name in ("parcel_performance", "zone_evaluation", "parcel_industry_fit"):
        total = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        assert gpkg.tables[name].count == total


def test_chinese_titles_and_styles_stored(demo_gpkg: Path) -> None:
    con = sqlite3.connect(demo_gpkg)
    titles = dict(
        con.execute(
            "SELECT column_name, title FROM gpkg_data_columns WHERE table_name = 'parcel'"
        ).fetchall()
    )
    assert titles["parcel_code"] == "宗地代码"
    assert titles["area_m2"] == "宗地面积"
    ext = con.execute(
        "SELECT table_name, scope FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
    ).fetchall()
    assert sorted(ext) == [
        ("gpkg_data_column_constraints", "read-write"),
        ("gpkg_data_columns", "read-write"),
    ]
    # every table QGIS lists has its Chinese titles
    listed = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    titled = {r[0] for r in con.execute("SELECT DISTINCT table_name FROM gpkg_data_columns")}
    assert listed - titled == {"layer_styles"}
    styled = dict(
        con.execute(
            "SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault = 1"
        ).fetchall()
    )
    assert listed - set(styled) == {"layer_styles"}
    grade = styled["parcel_latest"]
    assert 'type="categorizedSymbol" attr="grade"' in grade
    assert 'value="A" label="A 类"' in grade
    assert 'v="26,152,80,255"' in grade
    assert 'field="grade" index="9" name="评价等级"' in grade
    assert 'attr="status"' in styled["parcel_idle_status"]
    assert 'attr="lead_industry"' in styled["dev_zone"]


# --- the latest evaluation, by hand: two years scored -----------------------------------


def _square(x: float, y: float) -> shapely.Geometry:
    return shapely.box(x, y, x + 0.01, y + 0.01)


def _frame(table_name: str, rows: list[dict]) -> pd.DataFrame:
    from devzone.db.io import table_of

    cols = [c.name for c in table_of(table_name).c if c.name != "fid"]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


def test_latest_view_shows_each_parcels_latest_year(engine) -> None:
    from devzone.db.bulk import insert_rows
    from devzone.db.io import table_of, write_frame

    parcels = pd.DataFrame({"parcel_code": ["P1", "P2", "P3"], "zone_code": ["Z1"] * 3})
    geoms = np.array([_square(116.5, 31.7), _square(116.6, 31.7), _square(116.7, 31.7)])
    with engine.begin() as conn:
        insert_rows(conn, table_of("parcel"), parcels, geoms)
    # P1 scored in 2018 (A) and 2019 (C); P2 only in 2018 (B); P3 never.
    for year, rows in {
        2018: [{"parcel_code": "P1", "grade": "A"}, {"parcel_code": "P2", "grade": "B"}],
        2019: [{"parcel_code": "P1", "grade": "C"}],
    }.items():
        frame = _frame("parcel_performance", [{**r, "year": year} for r in rows])
        write_frame(engine, "parcel_performance", frame, replace_where={"year": year})
    # P1's idle status as of two dates: the later one shows
    idle = _frame(
        "parcel_idle_status",
        [
            {"parcel_code": "P1", "as_of_date": dt.date(2018, 12, 31), "status": "overdue"},
            {"parcel_code": "P1", "as_of_date": dt.date(2019, 12, 31), "status": "idle_fee"},
        ],
    )
    idle["geom"] = [geoms[0], geoms[0]]
    write_frame(engine, "parcel_idle_status", idle)
    with engine.connect() as conn:
        got = conn.execute(
            text("SELECT parcel_code, year, grade, status FROM parcel_latest ORDER BY parcel_code")
        ).all()
    assert [tuple(r) for r in got] == [
        ("P1", 2019, "C", "idle_fee"),
        ("P2", 2018, "B", None),
        ("P3", None, None, None),
    ]
    with engine.connect() as conn:
        style = conn.execute(
            text("SELECT styleqml FROM layer_styles WHERE f_table_name = 'parcel_latest'")
        ).scalar_one()
    assert 'attr="grade"' in str(style)
    assert "评价等级" in str(style)


def test_result_writer_writes_geopackage_binary(tmp_path: Path) -> None:
    """The result writer (write_frame) writes GPB, not SpatiaLite blobs; extents follow."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.db.io import write_frame

    path = tmp_path / "w.gpkg"
    eng = make_engine(str(path), create=True)
    init_db(eng)
    frame = _frame(
        "parcel_idle_status",
        [{"parcel_code": "P1", "as_of_date": dt.date(2019, 12, 31), "status": "idle_fee"}],
    )
    frame["geom"] = [_square(116.5, 31.7)]
    write_frame(eng, "parcel_idle_status", frame)
    eng.dispose()
    con = sqlite3.connect(path)
    blob = con.execute("SELECT geom FROM parcel_idle_status").fetchone()[0]
    _check_blob(blob, 4490, "parcel_idle_status")
    box = con.execute(
        "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents"
        " WHERE table_name = 'parcel_idle_status'"
    ).fetchone()
    assert np.allclose(box, (116.5, 31.7, 116.51, 31.71))


def test_case_layer_appears_once_the_case_table_exists(engine) -> None:
    """``parcel_case`` (parcel + its latest case, styled by state) follows ``land_case``.

    The table is made here by hand until the case tables (issue 16) are merged; then
    ``init_db`` has made it and ``IF NOT EXISTS`` keeps the real one.
    """
    from devzone.db.bulk import insert_rows
    from devzone.db.gpkg_meta import refresh_metadata
    from devzone.db.io import table_of

    with engine.begin() as conn:
        insert_rows(
            conn,
            table_of("parcel"),
            pd.DataFrame({"parcel_code": ["P1", "P2"]}),
            np.array([_square(116.5, 31.7), _square(116.6, 31.7)]),
        )
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS land_case (fid INTEGER PRIMARY KEY, case_id TEXT,"
            " procedure TEXT, parcel_code TEXT, state TEXT, next_step TEXT, next_due DATE,"
            " opened_on DATE)"
        )
        conn.exec_driver_sql(
            "INSERT INTO land_case (fid, case_id, procedure, parcel_code, state, opened_on)"
            " VALUES (1, 'C1', 'idle', 'P1', 'suspected', '2019-01-05'),"
            " (2, 'C2', 'idle', 'P1', 'decided', '2019-06-01')"
        )
    refresh_metadata(engine)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT parcel_code, case_id, state FROM parcel_case")).all()
        style = conn.execute(
            text("SELECT styleqml FROM layer_styles WHERE f_table_name = 'parcel_case'")
        ).scalar_one()
    assert [tuple(r) for r in got] == [("P1", "C2", "decided")]  # P1's latest case only
    assert 'attr="state"' in str(style)
