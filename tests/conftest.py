"""Shared fixtures: the same database tests run on GeoPackage and on PostGIS.

Like GeoAlchemy2's own ``tests/conftest.py``, ``db_url`` is parametrised over the
backends. PostGIS comes from ``DEVZONE_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/devzone_test``, which ``make test`` creates).
When it is unreachable the PostGIS cases skip on a developer machine, and **fail**
under ``CI=true`` (or with ``--require-services``), so CI can never pass without them.
The same rule holds for the browser (``/usr/bin/chromium``) and for LibreOffice +
pdftotext (``office_tools``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]


def _test_pg_url() -> str:
    """``DEVZONE_TEST_PG``, else what ``scripts/setup.sh test`` found, else the default."""
    if os.environ.get("DEVZONE_TEST_PG"):
        return os.environ["DEVZONE_TEST_PG"]
    found = REPO / ".venv" / ".devzone-test-pg"
    if found.exists() and found.read_text().strip():
        return found.read_text().strip()
    return "postgresql://postgres@127.0.0.1:5432/devzone_test"


PG_URL = _test_pg_url()


def _chromium() -> str:
    """``DEVZONE_CHROMIUM``, else what ``scripts/setup.sh test`` found, else Debian's."""
    if os.environ.get("DEVZONE_CHROMIUM"):
        return os.environ["DEVZONE_CHROMIUM"]
    found = REPO / ".venv" / ".devzone-chromium"
    if found.exists() and found.read_text().strip():
        return found.read_text().strip()
    return "/usr/bin/chromium"


CHROMIUM = _chromium()
SHARED = Path(os.environ.get("DEVZONE_SHARED", REPO.parent / "shared"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-services",
        action="store_true",
        default=False,
        help="Fail (not skip) tests whose PostGIS or browser is missing (implied by CI=true).",
    )


def services_required(config: pytest.Config) -> bool:
    """True under CI=true or --require-services."""
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    return ci or bool(config.getoption("--require-services"))


def missing_service(config: pytest.Config, reason: str) -> None:
    """Skip locally; fail under CI, where every service must be present."""
    if services_required(config):
        pytest.fail(f"required service missing under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _pg_reachable() -> str | None:
    from devzone.db.engine import redact, resolve_url

    try:
        eng = create_engine(resolve_url(PG_URL))
        with eng.connect() as conn:
            ok = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname='postgis'")).scalar()
        eng.dispose()
        return None if ok else "database has no PostGIS extension"
    except Exception as exc:  # the URL's password must not reach the CI log
        return f"PostGIS not reachable at {redact(PG_URL)}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgis_base_url(request: pytest.FixtureRequest) -> str:
    """URL of the PostGIS test database (fails under CI when unreachable)."""
    problem = _pg_reachable()
    if problem:
        missing_service(request.config, problem)
    return PG_URL


def _fresh_pg_schema(base_url: str) -> Iterator[str]:
    """A throw-away PostgreSQL schema, selected through the URL's search_path."""
    from devzone.db.engine import resolve_url

    schema = "t_" + uuid.uuid4().hex[:10]
    eng = create_engine(resolve_url(base_url))
    with eng.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base_url else "?"
    yield f"{base_url}{sep}options=-csearch_path%3D{schema},public"
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    eng.dispose()


def ogr_pg_connection(url: str) -> str:
    """GDAL's ``PG:`` connection string for a PostgreSQL URL (host may be a socket dir)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    host = u.host or u.query.get("host") or "127.0.0.1"
    parts = [f"dbname={u.database}", f"host={host}", f"port={u.port or 5432}"]
    if u.username:
        parts.append(f"user={u.username}")
    return "PG:" + " ".join(parts)


@pytest.fixture(scope="session")
def ogr_pg() -> object:
    """:func:`ogr_pg_connection` for tests (conftest is not importable)."""
    return ogr_pg_connection


@pytest.fixture
def pg_url(postgis_base_url: str) -> Iterator[str]:
    """A fresh, empty PostGIS schema's URL (for tests that need PostGIS only)."""
    yield from _fresh_pg_schema(postgis_base_url)


@pytest.fixture(params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL: a fresh GeoPackage file, or a fresh PostGIS schema."""
    if request.param == "gpkg":
        yield f"gpkg:///{tmp_path / 'test.gpkg'}"
    else:
        base = request.getfixturevalue("postgis_base_url")
        yield from _fresh_pg_schema(base)


@pytest.fixture
def engine(db_url: str):
    """An initialised database (schema created) on each backend."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine

    eng = make_engine(db_url, create=True)
    init_db(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def chromium_path(request: pytest.FixtureRequest) -> str:
    """Path of Debian's Chromium (fails under CI when missing)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing_service(request.config, f"Chromium not found at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="session")
def office_tools(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(soffice, pdftotext): LibreOffice headless and poppler (fails under CI when missing)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if not soffice or not pdftotext:
        missing_service(
            request.config,
            "LibreOffice (libreoffice-writer-nogui) or pdftotext (poppler-utils) not installed",
        )
    return str(soffice), str(pdftotext)


@pytest.fixture(scope="session")
def shared_dir(request: pytest.FixtureRequest) -> Path:
    """The ``../shared`` reference folder (real public data)."""
    if not (SHARED / "reference").is_dir():
        missing_service(request.config, f"shared reference data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one ``devzone demo`` run (shared by the end-to-end tests)."""
    out = tmp_path_factory.mktemp("demo")
    devzone = str(Path(sys.executable).with_name("devzone"))
    res = subprocess.run(
        [devzone, "demo", "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return out


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own temporary folder, so a command that writes relative to
    the working directory (``out/`` by default) never touches the user's files."""
    monkeypatch.chdir(tmp_path)


def _repo_state() -> set[str]:
    """Files git sees as new or modified in the repository (ignored ones aside)."""
    res = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return set(res.stdout.splitlines()) if res.returncode == 0 else set()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config._devzone_repo_state = _repo_state()  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test wrote into the repository (outside its tmp folder)."""
    before = getattr(session.config, "_devzone_repo_state", None)
    if before is None:
        return
    written = sorted(
        line
        for line in _repo_state() - before
        if not any(part in line for part in ("test-artifacts/", "__pycache__", ".pytest_cache"))
    )
    if written:
        print("\nTests wrote into the repository:\n  " + "\n  ".join(written))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
