"""People on a city server: roles, their scope, and row-level security (PostGIS only).

Each person or office is a PostgreSQL LOGIN role, a member of one group role per level:

==========================  ==================================================
group role                  members
==========================  ==================================================
``devzone_city``            the city bureau (市自然资源和规划局): every row
``devzone_county``          a county/district (县区), scope = its adcode
``devzone_zone``            a development zone (开发区), scope = its zone code
``devzone_readonly``        anyone who may read (within the scope) but not write
==========================  ==================================================

The scope lives in the table ``devzone_user`` (role, level, scope, read_only). Policies
never read it directly: they call ``SECURITY DEFINER`` functions
(``devzone_sees_all``, ``devzone_scope_zones``, ``devzone_scope_county``,
``devzone_can_write``) owned by the database owner, so a role can neither read the
other roles' scopes nor widen its own; no devzone role has CREATEROLE, BYPASSRLS or
ownership of a table (only an owner may ALTER or DROP a policy).

Who sees which row (the city sees all; ``Z`` = the zones of the scope, ``C`` = the
county of the scope, a county's zones being the ``dev_zone`` rows of its
``district_code``):

* ``parcel`` and the result tables: ``zone_code`` in Z, or the county of the
  ``parcel_code`` / ``supervision_no`` (their first six digits) is C;
* ``dev_zone``: ``zone_code`` in Z, or ``district_code`` is C;
* ``land_supply``: ``supervision_no`` starts with C, or a visible parcel carries its
  ``supervision_no`` or ``parcel_code`` (a zone sees the contracts of its parcels);
* ``building``, ``parcel_enterprise``, ``project_progress``: on a visible parcel (or
  in C by their codes);
* ``enterprise``, ``enterprise_indicator``: a firm is seen through its parcels — by
  whoever sees one of its ``parcel_enterprise`` links. Decision: a firm with land in
  two zones is seen (and may be corrected) by both; a firm with no link yet only by
  the city, which loads the city-wide statistics and tax data;
* ``district``, ``load_batch``, ``corridor``: read by every devzone role; written by
  the city (``load_batch``: by any writer, it is the provenance of its loads).

Writing uses the same predicate (``WITH CHECK``): a zone cannot insert, or move a row
into, another zone; an UPDATE or DELETE of another zone's row matches nothing.
Read-only roles get no write privilege and the policies refuse them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.exc import DBAPIError

from devzone.db.audit import AUDIT_TABLE, audit_ddl, audit_triggers_sql, tag_transaction
from devzone.errors import DatabaseError

__all__ = [
    "GROUPS",
    "LEVELS",
    "NEEDS_POSTGIS",
    "READONLY_GROUP",
    "USERS_TABLE",
    "RolesError",
    "Scope",
    "User",
    "add_user",
    "current_scope",
    "install_security",
    "list_users",
    "revoke_user",
    "scope_check",
    "visibility",
]

LEVELS = ("city", "county", "zone")
#: The group role of each level (writers); read-only users join :data:`READONLY_GROUP`.
GROUPS: dict[str, str] = {level: f"devzone_{level}" for level in LEVELS}
READONLY_GROUP = "devzone_readonly"
USERS_TABLE = "devzone_user"
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_ADVISORY_KEY = 20_260_118  # serialises group-role creation within a database

_A = "(SELECT devzone_sees_all(current_user))"
_Z = "(SELECT devzone_scope_zones(current_user))::text[]"
_C = "(SELECT devzone_scope_county(current_user))"
_W = "(SELECT devzone_can_write(current_user))"


class RolesError(DatabaseError):
    """Roles cannot be managed here (GeoPackage, missing privilege, unknown role…)."""


NEEDS_POSTGIS = (
    "Roles, scopes and the audit trail need a PostGIS city server: a GeoPackage is one "
    "file with no server and no login, so whoever can open it can change it (the OS "
    "user who loads data is recorded in load_batch.os_user). Point --db or DEVZONE_DB "
    "at postgresql:///landbase?service=NAME (see README.md, A city server)."
)


@dataclass(frozen=True)
class Scope:
    """What a role may see and change: a level and its code.

    Examples
    --------
    >>> Scope("zone", "S347042").sees_all
    False
    >>> Scope("city", "341500").sees_all
    True
    """

    level: str
    code: str
    read_only: bool = False

    @property
    def sees_all(self) -> bool:
        """True for the city level."""
        return self.level == "city"


@dataclass(frozen=True)
class User:
    """A devzone user: a login role and its scope."""

    name: str
    level: str
    scope: str
    read_only: bool
    can_login: bool
    groups: tuple[str, ...]


# --------------------------------------------------------------------------- policies


def visibility(table: str, columns: Iterable[str]) -> str | None:
    """The row-level-security predicate of a table, from its scope columns.

    ``None`` means the table has no scope column (shared by every role).

    Examples
    --------
    >>> for term in visibility("dev_zone", ["zone_code", "district_code", "name"]).split(" OR "):
    ...     print(term)
    (SELECT devzone_sees_all(current_user))
    zone_code = ANY((SELECT devzone_scope_zones(current_user))::text[])
    district_code = (SELECT devzone_scope_county(current_user))
    >>> "parcel_enterprise pe" in visibility("enterprise", ["credit_code", "name"])
    True
    >>> visibility("district", ["adcode", "name"]) is None
    True
    """
    cols = set(columns)
    has_zone = "zone_code" in cols
    terms = []
    if has_zone:
        terms.append(f"zone_code = ANY({_Z})")
    if "district_code" in cols:
        terms.append(f"district_code = {_C}")
    for col in ("parcel_code", "supervision_no"):
        if col in cols:
            terms.append(f"left({col}, 6) = {_C}")
            if not has_zone:
                terms.append(f'EXISTS (SELECT 1 FROM parcel p WHERE p.{col} = "{table}".{col})')
    if "credit_code" in cols and not terms:
        terms.append(
            "EXISTS (SELECT 1 FROM parcel_enterprise pe "
            f'WHERE pe.credit_code = "{table}".credit_code)'
        )
    if not terms:
        return None
    return " OR ".join([_A, *terms])


def _policies_sql(table: Table) -> str:
    name = f'"{table.name}"'
    vis = visibility(table.name, table.c.keys())
    if vis is None:
        bookkeeping = table.name in ("load_batch", "result_vintage")  # every writer logs here
        read, write = "true", _W if bookkeeping else f"{_A} AND {_W}"
    else:
        read, write = vis, f"({vis}) AND {_W}"
    clauses = {
        "devzone_read": f"FOR SELECT USING ({read})",
        "devzone_insert": f"FOR INSERT WITH CHECK ({write})",
        "devzone_update": f"FOR UPDATE USING ({write}) WITH CHECK ({write})",
        "devzone_delete": f"FOR DELETE USING ({write})",
    }
    out = [f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;"]
    for policy, clause in clauses.items():
        out.append(f"DROP POLICY IF EXISTS {policy} ON {name};")
        out.append(f"CREATE POLICY {policy} ON {name} {clause};")
    return "\n".join(out) + "\n"


_SCOPE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.devzone_user (
  role_name text PRIMARY KEY,
  level text NOT NULL CHECK (level IN ('city', 'county', 'zone')),
  scope text NOT NULL,
  read_only boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE {s}.devzone_user IS 'devzone 用户: login role, level and scope';
CREATE OR REPLACE FUNCTION {s}.devzone_sees_all(who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {s}, pg_temp AS $$
  SELECT coalesce((SELECT level = 'city' FROM devzone_user WHERE role_name = who), false)
$$;
CREATE OR REPLACE FUNCTION {s}.devzone_scope_county(who name) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {s}, pg_temp AS $$
  SELECT scope FROM devzone_user WHERE role_name = who AND level = 'county'
$$;
CREATE OR REPLACE FUNCTION {s}.devzone_scope_zones(who name) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {s}, pg_temp AS $$
  SELECT CASE u.level
    WHEN 'zone' THEN ARRAY[u.scope]
    WHEN 'county' THEN coalesce(
      (SELECT array_agg(z.zone_code) FROM dev_zone z WHERE z.district_code = u.scope),
      '{{}}'::text[])
    ELSE '{{}}'::text[] END
  FROM devzone_user u WHERE u.role_name = who
$$;
CREATE OR REPLACE FUNCTION {s}.devzone_can_write(who name) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {s}, pg_temp AS $$
  SELECT coalesce((SELECT NOT read_only FROM devzone_user WHERE role_name = who), false)
$$;
ALTER TABLE {s}.devzone_user ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS devzone_read ON {s}.devzone_user;
CREATE POLICY devzone_read ON {s}.devzone_user FOR SELECT
  USING (role_name = current_user OR (SELECT devzone_sees_all(current_user)));
ALTER TABLE {s}.devzone_audit ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS devzone_read ON {s}.devzone_audit;
CREATE POLICY devzone_read ON {s}.devzone_audit FOR SELECT
  USING (login_role = session_user OR (SELECT devzone_sees_all(current_user)));
"""

_GROUPS_SQL = """
DO $$
DECLARE g text;
BEGIN
  FOREACH g IN ARRAY ARRAY[{names}] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = g) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
                       'NOBYPASSRLS NOREPLICATION', g);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile
      END;
    END IF;
  END LOOP;
END
$$;
"""


def _run_script(conn: Connection, sql: str) -> None:
    """Run several statements at once on the connection's transaction (no binding)."""
    with conn.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(sql)


def _key_columns(table: Table) -> list[str]:
    for column in table.c:
        if column.unique:
            return [column.name]
    for constraint in table.constraints:
        if type(constraint).__name__ == "UniqueConstraint":
            return list(constraint.columns.keys())
    return ["fid"]


def _create_groups(conn: Connection) -> list[str]:
    """Create the group roles if this role may; the names of those that exist."""
    names = [*GROUPS.values(), READONLY_GROUP]
    may = conn.execute(
        text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if may:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
        _run_script(conn, _GROUPS_SQL.format(names=", ".join(f"'{n}'" for n in names)))
    present = conn.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:n)"), {"n": names}
    ).scalars()
    return sorted(present)


def _grants_sql(schema: str, tables: list[Table], groups: list[str]) -> str:
    if not groups:
        return ""
    everyone = ", ".join(groups)
    writers = ", ".join(g for g in groups if g != READONLY_GROUP)
    names = ", ".join(f'{schema}."{t.name}"' for t in tables)
    sql = [
        f"GRANT USAGE ON SCHEMA {schema} TO {everyone};",
        f"GRANT SELECT ON {names}, {schema}.{USERS_TABLE}, {schema}.{AUDIT_TABLE} TO {everyone};",
    ]
    if writers:
        sql.append(f"GRANT INSERT, UPDATE, DELETE ON {names} TO {writers};")
        sql.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {writers};")
    return "\n".join(sql) + "\n"


def install_security(engine: Engine, tables: Iterable[Table]) -> None:
    """Create (idempotently) the group roles, ``devzone_user``, the audit trail and the
    row-level-security policies on a PostGIS database. A no-op on GeoPackage.

    Called by :func:`devzone.db.admin.init_db` after the tables exist, in the schema the
    connection's ``search_path`` creates tables in. The group roles are created when
    the connected role may (superuser or CREATEROLE); privileges are granted to those
    that exist.
    """
    if engine.dialect.name != "postgresql":
        return
    tables = [t for t in tables if t.name not in (USERS_TABLE, AUDIT_TABLE)]
    try:
        _install(engine, tables)
    except (DBAPIError, psycopg.Error) as exc:
        msg = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise RolesError(
            f"Cannot set up the roles, policies and audit trail: {msg}. `devzone db init` "
            "on a city server must be run by the owner of the devzone schema (the bureau's "
            "database administrator); county and zone roles use the database, they do not "
            "create it."
        ) from None


def _install(engine: Engine, tables: list[Table]) -> None:
    with engine.begin() as conn:
        tag_transaction(conn, "db init")
        schema = '"{}"'.format(conn.execute(text("SELECT current_schema()")).scalar_one())
        groups = _create_groups(conn)
        script = [audit_ddl(schema), _SCOPE_SQL.format(s=schema)]
        for table in tables:
            script.append(_policies_sql(table))
            script.append(
                audit_triggers_sql(
                    f'{schema}."{table.name}"',
                    _key_columns(table),
                    geometry="geom" in table.c,
                )
            )
        script.append(
            audit_triggers_sql(
                f"{schema}.{USERS_TABLE}", ["role_name"], geometry=False, join=["role_name"]
            )
        )
        script.append(_grants_sql(schema, tables, groups))
        _run_script(conn, "".join(script))


# --------------------------------------------------------------------------- users


def _require_server(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise RolesError(NEEDS_POSTGIS)


def _require_installed(conn: Connection) -> None:
    found = conn.execute(text("SELECT to_regclass(:t)"), {"t": USERS_TABLE}).scalar()
    if found is None:
        raise RolesError(
            "This database has no devzone user table yet. Run `devzone db init` as the "
            "database owner first; it creates the group roles, devzone_user, the audit "
            "trail and the row-level-security policies."
        )


def _validate(name: str, level: str, scope: str) -> None:
    if not _ROLE_NAME.fullmatch(name):
        raise RolesError(
            f"{name!r} is not a role name devzone accepts: use lower-case letters, digits "
            "and _ (at most 63, not starting with a digit), e.g. jinan_zone or yuan_county."
        )
    if name in (*GROUPS.values(), READONLY_GROUP):
        raise RolesError(f"{name!r} is a devzone group role; give the person their own name.")
    if level not in LEVELS:
        raise RolesError(f"Level {level!r} is not one of city, county, zone.")
    if level == "county" and not re.fullmatch(r"\d{6}", scope):
        raise RolesError(
            f"A county's scope is its 6-digit adcode (行政区划代码, e.g. 341502), not {scope!r}."
        )
    if level == "zone" and not scope.strip():
        raise RolesError("A zone's scope is its zone code (开发区代码, e.g. S347042).")


def _privilege_error(exc: DBAPIError | psycopg.Error, action: str) -> RolesError:
    msg = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return RolesError(
        f"Cannot {action}: {msg}. Users are managed by the bureau's database "
        "administrator (the owner of the devzone schema, with CREATEROLE); connect as "
        "that role (e.g. --db postgresql:///landbase?service=landbase_admin)."
    )


def _check_existing(conn: Connection, name: str) -> bool:
    row = conn.execute(
        text(
            "SELECT rolsuper OR rolcreaterole OR rolbypassrls OR rolreplication "
            "FROM pg_roles WHERE rolname = :n"
        ),
        {"n": name},
    ).first()
    if row is not None and row[0]:
        raise RolesError(
            f"The role {name!r} exists and has SUPERUSER, CREATEROLE, BYPASSRLS or "
            "REPLICATION, which would defeat its scope. devzone gives a scope only to "
            "plain login roles: choose another name."
        )
    return row is not None


def _password_verifier(conn: Connection, name: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier, computed by libpq on this side (no clear text sent)."""
    pgconn = conn.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    verifier = pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256")
    return verifier.decode("ascii")


def add_user(
    engine: Engine,
    name: str,
    level: str,
    scope: str,
    *,
    read_only: bool = False,
    password: str | None = None,
) -> User:
    """Create (or re-scope) a login role for a person or office.

    Parameters
    ----------
    name
        The login role (lower case, e.g. ``jinan_zone``).
    level
        ``city``, ``county`` or ``zone``.
    scope
        The city's adcode (any code; the city sees everything), a county's 6-digit
        adcode, or a zone's code.
    read_only
        The role may read its scope but never write.
    password
        Its password (sent to the server only as a SCRAM-SHA-256 verifier); ``None``
        leaves the password as it is (.pgpass, certificates, or none).

    Raises
    ------
    RolesError
        On GeoPackage, before ``db init``, without the privilege to create roles, or
        when the name is a privileged role.
    """
    _require_server(engine)
    _validate(name, level, scope)
    group = READONLY_GROUP if read_only else GROUPS[level]
    ident = f'"{name}"'
    try:
        with engine.begin() as conn:
            tag_transaction(conn, "users add")
            _require_installed(conn)
            if not _check_existing(conn, name):
                conn.exec_driver_sql(
                    f"CREATE ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    "NOBYPASSRLS NOREPLICATION INHERIT"
                )
            conn.exec_driver_sql(f"ALTER ROLE {ident} LOGIN")
            if password:
                verifier = _password_verifier(conn, name, password)
                _run_script(conn, f"ALTER ROLE {ident} PASSWORD '{verifier}'")
            for other in (*GROUPS.values(), READONLY_GROUP):
                if other != group:
                    conn.exec_driver_sql(f"REVOKE {other} FROM {ident}")
            conn.exec_driver_sql(f"GRANT {group} TO {ident}")
            conn.execute(
                text(
                    f"INSERT INTO {USERS_TABLE} (role_name, level, scope, read_only) "
                    "VALUES (:n, :l, :s, :r) ON CONFLICT (role_name) DO UPDATE SET "
                    "level = EXCLUDED.level, scope = EXCLUDED.scope, "
                    "read_only = EXCLUDED.read_only"
                ),
                {"n": name, "l": level, "s": scope, "r": read_only},
            )
    except (DBAPIError, psycopg.Error) as exc:
        raise _privilege_error(exc, f"add the user {name!r}") from None
    return next(u for u in list_users(engine) if u.name == name)


def list_users(engine: Engine) -> list[User]:
    """Every devzone user this role may see (the city: all; others: themselves)."""
    _require_server(engine)
    with engine.connect() as conn:
        _require_installed(conn)
        rows = conn.execute(
            text(
                "SELECT u.role_name, u.level, u.scope, u.read_only, "
                "coalesce(r.rolcanlogin, false), "
                "coalesce(array(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g "
                "ON g.oid = m.roleid WHERE m.member = r.oid AND g.rolname LIKE 'devzone%' "
                "ORDER BY 1), '{}') "
                f"FROM {USERS_TABLE} u LEFT JOIN pg_roles r ON r.rolname = u.role_name "
                "ORDER BY array_position(ARRAY['city', 'county', 'zone'], u.level), "
                "u.scope, u.role_name"
            )
        ).all()
    return [User(r[0], r[1], r[2], r[3], r[4], tuple(r[5])) for r in rows]


def revoke_user(engine: Engine, name: str, *, drop: bool = False) -> None:
    """Take a user's access away: no scope, no group, no login (or drop the role).

    The role is kept (NOLOGIN) by default so the audit trail still names a role that
    exists; ``drop=True`` drops it.

    Raises
    ------
    RolesError
        The role is not a devzone user here, or this role may not manage users.
    """
    _require_server(engine)
    ident = f'"{name}"'
    try:
        with engine.begin() as conn:
            tag_transaction(conn, "users revoke")
            _require_installed(conn)
            gone = conn.execute(
                text(f"DELETE FROM {USERS_TABLE} WHERE role_name = :n RETURNING 1"), {"n": name}
            ).first()
            if gone is None:
                raise RolesError(
                    f"{name!r} is not a devzone user of this database; `devzone users "
                    "list` shows who is."
                )
            for group in (*GROUPS.values(), READONLY_GROUP):
                conn.exec_driver_sql(f"REVOKE {group} FROM {ident}")
            conn.exec_driver_sql(f"DROP ROLE {ident}" if drop else f"ALTER ROLE {ident} NOLOGIN")
    except (DBAPIError, psycopg.Error) as exc:
        raise _privilege_error(exc, f"revoke the user {name!r}") from None


# --------------------------------------------------------------------------- loads


def _codes(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), None)


def _county_of(codes: pd.Series) -> pd.Series:
    return codes.map(lambda c: str(c)[:6] if c else None)


_KIND_TABLE = {
    "districts": "district",
    "zones": "dev_zone",
    "supply": "land_supply",
    "parcels": "parcel",
    "indicators": "enterprise_indicator",
    "links": "parcel_enterprise",
    "buildings": "building",
    "progress": "project_progress",
}


def _parcels_in(scope: Scope, parcels: pd.DataFrame | None, zones: Mapping[str, str]) -> set[str]:
    """(parcel_code, supervision_no) values of the known parcels inside the scope."""
    if parcels is None or parcels.empty:
        return set()
    ok = _parcel_rows_in(parcels, scope, zones)
    keep = parcels[ok]
    return set(_codes(keep, "parcel_code").dropna()) | set(_codes(keep, "supervision_no").dropna())


def _parcel_rows_in(frame: pd.DataFrame, scope: Scope, zones: Mapping[str, str]) -> np.ndarray:
    zone = _codes(frame, "zone_code")
    if scope.level == "zone":
        return (zone == scope.code).to_numpy(bool)
    county = _county_of(_codes(frame, "parcel_code"))
    contract_county = _county_of(_codes(frame, "supervision_no"))
    by_zone = zone.map(lambda z: zones.get(z) if z else None)
    inside = (county == scope.code) | (contract_county == scope.code) | (by_zone == scope.code)
    return inside.to_numpy(bool)


def _rows_in(
    table: str,
    frame: pd.DataFrame,
    scope: Scope,
    parcels: pd.DataFrame | None,
    links: pd.DataFrame | None,
    zones: Mapping[str, str],
) -> tuple[np.ndarray, str]:
    """Which rows are inside the scope, and the field that decides."""
    n = len(frame)
    if table == "district":
        return np.zeros(n, bool), "adcode"
    if table == "dev_zone":
        if scope.level == "zone":
            return (_codes(frame, "zone_code") == scope.code).to_numpy(bool), "zone_code"
        return (_codes(frame, "district_code") == scope.code).to_numpy(bool), "district_code"
    if table == "parcel":
        return _parcel_rows_in(frame, scope, zones), "zone_code"
    known = _parcels_in(scope, parcels, zones)
    in_known = np.zeros(n, bool)
    field = "parcel_code"
    for col in ("parcel_code", "supervision_no"):
        if col in frame.columns:
            codes = _codes(frame, col)
            in_known |= codes.isin(known).to_numpy(bool)
            if scope.level == "county":
                in_known |= (_county_of(codes) == scope.code).to_numpy(bool)
    if table == "land_supply":
        field = "supervision_no"
    if table == "enterprise_indicator":
        firms: set[str] = set()
        if links is not None and not links.empty:
            linked = _codes(links, "parcel_code").isin(known)
            if scope.level == "county":
                linked |= _county_of(_codes(links, "parcel_code")) == scope.code
            firms = set(_codes(links[linked.to_numpy(bool)], "credit_code").dropna())
        return _codes(frame, "credit_code").isin(firms).to_numpy(bool), "credit_code"
    return in_known, field


def scope_check(
    frame: pd.DataFrame,
    kind: str,
    scope: Scope,
    *,
    parcels: pd.DataFrame | None = None,
    links: pd.DataFrame | None = None,
    zones: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of a load chunk the role may write, and why not the others.

    The ETL calls it per chunk before writing, so a stray row goes to the rejects with
    its reason instead of aborting the whole load at the policy's ``WITH CHECK``. The
    rule is the one the policies enforce (see the module docstring).

    Parameters
    ----------
    frame
        The chunk, with the database's column names.
    kind
        The ETL kind (``parcels``, ``supply``, …) or its table name.
    scope
        The loading role's scope (:class:`Scope`); the city's takes every row.
    parcels
        Parcels known to this load (the ones already in the database the role sees
        plus those of the load): ``parcel_code``, ``supervision_no``, ``zone_code``.
        Needed for supply, buildings, links, progress and indicators.
    links
        Parcel–enterprise links known to the load (``parcel_code``, ``credit_code``),
        for indicators.
    zones
        ``zone_code`` → ``district_code`` of the known zones (a county's zones).

    Returns
    -------
    in_scope : numpy.ndarray of bool
        True for the rows the role may write.
    reason : numpy.ndarray of str
        ``""`` for those rows, else why the row is outside the scope.

    Notes
    -----
    Where it plugs in (``etl/load.py``): once per load, ``scope = current_scope(engine)``
    (``None`` for the owner: no check). Per kind, after a chunk is cleaned and its keys
    are de-duplicated, and before it is written: ``ok, why = scope_check(chunk, kind,
    scope, parcels=…, links=…, zones=…)``; rows with ``~ok`` go to the rejects (field =
    the column the reason names, reason = ``why``) and are counted as rejected, the rest
    are written. ``parcels`` = the parcels the role sees in the database (``db.io.read``
    runs under its policies) plus this load's parcels; ``links`` likewise;
    ``zones`` = ``dev_zone.zone_code → district_code``. Write parcels before the
    land-supply contracts of a zone (a zone sees a contract through its parcel).

    Examples
    --------
    >>> parcels = pd.DataFrame({"parcel_code": ["341502001001GB00001", "341503001001GB00002"],
    ...                         "zone_code": ["S347042", "S347043"]})
    >>> ok, why = scope_check(parcels, "parcels", Scope("zone", "S347042"))
    >>> ok.tolist()
    [True, False]
    >>> print(why[1])
    zone_code 'S347043' is outside the scope of this role (zone S347042)
    >>> scope_check(parcels, "parcels", Scope("county", "341503"))[0].tolist()
    [False, True]
    >>> scope_check(parcels, "parcels", Scope("city", "341500"))[0].tolist()
    [True, True]
    >>> supply = pd.DataFrame({"supervision_no": ["3415022019B00001", "3415022019B00009"],
    ...                        "parcel_code": ["341502001001GB00001", None]})
    >>> scope_check(supply, "supply", Scope("zone", "S347042"), parcels=parcels)[0].tolist()
    [True, False]
    """
    n = len(frame)
    if scope.read_only:
        reason = f"this role is read-only ({scope.level} {scope.code})"
        return np.zeros(n, bool), np.full(n, reason, dtype=object)
    if scope.sees_all:
        return np.ones(n, bool), np.full(n, "", dtype=object)
    table = _KIND_TABLE.get(kind, kind)
    if table not in (*_KIND_TABLE.values(),):
        raise ValueError(f"unknown kind {kind!r}")
    ok, field = _rows_in(table, frame, scope, parcels, links, dict(zones or {}))
    values = _codes(frame, field).to_numpy(object)
    reason = np.array(
        [
            ""
            if good
            else f"{field} {value!r} is outside the scope of this role ({scope.level} {scope.code})"
            for good, value in zip(ok, values, strict=True)
        ],
        dtype=object,
    )
    return ok, reason


def current_scope(engine: Engine) -> Scope | None:
    """The connected role's scope (``None``: not a devzone user, e.g. the owner)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass(:t)"), {"t": USERS_TABLE}).scalar() is None:
            return None
        row = conn.execute(
            text(
                f"SELECT level, scope, read_only FROM {USERS_TABLE} WHERE role_name = current_user"
            )
        ).first()
    return None if row is None else Scope(*row)
