"""``run_idle`` and ``devzone idle`` against a real database (GeoPackage and PostGIS):
result tables, rerun idempotence, the ledger workbook and the escaped notices."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio  # noqa: F401  load GDAL before pysqlite3 (see devzone.jobs.idle)
import pytest
from openpyxl import load_workbook
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, delete, text

from devzone.db.admin import all_tables
from devzone.db.bulk import insert_rows
from devzone.db.io import TableMissing, read, table_of
from devzone.jobs.idle import judge, run_idle, status_frame
from devzone.policy import load_policy

AS_OF = dt.date(2019, 12, 31)
DEVZONE = str(Path(sys.executable).with_name("devzone"))


def seed(engine: Engine, name: str, frame: pd.DataFrame) -> None:
    """Replace table ``name``'s rows with test data (the frame's columns the table has;
    ``geom`` as shapely geometries in EPSG:4490)."""
    table = table_of(name)
    geoms = np.asarray(frame["geom"].to_numpy(), dtype=object) if "geom" in frame else None
    all_tables().create_all(engine, tables=[table], checkfirst=True)
    with engine.begin() as conn:
        conn.execute(delete(table))
        insert_rows(conn, table, frame.drop(columns=["geom"], errors="ignore"), geoms)


def _geom(i: int) -> MultiPolygon:
    x = 116.50 + i * 0.01
    return MultiPolygon([box(x, 31.70, x + 0.005, 31.705)])


def load_small(engine) -> None:
    """Four parcels: recover, fee (no price), government cause, not supplied."""
    seed(
        engine,
        "dev_zone",
        pd.DataFrame(
            {"zone_code": ["Z1"], "name": ["示例开发区 (合成)"], "approved_area_ha": [10.0]}
        ),
    )
    seed(
        engine,
        "parcel",
        pd.DataFrame(
            {
                "parcel_code": ["P1", "P2", "P3", "P4"],
                "supervision_no": ["S1", "S2", "S3", None],
                "zone_code": ["Z1"] * 4,
                "holder": ["<script>alert(1)</script>甲公司", "乙公司", "丙公司", None],
                "area_m2": [10000.0, 20000.0, 6000.0, 5000.0],
                "geom": [_geom(i) for i in range(4)],
            }
        ),
    )
    seed(
        engine,
        "land_supply",
        pd.DataFrame(
            {
                "supervision_no": ["S1", "S2", "S3"],
                "parcel_code": ["P1", "P2", "P3"],
                "price_wan": [500.0, None, 300.0],
                "agreed_start_date": [
                    dt.date(2017, 6, 1),
                    dt.date(2018, 6, 1),
                    dt.date(2016, 1, 1),
                ],
            }
        ),
    )
    seed(
        engine,
        "project_progress",
        pd.DataFrame(
            {"project_key": ["S3"], "supervision_no": ["S3"], "government_cause": ["文物保护"]}
        ),
    )
    seed(
        engine,
        "enterprise",
        pd.DataFrame({"credit_code": ["C1"], "name": ["甲公司"], "status": ["破产"]}),
    )
    seed(engine, "parcel_enterprise", pd.DataFrame({"parcel_code": ["P1"], "credit_code": ["C1"]}))


def test_run_idle_writes_tables_ledger_and_notices(engine, tmp_path: Path) -> None:
    load_small(engine)
    out = tmp_path / "idle"
    result = run_idle(engine, as_of=AS_OF, out_dir=out)
    rerun = run_idle(engine, as_of=AS_OF, out_dir=out)  # same as-of: rows replaced
    # the cases are proposed once: the rerun opens none (and resets none)
    opened = "新立案件 cases proposed"
    assert (result["headline"].pop(opened), rerun["headline"].pop(opened)) == (3, 0)
    assert rerun["headline"] == result["headline"]

    st = read(engine, "parcel_idle_status").set_index("parcel_code")
    assert len(st) == 4
    # P1: 2017-06-01 + 2y = 2019-06-01 ≤ as-of → recovery; P2: +1y = 2019-06-01 → fee,
    # no price → unknown; P3: 2016-01-01, three years, but 文物保护 (Art. 8); P4: no contract.
    assert st["status"].to_dict() == {
        "P1": "idle_recover",
        "P2": "idle_fee",
        "P3": "government_cause",
        "P4": "not_supplied",
    }
    assert pd.isna(st.loc["P2", "idle_fee_wan"])
    assert "缺失" in st.loc["P2", "fee_note"]
    assert st.loc["P3", "idle_fee_wan"] == 0.0
    assert st.loc["P1", "idle_since"] == pd.Timestamp("2018-06-01")
    assert st["supervision_category"].to_dict() == {
        "P1": "供而未用",
        "P2": "供而未用",
        "P3": "供而未用",
        "P4": "批而未供",
    }
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM parcel_idle_status WHERE geom IS NOT NULL"))
        assert n.scalar_one() == 4

    ex = read(engine, "exit_candidate")
    assert ex[["parcel_code", "reason"]].values.tolist() == [["P1", "bankrupt"]]
    assert bool(ex.loc[0, "tax_relief_eligible"]) is True

    summary = read(engine, "zone_idle_summary")
    sup = summary[summary["kind"] == "supervision"].set_index("category")
    # 供而未用 = P1 + P2 + P3 = (10000 + 20000 + 6000) m² = 3.6 ha; 批而未供 = P4 = 0.5 ha
    assert sup.loc["供而未用", "area_ha"] == pytest.approx(3.6)
    assert sup.loc["批而未供", "area_ha"] == pytest.approx(0.5)
    zone = summary[summary["kind"] == "zone"].iloc[0]
    assert zone["area_ha"] == pytest.approx(10.0 - 3.6)  # approved − supplied

    assert result["headline"]["闲置 idle parcels"] == 2
    assert result["headline"]["无偿收回 recovery candidates"] == 1

    ledger = out / "闲置土地台账_2019-12-31.xlsx"
    assert ledger in result["outputs"]
    wb = load_workbook(ledger)
    assert wb.sheetnames == ["闲置土地台账", "开发区汇总", "退出候选", "监管分类"]
    assert wb["闲置土地台账"].max_row == 2 + 4  # note + header + 4 parcels
    routes = wb["退出候选"].data_validations.dataValidation
    assert routes
    assert "股份合作" in routes[0].formula1
    # on the route column of the exit row (row 1 note, row 2 header, row 3 P1)
    header = [c.value for c in wb["退出候选"][2]]
    col = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[header.index("处置方式 (请选择)")]
    assert f"{col}3" in routes[0].sqref

    p1 = sorted((out / "notices" / "P1").glob("*.html"))
    assert [p.name for p in p1] == [
        "01_闲置土地调查通知书.html",
        "02_闲置土地认定书.html",
        "03_收回国有建设用地使用权决定书.html",
    ]
    html = p1[0].read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;甲公司" in html
    assert "10,000.00 平方米 (15.00 亩)" in html
    assert "2017年6月1日" in html
    p3 = {p.name: p for p in (out / "notices" / "P3").glob("*.html")}
    assert set(p3) == {"01_闲置土地调查通知书.html", "02_闲置土地认定书.html"}
    assert "文物保护" in p3["02_闲置土地认定书.html"].read_text(encoding="utf-8")
    fee = (out / "notices" / "P2" / "03_征缴土地闲置费决定书.html").read_text(encoding="utf-8")
    assert "成交价格缺失, 闲置费无法计算" in fee
    assert not (out / "notices" / "P4").exists()


def test_run_idle_on_an_empty_database_says_what_to_load(engine, tmp_path: Path) -> None:
    with pytest.raises(TableMissing, match="devzone etl load") as err:
        run_idle(engine, as_of=AS_OF, out_dir=tmp_path)
    assert err.value.table == "parcel"
    assert not (tmp_path / "闲置土地台账_2019-12-31.xlsx").exists()


def test_result_frames_carry_exactly_the_tables_columns(engine) -> None:
    load_small(engine)
    units, results = judge(engine, as_of=AS_OF, policy=load_policy())
    frames = {**results, "parcel_idle_status": status_frame(results["parcel_idle_status"], units)}
    for name, frame in frames.items():
        columns = {c.name for c in table_of(name).c} - {"fid"}
        assert set(frame.columns) == columns, name


def test_parcel_geometry_is_written_natively(engine) -> None:
    load_small(engine)
    run_idle(engine, as_of=AS_OF)
    st = read(engine, "parcel_idle_status").set_index("parcel_code")
    parcels = read(engine, "parcel").set_index("parcel_code")
    for code in ("P1", "P4"):
        assert st.loc[code, "geom"].equals_exact(parcels.loc[code, "geom"], 1e-9)
    if engine.dialect.name == "geopackage":
        # GeoPackage binary (magic "GP"), not a GeoAlchemy2/SpatiaLite blob.
        with engine.connect() as conn:
            magic = conn.execute(text("SELECT DISTINCT substr(geom, 1, 2) FROM parcel_idle_status"))
            assert magic.scalars().all() == [b"GP"]


@pytest.mark.parametrize(("note", "marked"), [("合成数据 (synthetic)", True), (None, False)])
def test_notices_say_when_the_data_is_synthetic(
    engine, tmp_path: Path, note: str | None, marked: bool
) -> None:
    load_small(engine)
    batch = {"started_at": [dt.datetime(2020, 1, 1)], "files": ["x.csv"], "data_note": [note]}
    seed(engine, "load_batch", pd.DataFrame(batch))
    run_idle(engine, as_of=AS_OF, out_dir=tmp_path)
    html = (tmp_path / "notices" / "P1" / "01_闲置土地调查通知书.html").read_text(encoding="utf-8")
    assert ("本宗地数据为合成数据" in html) is marked


def test_cli_idle_runs_and_rejects_a_bad_date(tmp_path: Path) -> None:
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine

    db = tmp_path / "x.gpkg"
    eng = make_engine(str(db), create=True)
    init_db(eng)
    load_small(eng)
    eng.dispose()
    bad = subprocess.run(
        [DEVZONE, "idle", "--as-of", "2019-13-01", "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "--as-of" in bad.stderr
    assert "Traceback" not in bad.stderr
    ok = subprocess.run(
        [DEVZONE, "idle", "--as-of", "2019-12-31", "--db", str(db), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert (tmp_path / "o" / "闲置土地台账_2019-12-31.xlsx").exists()
    assert len(list((tmp_path / "o" / "notices").rglob("*.html"))) == 8  # 3 + 3 + 2
