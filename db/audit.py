"""The audit trail (操作留痕): every insert, update and delete, by whom, when and why.

On PostGIS each devzone table carries statement-level triggers (with transition tables,
so a 100,000-row ``COPY`` costs one set-based insert, not 100,000 calls) that write one
row per changed record to ``devzone_audit``:

=================  ==============================================================
column             what
=================  ==============================================================
``at``             time of the change (``clock_timestamp()``, with time zone)
``login_role``     ``session_user``: the login role (a person or an office)
``acting_role``    the role set with ``SET ROLE`` when it differs (else empty)
``command``        ``current_setting('devzone.command', true)``: the devzone command
``batch_id``       ``current_setting('devzone.batch', true)``: e.g. the load batch
``table_name``     the table changed
``op``             ``INSERT`` / ``UPDATE`` / ``DELETE`` / ``TRUNCATE``
``row_key``        the row's natural key (jsonb), e.g. ``{"parcel_code": "…"}``
``old_values``     the row before (jsonb; geometry as ``geom_md5``), for UPDATE/DELETE
``new_values``     the row after (jsonb), for INSERT/UPDATE
=================  ==============================================================

The trigger function is ``SECURITY DEFINER``: no devzone role may write the audit table
itself, so nobody can add, change or remove an entry but the database owner. A city
role reads every entry, any other role its own (row-level security). devzone tags each
transaction it opens with :func:`tag_transaction`.

On a GeoPackage there is no server and no role: ``load_batch.os_user`` (the operating
system user who ran the load) is the provenance, and :func:`list_audit` lists the load
batches instead.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text

from devzone.settings import current_command, set_command

__all__ = [
    "AUDIT_TABLE",
    "AuditEntry",
    "audit_ddl",
    "audit_triggers_sql",
    "current_command",
    "list_audit",
    "os_user",
    "set_command",
    "tag_transaction",
]

AUDIT_TABLE = "devzone_audit"
#: The transaction settings devzone sets (read back by the audit triggers).
COMMAND_SETTING = "devzone.command"
BATCH_SETTING = "devzone.batch"

_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION {s}.devzone_audit_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {s}, public, pg_temp AS $fn$
DECLARE
  key_n text;
  key_o text;
  join_on text;
  cols text;
  rows_n text := 'new_rows';
  rows_o text := 'old_rows';
  head text := 'INSERT INTO devzone_audit (login_role, acting_role, command, batch_id, '
    'table_name, op, row_key, old_values, new_values) ';
  vals text := format('SELECT session_user, nullif(current_setting(''role''), ''none''), '
    'nullif(current_setting(''devzone.command'', true), ''''), '
    'nullif(current_setting(''devzone.batch'', true), ''''), %L, %L, ', TG_TABLE_NAME, TG_OP);
BEGIN
  SELECT 'jsonb_build_object(' || string_agg(format('%L, n.%I', k, k), ', ') || ')',
         'jsonb_build_object(' || string_agg(format('%L, o.%I', k, k), ', ') || ')'
    INTO key_n, key_o FROM unnest(string_to_array(TG_ARGV[0], ',')) AS k;
  SELECT string_agg(format('n.%I = o.%I', k, k), ' AND ')
    INTO join_on FROM unnest(string_to_array(TG_ARGV[2], ',')) AS k;
  IF TG_ARGV[1] = 'geom' THEN
    -- the geometry is recorded by its digest, not its coordinates (cheap, still exact)
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
      FROM pg_attribute
     WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped AND attname <> 'geom';
    cols := cols || ', md5(ST_AsBinary(geom)) AS geom_md5';
    rows_n := format('(SELECT %s FROM new_rows)', cols);
    rows_o := format('(SELECT %s FROM old_rows)', cols);
  END IF;
  IF TG_OP = 'INSERT' THEN
    EXECUTE head || vals || key_n || ', NULL, to_jsonb(n) FROM ' || rows_n || ' n';
  ELSIF TG_OP = 'UPDATE' THEN
    EXECUTE head || vals || key_n || ', to_jsonb(o), to_jsonb(n) FROM ' || rows_o
      || ' o JOIN ' || rows_n || ' n ON ' || join_on;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE head || vals || key_o || ', to_jsonb(o), NULL FROM ' || rows_o || ' o';
  ELSE
    EXECUTE head || vals || 'NULL, NULL, NULL';
  END IF;
  RETURN NULL;
END
$fn$;
"""

_AUDIT_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.devzone_audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  login_role text NOT NULL DEFAULT session_user,
  acting_role text,
  command text,
  batch_id text,
  table_name text NOT NULL,
  op text NOT NULL,
  row_key jsonb,
  old_values jsonb,
  new_values jsonb
);
COMMENT ON TABLE {s}.devzone_audit IS '操作留痕: every insert/update/delete on devzone tables';
CREATE INDEX IF NOT EXISTS devzone_audit_at ON {s}.devzone_audit (at);
CREATE INDEX IF NOT EXISTS devzone_audit_table_at ON {s}.devzone_audit (table_name, at);
"""


def audit_ddl(schema: str) -> str:
    """SQL creating the audit table and its trigger function in ``schema`` (idempotent).

    ``schema`` must already be a quoted identifier.

    Examples
    --------
    >>> "SECURITY DEFINER" in audit_ddl('"landbase"')
    True
    """
    return _AUDIT_TABLE_SQL.format(s=schema) + _TRIGGER_FUNCTION.format(s=schema)


def audit_triggers_sql(
    table: str, key: Iterable[str], *, geometry: bool, join: Iterable[str] = ("fid",)
) -> str:
    """SQL (re)creating the four audit triggers of ``table`` (idempotent).

    Parameters
    ----------
    table
        Quoted table name.
    key
        The natural-key columns recorded as ``row_key``.
    geometry
        The table has a ``geom`` column (recorded as its MD5, not its coordinates).
    join
        The columns pairing the old and new version of an updated row.

    Examples
    --------
    >>> sql = audit_triggers_sql('"parcel"', ["parcel_code"], geometry=True)
    >>> sql.count("CREATE TRIGGER")
    4
    >>> "devzone_audit_rows('parcel_code', 'geom', 'fid')" in sql
    True
    """
    args = "'{}', '{}', '{}'".format(",".join(key), "geom" if geometry else "", ",".join(join))
    fn = f"devzone_audit_rows({args})"
    events = (
        ("ins", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
        ("upd", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("del", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
        ("trn", "TRUNCATE", ""),
    )
    return "".join(
        f"DROP TRIGGER IF EXISTS devzone_audit_{tag} ON {table};\n"
        f"CREATE TRIGGER devzone_audit_{tag} AFTER {event} ON {table} {ref} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {fn};\n"
        for tag, event, ref in events
    )


def tag_transaction(conn: Connection, command: str, batch_id: object = None) -> None:
    """Name the command (and batch) of the open transaction in the audit trail.

    Call it first thing inside ``engine.begin()``; the setting ends with the
    transaction (``set_config(…, is_local => true)``). A no-op on GeoPackage.

    Parameters
    ----------
    conn
        A connection inside a transaction.
    command
        The devzone command, e.g. ``"etl load"`` or ``"score --year 2019"``.
    batch_id
        The load batch (``load_batch.fid``) or a job's run id, if any.
    """
    if conn.dialect.name != "postgresql":
        return
    conn.execute(
        text("SELECT set_config(:c_name, :c, true), set_config(:b_name, :b, true)"),
        {
            "c_name": COMMAND_SETTING,
            "c": command,
            "b_name": BATCH_SETTING,
            "b": "" if batch_id is None else str(batch_id),
        },
    )


def os_user() -> str:
    """The operating-system user running devzone (GeoPackage provenance).

    Examples
    --------
    >>> isinstance(os_user(), str) and len(os_user()) > 0
    True
    """
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (containers)
        return "unknown"


@dataclass(frozen=True)
class AuditEntry:
    """One audited change (or, on GeoPackage, one load batch)."""

    at: dt.datetime
    login_role: str
    acting_role: str | None
    command: str | None
    batch_id: str | None
    table_name: str
    op: str
    row_key: dict[str, Any] | None = None
    old_values: dict[str, Any] | None = None
    new_values: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (time in ISO 8601)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        out["at"] = self.at.isoformat()
        return out


def _as_dict(value: object) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    return json.loads(str(value))


def _postgis_audit(
    conn: Connection,
    table: str | None,
    since: dt.date | None,
    role: str | None,
    limit: int,
) -> list[AuditEntry]:
    where, params = [], {"limit": limit}
    if table:
        where.append("table_name = :table")
        params["table"] = table
    if since:
        where.append("at >= :since")
        params["since"] = since
    if role:
        where.append("(login_role = :role OR acting_role = :role)")
        params["role"] = role
    sql = (
        "SELECT at, login_role, acting_role, command, batch_id, table_name, op, row_key, "
        f"old_values, new_values FROM {AUDIT_TABLE}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY at DESC, id DESC LIMIT :limit"
    )
    rows = conn.execute(text(sql), params).all()
    return [
        AuditEntry(
            *r[:7], row_key=_as_dict(r[7]), old_values=_as_dict(r[8]), new_values=_as_dict(r[9])
        )
        for r in rows
    ]


def _gpkg_provenance(
    conn: Connection, since: dt.date | None, role: str | None, limit: int
) -> list[AuditEntry]:
    present = {c["name"] for c in inspect(conn).get_columns("load_batch")}
    user = "os_user" if "os_user" in present else "NULL"
    rows = conn.execute(
        text(
            f"SELECT fid, started_at, {user}, files, kinds, inserted, updated, rejected "
            "FROM load_batch ORDER BY started_at DESC, fid DESC"
        )
    ).all()
    out = []
    for fid, started, who, files, kinds, inserted, updated, rejected in rows:
        started_at = started if isinstance(started, dt.datetime) else _parse_time(started)
        if since and started_at.date() < since:
            continue
        if role and who != role:
            continue
        counts = {"files": files, "kinds": kinds, "inserted": inserted, "updated": updated}
        counts["rejected"] = rejected
        out.append(
            AuditEntry(
                started_at,
                who or "",
                None,
                "etl load",
                str(fid),
                "load_batch",
                "LOAD",
                row_key={"fid": fid},
                new_values=counts,
            )
        )
    return out[:limit]


def _parse_time(value: object) -> dt.datetime:
    return dt.datetime.fromisoformat(str(value).replace("Z", ""))


def list_audit(
    engine: Engine,
    *,
    table: str | None = None,
    since: dt.date | None = None,
    role: str | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """The newest audited changes first, filtered by table, date and role.

    On PostGIS: ``devzone_audit`` (a city role sees every entry, other roles their
    own). On GeoPackage: the load batches with the OS user who ran them.

    Parameters
    ----------
    table
        Only changes to this table.
    since
        Only changes on or after this day.
    role
        Only changes by this login (or ``SET ROLE``) role; on GeoPackage, OS user.
    limit
        At most this many entries.

    Raises
    ------
    devzone.errors.DatabaseError
        The database has no audit table yet (run ``devzone db init``).
    """
    from devzone.errors import DatabaseError

    names = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            if AUDIT_TABLE not in names:
                raise DatabaseError(
                    "This database has no audit trail yet (table devzone_audit). Run "
                    "`devzone db init` as the database owner to create it."
                )
            return _postgis_audit(conn, table, since, role, limit)
        if "load_batch" not in names or (table and table != "load_batch"):
            return []
        return _gpkg_provenance(conn, since, role, limit)
