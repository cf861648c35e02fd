"""Time in the database: every version of every input row, and the table as it stood.

Beside each input table ``t`` (``parcel``, ``land_supply`` … :data:`INPUT_TABLES`) sits
``t_history`` with the same columns (the current row's ``fid`` as ``row_fid``) plus

``valid_from_batch``, ``valid_to_batch``
    the version was the current one from the load batch that wrote it (its own
    ``batch_id``) up to, not including, the batch that replaced or retired it;
``valid_to``
    when that happened (UTC);
``change``
    ``updated`` (a later load changed the row) or ``retired`` (a complete export no
    longer listed it, :func:`retire_missing`);
``changed_by``, ``changed_by_role``
    the operating-system user of the load, and on PostGIS the database role
    (``current_user``).

A current row is valid from its own ``batch_id``. The table "as of" batch ``B`` is the
current rows with ``batch_id <= B`` plus the history rows with
``valid_from_batch <= B < valid_to_batch`` (:func:`as_of_sql`), one ``UNION ALL``
query on either backend. A vintage is a batch id or a date/timestamp, the last batch
finished on or before it (:func:`resolve_vintage`).

History tables are declared here from the input tables' own columns, so a column added
to an input table reaches its history table with no second declaration; spatial ones
are GeoPackage feature tables QGIS opens (GeoAlchemy2 registers them), the others are
registered as attribute tables by :func:`devzone.db.admin.register_attribute_tables`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from geoalchemy2 import Geometry
from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    inspect,
)

from devzone.db.schema import Base, UtcDateTime, gpkg_datetime_text
from devzone.errors import DatabaseError
from devzone.units import SRID

__all__ = [
    "HISTORY_COLUMNS",
    "HISTORY_SUFFIX",
    "INPUT_TABLES",
    "Vintage",
    "as_of_sql",
    "batch_identity",
    "current_vintage",
    "data_vintage",
    "decode_gpkg_blobs",
    "ensure_history",
    "history_table",
    "keep_versions",
    "latest_progress",
    "natural_key",
    "os_user",
    "resolve_vintage",
    "retire_missing",
    "utcnow",
    "vintage_note",
]

#: A data vintage: a load batch id, or a date/timestamp (the last batch finished then).
Vintage = int | str | dt.date | dt.datetime | pd.Timestamp

#: The loaded tables whose every version is kept.
INPUT_TABLES = (
    "district",
    "dev_zone",
    "land_supply",
    "parcel",
    "enterprise",
    "enterprise_indicator",
    "parcel_enterprise",
    "building",
    "project_progress",
)
HISTORY_SUFFIX = "_history"
#: Columns a history table adds to its input table's (``fid`` becomes ``row_fid``).
HISTORY_COLUMNS = (
    "valid_from_batch",
    "valid_to_batch",
    "valid_to",
    "change",
    "changed_by",
    "changed_by_role",
)
#: gpkg/SQLite: ids per ``IN (...)`` list (below SQLite's variable limit).
_IN_CHUNK = 20_000


def _history_column(col: Column) -> Column:
    if col.name == "fid":
        return Column("row_fid", Integer, comment="当前表 fid (current row's fid)")
    if isinstance(col.type, Geometry):
        return Column(
            col.name,
            Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True),
            nullable=True,
            comment=col.comment,
        )
    return Column(col.name, col.type, nullable=True, comment=col.comment)


def _declare(table: Table) -> Table:
    """``<table>_history``: the table's columns plus the validity interval."""
    return Table(
        table.name + HISTORY_SUFFIX,
        table.metadata,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        *(_history_column(c) for c in table.c),
        Column("valid_from_batch", Integer, comment="有效起 (load_batch.fid, 含)"),
        Column("valid_to_batch", Integer, index=True, comment="有效止 (load_batch.fid, 不含)"),
        Column("valid_to", UtcDateTime, comment="失效时间 (UTC)"),
        Column("change", Text, comment="变更 updated/retired"),
        Column("changed_by", Text, comment="操作系统用户"),
        Column("changed_by_role", Text, comment="数据库角色 (PostGIS)"),
        comment=f"{table.comment or table.name} — 历史版本 (history of {table.name})",
    )


_HISTORY: dict[str, Table] = {name: _declare(Base.metadata.tables[name]) for name in INPUT_TABLES}


def history_table(name: str) -> Table:
    """The history table of input table ``name``.

    Examples
    --------
    >>> history_table("parcel").name
    'parcel_history'
    >>> [c for c in history_table("parcel").c.keys() if c.startswith("valid")]
    ['valid_from_batch', 'valid_to_batch', 'valid_to']
    """
    try:
        return _HISTORY[name]
    except KeyError:
        raise DatabaseError(
            f"{name!r} keeps no history (tables with history: {', '.join(INPUT_TABLES)})"
        ) from None


def natural_key(name: str) -> tuple[str, ...]:
    """The registry key of an input table (its unique constraint).

    Examples
    --------
    >>> natural_key("parcel")
    ('parcel_code',)
    >>> natural_key("project_progress")
    ('project_key', 'report_date')
    """
    table = Base.metadata.tables[name]
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.columns:
            return tuple(c.name for c in constraint.columns)
    return tuple(c.name for c in table.c if c.unique)


def os_user() -> str:
    """The operating-system user running devzone (``unknown`` when it cannot be told)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def _db_role(conn: Connection) -> str | None:
    if conn.dialect.name != "postgresql":
        return None
    return str(conn.exec_driver_sql("SELECT current_user").scalar())


def batch_identity(conn: Connection) -> dict[str, str | None]:
    """Who loads: ``{"os_user": ..., "db_role": ...}`` for the ``load_batch`` row.

    ``db_role`` is PostgreSQL's ``current_user`` (``None`` on GeoPackage). The loader
    passes it to ``insert(LoadBatch).values(..., **batch_identity(conn))``.
    """
    return {"os_user": os_user(), "db_role": _db_role(conn)}


def ensure_history(conn: Connection, name: str) -> Table:
    """Create ``name``'s history table on this connection when it is missing.

    A database made before history existed gets its history tables at the first load
    that changes a row, inside that load's transaction.
    """
    hist = history_table(name)
    if not inspect(conn).has_table(hist.name):
        hist.create(conn, checkfirst=True)
        if conn.dialect.name == "geopackage" and "geom" not in hist.c:
            conn.exec_driver_sql(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                "SELECT ?, 'attributes', ?, ? WHERE NOT EXISTS "
                "(SELECT 1 FROM gpkg_contents WHERE table_name = ?)",
                (hist.name, hist.name, hist.comment or "", hist.name),
            )
    return hist


def _fid_chunks(fids: Iterable[object]) -> list[list[int]]:
    ids = [int(f) for f in fids]
    return [ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]


def _where_fids(conn: Connection, chunk: list[int]) -> tuple[str, tuple[object, ...]]:
    if conn.dialect.name == "postgresql":
        return "fid = ANY(%s)", (chunk,)
    return f"fid IN ({', '.join('?' * len(chunk))})", tuple(chunk)


def keep_versions(
    conn: Connection,
    name: str,
    fids: Iterable[object],
    *,
    batch_id: int | None,
    change: str = "updated",
    at: dt.datetime | None = None,
) -> int:
    """Copy the stored rows ``fids`` of ``name`` into its history table (in SQL).

    Call it in the transaction that then updates or deletes those rows: each copy gets
    ``valid_from_batch`` = its own ``batch_id`` (0 when unknown), ``valid_to_batch`` =
    ``batch_id``, ``valid_to`` = ``at`` (now), ``change`` and who made it.

    Parameters
    ----------
    conn
        The load's connection (its transaction).
    name
        An input table (:data:`INPUT_TABLES`).
    fids
        ``fid`` of the stored rows about to change.
    batch_id
        The load batch replacing them (``valid_to_batch``).
    change
        ``updated`` or ``retired``.
    at
        When (UTC, naive); now by default.

    Returns
    -------
    int
        Versions kept.
    """
    chunks = _fid_chunks(fids)
    if not chunks:
        return 0
    hist = ensure_history(conn, name)
    source = [c.name for c in Base.metadata.tables[name].c]
    target = ", ".join(f'"{c}"' for c in ("row_fid", *source[1:], *HISTORY_COLUMNS))
    picked = ", ".join(f'"{c}"' for c in source)
    gpkg = conn.dialect.name == "geopackage"
    mark = "?" if gpkg else "%s"
    role = "NULL" if gpkg else "current_user"
    when = at or utcnow()
    stamp: object = gpkg_datetime_text(when) if gpkg else when
    kept = 0
    for chunk in chunks:
        where, ids = _where_fids(conn, chunk)
        sql = (
            f'INSERT INTO "{hist.name}" ({target}) SELECT {picked}, COALESCE(batch_id, 0), '
            f'{mark}, {mark}, {mark}, {mark}, {role} FROM "{name}" WHERE {where}'
        )
        result = conn.exec_driver_sql(sql, (batch_id, stamp, change, os_user(), *ids))
        kept += max(int(result.rowcount or 0), 0)
    return kept


def _key_text(values: pd.Series, col_type: object) -> pd.Series:
    """Key values as comparable text (dates as ``YYYY-MM-DD``, integers without ``.0``)."""
    if isinstance(col_type, Date | DateTime):
        d = pd.to_datetime(values, errors="coerce")
        return d.dt.strftime("%Y-%m-%d").astype("string")
    if isinstance(col_type, Integer):
        return pd.to_numeric(values, errors="coerce").astype("Int64").astype("string")
    return values.astype("string")


def _key_frame(df: pd.DataFrame, table: Table, key: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: _key_text(df[c], table.c[c].type).fillna("\x00") for c in key})


def retire_missing(
    conn: Connection,
    table: str,
    key: Sequence[str],
    seen_keys: pd.DataFrame | Iterable[object],
    batch_id: int | None,
) -> int:
    """Retire the rows a complete export no longer lists (only for ``--complete``).

    Every stored row of ``table`` whose ``key`` is not among ``seen_keys`` is copied
    into the history table with ``change = 'retired'`` and removed from the current
    table, in the caller's transaction.

    Parameters
    ----------
    key
        The natural key columns (``("parcel_code",)``).
    seen_keys
        The keys of the complete export: a frame with the ``key`` columns, or the key
        values (tuples for a key of several columns).
    batch_id
        The load batch that retires them (``valid_to_batch``).

    Returns
    -------
    int
        Rows retired.

    Raises
    ------
    DatabaseError
        ``seen_keys`` is empty: a "complete" export with no row would retire every row.
    """
    meta = Base.metadata.tables[table]
    key = list(key)
    if isinstance(seen_keys, pd.DataFrame):
        seen = seen_keys[key]
    else:
        items = [k if isinstance(k, tuple) else (k,) for k in seen_keys]
        seen = pd.DataFrame(items, columns=key)
    if not len(seen):
        raise DatabaseError(
            f"a complete export of {table!r} with no rows would retire every stored row; "
            "nothing was retired"
        )
    cols = ", ".join(f'"{c}"' for c in ("fid", *key))
    stored = pd.read_sql_query(f'SELECT {cols} FROM "{table}"', conn)
    if stored.empty:
        return 0
    probe = _key_frame(stored, meta, key)
    known = pd.MultiIndex.from_frame(_key_frame(seen, meta, key).drop_duplicates())
    gone = ~pd.MultiIndex.from_frame(probe).isin(known)
    fids = stored.loc[gone, "fid"].to_numpy()
    if not len(fids):
        return 0
    keep_versions(conn, table, fids, batch_id=batch_id, change="retired")
    for chunk in _fid_chunks(fids):
        where, ids = _where_fids(conn, chunk)
        conn.exec_driver_sql(f'DELETE FROM "{table}" WHERE {where}', ids)
    return len(fids)


def _batches(engine: Engine | Connection) -> pd.DataFrame:
    df = pd.read_sql_query("SELECT fid, finished_at FROM load_batch", engine)
    df["finished_at"] = pd.to_datetime(
        df["finished_at"].astype("string").str.replace("Z", "", regex=False), errors="coerce"
    )
    return df


def _as_time(vintage: Vintage) -> tuple[pd.Timestamp, bool]:
    """The vintage as a timestamp, and whether it was a whole day (a date)."""
    if isinstance(vintage, dt.datetime | pd.Timestamp):
        ts = pd.Timestamp(vintage)
        return (ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts), False
    if isinstance(vintage, dt.date):
        return pd.Timestamp(vintage), True
    text = str(vintage).strip()
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        raise DatabaseError(
            f"{vintage!r} is not a data vintage: give a load batch number (12), a date "
            "(2019-06-30) or a timestamp (2019-06-30T18:00)"
        ) from None
    whole_day = len(text) <= 10
    return (ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts), whole_day


def resolve_vintage(engine: Engine | Connection, vintage: Vintage) -> int:
    """The load batch a vintage names.

    A number (or a string of digits) is a batch id and must exist. A date is the last
    batch finished on or before the end of that day (UTC); a timestamp the last batch
    finished at or before it.

    Raises
    ------
    DatabaseError
        No such batch, or no batch had finished by then.
    """
    batches = _batches(engine)
    if isinstance(vintage, int | np.integer) or (
        isinstance(vintage, str) and vintage.strip().isdigit()
    ):
        batch = int(vintage)
        if batch not in set(batches["fid"].astype(int)):
            known = ", ".join(str(b) for b in sorted(batches["fid"].astype(int))[-5:])
            raise DatabaseError(
                f"there is no load batch {batch} (latest batches: {known or 'none'}); "
                "see `devzone db info`"
            )
        return batch
    ts, whole_day = _as_time(vintage)
    bound = ts + pd.Timedelta(days=1) if whole_day else ts
    done = batches[batches["finished_at"].notna()]
    done = done[done["finished_at"] < bound] if whole_day else done[done["finished_at"] <= bound]
    if done.empty:
        raise DatabaseError(
            f"no load had finished by {ts:%Y-%m-%d %H:%M} UTC: the data vintage "
            f"{vintage!s} is older than the first load"
        )
    return int(done["fid"].max())


def current_vintage(engine: Engine | Connection) -> int | None:
    """The latest finished load batch (what a result computed now was computed on).

    ``None`` when nothing was loaded. Jobs pass it (or the resolved ``--data-as-of``) to
    :func:`devzone.db.io.write_frame` as ``vintage``.
    """
    done = _batches(engine).dropna(subset=["finished_at"])
    return int(done["fid"].max()) if len(done) else None


def data_vintage(engine: Engine | Connection, vintage: Vintage | None) -> int | None:
    """The batch a job reads and records: ``--data-as-of`` resolved, else the current one.

    ``None`` only when nothing was loaded (and no vintage was asked for).
    """
    if vintage is None or (isinstance(vintage, str) and not vintage.strip()):
        return current_vintage(engine)
    return resolve_vintage(engine, vintage)


def vintage_note(engine: Engine | Connection, batch: int | None) -> str:
    """The line every workbook and report prints: ``数据版本: 第 N 批 (YYYY-MM-DD 加载)``.

    The date is the day (UTC) the batch finished loading.
    """
    if batch is None:
        return "数据版本: 无加载批次 (no load batch)"
    done = _batches(engine).set_index("fid")["finished_at"]
    when = done.get(int(batch))
    day = f"{when:%Y-%m-%d}" if when is not None and pd.notna(when) else "未完成"
    return f"数据版本: 第 {int(batch)} 批 ({day} 加载)"


def as_of_sql(
    engine: Engine | Connection, name: str, columns: Sequence[str], batch: int
) -> tuple[str, dict[str, Any]]:
    """SQL (``UNION ALL`` of the current and the history rows) of a table as of a batch.

    ``columns`` are the input table's (``fid`` included or not); on PostGIS ``geom``
    is selected as WKB, on GeoPackage as the stored blob (:func:`decode_gpkg_blobs`).
    Rows come ordered by ``fid``. Parameters are named (``:batch``).
    """
    history_table(name)
    pg = engine.dialect.name == "postgresql"

    def pick(col: str, hist: bool) -> str:
        if col == "geom":
            return "ST_AsBinary(geom) AS geom" if pg else '"geom"'
        if col == "fid" and hist:
            return '"row_fid" AS "fid"'
        return f'"{col}"'

    current = ", ".join(pick(c, False) for c in columns)
    sql = f'SELECT {current} FROM "{name}" WHERE COALESCE(batch_id, 0) <= :batch'
    hist = name + HISTORY_SUFFIX
    if inspect(engine).has_table(hist):
        past = ", ".join(pick(c, True) for c in columns)
        sql += (
            f' UNION ALL SELECT {past} FROM "{hist}" '
            "WHERE valid_from_batch <= :batch AND valid_to_batch > :batch"
        )
    if "fid" in columns:
        sql = f"SELECT * FROM ({sql}) AS as_of ORDER BY fid"
    return sql, {"batch": int(batch)}


def decode_gpkg_blobs(blobs: Sequence[object]) -> np.ndarray:
    """Shapely geometries from GeoPackage binary blobs (``None`` stays ``None``).

    Reads the GPB header (magic, flags, envelope size) and decodes the WKB after it.

    Examples
    --------
    >>> from devzone.db.bulk import gpkg_blobs
    >>> square = shapely.box(0, 0, 1, 1)
    >>> decode_gpkg_blobs(gpkg_blobs(np.array([square, None]))).tolist()[0].area
    1.0
    """
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
    out = np.full(len(blobs), None, dtype=object)
    wkb: list[bytes] = []
    where: list[int] = []
    for i, blob in enumerate(blobs):
        if blob is None or (isinstance(blob, float) and np.isnan(blob)):
            continue
        data = bytes(blob)  # type: ignore[arg-type]
        flags = data[3]
        if flags & 0x10:  # empty geometry
            continue
        wkb.append(data[8 + envelope[(flags >> 1) & 0x07] :])
        where.append(i)
    if wkb:
        out[where] = shapely.from_wkb(np.array(wkb, dtype=object))
    return out


def latest_progress(progress: pd.DataFrame, as_of: object = None) -> pd.DataFrame:
    """Each project's report in force on ``as_of``: its latest dated on or before it.

    Reports dated after ``as_of`` are not used; an undated report counts as older than
    any dated one (kept only for a project with no dated report by then). ``as_of``
    ``None`` keeps each project's latest report.

    Examples
    --------
    >>> p = pd.DataFrame({"project_key": ["S1", "S1", "S1", "S2"],
    ...                   "report_date": pd.to_datetime(["2019-03-31", "2019-06-30",
    ...                                                  "2019-09-30", "2019-12-31"]),
    ...                   "invested_wan": [10.0, 20.0, 30.0, 5.0]})
    >>> latest_progress(p, "2019-07-01")[["project_key", "invested_wan"]].to_dict("list")
    {'project_key': ['S1'], 'invested_wan': [20.0]}
    >>> latest_progress(p)["invested_wan"].tolist()
    [30.0, 5.0]
    """
    dates = pd.to_datetime(progress["report_date"], errors="coerce")
    keep = pd.Series(True, index=progress.index)
    if as_of is not None:
        keep = dates.isna() | (dates <= pd.Timestamp(as_of))
    rows = progress[keep.to_numpy()]
    order = dates[keep.to_numpy()]
    ranked = rows.assign(_order=order.to_numpy()).sort_values(
        ["project_key", "_order"], kind="stable", na_position="first"
    )
    latest = ranked.drop_duplicates("project_key", keep="last").drop(columns="_order")
    return latest.sort_index()


def utcnow() -> dt.datetime:
    """Naive UTC now (the schema stores UTC without zone)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
