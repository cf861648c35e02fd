"""Coordinate systems of Chinese data: CGCS2000, Gauss–Krüger zones, GCJ-02.

CGCS2000 (EPSG:4490) is treated as WGS84 for mapping (they differ by centimetres).
GCJ-02 ("Mars coordinates", used by AMap/Gaode and Tencent tiles and anything copied
from them) is an obfuscated, non-linear shift of WGS84 of about 500 m in Lu'an; it has
no EPSG code, so the standard published formula is implemented here, vectorised.
Outside mainland China GCJ-02 equals WGS84 (the formula applies no shift there).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from shapely import transform
from shapely.geometry.base import BaseGeometry

from devzone.units import SRID

__all__ = [
    "SRID",
    "gcj02_to_wgs84",
    "geometry_gcj02_to_wgs84",
    "geometry_wgs84_to_gcj02",
    "gk_zone_epsg",
    "out_of_china",
    "wgs84_to_gcj02",
]


_A = 6378245.0  # Krasovsky 1940 semi-major axis, as in the GCJ-02 formula
_EE = 0.00669342162296594323


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies outside the rough mainland-China box (no GCJ shift)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Shift WGS84/CGCS2000 lon/lat to GCJ-02 (arrays in, arrays out).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02([116.594864], [31.766705])
    >>> round(float(lon[0]), 4), round(float(lat[0]), 4)
    (116.5998, 31.7645)
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-9, max_iter: int = 20
) -> tuple[NDArray, NDArray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (error < 1e-7°, ~1 cm)."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = tlon - glon, tlat - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.nanmax(np.abs(elon), initial=0) < tol and np.nanmax(np.abs(elat), initial=0) < tol:
            break
    return wlon, wlat


def _apply(geom: ArrayLike, fn) -> ArrayLike:  # type: ignore[no-untyped-def]
    def coords(xy: NDArray) -> NDArray:
        x, y = fn(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return transform(geom, coords)


def geometry_wgs84_to_gcj02(geom: BaseGeometry | ArrayLike) -> BaseGeometry | ArrayLike:
    """Shift shapely geometries (one or an array) from WGS84/CGCS2000 to GCJ-02."""
    return _apply(geom, wgs84_to_gcj02)


def geometry_gcj02_to_wgs84(geom: BaseGeometry | ArrayLike) -> BaseGeometry | ArrayLike:
    """Shift shapely geometries (one or an array) from GCJ-02 back to WGS84/CGCS2000."""
    return _apply(geom, gcj02_to_wgs84)


def gk_zone_epsg(easting: float, *, central_meridian: float | None = None) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger CRS an easting belongs to.

    An easting of 8 digits before the decimal point carries the zone number in front
    (``39500000`` → zone 39, CM 117°E, EPSG:4527 family 4513–4533); a 6-digit easting
    (``500000`` ± ~300 km) needs the central meridian, given or assumed 117°E.

    Examples
    --------
    >>> gk_zone_epsg(39_512_345.0)
    4527
    >>> gk_zone_epsg(512_345.0, central_meridian=114)
    4547
    """
    if easting >= 1_000_000:
        zone = int(easting // 1_000_000)
        if not 25 <= zone <= 45:
            raise ValueError(f"easting {easting} does not carry a 3-degree zone number 25–45")
        return 4513 + (zone - 25)
    cm = 117 if central_meridian is None else int(central_meridian)
    if cm % 3 or not 75 <= cm <= 135:
        raise ValueError(f"central meridian {cm} is not a 3-degree CM between 75 and 135")
    return 4534 + (cm - 75) // 3
