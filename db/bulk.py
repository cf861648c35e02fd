"""The bulk path into the database, shared by the ETL and the result writer.

PostGIS rows stream through ``COPY … FROM STDIN`` (CSV written by Arrow's C++ writer,
geometries as hex EWKB; prepared ``INSERT`` batches for a role under row-level
security, which PostgreSQL refuses ``COPY FROM``); GeoPackage rows go through the DB-API
``executemany`` with geometries encoded as GeoPackage binary (GPB header with envelope
+ ISO WKB), so GDAL, QGIS and non-GDAL readers see native GeoPackage geometry. Both run
on the caller's connection, inside its transaction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Boolean, Connection, Date, DateTime, Double, Integer, Table

from devzone.units import SRID

__all__ = [
    "as_multipolygons",
    "column_values",
    "ewkb_hex",
    "gpkg_blobs",
    "insert_rows",
    "is_gpkg",
]

_COPY_CHUNK = 50_000


def is_gpkg(conn: Connection) -> bool:
    """True on a GeoPackage connection."""
    return conn.dialect.name == "geopackage"


def as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Polygons wrapped as one-part MultiPolygons (others unchanged)."""
    geoms = np.asarray(geoms, dtype=object)
    poly = shapely.get_type_id(geoms) == 3
    if not poly.any():
        return geoms
    out = geoms.copy()
    out[poly] = shapely.multipolygons(geoms[poly, None])
    return out


#: Hex EWKB header of a one-part MULTIPOLYGON, SRID 4490, little endian: byte order 01,
#: type 6 with the SRID flag (0x20000006), SRID 0x118A, one part.
_MULTI_PREFIX = "01" + "06000020" + SRID.to_bytes(4, "little").hex().upper() + "01000000"


def ewkb_hex(geoms: np.ndarray) -> pd.Series:
    """Hex EWKB (MULTIPOLYGON, SRID 4490) of each geometry, as PostGIS reads it.

    Polygons get the one-part MultiPolygon header prepended to their WKB (no shapely
    MultiPolygon objects are built); ``<NA>`` where there is no geometry.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    tid = shapely.get_type_id(geoms)
    poly, multi = tid == 3, tid == 6
    if poly.any():
        wkb = pa.array(shapely.to_wkb(geoms[poly], hex=True, byte_order=1), type=pa.string())
        out[poly] = pc.binary_join_element_wise(_MULTI_PREFIX, wkb, "").to_numpy(
            zero_copy_only=False
        )
    if multi.any():
        g = shapely.set_srid(geoms[multi], SRID)
        out[multi] = shapely.to_wkb(g, hex=True, include_srid=True, byte_order=1)
    return pd.Series(out, dtype="string[pyarrow]")


def gpkg_blobs(geoms: np.ndarray, srid: int = SRID) -> np.ndarray:
    """GeoPackage binary geometries (header with xy envelope + little-endian WKB).

    Vectorised: envelopes and headers are built as one numpy block; ``None`` stays
    ``None``.
    """
    geoms = as_multipolygons(np.asarray(geoms, dtype=object))
    out = np.full(len(geoms), None, dtype=object)
    has = ~shapely.is_missing(geoms)
    if not has.any():
        return out
    g = geoms[has]
    b = np.ascontiguousarray(shapely.bounds(g)[:, [0, 2, 1, 3]], dtype="<f8")  # x0 x1 y0 y1
    head = np.empty((len(g), 8), dtype=np.uint8)
    head[:, :4] = np.frombuffer(b"GP\x00\x03", dtype=np.uint8)  # v0, LE, xy envelope
    head[:, 4:] = np.frombuffer(np.int32(srid).astype("<i4").tobytes(), dtype=np.uint8)
    header = np.concatenate([head, b.view(np.uint8).reshape(len(g), 32)], axis=1)
    prefixes = np.array([r.tobytes() for r in header], dtype=object)
    wkb = shapely.to_wkb(g, byte_order=1, flavor="iso")
    out[has] = prefixes + wkb
    return out


def column_values(series: pd.Series, col_type: object, gpkg: bool) -> np.ndarray:
    """One column as DB-API values (None for missing)."""
    if isinstance(col_type, Date) and not isinstance(col_type, DateTime):
        d = pd.to_datetime(series, errors="coerce")
        text = d.dt.strftime("%Y-%m-%d")
        if gpkg:
            return text.astype(object).where(d.notna(), None).to_numpy(dtype=object)
        return np.array([None if pd.isna(v) else v.date() for v in d], dtype=object)
    if isinstance(col_type, DateTime):
        d = pd.to_datetime(series, errors="coerce")
        if gpkg:  # GeoPackage DATETIME text (see devzone.db.schema.UtcDateTime)
            text = d.dt.strftime("%Y-%m-%dT%H:%M:%S.") + (d.dt.microsecond // 1000).map(
                "{:03d}Z".format, na_action="ignore"
            )
            return text.astype(object).where(d.notna(), None).to_numpy(dtype=object)
        return np.array([None if pd.isna(v) else v.to_pydatetime() for v in d], dtype=object)
    if isinstance(col_type, Boolean):
        b = series.astype("boolean")
        vals = b.astype(object).where(b.notna(), None)
        if gpkg:
            vals = vals.map(lambda v: None if v is None else int(v))
        return vals.to_numpy(dtype=object)
    if isinstance(col_type, Integer):
        i = pd.to_numeric(series, errors="coerce").astype("Int64")
        return i.astype(object).where(i.notna(), None).to_numpy(dtype=object)
    if isinstance(col_type, Double):
        f = pd.to_numeric(series, errors="coerce").astype("float64")
        return f.astype(object).where(f.notna(), None).to_numpy(dtype=object)
    s = series.astype("string")
    return s.astype(object).where(s.notna(), None).to_numpy(dtype=object)


def _columns(frame: pd.DataFrame, table: Table) -> list[str]:
    return [c.name for c in table.c if c.name in frame.columns and c.name not in ("fid", "geom")]


def _insert_gpkg(
    conn: Connection, table: Table, frame: pd.DataFrame, geoms: np.ndarray | None
) -> None:
    cols = _columns(frame, table)
    values = [column_values(frame[c], table.c[c].type, True) for c in cols]
    names = [f'"{c}"' for c in cols]
    if geoms is not None and "geom" in table.c:
        values.append(gpkg_blobs(geoms))
        names.append('"geom"')
    sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
    conn.exec_driver_sql(sql, list(zip(*values, strict=True)))


def _arrow_column(series: pd.Series, col_type: object):  # type: ignore[no-untyped-def]
    """One column as an Arrow array of the database type (for COPY)."""
    import pyarrow as pa

    if isinstance(col_type, Date) and not isinstance(col_type, DateTime):
        d = pd.to_datetime(series, errors="coerce").astype("datetime64[ms]")
        return pa.array(d, type=pa.timestamp("ms")).cast(pa.date32())
    if isinstance(col_type, DateTime):
        d = pd.to_datetime(series, errors="coerce").astype("datetime64[us]")
        return pa.array(d, type=pa.timestamp("us"))
    if isinstance(col_type, Boolean):
        return pa.array(series.astype("boolean"), type=pa.bool_())
    if isinstance(col_type, Integer):
        return pa.array(pd.to_numeric(series, errors="coerce").astype("Int64"), type=pa.int64())
    if isinstance(col_type, Double):
        f = pd.to_numeric(series, errors="coerce").astype("float64")
        return pa.array(f, type=pa.float64(), from_pandas=True)
    return pa.array(series.astype("string[pyarrow]"), type=pa.string())


def _row_security_active(conn: Connection, table: Table) -> bool:
    """True when row-level security applies to the connected role on ``table`` (a
    county or zone role on a city server): PostgreSQL refuses ``COPY FROM`` then."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("SELECT row_security_active(%s::regclass)", (f'"{table.name}"',))
        row = cur.fetchone()
    return bool(row and row[0])


def _insert_many(
    conn: Connection, table: Table, frame: pd.DataFrame, geoms: np.ndarray | None
) -> None:
    """Prepared ``INSERT`` batches: the path for a role under row-level security."""
    cols = _columns(frame, table)
    values = [column_values(frame[c], table.c[c].type, False) for c in cols]
    names = [f'"{c}"' for c in cols]
    if geoms is not None and "geom" in table.c:
        hexes = frame["_ewkb"] if "_ewkb" in frame else ewkb_hex(geoms)
        values.append(hexes.astype(object).where(hexes.notna(), None).to_numpy(dtype=object))
        names.append('"geom"')
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join(["%s"] * len(names))})'
    )
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.executemany(sql, list(zip(*values, strict=True)))


def _insert_copy(
    conn: Connection, table: Table, frame: pd.DataFrame, geoms: np.ndarray | None
) -> None:
    """``COPY … FROM STDIN (FORMAT csv)``; the CSV is written by Arrow's C++ writer.

    Under row-level security (a county or zone role) PostgreSQL has no ``COPY FROM``:
    prepared ``INSERT`` batches then (:func:`_insert_many`), checked by the policies.
    """
    if _row_security_active(conn, table):
        _insert_many(conn, table, frame, geoms)
        return
    import pyarrow as pa
    import pyarrow.csv as pacsv

    cols = _columns(frame, table)
    arrays = [_arrow_column(frame[c], table.c[c].type) for c in cols]
    names = list(cols)
    if geoms is not None and "geom" in table.c:
        hexes = frame["_ewkb"] if "_ewkb" in frame else ewkb_hex(geoms)
        arrays.append(pa.array(hexes.astype("string[pyarrow]"), type=pa.string()))
        names.append("geom")
    data = pa.Table.from_arrays(arrays, names=names)
    sql = ", ".join(f'"{c}"' for c in names)
    raw = conn.connection.driver_connection
    options = pacsv.WriteOptions(include_header=False)
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY \"{table.name}\" ({sql}) FROM STDIN WITH (FORMAT csv, NULL '')") as copy,
    ):
        for start in range(0, len(data), _COPY_CHUNK):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(data.slice(start, _COPY_CHUNK), sink, write_options=options)
            copy.write(sink.getvalue().to_pybytes())


def insert_rows(
    conn: Connection, table: Table, frame: pd.DataFrame, geoms: np.ndarray | None = None
) -> int:
    """Insert ``frame``'s rows into ``table`` on the bulk path of the connection's backend.

    Only the columns ``table`` has are written (``fid`` is assigned by the database);
    ``geoms`` (shapely geometries, or ``None``) fill ``geom``.

    Returns
    -------
    int
        Rows inserted.
    """
    if not len(frame):
        return 0
    if is_gpkg(conn):
        _insert_gpkg(conn, table, frame, geoms)
    else:
        _insert_copy(conn, table, frame, geoms)
    return len(frame)
