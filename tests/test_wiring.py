"""The cases (issue 16) and the people (issue 18) wired into the product.

On the bundled sample, through the ``devzone`` command as a planner runs it:

* ``devzone idle`` proposes a case per idle parcel and exit candidate; a second run
  neither duplicates nor resets any; ``devzone cases due`` lists every overdue step
  with its county and zone; the case ledger an officer fills loads back through
  ``devzone etl load`` and moves the cases on; a bad row is rejected with its row and
  field (both backends);
* on a city server, a zone role's load of the whole city's parcels inserts its own and
  rejects the others with the reason; its analyses say "范围: …"; city-wide rankings
  refuse it; the audit names the command and the batch of every change (PostGIS).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from devzone.cli.main import app
from devzone.db import cases_io
from devzone.db.admin import init_db
from devzone.db.audit import list_audit, os_user, set_command
from devzone.db.engine import make_engine, resolve_url
from devzone.db.io import read, write_frame
from devzone.db.roles import add_user
from devzone.etl.load import load_paths
from devzone.jobs.demo import sample_paths
from devzone.paths import data_path
from devzone.vocab import IDLE_STATUSES

AS_OF = "2019-12-31"
READ_ON = "2020-03-01"  # the day the officer's ledger is read and the clocks are due
ZONE = "S347042"  # 安徽裕安经济开发区 in the sample
WIDE = {"COLUMNS": "400"}


def _cli(*args: str) -> str:
    res = CliRunner().invoke(app, list(args), env=WIDE)
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


def _headline(output: str, label: str) -> str:
    line = next(x for x in output.splitlines() if x.startswith(label))
    return line.split(":", 1)[1].strip()


def _fill_ledger(src: Path, dst: Path) -> dict[str, int]:
    """Fill three idle cases as an officer would, in Excel, and save the workbook.

    A: notice served (an Excel date) with its 文号, the answer received (typed as
    ``2020年2月5日``); B: notice, then the 认定书; C: notice, 认定书, 听证告知书, and a
    fee decision dated 2020-01-05, before the notices: a bad row. Returns the cases'
    spreadsheet rows by letter, with their case ids in ``ids``.
    """
    wb = openpyxl.load_workbook(src)
    ws = wb["案件台账"]
    head = {c.value: c.column for c in ws[2]}  # row 1 is the note line
    rows = {ws.cell(r, head["案件编号"]).value: r for r in range(3, ws.max_row + 1)}
    a, b, c = sorted(case for case in rows if case.startswith("IDLE-"))[:3]

    def put(case: str, label: str, value: object) -> None:
        ws.cell(rows[case], head[label]).value = value

    put(a, "调查通知书送达日期", dt.date(2020, 1, 10))
    put(a, "调查通知书文号", "六自然资闲〔2020〕0001号")
    put(a, "答复材料收到日期", "2020年2月5日")
    put(a, "经办人", "张三")
    put(b, "调查通知书送达日期", dt.date(2020, 1, 15))
    put(b, "认定书送达日期", dt.date(2020, 2, 20))
    put(c, "调查通知书送达日期", dt.date(2020, 1, 20))
    put(c, "认定书送达日期", dt.date(2020, 2, 10))
    put(c, "听证告知书送达日期", dt.date(2020, 2, 20))
    put(c, "处置决定", "征缴土地闲置费")
    put(c, "决定书送达日期", dt.date(2020, 1, 5))
    wb.save(dst)
    return {"A": rows[a], "B": rows[b], "C": rows[c], "ids": [a, b, c]}  # type: ignore[dict-item]


def _load_json(url: str, path: Path, rejects: Path) -> dict:
    out = _cli("etl", "load", str(path), "--db", url, "--json", "--rejects", str(rejects), "-q")
    return json.loads(out[out.index("{") :])


def _due_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "IDLE-" in line or "EXIT-" in line]


def test_cases_round_trip_on_the_sample(db_url: str, tmp_path: Path) -> None:
    eng = make_engine(db_url, create=True)
    init_db(eng)
    load_paths(eng, sample_paths())

    # 1. devzone idle proposes a case for every idle parcel and exit candidate
    first = _cli("idle", "--as-of", AS_OF, "--db", db_url, "--out", str(tmp_path / "idle"))
    status = read(eng, "parcel_idle_status")
    idle_parcels = set(status.loc[status["status"].isin(IDLE_STATUSES), "parcel_code"])
    cases = cases_io.read_cases(eng)
    assert int(_headline(first, "新立案件")) == len(cases) > len(idle_parcels) > 0
    assert set(cases.loc[cases["procedure"] == "idle", "parcel_code"]) == idle_parcels
    assert set(cases["procedure"]) >= {"idle", "exit"}
    assert cases["county"].notna().all()  # through the zone's district_code
    assert (cases["state"] == "suspected").all()

    # 2. the ledger written by `cases due --out`, filled by the officer, loads back
    ledger = tmp_path / "案件台账.xlsx"
    due = _cli("cases", "due", "--as-of", READ_ON, "--db", db_url, "--out", str(ledger))
    filled = _fill_ledger(ledger, tmp_path / "案件台账_已填.xlsx")
    a, b, c = filled["ids"]
    rejects = tmp_path / "rejects.csv"
    summary = _load_json(db_url, tmp_path / "案件台账_已填.xlsx", rejects)
    (file,) = summary["files"]
    assert file["kind"] == "case_ledger"
    # 8 filled date cells = 8 events: A 2, B 2, C 4 of which the decision is refused
    assert (file["read"], file["inserted"], file["unchanged"], file["rejected"]) == (8, 7, 0, 1)
    bad = pd.read_csv(rejects, encoding="utf-8-sig")
    assert bad[["row", "field"]].values.tolist() == [[filled["C"], "决定书送达日期"]]
    assert "before its predecessor hearing_notice_served (2020-02-20)" in bad["reason"].iloc[0]

    # the cases moved to their next states (read on 2020-03-01)
    _cli("cases", "due", "--as-of", READ_ON, "--db", db_url)
    moved = cases_io.read_cases(eng).set_index("case_id")
    assert moved.loc[[a, b, c], "state"].tolist() == ["investigating", "determined", "hearing"]
    assert moved.loc[a, "next_step"] == "determine"
    events = cases_io.read_events(eng)
    served = events[(events["case_id"] == a) & (events["event_type"] == "notice_served")]
    assert served[["doc_no", "recorded_by", "src_row"]].values.tolist() == [
        ["六自然资闲〔2020〕0001号", "张三", filled["A"]]
    ]
    assert served["src_file"].iloc[0].endswith("案件台账_已填.xlsx")

    # loading the same workbook again records nothing and rejects the same row again
    again = _load_json(db_url, tmp_path / "案件台账_已填.xlsx", rejects)["files"][0]
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 7, 1)

    # 3. a second devzone idle neither duplicates nor resets any case
    before = cases_io.read_cases(eng).sort_values("case_id").reset_index(drop=True)
    second = _cli("idle", "--as-of", AS_OF, "--db", db_url)
    assert _headline(second, "新立案件") == "0"
    after = cases_io.read_cases(eng).sort_values("case_id").reset_index(drop=True)
    keep = ["case_id", "procedure", "parcel_code", "opened_on", "opened_by"]
    pd.testing.assert_frame_equal(before[keep], after[keep])
    assert len(cases_io.read_events(eng)) == 7
    _cli("cases", "due", "--as-of", READ_ON, "--db", db_url)
    states = cases_io.read_cases(eng).set_index("case_id")
    assert states.loc[[a, b, c], "state"].tolist() == ["investigating", "determined", "hearing"]

    # 4. cases due lists every overdue step with its county and zone: a case opened on
    # 2019-12-31 must have its 调查通知书 served within 30 days, by 2020-01-30; on
    # 2020-03-01 that is 31 days overdue (2020-01-30 + 31 days = 2020-03-01).
    due = _cli("cases", "due", "--as-of", READ_ON, "--within", "0", "--db", db_url)
    overdue = states[states["overdue"].astype(bool)]
    unserved = states[(states["procedure"] == "idle") & (states["state"] == "suspected")]
    assert set(unserved.index) <= set(overdue.index)  # every notice not served is late
    lines = {line.split()[1]: line for line in _due_lines(due)}
    assert set(lines) == set(overdue.index)
    for case_id, row in overdue.iterrows():
        assert row["county"] in lines[case_id], case_id
        assert row["zone_code"] in lines[case_id], case_id
    suspected = overdue[overdue["state"] == "suspected"].index[0]
    assert "2020-01-30" in lines[suspected]
    assert "-31" in lines[suspected]
    eng.dispose()


def test_a_geopackage_load_records_the_os_user(tmp_path: Path) -> None:
    eng = make_engine(str(tmp_path / "x.gpkg"), create=True)
    load_paths(eng, [data_path("sample") / "zones.geojson"])
    batches = read(eng, "load_batch")
    assert batches["os_user"].tolist() == [os_user()]
    eng.dispose()


# --------------------------------------------------------------------------- server


@pytest.fixture
def zone_server(pg_url: str) -> Iterator[tuple[Engine, str, str]]:
    """The city's districts and zones loaded by the owner, and a login role of zone
    S347042 (安徽裕安经济开发区): (owner engine, owner URL, the zone role's URL)."""
    admin = make_engine(pg_url)
    init_db(admin)
    sample = data_path("sample")
    load_paths(admin, [sample / "districts.geojson", sample / "zones.geojson"])
    role = "dzw_" + uuid.uuid4().hex[:8]
    add_user(admin, role, "zone", ZONE)
    url = make_url(resolve_url(pg_url)).set(username=role).render_as_string(hide_password=False)
    try:
        yield admin, pg_url, url
    finally:
        engine = create_engine(resolve_url(pg_url))
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        engine.dispose()
        admin.dispose()


@pytest.mark.postgis
def test_a_zone_role_loads_its_own_rows_and_the_others_are_rejected(
    zone_server: tuple[Engine, str, str], tmp_path: Path
) -> None:
    admin, _, zone_url = zone_server
    sample = data_path("sample")
    rejects = tmp_path / "rejects.csv"
    out = _cli(
        "etl", "load", str(sample / "supply_results.csv"), str(sample / "parcels.shp"),
        "--db", zone_url, "--json", "--rejects", str(rejects), "-q",
    )  # fmt: skip
    summary = json.loads(out[out.index("{") :])
    files = {Path(f["file"]).name: f for f in summary["files"]}
    parcels = read(admin, "parcel")  # the owner sees what was written
    assert set(parcels["zone_code"]) == {ZONE}
    assert files["parcels.shp"]["inserted"] == len(parcels) > 0
    assert files["parcels.shp"]["rejected"] == files["parcels.shp"]["read"] - len(parcels)
    # its parcels' contracts too (the parcels are written first), none of the others
    supply = read(admin, "land_supply")
    assert set(supply["supervision_no"]) <= set(parcels["supervision_no"])
    assert files["supply_results.csv"]["inserted"] == len(supply) > 0
    bad = pd.read_csv(rejects, encoding="utf-8-sig", dtype=str)
    assert len(bad) == summary["rejected"]
    assert (
        bad["reason"]
        .str.contains(f"outside the scope of this role (zone {ZONE})", regex=False)
        .all()
    )
    shp = bad[bad["file"].str.endswith("parcels.shp")]
    assert set(shp["field"]) == {"KFQDM"}  # the file's own header for 开发区代码
    assert ZONE not in set(shp["value"])
    # who loaded, and the audit trail names the command and the batch of every insert
    batch = read(admin, "load_batch").set_index("fid").loc[summary["batch_id"]]
    assert batch["os_user"] == os_user()
    entries = list_audit(admin, table="parcel")
    assert len(entries) == len(parcels)
    assert {(e.command or "").split(" /")[0] for e in entries} == {"etl load"}
    assert {e.batch_id for e in entries} == {str(summary["batch_id"])}
    assert all("postgresql://" not in (e.command or "") for e in entries)


@pytest.mark.postgis
def test_a_zone_role_analyses_its_own_land_and_says_so(
    zone_server: tuple[Engine, str, str], tmp_path: Path
) -> None:
    admin, owner_url, zone_url = zone_server
    load_paths(admin, sample_paths())  # the whole city, loaded by the owner
    out = _cli("idle", "--as-of", AS_OF, "--db", zone_url, "--out", str(tmp_path / "idle"))
    assert "范围: 安徽裕安经济开发区 (S347042)" in out.splitlines()[0]
    judged = int(_headline(out, "宗地 parcels judged"))
    assert judged == int((read(admin, "parcel")["zone_code"] == ZONE).sum())
    ledger = openpyxl.load_workbook(tmp_path / "idle" / f"闲置土地台账_{AS_OF}.xlsx")
    notes = [str(ws.cell(1, 1).value) for ws in ledger.worksheets]
    assert all("范围: 安徽裕安经济开发区 (S347042)" in n for n in notes), notes
    cases = cases_io.read_cases(admin)
    assert set(cases["zone_code"]) == {ZONE}
    # the owner (no devzone role) sees the whole city: no scope line
    assert "范围" not in _cli("idle", "--as-of", AS_OF, "--db", owner_url)
    # city-wide rankings refuse a zone role in one paragraph (the installed command)
    devzone = str(Path(sys.executable).with_name("devzone"))
    for args in (["zones", "rank", "--year", "2019"], ["report", "corridor", "--year", "2019"]):
        res = subprocess.run(
            [devzone, *args, "--db", zone_url, "--out", str(tmp_path / "rank")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 2, res.stderr
        message = " ".join(res.stderr.split())
        assert "ranks every zone of the city, but this role sees only 安徽裕安经济开发区" in message
        assert "Traceback" not in res.stderr


@pytest.mark.postgis
def test_write_frame_tags_its_transaction_with_the_command(pg_url: str) -> None:
    import geopandas as gpd
    import shapely

    eng = make_engine(pg_url)
    init_db(eng)
    row = gpd.GeoDataFrame(
        {"name": ["走廊"], "method": ["buffer"], "description": ["测试"], "area_km2": [1.0]},
        geometry=[shapely.box(116.0, 31.0, 116.1, 31.1)],
        crs=4490,
    ).rename_geometry("geom")
    set_command("report corridor --year 2019")
    try:
        write_frame(eng, "corridor", row)
    finally:
        set_command(None)
    write_frame(eng, "corridor", row)  # no command set: the table it writes
    commands = [e.command for e in list_audit(eng, table="corridor") if e.op == "INSERT"]
    assert sorted(commands) == ["report corridor --year 2019", "write corridor"]
    with eng.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM corridor")).scalar() == 1
    eng.dispose()
