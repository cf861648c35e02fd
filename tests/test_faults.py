"""Issue 20: faults during a load — kill -9, a dropped connection, a full disk, a locked
GeoPackage, an unwritable rejects file — each end in a consistent database (exactly as
before the load) and a one-paragraph message, never a traceback or a data row."""

from __future__ import annotations

import csv
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from test_etl_builders import SUPPLY_HEADER, sup_no, supply_rows
from typer.testing import CliRunner

from devzone.cli.failures import explain
from devzone.cli.main import app
from devzone.db.engine import make_engine
from devzone.etl.load import load_paths

DEVZONE = Path(sys.executable).with_name("devzone")


def _supply_csv(path: Path, n: int) -> Path:
    base = supply_rows(1)[0]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(SUPPLY_HEADER)
        for i in range(1, n + 1):
            row = list(base)
            row[1] = sup_no(i)
            row[22] = f"341502001002GB{i:05d}"
            w.writerow(row)
    return path


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        names = [
            n
            for n in inspect(engine).get_table_names()
            if not n.startswith(("gpkg", "vgpkg", "rtree", "sqlite", "spatial"))
        ]
        with engine.connect() as conn:
            return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}
    finally:
        engine.dispose()


def _prepared(db_url: str, tmp_path: Path) -> dict[str, int]:
    """A database holding one earlier load; its row counts."""
    engine = make_engine(db_url, create=True)
    load_paths(engine, [_supply_csv(tmp_path / "earlier.csv", 3)])
    engine.dispose()
    return _counts(db_url)


def _one_paragraph(message: str) -> None:
    assert message.strip(), "no message"
    assert "Traceback" not in message
    assert "\n" not in message.strip(), message
    for leak in ("[SQL", "parameters", "INSERT", "UPDATE ", sup_no(1)):
        assert leak not in message, message


def test_kill_9_mid_load_leaves_the_database_as_before(db_url, tmp_path):
    before = _prepared(db_url, tmp_path)
    big = _supply_csv(tmp_path / "big.csv", 2000)
    script = textwrap.dedent(
        """
        import sys, time
        import devzone.etl.load as etl_load
        from devzone.db.engine import make_engine
        original = etl_load._finish_batch
        def stall(conn, summary):  # every row written, the commit not yet done
            original(conn, summary)
            print("WRITTEN", flush=True)
            time.sleep(300)
        etl_load._finish_batch = stall
        etl_load.load_paths(make_engine(sys.argv[1]), [sys.argv[2]])
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, db_url, str(big)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "WRITTEN"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert _counts(db_url) == before


def test_dropped_connection_rolls_back_with_one_paragraph(pg_url, tmp_path, monkeypatch):
    import devzone.etl.load as etl_load

    before = _prepared(pg_url, tmp_path)
    original = etl_load._finish_batch
    killer = make_engine(pg_url)

    def drop(conn, summary):  # the server terminates this session mid-load
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with killer.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        original(conn, summary)

    monkeypatch.setattr(etl_load, "_finish_batch", drop)
    with pytest.raises(DBAPIError) as info:
        load_paths(make_engine(pg_url), [_supply_csv(tmp_path / "big.csv", 500)])
    message = explain(info.value)
    _one_paragraph(message)
    assert "connection" in message.lower()
    killer.dispose()
    assert _counts(pg_url) == before


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_full_disk_on_geopackage_ends_in_one_paragraph(tmp_path):
    gpkg = tmp_path / "landbase.gpkg"
    before = _prepared(str(gpkg), tmp_path)
    big = _supply_csv(tmp_path / "big.csv", 20000)
    limit = gpkg.stat().st_size + 64 * 1024
    r = subprocess.run(
        [
            str(DEVZONE),
            "etl",
            "load",
            str(big),
            "--db",
            str(gpkg),
            "-q",
            "--rejects",
            str(tmp_path / "r.csv"),
        ],
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size(limit),
        timeout=300,
        check=False,
    )
    assert r.returncode != 0
    _one_paragraph(r.stderr.replace("\n", " ").strip())
    assert "disk" in r.stderr.lower()
    assert _counts(str(gpkg)) == before


def test_locked_geopackage_ends_in_one_paragraph(tmp_path):
    gpkg = tmp_path / "landbase.gpkg"
    before = _prepared(str(gpkg), tmp_path)
    holder = sqlite3.connect(gpkg)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the file (QGIS editing)
    try:
        r = subprocess.run(
            [
                str(DEVZONE),
                "etl",
                "load",
                str(_supply_csv(tmp_path / "x.csv", 5)),
                "--db",
                str(gpkg),
                "-q",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        holder.rollback()
        holder.close()
    assert r.returncode != 0
    _one_paragraph(r.stderr.replace("\n", " ").strip())
    assert "locked" in r.stderr.lower()
    assert _counts(str(gpkg)) == before


def test_unwritable_rejects_file_loads_nothing_one_paragraph(db_url, tmp_path):
    before = _prepared(db_url, tmp_path)
    rows = supply_rows(4)
    rows[0][4] = "-3"  # one rejected row
    src = tmp_path / "s.csv"
    with open(src, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([SUPPLY_HEADER, *rows])
    (tmp_path / "file").write_text("not a folder")
    r = CliRunner().invoke(
        app,
        [
            "etl",
            "load",
            str(src),
            "--db",
            db_url,
            "-q",
            "--rejects",
            str(tmp_path / "file" / "r.csv"),
        ],
    )
    assert r.exit_code == 2
    _one_paragraph(r.output.replace("\n", " "))
    assert "nothing was loaded" in r.output.replace("\n", " ")
    assert _counts(db_url) == before
