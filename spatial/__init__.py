"""Spatial joins and per-parcel geometry steps, on a selectable engine.

Two operations carry the spatial weight of every analysis:

* :func:`footprint_share` — the share of each parcel's area covered by building
  footprints (idle detection: "construction started" evidence);
* :func:`assign_by_location` — the key of the polygon holding each feature's
  representative point (parcel → zone, building → parcel, zone → district).

They run on one of three engines, chosen with :func:`engine_context` (the CLI's
``--engine/--scheduler`` options):

``local``
    shapely 2 STRtree on one process, vectorised and chunked (the default).
``dask``
    dask-geopandas on a dask.distributed cluster; both sides are spatially
    partitioned by Hilbert distance and only overlapping partition pairs are
    joined (see :mod:`devzone.spatial.dask`).
``postgis``
    the join runs in PostgreSQL/PostGIS: the frames are copied into temporary
    tables (``COPY``), GiST-indexed and joined with ``ST_Intersects``/``ST_Area``.
    Needs ``engine_context("postgis", db=<a PostgreSQL SQLAlchemy engine>)``.

All engines give the same result (shares to within 1e-9).

Decisions
---------
* Areas are computed in ``AREA_CRS`` (EPSG:4548, CGCS2000 3° GK CM 117°E) unless
  ``area_crs=`` is given; frames without a CRS are taken as EPSG:4490 (CGCS2000).
* Building footprints of one survey do not overlap, so the covered area of a parcel
  is the *sum* of its intersections with footprints (exact for a planar footprint
  layer); the share is clipped to 1.0 so overlapping footprints can never report more
  than full coverage. Parcels with empty/null geometry or zero area get NaN.
* Invalid polygons (self-intersections from digitising) are repaired with
  ``shapely.make_valid`` before intersecting, in every engine.
* A representative point on the boundary shared by two polygons goes to the polygon
  that comes first in ``polygons`` (deterministic on every engine).
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from devzone.crs import AREA_CRS, SRID
from devzone.errors import ConfigError, InputError

__all__ = [
    "ENGINES",
    "EngineState",
    "assign_by_location",
    "current_engine",
    "engine_context",
    "footprint_share",
    "footprint_share_in_db",
]

log = logging.getLogger(__name__)

ENGINES = ("local", "dask", "postgis")
#: Parcels per chunk in the local engine (bounds the memory of intersection pairs).
CHUNK = 100_000


@dataclass
class EngineState:
    """The engine selected for spatial steps, and what it holds open.

    Attributes
    ----------
    name : str
        ``local``, ``dask`` or ``postgis``.
    scheduler : str or None
        dask.distributed scheduler address; None starts a LocalCluster.
    db : sqlalchemy.Engine or None
        The PostgreSQL engine used by the ``postgis`` engine.
    client : distributed.Client or None
        Opened lazily on first use by the dask engine, closed on context exit.
    """

    name: str = "local"
    scheduler: str | None = None
    db: Any = None
    partitioning: str = "sort"
    cluster_kwargs: dict[str, Any] = field(default_factory=dict)
    client: Any = None
    cluster: Any = None


_STATE: contextvars.ContextVar[EngineState | None] = contextvars.ContextVar(
    "devzone_spatial_engine", default=None
)
_LOCAL = EngineState()


def current_engine() -> EngineState:
    """The engine selected by the innermost :func:`engine_context` (default local)."""
    return _STATE.get() or _LOCAL


@contextlib.contextmanager
def engine_context(
    engine: str = "local",
    scheduler: str | None = None,
    *,
    db: Any = None,
    partitioning: str = "sort",
    **cluster_kwargs: Any,
) -> Iterator[EngineState]:
    """Select the engine for the spatial calls made inside the ``with`` block.

    Parameters
    ----------
    engine : {"local", "dask", "postgis"}
        Engine name (the CLI's ``--engine``).
    scheduler : str, optional
        ``tcp://host:8786`` of a running dask scheduler; without it the dask engine
        starts a LocalCluster on first use and closes it when the block exits.
    db : sqlalchemy.Engine, optional
        Required by ``postgis``: a PostgreSQL engine (e.g. the job's own database).
    partitioning : {"sort", "shuffle"}
        dask engine only: Hilbert-sort the rows on the client and cut contiguous
        partitions (default; fastest when the frames are in memory anyway), or
        ``spatial_shuffle`` them on the cluster.
    **cluster_kwargs
        Passed to ``distributed.LocalCluster`` (``n_workers``, ``processes``, ...).

    Raises
    ------
    ConfigError
        Unknown engine, or ``postgis`` without a PostgreSQL ``db``.
    """
    name = (engine or "local").strip().lower()
    if name not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if name == "postgis" and (db is None or db.dialect.name != "postgresql"):
        raise ConfigError(
            "--engine postgis runs the spatial joins inside PostgreSQL: give a "
            "PostgreSQL database with --db postgresql://user@host:5432/dbname"
        )
    if scheduler and name != "dask":
        log.warning("--scheduler is only used by --engine dask; ignored")
    state = EngineState(
        name=name,
        scheduler=scheduler,
        db=db,
        partitioning=partitioning,
        cluster_kwargs=cluster_kwargs,
    )
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)
        if state.client is not None:
            from devzone.spatial.dask import close_client

            close_client(state)


def _resolve(engine: str | EngineState | None) -> EngineState:
    if engine is None:
        return current_engine()
    if isinstance(engine, EngineState):
        return engine
    if engine == current_engine().name:
        return current_engine()
    if engine == "local":
        return EngineState()
    raise ConfigError(f"engine {engine!r} must be selected with engine_context(...)")


# -- shared preparation ---------------------------------------------------------------


def geoms_in(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any) -> NDArray[np.object_]:
    """Geometries of ``frame`` in ``crs`` as a shapely array, invalid ones repaired."""
    geo = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if geo.crs is None:
        geo = geo.set_crs(SRID)
    if crs is not None and not geo.crs.equals(crs):
        geo = geo.to_crs(crs)
    geoms = np.asarray(geo.values, dtype=object)
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def _require(frame: Any, what: str, columns: tuple[str, ...] = ()) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{what} must be a GeoDataFrame, got {type(frame).__name__}")
    for col in columns:
        if col not in frame.columns:
            raise InputError(f"{what} has no column {col!r}", field=col)


def covered_area(
    parcels: NDArray[np.object_],
    buildings: NDArray[np.object_],
    tree: shapely.STRtree | None = None,
) -> NDArray:
    """Area of each parcel covered by footprints (sum of intersection areas).

    Both arrays must be in the same projected CRS; ``tree`` is an STRtree of
    ``buildings`` when the caller already has one. Parcels are processed in chunks of
    :data:`CHUNK` so the intersection pairs never all sit in memory.
    """
    covered = np.zeros(len(parcels), dtype=float)
    if len(parcels) == 0 or len(buildings) == 0:
        return covered
    tree = shapely.STRtree(buildings) if tree is None else tree
    for start in range(0, len(parcels), CHUNK):
        chunk = parcels[start : start + CHUNK]
        pi, bi = tree.query(chunk, predicate="intersects")
        if len(pi) == 0:
            continue
        areas = shapely.area(shapely.intersection(chunk[pi], buildings[bi]))
        covered[start : start + len(chunk)] = np.bincount(pi, weights=areas, minlength=len(chunk))
    return covered


def _local_footprint_share(
    parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, area_crs: str
) -> NDArray:
    """Local engine: footprints reprojected once, parcels chunk by chunk (memory)."""
    b = geoms_in(buildings, area_crs)
    tree = shapely.STRtree(b)
    share = np.full(len(parcels), np.nan)
    geo = parcels.geometry
    for start in range(0, len(parcels), CHUNK):
        p = geoms_in(geo.iloc[start : start + CHUNK], area_crs)
        share[start : start + len(p)] = share_of(covered_area(p, b, tree), shapely.area(p))
    return share


def share_of(covered: NDArray, parcel_area: NDArray) -> NDArray:
    """Covered share clipped to [0, 1]; NaN where the parcel has no area."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(parcel_area > 0, covered / parcel_area, np.nan)
    return np.minimum(share, 1.0)


def containing_position(
    points: NDArray[np.object_], polygons: NDArray[np.object_]
) -> NDArray[np.int64]:
    """Position of the first polygon containing (or touching) each point, -1 if none."""
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return out
    tree = shapely.STRtree(polygons)
    for start in range(0, len(points), CHUNK):
        chunk = points[start : start + CHUNK]
        fi, pj = tree.query(chunk, predicate="intersects")
        if len(fi) == 0:
            continue
        # first (smallest) polygon position per point: sort by (point, polygon)
        order = np.lexsort((pj, fi))
        fi, pj = fi[order], pj[order]
        first = np.r_[True, fi[1:] != fi[:-1]]
        out[start + fi[first]] = pj[first]
    return out


def representative_points(
    features: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any
) -> NDArray[np.object_]:
    """``point_on_surface`` of each feature after moving it into ``crs``."""
    geoms = geoms_in(features, crs)
    return shapely.point_on_surface(geoms)


def key_values(
    polygons: gpd.GeoDataFrame, key: str, pos: NDArray[np.int64], index: Any
) -> pd.Series:
    """Values of ``polygons[key]`` at ``pos`` (-1 → NA) as a Series on ``index``."""
    values = polygons[key].reset_index(drop=True)
    if pd.api.types.is_integer_dtype(values.dtype) and not isinstance(
        values.dtype, pd.api.extensions.ExtensionDtype
    ):
        values = values.astype("Int64")
    taken = values.reindex(pos)  # -1 is not a label → NA
    taken.index = index
    taken.name = key
    return taken


# -- public API ---------------------------------------------------------------------


def footprint_share(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    engine: str | EngineState | None = None,
    area_crs: str = AREA_CRS,
) -> pd.Series:
    """Share of each parcel's area covered by building footprints.

    Parameters
    ----------
    parcels : GeoDataFrame
        Column ``parcel_code`` and polygon geometry (any CRS; none = EPSG:4490).
    buildings : GeoDataFrame
        Footprint polygons (any CRS).
    engine : str or EngineState, optional
        Override the engine of the current :func:`engine_context`.
    area_crs : str
        Projected CRS in which areas are measured.

    Returns
    -------
    pandas.Series
        Float share in [0, 1] (NaN for parcels without area), index ``parcel_code``
        in the order of ``parcels``, name ``footprint_share``.
    """
    _require(parcels, "parcels", ("parcel_code",))
    _require(buildings, "buildings")
    state = _resolve(engine)
    if state.name == "dask":
        from devzone.spatial.dask import dask_footprint_share

        share = dask_footprint_share(parcels, buildings, state=state, area_crs=area_crs)
    elif state.name == "postgis":
        share = _postgis_footprint_share(parcels, buildings, state=state, area_crs=area_crs)
    else:
        share = _local_footprint_share(parcels, buildings, area_crs)
    return pd.Series(
        share,
        index=pd.Index(parcels["parcel_code"], name="parcel_code"),
        name="footprint_share",
        dtype=float,
    )


def assign_by_location(
    features: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    key: str,
    *,
    engine: str | EngineState | None = None,
) -> pd.Series:
    """Key of the polygon containing each feature's representative point.

    Parameters
    ----------
    features : GeoDataFrame
        Any geometries; the representative point (``point_on_surface``, computed in
        the polygons' CRS) decides.
    polygons : GeoDataFrame
        Polygons carrying column ``key``.
    key : str
        Column of ``polygons`` to return.
    engine : str or EngineState, optional
        Override the engine of the current :func:`engine_context`.

    Returns
    -------
    pandas.Series
        ``polygons[key]`` values (NA where no polygon holds the point), index equal to
        ``features.index``, name ``key``.
    """
    _require(features, "features")
    _require(polygons, "polygons", (key,))
    state = _resolve(engine)
    crs = polygons.crs if polygons.crs is not None else f"EPSG:{SRID}"
    if state.name == "dask":
        from devzone.spatial.dask import dask_containing_position

        pos = dask_containing_position(features, polygons, crs=crs, state=state)
    elif state.name == "postgis":
        pos = _postgis_containing_position(features, polygons, crs=crs, state=state)
    else:
        pts = representative_points(features, crs)
        pos = containing_position(pts, geoms_in(polygons, crs))
    return key_values(polygons, key, pos, features.index)


# -- postgis engine -----------------------------------------------------------------


def _copy_geoms(
    conn: Any, table: str, geo: gpd.GeoSeries, crs: Any, *, points: bool = False
) -> None:
    """Create temp table ``table(pos, geom)`` and COPY ``geo`` into it (hex WKB).

    Reprojection, repair (and for ``points`` the representative point) and the COPY
    run in chunks of :data:`CHUNK` rows, so memory holds one chunk at a time.
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


def _postgis_footprint_share(
    parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *, state: EngineState, area_crs: str
) -> NDArray:
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


def _postgis_containing_position(
    features: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, *, crs: Any, state: EngineState
) -> NDArray[np.int64]:
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


def footprint_share_in_db(db: Any, *, area_crs: str = AREA_CRS) -> pd.Series:
    """:func:`footprint_share` of every ``parcel`` against every ``building``, in PostGIS.

    The join runs where the data already lives (no upload): candidate pairs come from
    the GiST indexes on ``geom`` (EPSG:4490), areas are measured after
    ``ST_Transform`` to ``area_crs``, invalid polygons are repaired with
    ``ST_MakeValid`` as in the other engines.

    Parameters
    ----------
    db : sqlalchemy.Engine
        A PostgreSQL engine holding the devzone tables.
    area_crs : str
        ``EPSG:<code>`` of the projected CRS for areas.

    Returns
    -------
    pandas.Series
        Share per ``parcel_code`` (ordered by ``fid``), name ``footprint_share``.
    """
    if db.dialect.name != "postgresql":
        raise ConfigError("footprint_share_in_db needs a PostgreSQL database")
    srid = int(str(area_crs).split(":")[-1])
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
