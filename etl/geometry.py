"""Geometries of registry exports → valid MULTIPOLYGONs in CGCS2000 (EPSG:4490).

CRS resolution, in order: a declared ``--crs`` (``gcj02`` for coordinates copied from a
web map, or any EPSG code / WKT); the file's own CRS (``.prj``); else detected from the
coordinates — lon/lat degrees inside China are CGCS2000, an 8-digit easting carries its
3-degree Gauss–Krüger zone number (``39xxxxxx`` → EPSG:4527), a 6-digit easting is
Gauss–Krüger without the zone number, whose central meridian must be declared with
``--crs`` (e.g. ``EPSG:4548`` for CM 117°E): guessing it would shift parcels by
hundreds of kilometres when wrong. A
``.prj`` that names a CRS without the zone number while the eastings carry it is
corrected the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from devzone.crs import geometry_gcj02_to_wgs84, gk_zone_epsg
from devzone.errors import InputError
from devzone.settings import area_crs as resolve_area_crs
from devzone.units import SRID

__all__ = [
    "CHINA_EXTENT",
    "GeometryResult",
    "normalise_geometries",
    "resolve_crs",
]

#: Sane extent of China in lon/lat (with margin): lon 73–136°E, lat 3–54°N.
CHINA_EXTENT = (73.0, 3.0, 136.0, 54.0)


@dataclass
class GeometryResult:
    """Normalised geometries (ndarray of shapely (Multi)Polygons or None) and the reasons
    per feature that could not be taken (``""`` when fine)."""

    geoms: np.ndarray
    reasons: np.ndarray
    crs_note: str
    repaired: int
    footprint_m2: np.ndarray
    crs: str = f"EPSG:{SRID}"


def resolve_crs(
    geoms: np.ndarray, file_crs: object | None, declared: str | None
) -> tuple[str, str]:
    """Decide the CRS of the coordinates: (``"gcj02"`` or an authority string, note)."""
    if declared:
        d = declared.strip()
        if d.lower().replace("-", "") in ("gcj02", "gcj", "mars"):
            return "gcj02", "declared GCJ-02 (web-map coordinates): shifted to CGCS2000"
        try:
            crs = CRS.from_user_input(int(d) if d.isdigit() else d)
        except CRSError as exc:
            raise InputError(
                f"--crs {declared!r} is not a known CRS: give an EPSG code (e.g. EPSG:4548 "
                "for CGCS2000 3-degree CM 117°E) or gcj02"
            ) from exc
        return crs.to_string(), f"declared CRS {crs.to_string()}"
    xmin, _ymin, xmax, _ymax = _bounds(geoms)
    if file_crs is not None:
        crs = CRS.from_user_input(file_crs)
        if np.isfinite(xmin) and xmin >= 1_000_000 and _gk_without_zone(crs):
            zone = _zone_epsg(xmin)
            return (
                f"EPSG:{zone}",
                f"the .prj names {crs.name} but eastings carry the zone number: "
                f"read as EPSG:{zone}",
            )
        return crs.to_string(), f"CRS from the file: {crs.name} ({crs.to_string()})"
    if not np.isfinite(xmin):
        return f"EPSG:{SRID}", "no coordinates"
    if xmin >= -180 and xmax <= 180:
        return f"EPSG:{SRID}", f"no CRS in the file; lon/lat degrees read as CGCS2000 (EPSG:{SRID})"
    if xmin >= 1_000_000:
        zone = _zone_epsg(xmin)
        return (
            f"EPSG:{zone}",
            f"no CRS in the file; eastings carry Gauss–Krüger zone {int(xmin // 1e6)}: EPSG:{zone}",
        )
    raise InputError(
        "the file declares no CRS (no .prj) and its eastings carry no Gauss–Krüger zone "
        f"number (x from {xmin:.0f}), so the central meridian is unknown: declare it, e.g. "
        "--crs EPSG:4548 for CGCS2000 3-degree CM 117°E (Lu'an, Hefei)"
    )


def _gk_without_zone(crs: CRS) -> bool:
    """True for a Gauss–Krüger (Transverse Mercator) CRS whose false easting carries no
    zone number (500 km), e.g. EPSG:4548; False for Web Mercator, lon/lat, or a CRS
    whose false easting already holds the zone (EPSG:4513–4533, Xian 1980 zones)."""
    op = crs.coordinate_operation if crs.is_projected else None
    if op is None or "transverse mercator" not in op.method_name.lower():
        return False
    easting = next((p.value for p in op.params if p.name.lower() == "false easting"), 0.0)
    return easting < 1_000_000


def _zone_epsg(xmin: float) -> int:
    try:
        return gk_zone_epsg(float(xmin))
    except ValueError as exc:
        raise InputError(
            f"eastings from {xmin:.0f} carry no 3-degree Gauss–Krüger zone number (25–45); "
            "declare the CRS, e.g. --crs EPSG:4527 for CGCS2000 zone 39"
        ) from exc


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    b = shapely.bounds(geoms)
    if not len(b) or np.all(np.isnan(b)):
        return (np.nan, np.nan, np.nan, np.nan)
    return (
        float(np.nanmin(b[:, 0])),
        float(np.nanmin(b[:, 1])),
        float(np.nanmax(b[:, 2])),
        float(np.nanmax(b[:, 3])),
    )


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of each geometry: Polygons and MultiPolygons stay as
    they are (written as MULTIPOLYGON by :func:`as_multipolygons` / the EWKB writer);
    collections from ``make_valid`` keep their polygons, lines and points become None.
    """
    tid = shapely.get_type_id(geoms)
    out = geoms.copy()
    other = ~np.isin(tid, (3, 6)) & (tid >= 0)
    for i in np.flatnonzero(other):  # rare: collections from make_valid, lines, points
        parts = shapely.get_parts(shapely.get_parts(geoms[i]))
        polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
        flat = [q for p in polys for q in shapely.get_parts(p)]
        out[i] = shapely.multipolygons(flat) if flat else None
    return out


def normalise_geometries(
    geoms: np.ndarray,
    *,
    file_crs: object | None = None,
    declared_crs: str | None = None,
    area_crs: str | None = None,
    measure: bool | np.ndarray = False,
    resolved: tuple[str, str] | None = None,
) -> GeometryResult:
    """Repair, reproject and check geometries (vectorised).

    Empty or missing geometries, ones that collapse to zero area after
    ``make_valid``, non-polygons, and ones outside :data:`CHINA_EXTENT` get a reason.

    Returns
    -------
    GeometryResult
        MultiPolygons in EPSG:4490, reasons, a note on the CRS used, the number of
        repaired geometries and, with ``measure`` (True, or a mask of the features to
        measure), the area in m² (in ``area_crs``, resolved by
        :func:`devzone.settings.area_crs` at call time: ``$DEVZONE_AREA_CRS`` or EPSG:4548).
    """
    from pyproj import Transformer

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    reasons = np.full(n, "", dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    reasons[missing] = "empty or missing geometry"
    if shapely.has_z(geoms[~missing]).any():  # heights (3D) are not stored: the schema is 2D
        geoms = shapely.force_2d(geoms)
    crs, note = resolved or resolve_crs(geoms[~missing], file_crs, declared_crs)
    valid = shapely.is_valid(geoms) | missing
    repaired = int((~valid).sum())
    if repaired:
        geoms = geoms.copy()
        geoms[~valid] = shapely.make_valid(geoms[~valid])
    if crs == "gcj02":
        geoms = np.asarray(geometry_gcj02_to_wgs84(geoms), dtype=object)
    elif CRS.from_user_input(crs).to_epsg() != SRID:
        from pyproj.exceptions import ProjError

        try:
            tr = Transformer.from_crs(crs, SRID, always_xy=True)
        except ProjError as exc:
            raise InputError(
                f"the file's CRS cannot be transformed to CGCS2000 ({_first(exc)}): a local "
                "or engineering CRS (LOCAL_CS) has no link to the earth; replace the .prj, "
                "or declare the real CRS with --crs EPSG:…",
                field="geometry",
            ) from exc
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )
    geoms = _polygonal(geoms)
    tid = shapely.get_type_id(geoms)
    not_poly = ~missing & ~np.isin(tid, (3, 6))
    reasons[not_poly & (reasons == "")] = "not a polygon (or collapsed to lines/points)"
    area_deg = shapely.area(geoms)
    collapsed = ~missing & ~not_poly & ~(area_deg > 0)
    reasons[collapsed] = "collapsed geometry (zero area after repair)"
    b = shapely.bounds(geoms)
    lon0, lat0, lon1, lat1 = CHINA_EXTENT
    with np.errstate(invalid="ignore"):
        outside = (
            ~missing
            & ~not_poly
            & ((b[:, 0] < lon0) | (b[:, 2] > lon1) | (b[:, 1] < lat0) | (b[:, 3] > lat1))
        )
    reasons[outside & (reasons == "")] = (
        "outside China (lon 73–136°E, lat 3–54°N): wrong CRS? declare it with --crs"
    )
    ok = reasons == ""
    geoms = np.where(ok, geoms, None)
    footprint = np.full(n, np.nan)
    todo = ok & np.broadcast_to(np.asarray(measure, dtype=bool), ok.shape)
    if todo.any():
        to_area = Transformer.from_crs(SRID, resolve_area_crs(area_crs), always_xy=True)
        projected = shapely.transform(
            geoms[todo], lambda xy: np.column_stack(to_area.transform(xy[:, 0], xy[:, 1]))
        )
        footprint[todo] = shapely.area(projected)
    if repaired:
        note += f"; {repaired} invalid geometries repaired with make_valid"
    return GeometryResult(geoms, reasons, note, repaired, footprint, crs)


def _first(exc: BaseException) -> str:
    """The first line of an error message."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
