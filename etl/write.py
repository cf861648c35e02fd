"""Idempotent bulk upserts into the unified database, on GeoPackage and PostGIS.

Rows are matched to stored rows by their natural key; a row whose ``row_hash``
equals the stored one is *unchanged* (not touched), a different hash is *updated*
(only the columns the file carries, plus provenance), a new key is *inserted*.
Before an update the stored versions are copied into the table's history
(:func:`devzone.db.history.keep_versions`, one ``INSERT … SELECT`` in the same
transaction), so nothing a load replaces is lost.

Writes run on the caller's connection (one transaction for the whole load):
PostGIS inserts stream through ``COPY … FROM STDIN`` (psycopg 3), GeoPackage inserts
go through the DB-API ``executemany`` with geometries encoded as GeoPackage binary
(GPB header + ISO WKB) so GDAL/QGIS read them natively.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, Integer, Table

from devzone.db.bulk import (
    _columns,
    _insert_copy,
    _insert_gpkg,
    column_values,
    ewkb_hex,
    gpkg_blobs,
)
from devzone.db.history import INPUT_TABLES, keep_versions
from devzone.db.io import table_of

__all__ = [
    "Counts",
    "defer_indexes",
    "existing_rows",
    "gpkg_blobs",
    "restore_indexes",
    "upsert",
]

_COPY_CHUNK = 50_000


@dataclass
class Counts:
    """Rows inserted, updated and unchanged by one upsert."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def _is_gpkg(conn: Connection) -> bool:
    return conn.dialect.name == "geopackage"


def existing_rows(
    conn: Connection, table_name: str, key: tuple[str, ...], extra: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Stored keys with their ``fid`` and ``row_hash`` (and ``extra`` columns).

    An ``extra`` column that is part of the key is read once (the progress series is
    keyed by ``project_key`` + ``report_date``).
    """
    extra = tuple(c for c in extra if c not in key)
    cols = ", ".join(f'"{c}"' for c in (*key, "fid", "row_hash", *extra))
    df = pd.read_sql_query(f'SELECT {cols} FROM "{table_name}"', conn)
    table = table_of(table_name)
    for c in key:
        if isinstance(table.c[c].type, Integer):
            df[c] = pd.to_numeric(df[c]).astype("Int64")
        else:
            df[c] = df[c].astype("string")
    for c in extra:
        if isinstance(table.c[c].type, Date):
            df[c] = pd.to_datetime(df[c], errors="coerce")
    return df


def _update(conn: Connection, table: Table, frame: pd.DataFrame, geoms: np.ndarray | None, fids):
    gpkg = _is_gpkg(conn)
    cols = _columns(frame, table)
    values = [column_values(frame[c], table.c[c].type, gpkg) for c in cols]
    sets = [f'"{c}" = {"?" if gpkg else "%s"}' for c in cols]
    if geoms is not None and "geom" in table.c:
        if gpkg:
            values.append(gpkg_blobs(geoms))
            sets.append('"geom" = ?')
        else:
            hexes = frame["_ewkb"] if "_ewkb" in frame else ewkb_hex(geoms)
            values.append(hexes.astype(object).where(hexes.notna(), None).to_numpy())
            sets.append('"geom" = %s::geometry')
    values.append(np.asarray([int(f) for f in fids], dtype=object))
    mark = "?" if gpkg else "%s"
    sql = f'UPDATE "{table.name}" SET {", ".join(sets)} WHERE fid = {mark}'
    conn.exec_driver_sql(sql, list(zip(*values, strict=True)))


def upsert(
    conn: Connection,
    table_name: str,
    key: tuple[str, ...],
    frame: pd.DataFrame,
    geoms: np.ndarray | None,
    existing: pd.DataFrame,
    *,
    provenance: dict[str, object],
) -> tuple[Counts, np.ndarray]:
    """Insert new keys, update changed rows, leave unchanged ones.

    Parameters
    ----------
    frame
        Canonical rows with ``row_hash`` and ``src_row``; keys unique within it.
    existing
        :func:`existing_rows` of the table (keys, ``fid``, ``row_hash``).
    provenance
        ``src_file``, ``batch_id``, ``loaded_at`` stamped on written rows.

    Returns
    -------
    (Counts, status)
        The counts and, per row of ``frame``, ``"inserted"``/``"updated"``/``"unchanged"``.
    """
    table = table_of(table_name)
    status = np.full(len(frame), "inserted", dtype=object)
    if not len(frame):
        return Counts(), status
    probe = frame[list(key)].copy()
    for c in key:
        probe[c] = probe[c].astype(existing[c].dtype) if c in existing else probe[c]
    merged = probe.merge(
        existing[[*key, "fid", "row_hash"]], on=list(key), how="left", validate="many_to_one"
    )
    found = merged["fid"].notna().to_numpy()
    same = found & (merged["row_hash"].astype("string") == frame["row_hash"].astype("string"))
    same = same.fillna(False).to_numpy(dtype=bool) if hasattr(same, "fillna") else same
    changed = found & ~same
    status[same] = "unchanged"
    status[changed] = "updated"
    stamped = frame.assign(**provenance)
    new = ~found
    if new.any():
        sub = stamped[new]
        sub_geoms = geoms[new] if geoms is not None else None
        if _is_gpkg(conn):
            _insert_gpkg(conn, table, sub, sub_geoms)
        else:
            _insert_copy(conn, table, sub, sub_geoms)
    if changed.any():
        sub = stamped[changed]
        if table_name in INPUT_TABLES:
            batch = provenance.get("batch_id")
            at = provenance.get("loaded_at")
            keep_versions(
                conn,
                table_name,
                merged.loc[changed, "fid"].to_numpy(),
                batch_id=None if batch is None else int(batch),  # type: ignore[call-overload]
                at=at if isinstance(at, dt.datetime) else None,
            )
        _update(
            conn,
            table,
            sub,
            geoms[changed] if geoms is not None else None,
            merged.loc[changed, "fid"].to_numpy(),
        )
    counts = Counts(int(new.sum()), int(changed.sum()), int(same.sum()))
    return counts, status


def utcnow() -> dt.datetime:
    """Naive UTC timestamp (the schema stores UTC without zone)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


#: Loads of at least this many rows into an empty PostGIS table build the secondary
#: indexes (spatial GiST, look-ups) once after the COPY instead of row by row.
DEFER_INDEXES_FROM = 50_000


def defer_indexes(conn: Connection, table_name: str, expected_rows: int) -> list[str]:
    """Drop the secondary indexes of an empty PostGIS table before a large load.

    Returns the ``CREATE INDEX`` statements to run afterwards
    (:func:`restore_indexes`); both happen inside the load's transaction, so a failed
    load gets its indexes back with the rollback. Primary keys and unique constraints
    stay (they enforce the keys). No-op on GeoPackage, for small loads, or when the
    table has rows.
    """
    if _is_gpkg(conn) or expected_rows < DEFER_INDEXES_FROM:
        return []
    if conn.exec_driver_sql(f'SELECT EXISTS (SELECT 1 FROM "{table_name}")').scalar():
        return []
    rows = conn.exec_driver_sql(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = to_regclass(%s) AND NOT x.indisprimary AND NOT x.indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
        (f'"{table_name}"',),
    ).all()
    for name, _ in rows:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [definition for _, definition in rows]


def restore_indexes(conn: Connection, definitions: list[str]) -> None:
    """Re-create the indexes dropped by :func:`defer_indexes`."""
    for definition in definitions:
        conn.exec_driver_sql(definition)
