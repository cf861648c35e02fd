"""Fill missing references spatially: a parcel's 开发区, a building's 宗地.

Polygons are read through the load's own connection (so rows loaded earlier in the
same transaction count) and features are assigned by their representative point with
:func:`devzone.spatial.assign_by_location`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from devzone.db.schema import SRID

__all__ = ["assign_keys", "gpb_to_wkb", "read_polygons"]

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def gpb_to_wkb(blobs: pd.Series) -> np.ndarray:
    """Strip GeoPackage binary headers, leaving WKB (``None`` stays ``None``)."""

    def strip(b: bytes | None) -> bytes | None:
        if b is None:
            return None
        b = bytes(b)
        if b[:2] != b"GP":
            return b
        return b[8 + _ENVELOPE_BYTES.get((b[3] >> 1) & 0x07, 0) :]

    return np.array([strip(b) for b in blobs], dtype=object)


def read_polygons(conn: Connection, table: str, key: str) -> gpd.GeoDataFrame:
    """``key`` and geometry of every row of a spatial table, via ``conn``."""
    if conn.dialect.name == "geopackage":
        df = pd.read_sql_query(f'SELECT "{key}", geom FROM "{table}" WHERE geom IS NOT NULL', conn)
        wkb = gpb_to_wkb(df["geom"])
    else:
        df = pd.read_sql_query(
            f'SELECT "{key}", ST_AsBinary(geom) AS geom FROM "{table}" WHERE geom IS NOT NULL',
            conn,
        )
        wkb = np.array([None if b is None else bytes(b) for b in df["geom"]], dtype=object)
    geoms = shapely.from_wkb(wkb)
    return gpd.GeoDataFrame({key: df[key].astype("string")}, geometry=geoms, crs=SRID)


def assign_keys(geoms: np.ndarray, polygons: gpd.GeoDataFrame, key: str) -> pd.Series:
    """``key`` of the polygon containing each geometry's representative point (NA if none)."""
    from devzone.spatial import assign_by_location

    features = gpd.GeoDataFrame(geometry=np.asarray(geoms, dtype=object), crs=SRID)
    # local: the polygons were read through the load's own (uncommitted) transaction
    out = assign_by_location(features, polygons, key, engine="local")
    return pd.Series(out.to_numpy(), dtype="string")
