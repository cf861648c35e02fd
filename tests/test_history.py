"""History of every input table, as-of reads, the progress series and ``etl diff``.

On both backends (``engine`` fixture): the bundled sample is loaded, then a corrected
second export written by :func:`corrected_export` (3 holders renamed, one agreed start
date moved, 10 parcel areas corrected — one boundary also moved 30 m —, 3 parcels gone
from a complete parcel export, 5 new parcels).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from devzone.db.history import (
    batch_identity,
    current_vintage,
    history_table,
    latest_progress,
    natural_key,
    resolve_vintage,
    retire_missing,
)
from devzone.db.io import parcels_with_contract, read, write_frame
from devzone.errors import DatabaseError
from devzone.etl.load import load_paths
from devzone.jobs.demo import sample_paths
from devzone.jobs.etl_diff import diff_since
from devzone.paths import data_path

RENAMED = 3
AREA_FIXED = 10
GONE = 3
NEW = 5
MOVE_M = 30.0


@dataclass
class Export:
    """The corrected export and what it changed."""

    files: list[Path]
    renamed: dict[str, tuple[str, str]]  # supervision_no -> (old, new holder)
    moved_start: str  # supervision_no
    area_fixed: dict[str, tuple[float, float]]  # parcel_code -> (old, new area)
    moved: str  # parcel_code whose boundary moved
    gone: list[str]
    new: list[str]
    parcel_codes: list[str]  # every parcel of the complete export


def _start_text(value: str) -> str:
    day = dt.datetime.strptime(value, "%Y年%m月%d日").date() + dt.timedelta(days=45)
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def corrected_export(folder: Path) -> Export:
    """Write a corrected supply CSV (GBK) and a complete parcel export (GeoPackage)."""
    sample = data_path("sample")
    supply = pd.read_csv(
        sample / "supply_results.csv", encoding="gbk", dtype=str, keep_default_na=False
    )
    renamed = {}
    for i in (0, 1, 2):
        old = supply.loc[i, "土地使用权人"]
        supply.loc[i, "土地使用权人"] = old.replace("有限公司", "科技有限公司")
        renamed[supply.loc[i, "电子监管号"]] = (old, supply.loc[i, "土地使用权人"])
    j = int(np.flatnonzero(supply["约定开工时间"].str.len() > 0)[5])
    supply.loc[j, "约定开工时间"] = _start_text(supply.loc[j, "约定开工时间"])
    supply_file = folder / "供地结果_更正.csv"
    supply.to_csv(supply_file, index=False, encoding="gbk")

    parcels = gpd.read_file(sample / "parcels.shp", encoding="gbk", engine="pyogrio")
    fixed = {}
    for i in range(20, 20 + AREA_FIXED):
        old = float(parcels.loc[i, "ZDMJ"])
        parcels.loc[i, "ZDMJ"] = round(old * 1.05, 2)
        fixed[parcels.loc[i, "ZDDM"]] = (old, float(parcels.loc[i, "ZDMJ"]))
    moved = parcels.loc[20, "ZDDM"]
    parcels.loc[20, "geometry"] = shapely.affinity.translate(parcels.loc[20, "geometry"], MOVE_M)
    gone = parcels.loc[100 : 100 + GONE - 1, "ZDDM"].tolist()
    parcels = parcels[~parcels["ZDDM"].isin(gone)]
    extra = parcels.iloc[200 : 200 + NEW].copy()
    extra["ZDDM"] = [f"341502001001GB9{k:04d}" for k in range(NEW)]
    extra["DZJGH"] = None
    extra["geometry"] = extra.geometry.translate(0, 5000)
    parcels = pd.concat([parcels, extra], ignore_index=True)
    parcel_file = folder / "宗地_完整导出.gpkg"
    gpd.GeoDataFrame(parcels, crs=parcels.crs).to_file(parcel_file, engine="pyogrio")
    return Export(
        [supply_file, parcel_file],
        renamed,
        supply.loc[j, "电子监管号"],
        fixed,
        moved,
        gone,
        extra["ZDDM"].tolist(),
        parcels["ZDDM"].tolist(),
    )


@dataclass
class TwoLoads:
    engine: object
    first: int
    second: int
    export: Export
    first_parcels: pd.DataFrame
    first_supply: pd.DataFrame


def _history_rows(engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}_history"')).scalar())


@pytest.fixture
def two_loads(engine, tmp_path: Path) -> TwoLoads:
    """Sample loaded, then the corrected export loaded and the missing parcels retired."""
    first = load_paths(engine, sample_paths(), kind="auto", rejects=tmp_path / "r1.csv")
    first_parcels = read(engine, "parcel")
    first_supply = read(engine, "land_supply")
    export = corrected_export(tmp_path)
    second = load_paths(engine, export.files, kind="auto", rejects=tmp_path / "r2.csv", link=False)
    with engine.begin() as conn:
        retire_missing(conn, "parcel", ("parcel_code",), export.parcel_codes, second.batch_id)
    return TwoLoads(engine, first.batch_id, second.batch_id, export, first_parcels, first_supply)


def _same_table(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.sort_values("fid").reset_index(drop=True)
    b = b.sort_values("fid").reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        if col == "geom":
            assert shapely.equals_exact(
                np.asarray(a[col].values, dtype=object), np.asarray(b[col].values, dtype=object), 0
            ).all()
            continue
        x, y = a[col].astype(object), b[col].astype(object)
        same = (x.isna() & y.isna()) | (x.astype(str) == y.astype(str))
        assert same.all(), (col, a.loc[~same, col].head(3).tolist(), b.loc[~same, col].head(3))


def test_diff_lists_exactly_the_corrections(two_loads: TwoLoads) -> None:
    t, ex = two_loads, two_loads.export
    changes = diff_since(t.engine, t.first)
    assert (changes.since, changes.until) == (t.first, t.second)
    kinds = changes.by_kind().set_index("table")
    assert set(kinds.index) == {"land_supply", "parcel"}
    assert kinds.loc["parcel"].to_dict() == {"added": NEW, "retired": GONE, "changed": AREA_FIXED}
    assert kinds.loc["land_supply"].to_dict() == {"added": 0, "retired": 0, "changed": RENAMED + 1}
    assert sorted(changes.added["key"]) == sorted(ex.new)
    assert sorted(changes.retired["key"]) == sorted(ex.gone)
    fields = changes.fields.set_index(["table", "key", "field"])
    for no, (old, new) in ex.renamed.items():
        assert fields.loc[("land_supply", no, "holder"), ["old", "new"]].tolist() == [old, new]
    assert ("land_supply", ex.moved_start, "agreed_start_date") in fields.index
    for code, (old, new) in ex.area_fixed.items():
        got = fields.loc[("parcel", code, "area_m2"), ["old", "new"]].tolist()
        assert got == pytest.approx([old, new])
    assert len(changes.fields) == RENAMED + 1 + AREA_FIXED  # nothing else changed
    geo = changes.geometry.set_index("key")
    assert list(geo.index) == [ex.moved]
    assert geo.loc[ex.moved, "moved_m"] == pytest.approx(MOVE_M, rel=0.01)
    assert abs(geo.loc[ex.moved, "area_change"]) < 1e-6
    rules = changes.rules.groupby("rule").size().to_dict()
    assert rules == {"holder_renamed": RENAMED, "agreed_start_moved": 1, "area_changed": 10}
    zones = changes.by_zone()
    assert zones["changed"].sum() == AREA_FIXED + RENAMED + 1
    assert zones.loc[zones["table"] == "parcel", "zone_code"].ne("").all()
    text_out = changes.summary_text()
    assert "parcel" in text_out
    assert "土地使用权人更名: 3" in text_out


def test_change_report_workbook(two_loads: TwoLoads, tmp_path: Path) -> None:
    changes = diff_since(two_loads.engine, two_loads.first)
    path = changes.write(tmp_path / "变更.xlsx", synthetic=True)
    sheets = pd.read_excel(path, sheet_name=None, header=1)
    assert list(sheets) == ["汇总", "字段变更", "规则相关变更"]
    assert len(sheets["规则相关变更"]) == RENAMED + 1 + AREA_FIXED
    assert len(sheets["字段变更"]) == RENAMED + 1 + AREA_FIXED + 1  # + the moved boundary


def test_as_of_first_batch_is_the_first_load(two_loads: TwoLoads) -> None:
    t = two_loads
    _same_table(read(t.engine, "parcel", as_of=t.first), t.first_parcels)
    _same_table(read(t.engine, "land_supply", as_of=t.first), t.first_supply)
    now = read(t.engine, "parcel", as_of=t.second)
    assert len(now) == len(t.first_parcels) - GONE + NEW
    _same_table(now, read(t.engine, "parcel"))
    batches = read(t.engine, "load_batch").set_index("fid")
    first_done = batches.loc[t.first, "finished_at"]
    assert resolve_vintage(t.engine, first_done) == t.first
    assert resolve_vintage(t.engine, first_done.isoformat()) == t.first
    assert len(read(t.engine, "parcel", as_of=first_done)) == len(t.first_parcels)
    joined = parcels_with_contract(t.engine, as_of=t.first)
    assert len(joined) == len(t.first_parcels)
    assert set(t.export.gone) <= set(joined["parcel_code"])


def test_history_interval_and_who(two_loads: TwoLoads) -> None:
    t = two_loads
    hist = read(t.engine, "parcel_history")
    code = next(iter(t.export.area_fixed))
    row = hist[hist["parcel_code"] == code].iloc[0]
    assert (row["valid_from_batch"], row["valid_to_batch"]) == (t.first, t.second)
    assert row["change"] == "updated"
    assert row["area_m2"] == pytest.approx(t.export.area_fixed[code][0])
    assert row["changed_by"] == batch_identity_user()
    current = read(t.engine, "parcel").set_index("parcel_code")
    assert int(current.loc[code, "batch_id"]) == t.second
    assert int(row["row_fid"]) == int(current.loc[code, "fid"])
    retired = hist[hist["change"] == "retired"]
    assert sorted(retired["parcel_code"]) == sorted(t.export.gone)
    assert (retired["valid_to_batch"] == t.second).all()
    assert retired["valid_to"].notna().all()
    assert len(hist) == AREA_FIXED + GONE
    if t.engine.dialect.name == "postgresql":
        with t.engine.connect() as conn:
            role = conn.execute(text("SELECT current_user")).scalar()
        assert set(hist["changed_by_role"]) == {role}
    else:
        assert hist["changed_by_role"].isna().all()


def batch_identity_user() -> str:
    from devzone.db.history import os_user

    return os_user()


def test_loading_the_same_files_twice_keeps_no_history(engine, tmp_path: Path) -> None:
    load_paths(engine, sample_paths(), kind="auto", rejects=tmp_path / "r.csv")
    again = load_paths(engine, sample_paths(), kind="auto", rejects=tmp_path / "r.csv")
    assert again.updated == 0
    assert again.inserted == 0
    for name in ("parcel", "land_supply", "enterprise", "project_progress", "building"):
        assert _history_rows(engine, name) == 0
    assert diff_since(engine).empty


def test_retire_missing(engine, tmp_path: Path) -> None:
    load_paths(engine, sample_paths()[:3], kind="auto", rejects=tmp_path / "r.csv")
    supply = read(engine, "land_supply")
    keep = supply["supervision_no"].iloc[2:].tolist()
    batch = load_paths(engine, sample_paths()[2:3], kind="auto", link=False).batch_id
    with engine.begin() as conn:
        assert retire_missing(conn, "land_supply", ("supervision_no",), keep, batch) == 2
        assert retire_missing(conn, "land_supply", ("supervision_no",), keep, batch) == 0
        with pytest.raises(DatabaseError, match="retire every"):
            retire_missing(conn, "land_supply", ("supervision_no",), [], batch)
    assert len(read(engine, "land_supply")) == len(supply) - 2
    hist = read(engine, "land_supply_history")
    assert sorted(hist["supervision_no"]) == sorted(supply["supervision_no"].iloc[:2])
    _same_table(read(engine, "land_supply", as_of=1), supply)


def test_resolve_vintage_and_result_vintage(engine, tmp_path: Path) -> None:
    load_paths(engine, sample_paths()[:2], kind="auto", rejects=tmp_path / "r.csv")
    assert resolve_vintage(engine, 1) == 1
    assert current_vintage(engine) == 1
    assert resolve_vintage(engine, "1") == 1
    assert resolve_vintage(engine, dt.date.today() + dt.timedelta(days=1)) == 1
    with pytest.raises(DatabaseError, match="no load had finished"):
        resolve_vintage(engine, "2019-06-30")
    with pytest.raises(DatabaseError, match="no load batch 7"):
        resolve_vintage(engine, 7)
    frame = pd.DataFrame({"zone_code": ["Z1"], "year": [2019], "rank": [1]})
    from devzone.db.io import result_table

    cols = [c.name for c in result_table("zone_evaluation").c if c.name != "fid"]
    row = pd.DataFrame({c: [None] for c in cols}).assign(**frame.iloc[0].to_dict())
    write_frame(
        engine,
        "zone_evaluation",
        row,
        replace_where={"year": 2019},
        vintage=1,
        command="devzone zones rank --year 2019",
    )
    got = read(engine, "result_vintage")
    assert got[["result_table", "result_key", "data_batch"]].values.tolist() == [
        ["zone_evaluation", '{"year": 2019}', 1]
    ]
    write_frame(engine, "zone_evaluation", row, replace_where={"year": 2019}, vintage=1)
    assert len(read(engine, "result_vintage")) == 1


def test_batch_identity(engine) -> None:
    with engine.connect() as conn:
        who = batch_identity(conn)
    assert who["os_user"]
    assert (who["db_role"] is None) == (engine.dialect.name == "geopackage")


def test_history_tables_are_declared_from_the_inputs() -> None:
    from devzone.db.schema import Base

    for name in ("parcel", "project_progress", "enterprise"):
        cols = [c.name for c in Base.metadata.tables[name].c if c.name != "fid"]
        hist = [c.name for c in history_table(name).c]
        assert set(cols) <= set(hist)
        assert "row_fid" in hist
        types = {c.name: type(c.type) for c in history_table(name).c}
        assert all(types[c.name] is type(c.type) for c in Base.metadata.tables[name].c[1:])
    assert natural_key("project_progress") == ("project_key", "report_date")


def test_latest_progress_ignores_later_reports() -> None:
    p = pd.DataFrame(
        {
            "project_key": ["A", "A", "A", "B", "C"],
            "report_date": pd.to_datetime(
                ["2019-03-31", "2019-06-30", "2020-03-31", "2020-01-31", None]
            ),
            "government_cause": [None, "规划修改", None, "x", None],
        }
    )
    got = latest_progress(p, dt.date(2019, 12, 31))
    assert got["project_key"].tolist() == ["A", "C"]
    assert got["government_cause"].iloc[0] == "规划修改"
    assert pd.isna(got["government_cause"].iloc[1])
    latest = latest_progress(p, None)
    assert latest["project_key"].tolist() == ["A", "B", "C"]
    assert latest["report_date"].dt.year.tolist()[:2] == [2020, 2020]


def test_gpkg_history_tables_open_in_gdal(engine, tmp_path: Path) -> None:
    if engine.dialect.name != "geopackage":
        pytest.skip("GeoPackage registration")
    import pyogrio

    path = engine.url.database
    layers = dict(pyogrio.list_layers(path).tolist())
    assert layers["parcel_history"] == "MultiPolygon"
    assert "land_supply_history" in layers
    with engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT table_name, data_type FROM gpkg_contents")).all())
    assert kinds["parcel_history"] == "features"
    assert kinds["land_supply_history"] == "attributes"


def test_progress_series_and_government_cause_added(engine, tmp_path: Path) -> None:
    files = sample_paths()
    first = load_paths(engine, files, kind="auto", rejects=tmp_path / "r.csv")
    stored = read(engine, "project_progress")
    reports = pd.read_excel(data_path("sample", "project_progress.xlsx"), dtype=str)
    no_cause = reports["政府原因"].isna()
    later = reports[no_cause].head(2).copy()
    later["填报日期"] = "2020-03-31"
    later.loc[later.index[0], "政府原因"] = "土地利用总体规划、城乡规划依法修改"
    path = tmp_path / "项目进度_2020Q1.csv"
    later.to_csv(path, index=False, encoding="utf-8-sig")
    second = load_paths(engine, [path], kind="progress", rejects=tmp_path / "r2.csv", link=False)
    assert (second.inserted, second.updated, second.rejected) == (2, 0, 0)
    series = read(engine, "project_progress")
    assert len(series) == len(stored) + 2
    assert _history_rows(engine, "project_progress") == 0  # a new report is a new row
    key = later["电子监管号"].iloc[0]
    mine = series[series["project_key"] == key]
    assert len(mine) == 2
    then = latest_progress(series, "2019-12-31")
    assert then.loc[then["project_key"] == key, "government_cause"].isna().all()
    now = latest_progress(series, "2020-06-30")
    assert now.loc[now["project_key"] == key, "government_cause"].notna().all()
    changes = diff_since(engine, first.batch_id)
    rules = changes.rules[changes.rules["rule"] == "government_cause_added"]
    assert rules["key"].tolist() == [f"{key}/2020-03-31"]
    assert changes.by_kind().set_index("table").loc["project_progress", "added"] == 2


def test_a_database_made_before_history_gets_it_at_the_first_change(engine, tmp_path: Path):
    load_paths(engine, sample_paths()[:3], kind="auto", rejects=tmp_path / "r.csv")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE land_supply_history"))
        if engine.dialect.name == "geopackage":
            for meta in ("gpkg_data_columns", "gpkg_contents"):  # data columns refer to contents
                conn.execute(text(f"DELETE FROM {meta} WHERE table_name = 'land_supply_history'"))
    assert len(read(engine, "land_supply", as_of=1)) == len(read(engine, "land_supply"))
    keep = read(engine, "land_supply")["supervision_no"].iloc[1:].tolist()
    with engine.begin() as conn:
        assert retire_missing(conn, "land_supply", ("supervision_no",), keep, 2) == 1
    assert len(read(engine, "land_supply_history")) == 1
    if engine.dialect.name == "geopackage":
        with engine.connect() as conn:
            kind = conn.execute(
                text("SELECT data_type FROM gpkg_contents WHERE table_name = 'land_supply_history'")
            ).scalar()
        assert kind == "attributes"


def test_an_older_progress_table_gets_the_series_key(engine) -> None:
    from sqlalchemy import MetaData, Table, insert

    from devzone.db.admin import init_db, migrate_progress_key
    from devzone.db.schema import ProjectProgress

    declared = ProjectProgress.__table__
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE project_progress"))
        cols = [c._copy() for c in declared.c]
        for c in cols:
            c.unique = c.name == "project_key" or None
            c.index = None
        old = Table("project_progress", MetaData(), *cols)
        old.create(conn)
        conn.execute(insert(old).values(project_key="S1", report_date=dt.date(2019, 6, 30)))
    assert migrate_progress_key(engine) is True
    init_db(engine)  # idempotent afterwards
    assert migrate_progress_key(engine) is False
    with engine.begin() as conn:
        conn.execute(insert(declared).values(project_key="S1", report_date=dt.date(2019, 12, 31)))
    got = read(engine, "project_progress").sort_values("report_date")
    assert got["report_date"].dt.strftime("%Y-%m-%d").tolist() == ["2019-06-30", "2019-12-31"]
