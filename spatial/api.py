"""The two spatial operations, dispatched to the engine of the current context.

:func:`footprint_share` and :func:`assign_by_location` check their inputs, resolve the
engine (:func:`devzone.spatial.engine.resolve_engine`) and the area CRS
(:func:`devzone.settings.area_crs`), and hand the geometries to one kernel module:
:mod:`~devzone.spatial.local`, :mod:`~devzone.spatial.dask` or
:mod:`~devzone.spatial.postgis`. Every engine returns the same numbers.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from devzone.errors import InputError
from devzone.settings import area_crs as resolve_area_crs
from devzone.spatial import dask as dask_kernels
from devzone.spatial import postgis as postgis_kernels
from devzone.spatial.engine import EngineState, resolve_engine
from devzone.spatial.local import key_values, local_containing_position, local_footprint_share
from devzone.units import SRID

__all__ = ["assign_by_location", "footprint_share"]


def _require(frame: Any, what: str, columns: tuple[str, ...] = ()) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{what} must be a GeoDataFrame, got {type(frame).__name__}")
    for col in columns:
        if col not in frame.columns:
            raise InputError(f"{what} has no column {col!r}", field=col)


def footprint_share(
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    engine: str | EngineState | None = None,
    area_crs: str | None = None,
) -> pd.Series:
    """Share of each parcel's area covered by building footprints.

    Parameters
    ----------
    parcels : GeoDataFrame
        Column ``parcel_code`` and polygon geometry (any CRS; none = EPSG:4490).
    buildings : GeoDataFrame
        Footprint polygons (any CRS).
    engine : str or EngineState, optional
        Override the engine of the current :func:`~devzone.spatial.engine_context`.
    area_crs : str, optional
        Projected CRS in which areas are measured (:func:`devzone.settings.area_crs`).

    Returns
    -------
    pandas.Series
        Float share in [0, 1] (NaN for parcels without area), index ``parcel_code``
        in the order of ``parcels``, name ``footprint_share``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parcels = gpd.GeoDataFrame({"parcel_code": ["A"]},
    ...                            geometry=[box(0, 0, 100, 100)], crs="EPSG:4548")
    >>> buildings = gpd.GeoDataFrame(geometry=[box(0, 0, 50, 20)], crs="EPSG:4548")
    >>> footprint_share(parcels, buildings).round(6).to_dict()
    {'A': 0.1}
    """
    _require(parcels, "parcels", ("parcel_code",))
    _require(buildings, "buildings")
    state = resolve_engine(engine)
    crs = resolve_area_crs(area_crs)
    if state.name == "dask":
        share = dask_kernels.dask_footprint_share(parcels, buildings, state=state, area_crs=crs)
    elif state.name == "postgis":
        share = postgis_kernels.postgis_footprint_share(
            parcels, buildings, state=state, area_crs=crs
        )
    else:
        share = local_footprint_share(parcels, buildings, crs)
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
        Override the engine of the current :func:`~devzone.spatial.engine_context`.

    Returns
    -------
    pandas.Series
        ``polygons[key]`` values (NA where no polygon holds the point), index equal to
        ``features.index``, name ``key``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> zones = gpd.GeoDataFrame({"zone_code": ["Z1", "Z2"]},
    ...                          geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)])
    >>> parcels = gpd.GeoDataFrame(geometry=[box(12, 2, 14, 4), box(50, 0, 51, 1)])
    >>> assign_by_location(parcels, zones, "zone_code").tolist()
    ['Z2', nan]
    """
    _require(features, "features")
    _require(polygons, "polygons", (key,))
    state = resolve_engine(engine)
    crs = polygons.crs if polygons.crs is not None else f"EPSG:{SRID}"
    if state.name == "dask":
        pos = dask_kernels.dask_containing_position(features, polygons, crs=crs, state=state)
    elif state.name == "postgis":
        pos = postgis_kernels.postgis_containing_position(features, polygons, crs=crs, state=state)
    else:
        pos = local_containing_position(features, polygons, crs)
    return key_values(polygons, key, pos, features.index)
