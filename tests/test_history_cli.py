"""Issue 14's acceptance from the command line, on both backends (``db_url``).

The bundled sample is loaded twice (nothing changes, no history), then the corrected
second export of :func:`test_history.corrected_export` (3 holders renamed, an agreed start
date moved, 10 parcel areas corrected, 3 parcels gone from a complete parcel export, 5 new)
with ``--complete``. ``devzone etl diff`` lists exactly those changes; ``devzone idle
--data-as-of <first batch>`` reproduces the first ledger row for row, and both ledgers say
which data vintage they used. A project with twelve monthly progress reports keeps all
twelve, and the idle status on an earlier as-of date uses the report valid then.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from test_history import AREA_FIXED, GONE, NEW, RENAMED, corrected_export
from typer.testing import CliRunner

from devzone.cli.main import app
from devzone.db.engine import make_engine
from devzone.db.history import os_user
from devzone.db.io import read
from devzone.jobs.demo import sample_paths

pytestmark = pytest.mark.filterwarnings("ignore:Non-conformant content:RuntimeWarning")


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _ledger(folder: Path) -> tuple[pd.DataFrame, str]:
    """The ledger's first sheet (its rows) and the note above it."""
    path = next(folder.glob("闲置土地台账_*.xlsx"))
    rows = pd.read_excel(path, sheet_name=0, header=1, dtype=str)
    note = str(pd.read_excel(path, sheet_name=0, header=None, nrows=1).iloc[0, 0])
    return rows, note


def _history_rows(engine) -> int:
    from devzone.db.history import INPUT_TABLES

    with engine.connect() as conn:
        have = set(conn.dialect.get_table_names(conn))
        return sum(
            int(conn.execute(text(f'SELECT count(*) FROM "{t}_history"')).scalar())
            for t in INPUT_TABLES
            if f"{t}_history" in have
        )


def test_reload_diff_and_idle_as_of_first_batch(db_url: str, tmp_path: Path) -> None:
    files = [str(p) for p in sample_paths()]
    rej = str(tmp_path / "rejects.csv")
    cli("etl", "load", *files, "--db", db_url, "--rejects", rej, "-q")
    engine = make_engine(db_url)
    first = int(read(engine, "load_batch")["fid"].max())
    ledger_dir = tmp_path / "idle1"
    cli("idle", "--as-of", "2019-12-31", "--db", db_url, "--out", str(ledger_dir))

    # the same files again: everything unchanged, no history row, nothing in the report
    out = cli("etl", "load", *files, "--db", db_url, "--rejects", rej, "-q")
    assert "nothing added, retired or changed" in out
    again = read(engine, "load_batch").sort_values("fid").iloc[-1]
    assert (int(again["inserted"]), int(again["updated"])) == (0, 0)
    assert int(again["unchanged"]) == int(again["rows_read"])
    assert _history_rows(engine) == 0

    export = corrected_export(tmp_path)
    changes = tmp_path / "变更.xlsx"
    out = cli(
        "etl", "load", *map(str, export.files), "--db", db_url, "--complete",
        "--changes", str(changes), "--rejects", rej, "-q",
    )  # fmt: skip
    assert f"complete export: {GONE} rows of parcel not listed were retired" in out
    assert "complete export: 0 rows of land_supply not listed were retired" in out
    assert changes.exists()

    out = cli("etl", "diff", "--since", str(first), "--db", db_url, "--out", str(tmp_path / "d.x"))
    counts = {
        line.split()[0]: [int(n) for n in re.findall(r"\d+", line)]
        for line in out.splitlines()
        if "新增" in line
    }  # "  parcel  新增 5  注销 3  变更 10"
    assert counts["parcel"] == [NEW, GONE, AREA_FIXED]
    assert counts["land_supply"] == [0, 0, RENAMED + 1]
    # the only other change: holder-name links made for the five new parcels
    assert set(counts) <= {"parcel", "land_supply", "parcel_enterprise"}
    from devzone.jobs.etl_diff import diff_since

    found = diff_since(engine, first)
    links = found.added[found.added["table"] == "parcel_enterprise"]
    assert set(links["key"].str.split("/").str[0]) <= set(export.new)
    assert not len(found.changed[found.changed["table"] == "parcel_enterprise"])
    assert not len(found.retired[found.retired["table"] == "parcel_enterprise"])
    assert f"土地使用权人更名: {RENAMED}" in out

    again_dir, now_dir = tmp_path / "idle_again", tmp_path / "idle_now"
    cli("idle", "--as-of", "2019-12-31", "--data-as-of", str(first), "--db", db_url,
        "--out", str(again_dir))  # fmt: skip
    then, then_note = _ledger(ledger_dir)
    again_rows, again_note = _ledger(again_dir)
    pd.testing.assert_frame_equal(again_rows, then)  # row for row
    assert f"数据版本: 第 {first} 批" in then_note
    assert f"数据版本: 第 {first} 批" in again_note
    out = cli("idle", "--as-of", "2019-12-31", "--db", db_url, "--out", str(now_dir))
    now_rows, now_note = _ledger(now_dir)
    second = int(read(engine, "load_batch")["fid"].max())
    assert f"数据版本: 第 {second} 批" in now_note
    assert f"第 {second} 批" in out
    # the 5 new parcels are judged; the 3 retired ones keep their supply contract, which
    # is still judged (as a contract without a parcel boundary)
    assert len(now_rows) == len(then) + NEW
    assert set(export.new) <= set(now_rows.iloc[:, 0]) - set(then.iloc[:, 0])
    vintages = read(engine, "result_vintage").set_index("result_table")
    assert int(vintages.loc["parcel_idle_status", "data_batch"]) == second

    batches = read(engine, "load_batch")
    assert set(batches["os_user"]) == {os_user()}
    hist = read(engine, "parcel_history")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            role = conn.execute(text("SELECT current_user")).scalar()
        assert set(batches["db_role"]) == {role}
        assert set(hist["changed_by_role"]) == {role}
    else:
        assert batches["db_role"].isna().all()
    engine.dispose()


def _monthly_reports(supervision_no: str, cause_month: int) -> pd.DataFrame:
    """Twelve monthly reports of 2019 (on the 28th); a government cause from ``cause_month``."""
    cause = "土地利用总体规划、城乡规划依法修改"
    months = range(1, 13)
    return pd.DataFrame(
        {
            "电子监管号": supervision_no,
            "填报日期": [f"2019-{m:02d}-28" for m in months],
            "已开发面积(平方米)": "0",
            "已完成投资(万元)": "0",
            "政府原因": [cause if m >= cause_month else "" for m in months],
        }
    )


def test_twelve_monthly_reports_and_the_report_valid_then(engine, tmp_path: Path) -> None:
    from devzone.etl.load import load_paths
    from devzone.jobs.idle import judge
    from devzone.policy import load_policy

    load_paths(engine, sample_paths(), rejects=tmp_path / "r.csv")
    policy = load_policy()
    nov, dec = dt.date(2019, 11, 30), dt.date(2019, 12, 31)
    before = {d: judge(engine, as_of=d, policy=policy)[1]["parcel_idle_status"] for d in (nov, dec)}
    a, b = (before[d].set_index("parcel_code") for d in (nov, dec))
    stored = set(read(engine, "project_progress")["project_key"])
    fee = (a["status"] == "idle_fee") & (b.reindex(a.index)["status"] == "idle_fee")
    fee &= a["supervision_no"].notna() & ~a["supervision_no"].isin(stored)
    code = fee[fee].index[0]
    no = a.loc[code, "supervision_no"]

    path = tmp_path / "项目进度_2019月报.csv"
    _monthly_reports(no, cause_month=12).to_csv(path, index=False, encoding="utf-8-sig")
    s = load_paths(engine, [path], kind="progress", link=False)
    assert (s.inserted, s.rejected) == (12, 0)
    mine = read(engine, "project_progress").query("project_key == @no")
    assert len(mine) == 12  # all twelve kept

    units, results = judge(engine, as_of=nov, policy=policy)
    status = results["parcel_idle_status"].set_index("parcel_code")
    unit = units.set_index("parcel_code").loc[code]
    assert pd.isna(unit["government_cause"])  # the report valid then: 2019-11-28's
    assert status.loc[code, "status"] == "idle_fee"  # November's report names no cause
    units, results = judge(engine, as_of=dec, policy=policy)
    status = results["parcel_idle_status"].set_index("parcel_code")
    assert (
        units.set_index("parcel_code").loc[code, "government_cause"]
        == "土地利用总体规划、城乡规划依法修改"
    )
    assert status.loc[code, "status"] == "government_cause"  # December's names one


def test_a_link_file_keeps_the_name_links_it_replaces(engine, tmp_path: Path) -> None:
    from devzone.etl.load import load_paths

    files = sample_paths()
    links = [p for p in files if p.name == "parcel_enterprise.csv"]
    first = load_paths(engine, [p for p in files if p not in links], rejects=tmp_path / "r.csv")
    by_name = read(engine, "parcel_enterprise")
    assert (by_name["match_method"] == "holder_name").any()
    second = load_paths(engine, links, rejects=tmp_path / "r2.csv")
    note = next(n for n in second.files[0].notes if "holder-name links replaced" in n)
    dropped = int(note.split()[0])
    hist = read(engine, "parcel_enterprise_history")
    hist = hist[hist["change"] == "retired"]  # (name links the file restates are "updated")
    assert len(hist) == dropped > 0
    assert set(hist["match_method"]) == {"holder_name"}
    assert (hist["valid_to_batch"] == second.batch_id).all()
    then = read(engine, "parcel_enterprise", as_of=first.batch_id)
    assert len(then) == len(by_name)


def test_a_reload_cleans_only_the_records_that_changed(engine, tmp_path: Path, monkeypatch) -> None:
    import devzone.etl.load as load_mod
    from devzone.etl.load import load_paths

    supply = next(p for p in sample_paths() if p.name == "supply_results.csv")
    first = load_paths(engine, [supply], link=False)
    cleaned: list[int] = []
    real = load_mod.clean
    monkeypatch.setattr(
        load_mod, "clean", lambda raw, *a, **k: cleaned.append(len(raw.frame)) or real(raw, *a, **k)
    )
    again = load_paths(engine, [supply], link=False)
    assert (again.read, again.unchanged) == (first.read, first.read)
    assert sum(cleaned) <= 1  # one record per chunk still goes through, as unchanged
    frame = pd.read_csv(supply, encoding="gbk", dtype=str, keep_default_na=False)
    frame.loc[[3, 7], "土地使用权人"] = frame.loc[[3, 7], "土地使用权人"] + "（更正）"
    fixed = tmp_path / "供地结果_更正.csv"
    frame.to_csv(fixed, index=False, encoding="gbk")
    cleaned.clear()
    third = load_paths(engine, [fixed], link=False)
    assert sum(cleaned) == 2
    assert (third.updated, third.unchanged, third.read) == (2, first.read - 2, first.read)
    assert len(read(engine, "land_supply_history")) == 2
    stored = read(engine, "land_supply").set_index("supervision_no")
    assert stored["raw_hash"].notna().all()
