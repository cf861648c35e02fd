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

Layout
------
:mod:`~devzone.spatial.engine` (the selection), :mod:`~devzone.spatial.api` (the
dispatching functions), and below them the kernels :mod:`~devzone.spatial.local`,
:mod:`~devzone.spatial.dask`, :mod:`~devzone.spatial.postgis`. This module only
re-exports; no kernel imports it.

Decisions
---------
* Areas are computed in :func:`devzone.settings.area_crs` (``$DEVZONE_AREA_CRS``, else
  EPSG:4548, CGCS2000 3° GK CM 117°E) unless ``area_crs=`` is given; frames without a
  CRS are taken as EPSG:4490 (CGCS2000).
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

from devzone.spatial.api import assign_by_location, footprint_share
from devzone.spatial.engine import ENGINES, EngineState, current_engine, engine_context
from devzone.spatial.local import (
    CHUNK,
    containing_position,
    covered_area,
    geoms_in,
    key_values,
    representative_points,
    share_of,
)
from devzone.spatial.postgis import footprint_share_in_db

__all__ = [
    "CHUNK",
    "ENGINES",
    "EngineState",
    "assign_by_location",
    "containing_position",
    "covered_area",
    "current_engine",
    "engine_context",
    "footprint_share",
    "footprint_share_in_db",
    "geoms_in",
    "key_values",
    "representative_points",
    "share_of",
]
