"""Passwords never on screen, in an error or in a file: URLs, service files, prompts.

The commands run as a planner runs them (the installed ``devzone`` in a subprocess)
with a password-bearing URL (a password holding ``@ : / %``) and with a libpq service
file, succeeding and failing, and no output or written file may contain the password.
The test server trusts local connections, so a wrong password cannot fail there: the
failing cases use a wrong port, an unknown service and an ambiguous URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from devzone.db.admin import init_db
from devzone.db.engine import make_engine, redact, resolve_url

DEVZONE = str(Path(sys.executable).with_name("devzone"))
COMMANDS = (["db", "info"], ["users", "list"], ["audit"])


def _secret() -> str:
    return f"Pw@{uuid.uuid4().hex[:6]}:x/y%z"


def _fragments(password: str) -> set[str]:
    """The password and the pieces a mis-parse could print."""
    return {password, quote(password, safe=""), *(p for p in password.split("@") if len(p) > 3)}


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str = ""):
    full = {**os.environ, "COLUMNS": "200", **(env or {})}
    full.pop("DEVZONE_DB", None)
    return subprocess.run(
        [DEVZONE, *args], capture_output=True, text=True, check=False, cwd=cwd, env=full,
        input=stdin,
    )  # fmt: skip


def _assert_secret_nowhere(password: str, outputs: list[str], folder: Path) -> None:
    for fragment in _fragments(password):
        for out in outputs:
            assert fragment not in out
        for path in folder.rglob("*"):
            if path.is_file():
                assert fragment.encode() not in path.read_bytes(), path


@pytest.fixture
def schema_url(pg_url: str) -> Iterator[str]:
    """An initialised PostGIS schema (as the owner, without a password)."""
    engine = make_engine(pg_url)
    init_db(engine)
    engine.dispose()
    return pg_url


def _with_password(url: str, password: str, *, encode: bool = True) -> str:
    u = make_url(url)
    secret = quote(password, safe="") if encode else password
    query = url.split("?", 1)[1] if "?" in url else ""
    host = f"{u.host}:{u.port or 5432}"
    return f"postgresql://{u.username}:{secret}@{host}/{u.database}" + (
        f"?{query}" if query else ""
    )


@pytest.mark.postgis
def test_a_password_in_the_url_is_never_printed(schema_url: str, tmp_path: Path) -> None:
    password = _secret()
    good = _with_password(schema_url, password)
    outputs = []
    for command in COMMANDS:
        res = _run([*command, "--db", good], tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "Traceback" not in res.stderr
        outputs += [res.stdout, res.stderr]
    wrong_port = good.replace(":5432/", ":1/")
    for command in COMMANDS:
        res = _run([*command, "--db", wrong_port], tmp_path)
        assert res.returncode != 0
        assert "Traceback" not in res.stderr
        assert "Error:" in res.stderr
        outputs += [res.stdout, res.stderr]
    # A password typed raw (@ : / % unescaped) is escaped before the URL is parsed (the
    # last @ ends it): it connects, and it is printed nowhere either.
    ambiguous = _with_password(schema_url, password, encode=False)
    for command in COMMANDS:
        res = _run([*command, "--db", ambiguous], tmp_path)
        assert "Traceback" not in res.stderr
        outputs += [res.stdout, res.stderr]
    _assert_secret_nowhere(password, outputs, tmp_path)


@pytest.mark.postgis
def test_a_service_file_connects_without_a_password_on_the_command_line(
    schema_url: str, tmp_path: Path
) -> None:
    password = _secret()
    u = make_url(resolve_url(schema_url))
    search_path = u.query["options"].split("=", 1)[1]
    conf = tmp_path / "pg_service.conf"
    conf.write_text(
        f"[dz_city]\nhost={u.host}\nport={u.port or 5432}\ndbname={u.database}\n"
        f"user={u.username}\npassword={password}\noptions=-csearch_path={search_path}\n\n"
        f"[dz_down]\nhost={u.host}\nport=1\ndbname={u.database}\nuser={u.username}\n"
        f"password={password}\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    env = {"PGSERVICEFILE": str(conf)}
    outputs = []
    for command in COMMANDS:
        res = _run([*command, "--db", f"postgresql:///{u.database}?service=dz_city"], work, env)
        assert res.returncode == 0, res.stdout + res.stderr
        outputs += [res.stdout, res.stderr]
    # PGSERVICE alone, with an empty URL: libpq picks the service up
    res = _run(["db", "info", "--db", "postgresql://"], work, {**env, "PGSERVICE": "dz_city"})
    assert res.returncode == 0, res.stdout + res.stderr
    outputs += [res.stdout, res.stderr]
    for service in ("dz_down", "dz_missing"):
        for command in COMMANDS:
            res = _run([*command, "--db", f"postgresql:///?service={service}"], work, env)
            assert res.returncode != 0
            assert "Traceback" not in res.stderr
            outputs += [res.stdout, res.stderr]
    _assert_secret_nowhere(password, outputs, work)


@pytest.mark.postgis
def test_users_add_takes_the_password_off_the_command_line(schema_url: str, tmp_path: Path) -> None:
    password = _secret()
    role = "dzt_" + uuid.uuid4().hex[:8] + "_pw"
    res = _run(
        ["users", "add", role, "--level", "zone", "--scope", "S347042", "--password-stdin",
         "--db", schema_url],
        tmp_path, stdin=password + "\n",
    )  # fmt: skip
    engine = make_engine(schema_url)
    try:
        assert res.returncode == 0, res.stdout + res.stderr
        assert role in res.stdout
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role}
            ).scalar()
        assert stored.startswith("SCRAM-SHA-256$")  # the server saw only the verifier
        res2 = _run(["users", "revoke", role, "--drop", "--db", schema_url], tmp_path)
        assert res2.returncode == 0, res2.stderr
        _assert_secret_nowhere(password, [res.stdout, res.stderr, res2.stdout], tmp_path)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        engine.dispose()


def test_the_same_commands_on_a_geopackage(tmp_path: Path) -> None:
    db = str(tmp_path / "landbase.gpkg")
    assert _run(["db", "init", "--db", db], tmp_path).returncode == 0
    assert _run(["db", "info", "--db", db], tmp_path).returncode == 0
    res = _run(["audit", "--db", db], tmp_path)
    assert res.returncode == 0, res.stderr
    for args in (["users", "list"], ["users", "add", "x", "--level", "zone", "--scope", "S1"]):
        res = _run([*args, "--db", db], tmp_path)
        assert res.returncode != 0
        assert "Traceback" not in res.stderr
        assert "PostGIS" in res.stderr
        assert res.stderr.count("Error:") == 1


@pytest.mark.parametrize(
    ("url", "shown", "hidden"),
    [
        ("postgresql://u:ab@SeCrEt@host/db", "host/db", "SeCrEt"),
        ("postgresql://u:p%40ss%3Aw%2Frd%25@host:5432/db", "u:***@host", "p%40ss"),
        ("postgresql://u:a/b:c%d@host/db", "u:***@host/db", "a/b"),
        ("postgresql+psycopg://u:pw@h/db?sslmode=require", "sslmode=require", "pw@"),
        ("postgresql:///db?service=city&password=hunter2", "service=city", "hunter2"),
        ("postgresql://u%3Ax:s@h/db", "***@h/db", ":s@"),
        ("not a url :pw@x", "***@x", "pw"),
    ],
)
def test_redact_never_leaks_a_password(url: str, shown: str, hidden: str) -> None:
    out = redact(url)
    assert shown in out
    assert hidden not in out


def test_users_add_prompts_twice_and_refuses_a_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    from devzone.cli import users
    from devzone.db.roles import RolesError

    answers = iter(["s3cret@:/%", "s3cret@:/%", "one", "other"])
    monkeypatch.setattr(users.getpass, "getpass", lambda prompt="": next(answers))
    assert users._password(False, False, "jinan_zone") == "s3cret@:/%"
    with pytest.raises(RolesError, match="differ"):
        users._password(False, False, "jinan_zone")
    assert users._password(True, False, "jinan_zone") is None
