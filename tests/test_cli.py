"""The console command: help everywhere, one-paragraph errors, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DEVZONE = str(Path(sys.executable).with_name("devzone"))


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DEVZONE, *args], capture_output=True, text=True, env=env)


def subcommands() -> list[list[str]]:
    from typer.main import get_command

    from devzone.cli.main import app

    root = get_command(app)
    out: list[list[str]] = []

    def walk(cmd, path):
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return out


@pytest.mark.parametrize("path", subcommands(), ids=lambda p: " ".join(p) or "devzone")
def test_every_command_has_help(path: list[str]) -> None:
    res = run(*path, "--help")
    assert res.returncode == 0, res.stderr
    assert "Usage" in res.stdout
    # A real description, not just the usage line.
    assert len(res.stdout.strip().splitlines()) > 4


def test_bad_url_is_one_paragraph_without_traceback(tmp_path) -> None:
    res = run("db", "info", "--db", "postgresql://u:Secr3tPw@127.0.0.1:1/x")
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    assert "Cannot connect to PostgreSQL" in res.stderr
    assert "u:***@127.0.0.1:1/x" in res.stderr  # the URL is named, its password hidden
    assert "Secr3tPw" not in res.stderr + res.stdout  # in no form (URL, conninfo, ...)


def test_missing_spatialite_says_what_to_install(tmp_path) -> None:
    import os

    env = dict(os.environ, SPATIALITE_LIBRARY_PATH=str(tmp_path / "no_such_mod_spatialite"))
    res = run("db", "init", "--db", str(tmp_path / "a.gpkg"), env=env)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    assert "libsqlite3-mod-spatialite" in res.stderr


def test_help_imports_no_heavy_library() -> None:
    """`devzone --help` answers at once: the command tree loads without pandas,
    SQLAlchemy, GDAL or geopandas (they are imported when a command runs)."""
    code = (
        "import sys, devzone.cli.main as m\n"
        "heavy = {'pandas', 'sqlalchemy', 'geopandas', 'pyogrio', 'shapely', 'pyarrow'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"


def test_infrastructure_failures_are_one_paragraph_without_sql_or_data() -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from devzone.cli.failures import explain

    exc = OperationalError(
        "INSERT INTO parcel VALUES (?, ?)",
        ("341502001001GB00017", "王某某"),
        sqlite3.OperationalError("database is locked"),
    )
    msg = explain(exc)
    assert "locked" in msg
    assert "王某某" not in msg
    assert "INSERT" not in msg
    assert "\n" not in msg
    dropped = OperationalError(
        "SELECT 1", {}, Exception("server closed the connection unexpectedly")
    )
    assert "connection to the database was lost" in explain(dropped)


def test_a_broken_database_file_is_a_paragraph_with_or_without_debug(tmp_path) -> None:  # type: ignore[no-untyped-def]
    devzone = str(Path(sys.executable).with_name("devzone"))
    bad = tmp_path / "not-a-gpkg.gpkg"
    bad.write_bytes(b"this is not sqlite")
    for extra in ([], ["--debug"]):
        res = subprocess.run(
            [devzone, *extra, "db", "info", "--db", str(bad)],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert res.returncode != 0
        assert "Traceback" not in res.stdout + res.stderr
        assert res.stderr.startswith("Error:")


#: The frames of rich's "dots" spinner.
SPINNER = set("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")


def test_progress_spinner_on_a_terminal_only(demo_out: Path, tmp_path: Path) -> None:
    """`devzone idle` shows a spinner on a terminal (rich's TTY_COMPATIBLE=1 stands in for
    one), none when piped and none with --quiet."""
    import os

    args = ["idle", "--as-of", "2019-12-31", "--db", str(demo_out / "landbase.gpkg")]
    tty = {**os.environ, "TTY_COMPATIBLE": "1"}
    shown = run(*args, "--out", str(tmp_path / "a"), env=tty)
    piped = run(*args, "--out", str(tmp_path / "b"))
    quiet = run(*args, "--out", str(tmp_path / "c"), "--quiet", env=tty)
    for res in (shown, piped, quiet):
        assert res.returncode == 0, res.stdout + res.stderr
    assert SPINNER & set(shown.stdout + shown.stderr)
    assert not SPINNER & set(piped.stdout + piped.stderr)
    assert not SPINNER & set(quiet.stdout + quiet.stderr)
    assert "gpkg:" not in piped.stdout + piped.stderr
