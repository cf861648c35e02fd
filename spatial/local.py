"""The local engine: shapely 2 STRtree kernels, vectorised and chunked.

These kernels are shared: the dask engine runs :func:`covered_area` and
:func:`containing_position` on each partition pair, the PostGIS engine uses
:func:`geoms_in` to prepare what it copies into the database.

Examples
--------
>>> import shapely
>>> parcels = np.array([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)])
>>> buildings = np.array([shapely.box(0, 0, 5, 10)])
>>> covered_area(parcels, buildings).tolist()
[50.0, 0.0]
>>> share_of(np.array([50.0, 0.0, 3.0]), np.array([100.0, 0.0, 2.0])).tolist()
[0.5, nan, 1.0]
>>> containing_position(shapely.points([[5, 5], [50, 5]]), parcels).tolist()
[0, -1]
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from devzone.units import SRID

__all__ = [
    "CHUNK",
    "containing_position",
    "covered_area",
    "geoms_in",
    "key_values",
    "local_containing_position",
    "local_footprint_share",
    "representative_points",
    "share_of",
]

#: Parcels per chunk in the local engine (bounds the memory of intersection pairs).
CHUNK = 100_000


def geoms_in(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any) -> NDArray[np.object_]:
    """Geometries of ``frame`` in ``crs`` as a shapely array, invalid ones repaired.

    A frame without a CRS is taken as EPSG:4490 (CGCS2000); ``crs=None`` keeps the
    frame's own CRS.

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> fixed = geoms_in(gpd.GeoSeries([bowtie]), None)
    >>> bool(shapely.is_valid(fixed[0])), float(shapely.area(fixed[0]))
    (True, 0.5)
    """
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


def covered_area(
    parcels: NDArray[np.object_],
    buildings: NDArray[np.object_],
    tree: shapely.STRtree | None = None,
) -> NDArray[np.float64]:
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


def share_of(covered: NDArray[np.float64], parcel_area: NDArray[np.float64]) -> NDArray:
    """Covered share clipped to [0, 1]; NaN where the parcel has no area."""
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(parcel_area > 0, covered / parcel_area, np.nan)
    return np.minimum(share, 1.0)


def local_footprint_share(
    parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, area_crs: str
) -> NDArray[np.float64]:
    """Footprint share per parcel: footprints reprojected once, parcels chunk by chunk."""
    b = geoms_in(buildings, area_crs)
    tree = shapely.STRtree(b)
    share = np.full(len(parcels), np.nan)
    geo = parcels.geometry
    for start in range(0, len(parcels), CHUNK):
        p = geoms_in(geo.iloc[start : start + CHUNK], area_crs)
        share[start : start + len(p)] = share_of(covered_area(p, b, tree), shapely.area(p))
    return share


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


def local_containing_position(
    features: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, crs: Any
) -> NDArray[np.int64]:
    """Position of the polygon holding each feature's representative point (-1: none)."""
    return containing_position(representative_points(features, crs), geoms_in(polygons, crs))


def key_values(
    polygons: gpd.GeoDataFrame, key: str, pos: NDArray[np.int64], index: Any
) -> pd.Series:
    """Values of ``polygons[key]`` at ``pos`` (-1 → NA) as a Series on ``index``.

    Examples
    --------
    >>> polys = pd.DataFrame({"zone_code": ["Z1", "Z2"]})
    >>> key_values(polys, "zone_code", np.array([1, -1]), pd.Index([10, 11])).tolist()
    ['Z2', nan]
    """
    values = polygons[key].reset_index(drop=True)
    if pd.api.types.is_integer_dtype(values.dtype) and not isinstance(
        values.dtype, pd.api.extensions.ExtensionDtype
    ):
        values = values.astype("Int64")
    taken = values.reindex(pos)  # -1 is not a label → NA
    taken.index = index
    taken.name = key
    return taken
