"""The PostGIS engine: the spatial joins run inside PostgreSQL.

Two routes:

* :func:`postgis_footprint_share` / :func:`postgis_containing_position` (the
  ``postgis`` engine of :func:`devzone.spatial.footprint_share` and
  :func:`devzone.spatial.assign_by_location`): the frames are copied into temporary
  tables (``COPY``), GiST-indexed and joined with ``ST_Intersects``/``ST_Area``;
* :func:`footprint_share_in_db`: the join over the stored ``parcel`` and ``building``
  tables, where the data already lives (no upload).

Geometries are reprojected and repaired exactly as on the local engine
(:func:`devzone.spatial.local.geoms_in`, or ``ST_MakeValid`` in the database).
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from devzone.errors import ConfigError
from devzone.settings import area_crs as resolve_area_crs
from devzone.spatial.engine import EngineState
from devzone.spatial.local import CHUNK, geoms_in, share_of

__all__ = ["footprint_share_in_db", "postgis_containing_position", "postgis_footprint_share"]


def _copy_geoms(
    conn: Any, table: str, geo: gpd.GeoSeries, crs: Any, *, points: bool = False
) -> None:
    """Create temp table ``table(pos, geom)`` and COPY ``geo`` into it (hex WKB).

    Reprojection, repair (and for ``points`` the representative point) and the COPY
    run in chunks of :data:`~devzone.spatial.local.CHUNK` rows, so memory holds one
    chunk at a time.
    """
    conn.exec_driver_sql(f"CREATE TEMP TABLE {table} (pos bigint, geom geometry) ON COMMIT DROP")
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} (pos, geom) FROM STDIN") as copy:
        for start in range(0, len(geo), CHUNK):
            geoms = geoms_in(geo.iloc[start : start + CHUNK], crs)
            if points:
                geoms = shapely.point_on_surface(geoms)
            keep = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
            buf = io.StringIO()
            pd.DataFrame(
                {"pos": start + keep, "geom": shapely.to_wkb(geoms[keep], hex=True)}
            ).to_csv(buf, sep="\t", header=False, index=False)
            copy.write(buf.getvalue())
    conn.exec_driver_sql(f"CREATE INDEX ON {table} USING gist (geom)")
    conn.exec_driver_sql(f"ANALYZE {table}")


def _copy_out(conn: Any, sql: str, names: list[str]) -> pd.DataFrame:
    """Result of ``sql`` through ``COPY ... TO STDOUT`` (CSV), parsed by pandas."""
    buf = io.BytesIO()
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for data in copy:
            buf.write(data)
    buf.seek(0)
    if not buf.getbuffer().nbytes:
        return pd.DataFrame({name: pd.Series(dtype=float) for name in names})
    return pd.read_csv(buf, header=None, names=names)


def postgis_footprint_share(
    parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *, state: EngineState, area_crs: str
) -> NDArray[np.float64]:
    """Footprint share per parcel (array in ``parcels`` order), joined in PostGIS."""
    tag = uuid.uuid4().hex[:8]
    tp, tb = f"_dz_fp_p_{tag}", f"_dz_fp_b_{tag}"
    covered = np.zeros(len(parcels), dtype=float)
    area = np.full(len(parcels), np.nan)
    with state.db.begin() as conn:
        _copy_geoms(conn, tp, parcels.geometry, area_crs)
        _copy_geoms(conn, tb, buildings.geometry, area_crs)
        out = _copy_out(
            conn,
            f"SELECT p.pos, ST_Area(p.geom), COALESCE(s.covered, 0) FROM {tp} p "
            f"LEFT JOIN (SELECT p.pos, SUM(ST_Area(ST_Intersection(p.geom, b.geom))) AS covered "
            f"FROM {tp} p JOIN {tb} b ON ST_Intersects(p.geom, b.geom) GROUP BY p.pos) s "
            f"USING (pos)",
            ["pos", "area", "covered"],
        )
    idx = out["pos"].to_numpy(dtype=np.int64)
    area[idx] = out["area"].to_numpy(dtype=float)
    covered[idx] = out["covered"].to_numpy(dtype=float)
    return share_of(covered, area)


def postgis_containing_position(
    features: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, *, crs: Any, state: EngineState
) -> NDArray[np.int64]:
    """Position of the first polygon holding each feature's representative point."""
    tag = uuid.uuid4().hex[:8]
    tf, tp = f"_dz_al_f_{tag}", f"_dz_al_p_{tag}"
    found = np.full(len(features), -1, dtype=np.int64)
    with state.db.begin() as conn:
        _copy_geoms(conn, tf, features.geometry, crs, points=True)
        _copy_geoms(conn, tp, polygons.geometry, crs)
        out = _copy_out(
            conn,
            f"SELECT f.pos, min(p.pos) FROM {tf} f JOIN {tp} p "
            f"ON ST_Intersects(p.geom, f.geom) GROUP BY f.pos",
            ["pos", "found"],
        )
    found[out["pos"].to_numpy(dtype=np.int64)] = out["found"].to_numpy(dtype=np.int64)
    return found


def footprint_share_in_db(db: Any, *, area_crs: str | None = None) -> pd.Series:
    """Footprint share of every ``parcel`` against every ``building``, in PostGIS.

    The join runs where the data already lives (no upload): candidate pairs come from
    the GiST indexes on ``geom`` (EPSG:4490), areas are measured after
    ``ST_Transform`` to ``area_crs``, invalid polygons are repaired with
    ``ST_MakeValid`` as in the other engines.

    Parameters
    ----------
    db : sqlalchemy.Engine
        A PostgreSQL engine holding the devzone tables.
    area_crs : str, optional
        ``EPSG:<code>`` of the projected CRS for areas
        (:func:`devzone.settings.area_crs`).

    Returns
    -------
    pandas.Series
        Share per ``parcel_code`` (ordered by ``fid``), name ``footprint_share``.
    """
    if db.dialect.name != "postgresql":
        raise ConfigError("footprint_share_in_db needs a PostgreSQL database")
    srid = int(resolve_area_crs(area_crs).split(":")[-1])
    fix = "CASE WHEN ST_IsValid({g}) THEN {g} ELSE ST_MakeValid({g}) END"
    pg = fix.format(g=f"ST_Transform(p.geom, {srid})")
    bg = fix.format(g=f"ST_Transform(b.geom, {srid})")
    sql = (
        f"SELECT p.parcel_code, ST_Area({pg}) AS area, COALESCE(s.covered, 0) AS covered "
        f"FROM parcel p LEFT JOIN ("
        f"  SELECT p.fid, SUM(ST_Area(ST_Intersection({pg}, {bg}))) AS covered "
        f"  FROM parcel p JOIN building b ON ST_Intersects(p.geom, b.geom) GROUP BY p.fid"
        f") s ON s.fid = p.fid ORDER BY p.fid"
    )
    with db.connect() as conn:
        frame = pd.read_sql_query(sql, conn)
    share = share_of(frame["covered"].to_numpy(dtype=float), frame["area"].to_numpy(dtype=float))
    return pd.Series(
        share,
        index=pd.Index(frame["parcel_code"], name="parcel_code"),
        name="footprint_share",
        dtype=float,
    )
