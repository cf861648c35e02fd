"""Database URLs and engines: one code path for GeoPackage (default) and PostGIS.

URLs accepted (from ``--db`` or the ``DEVZONE_DB`` environment variable):

* ``gpkg:///relative/or/absolute.gpkg`` or ``gpkg:////abs/path.gpkg`` (GeoAlchemy2's
  GeoPackage dialect); a bare path ending in ``.gpkg`` is accepted too;
* ``postgresql://user:pass@host:port/dbname`` (psycopg 3 driver is chosen for you);
  psycopg 3 is libpq, so its conventions pass through: a service file
  (``postgresql:///dbname?service=NAME``, or ``PGSERVICE`` / ``PGSERVICEFILE``), a
  password file (``PGPASSFILE``, ``~/.pgpass``), ``?sslmode=verify-full`` and the other
  libpq parameters in the query. A password in the URL must be percent-encoded.

The GeoPackage backend needs SpatiaLite (Debian: ``libsqlite3-mod-spatialite``) and a
DB-API module able to load extensions (``pysqlite3-binary``; the standard library's
``sqlite3`` from pyenv builds cannot). Passwords never reach logs: use
:func:`redact` whenever a URL is printed.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from devzone.errors import DatabaseError
from devzone.settings import DB_VAR, DEFAULT_DB, database_url

__all__ = [
    "DEFAULT_DB",
    "ENV_VAR",
    "is_geopackage",
    "make_engine",
    "malformed_userinfo",
    "redact",
    "resolve_url",
    "scrub",
]

ENV_VAR = DB_VAR

SPATIALITE_HELP = (
    "The GeoPackage backend needs the SpatiaLite extension and a SQLite module that can "
    "load it. On Debian/Ubuntu run `sudo apt-get install libsqlite3-mod-spatialite` and "
    "`pip install pysqlite3-binary` (or run `make setup`), or point SPATIALITE_LIBRARY_PATH "
    "at mod_spatialite."
)


def resolve_url(db: str | None = None) -> str:
    """Return the database URL from ``db``, else ``$DEVZONE_DB``, else ``landbase.gpkg``.

    A bare path ending in ``.gpkg`` becomes a ``gpkg:///`` URL; ``postgresql://`` and
    ``postgres://`` URLs get the psycopg 3 driver.
    """
    url = database_url(db)
    if url.lower().endswith(".gpkg") and "://" not in url:
        url = "gpkg:///" + url
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return _escape_password(url)


def _escape_password(url: str) -> str:
    """Percent-encode the ``@ / : ? #`` of a password typed unescaped, the password
    being everything between ``user:`` and the last ``@`` before the query — so the
    parser never takes part of it for the host (and prints it in an error).

    Examples
    --------
    >>> _escape_password("postgresql+psycopg://u:ab@Se/c:r@host:5432/db")
    'postgresql+psycopg://u:ab%40Se%2Fc%3Ar@host:5432/db'
    >>> _escape_password("postgresql+psycopg://u:p%40ss@host/db")
    'postgresql+psycopg://u:p%40ss@host/db'
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        return url
    main, q, query = rest.partition("?")
    if "@" not in main:
        return url
    userinfo, _, host = main.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not colon:
        return url
    escaped = "".join({"@": "%40", "/": "%2F", ":": "%3A", "#": "%23"}.get(c, c) for c in password)
    return f"{scheme}://{user}:{escaped}@{host}{q}{query}"


#: libpq connection parameters that carry a secret (in a URL's query or a conninfo).
_SECRET_PARAMS = ("password", "sslpassword")
_SECRET_QUERY = re.compile(r"(?i)\b(" + "|".join(_SECRET_PARAMS) + r")=[^&\s]*")


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """Split ``scheme://userinfo@rest`` at the LAST ``@`` (None when there is no userinfo).

    Splitting at the last ``@`` errs on the safe side: everything a raw ``@``, ``:`` or
    ``/`` in a password could have spread over is treated as userinfo.
    """
    start = url.find("://")
    at = url.rfind("@")
    if start < 0 or at < start:
        return None
    return url[: start + 3], url[start + 3 : at], url[at + 1 :]


def malformed_userinfo(url: str) -> bool:
    """True when the URL's user/password part is ambiguous (a raw ``@`` in a password).

    SQLAlchemy and libpq end the userinfo at the first ``@``; a password holding a raw
    ``@`` must be percent-encoded (``%40``), or part of it would be taken for the host.

    Examples
    --------
    >>> malformed_userinfo("postgresql://u:ab%40cd@host/db")
    False
    >>> malformed_userinfo("postgresql://u:ab@cd@host/db")
    True
    """
    parts = _userinfo(url)
    return parts is not None and "@" in parts[1]


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe to print or log).

    The userinfo is found by its last ``@`` (so a raw ``@``, ``:``, ``/`` or ``%`` in
    a password never leaks); when it is ambiguous or does not parse as libpq's
    ``user[:password]``, none of it is printed. ``password=`` in the query is masked too.

    Examples
    --------
    >>> redact("postgresql://u:p%40ss%3Aw%2Frd@host:5432/db")
    'postgresql://u:***@host:5432/db'
    >>> redact("postgresql://u:ab@SeCrEt@host/db")
    'postgresql://***@host/db'
    >>> redact("postgresql://u:a/b:c@host/db")
    'postgresql://u:***@host/db'
    >>> redact("postgresql:///landbase?service=city&password=x")
    'postgresql:///landbase?service=city&password=***'
    >>> redact("gpkg:///landbase.gpkg")
    'gpkg:///landbase.gpkg'
    """
    masked = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", url)
    parts = _userinfo(masked)
    if parts is None:  # not scheme://…: whatever precedes an '@' may be a password
        return "***@" + masked.rsplit("@", 1)[1] if "@" in masked else masked
    head, userinfo, rest = parts
    user, sep, _password = userinfo.partition(":")
    clean_user = re.fullmatch(r"[A-Za-z0-9_.~+%-]*", user) is not None
    if "@" in userinfo or not clean_user:
        return f"{head}***@{rest}"
    return f"{head}{user}:***@{rest}" if sep else f"{head}{user}@{rest}"


def scrub(message: str, url: str) -> str:
    """``message`` with the URL's password (raw and percent-encoded) replaced by ``***``.

    For driver error messages, which may echo parts of a mis-parsed URL.

    Examples
    --------
    >>> scrub("unknown host SeCrEt@host", "postgresql://u:ab@SeCrEt@host/db")
    'unknown host ***@host'
    """
    parts = _userinfo(url)
    if parts is None:
        return message
    secrets = {parts[1], parts[1].partition(":")[2], unquote(parts[1].partition(":")[2])}
    secrets |= {piece for s in list(secrets) for piece in s.split("@")[1:]}
    for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def is_geopackage(url_or_engine: str | Engine) -> bool:
    """True when the URL or engine is a GeoPackage file."""
    if isinstance(url_or_engine, Engine):
        return url_or_engine.dialect.name == "geopackage"
    return resolve_url(url_or_engine).startswith("gpkg:")


def gpkg_path(url: str) -> Path:
    """File path of a ``gpkg:///`` URL."""
    database = make_url(resolve_url(url)).database
    if not database:
        raise DatabaseError(f"The GeoPackage URL {url!r} names no file.")
    return Path(database)


@lru_cache(maxsize=1)
def _sqlite_module() -> ModuleType:
    # pyogrio (GDAL) and pysqlite3 each bring a SQLite library; loading GDAL's
    # after pysqlite3's has crashed the process on spatial reads. GDAL first.
    import pyogrio  # noqa: F401

    try:
        import pysqlite3.dbapi2 as module  # type: ignore[import-not-found]
    except ImportError:
        try:
            import sqlean.dbapi2 as module  # type: ignore[import-not-found,no-redef]
        except ImportError as exc:
            raise DatabaseError(
                "No SQLite module that can load extensions was found. " + SPATIALITE_HELP
            ) from exc
    return module


def _geopackage_engine(url: str, *, create: bool) -> Engine:
    from geoalchemy2.admin.dialects.geopackage import load_spatialite_gpkg

    path = gpkg_path(url)
    if not create and not path.exists():
        raise DatabaseError(
            f"The GeoPackage {path} does not exist. Create it with `devzone db init --db "
            f"{path}` or load data with `devzone demo`."
        )
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SPATIALITE_LIBRARY_PATH", "mod_spatialite")
    engine = create_engine(url, module=_sqlite_module())
    event.listen(engine, "connect", load_spatialite_gpkg)
    event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT spatialite_version()"))
    except (OperationalError, SQLAlchemyError) as exc:
        engine.dispose()
        msg = str(getattr(exc, "orig", exc))
        if "mod_spatialite" in msg or "spatialite" in msg.lower() or "no such function" in msg:
            raise DatabaseError(SPATIALITE_HELP + f" (SQLite said: {msg})") from exc
        raise DatabaseError(f"Cannot open the GeoPackage {path}: {msg}.") from exc
    return engine


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _postgis_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            has_postgis = conn.execute(
                text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
    except SQLAlchemyError as exc:
        engine.dispose()
        msg = scrub(str(getattr(exc, "orig", exc)).strip().splitlines()[0], url)
        raise DatabaseError(
            f"Cannot connect to PostgreSQL at {redact(url)}: {msg}. Check host, port, user, "
            "password and database name, and that the server is running."
        ) from exc
    if not has_postgis:
        engine.dispose()
        raise DatabaseError(
            f"The database {redact(url)} has no PostGIS extension. Install it "
            "(Debian: `apt-get install postgresql-15-postgis-3`) and run "
            "`CREATE EXTENSION postgis;` in that database as a superuser."
        )
    return engine


def make_engine(db: str | None = None, *, create: bool = False) -> Engine:
    """Open the database named by ``db`` (or ``$DEVZONE_DB``) and check its spatial support.

    Parameters
    ----------
    db
        Database URL or ``.gpkg`` path; see the module docstring.
    create
        For GeoPackage: create the file if it does not exist (``db init``).

    Raises
    ------
    DatabaseError
        With a one-paragraph explanation of what to install or fix.
    """
    url = resolve_url(db)
    if malformed_userinfo(url):
        raise DatabaseError(
            f"The database URL {redact(url)!r} has a raw '@' in its user or password part. "
            "Percent-encode it (@ is %40, : is %3A, / is %2F, % is %25), or keep the "
            "password out of the URL: a ~/.pgpass file (PGPASSFILE) or a service file "
            "(postgresql:///dbname?service=NAME, PGSERVICEFILE)."
        )
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise DatabaseError(
            f"{redact(url)!r} is not a database URL. Use a GeoPackage path such as "
            "`landbase.gpkg` / `gpkg:///landbase.gpkg`, or "
            "`postgresql://user@host:5432/dbname` for PostGIS."
        ) from exc
    if backend == "gpkg":
        return _geopackage_engine(url, create=create)
    if backend == "postgresql":
        return _postgis_engine(url)
    raise DatabaseError(
        f"Unsupported database {redact(url)!r}: devzone works with GeoPackage files "
        "(`gpkg:///file.gpkg`) and PostGIS (`postgresql://…`)."
    )
