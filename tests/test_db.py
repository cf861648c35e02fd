"""The unified database: schema creation on both backends, GDAL's view of it, errors."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import inspect, text

from devzone.db.admin import describe, init_db
from devzone.db.engine import make_engine, redact, resolve_url
from devzone.errors import DatabaseError

SPATIAL = {"district", "dev_zone", "parcel", "building"}
INPUT_TABLES = SPATIAL | {
    "land_supply",
    "enterprise",
    "enterprise_indicator",
    "parcel_enterprise",
    "project_progress",
    "load_batch",
}


def test_init_creates_schema_and_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url, create=True)
    created = init_db(engine)
    assert set(created) >= INPUT_TABLES
    assert init_db(engine) == []  # second run creates nothing
    names = set(inspect(engine).get_table_names())
    assert names >= INPUT_TABLES
    info = {t.name: t for t in describe(engine)}
    for name in SPATIAL:
        assert info[name].geometry_type == "MULTIPOLYGON"
        assert info[name].srid == 4490
        assert info[name].rows == 0
    engine.dispose()


def _ogrinfo(target: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("ogrinfo") is None:
        pytest.fail("ogrinfo (gdal-bin) is not installed; `make setup` installs it")
    return subprocess.run(
        ["ogrinfo", "-so", "-al", target], capture_output=True, text=True, check=False
    )


def test_gdal_sees_geopackage_layers_in_cgcs2000(tmp_path) -> None:
    path = tmp_path / "x.gpkg"
    engine = make_engine(str(path), create=True)
    init_db(engine)
    engine.dispose()
    res = _ogrinfo(str(path))
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr, res.stderr
    assert "ERROR" not in res.stderr, res.stderr
    for name in SPATIAL:
        assert f"Layer name: {name}" in res.stdout
    # Every spatial layer reports Multi Polygon in EPSG:4490.
    blocks = res.stdout.split("Layer name: ")[1:]
    spatial_blocks = [b for b in blocks if b.split("\n")[0] in SPATIAL]
    assert len(spatial_blocks) == len(SPATIAL)
    for block in spatial_blocks:
        assert "Geometry: Multi Polygon" in block
        assert 'ID["EPSG",4490]' in block


@pytest.mark.postgis
def test_gdal_sees_postgis_layers(pg_url: str, postgis_base_url: str, ogr_pg) -> None:
    engine = make_engine(pg_url)
    init_db(engine)
    engine.dispose()
    schema = pg_url.split("search_path%3D")[1].split(",")[0]
    res = _ogrinfo(f"{ogr_pg(postgis_base_url)} schemas={schema}")
    assert res.returncode == 0, res.stderr
    for name in SPATIAL:
        assert name in res.stdout
    assert res.stdout.count('ID["EPSG",4490]') >= len(SPATIAL)


def test_redact_hides_password() -> None:
    url = "postgresql://planner:s3cret@db.example:5432/land"
    assert "s3cret" not in redact(resolve_url(url))
    assert "planner" in redact(resolve_url(url))


def test_wrong_url_gives_a_clear_error() -> None:
    with pytest.raises(DatabaseError, match=r"not a database URL|Unsupported database"):
        make_engine("mysql+nonsense://x")
    with pytest.raises(DatabaseError, match="Cannot connect to PostgreSQL") as err:
        make_engine("postgresql://nobody:hunter2@127.0.0.1:1/none")
    assert "hunter2" not in str(err.value)


def test_missing_geopackage_says_how_to_create(tmp_path) -> None:
    with pytest.raises(DatabaseError, match="devzone db init"):
        make_engine(str(tmp_path / "absent.gpkg"))


def test_postgis_schema_has_same_tables(engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert names >= INPUT_TABLES
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM parcel")).scalar() == 0


def test_gpkg_timestamps_are_read_by_gdal_without_warning(tmp_path) -> None:
    """Provenance timestamps use the GeoPackage DATETIME text format GDAL expects."""
    import datetime as dt

    from sqlalchemy import insert, select

    from devzone.db.schema import LoadBatch

    path = tmp_path / "t.gpkg"
    engine = make_engine(str(path), create=True)
    init_db(engine)
    stamp = dt.datetime(2019, 7, 21, 8, 30, 5, 250000)
    with engine.begin() as conn:
        conn.execute(insert(LoadBatch).values(started_at=stamp))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT started_at FROM load_batch")).scalar()
        back = conn.execute(select(LoadBatch.started_at)).scalar()
    engine.dispose()
    assert stored == "2019-07-21T08:30:05.250Z"
    assert back == stamp
    res = subprocess.run(
        ["ogrinfo", "-al", "-q", str(path), "load_batch"], capture_output=True, text=True
    )
    assert res.returncode == 0
    assert "Warning" not in res.stderr, res.stderr
    assert "2019/07/21 08:30:05.250" in res.stdout
