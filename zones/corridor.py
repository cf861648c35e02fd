"""The Hefei–Lu'an economic corridor (合六经济走廊): its geometry and its member zones.

The official member list is unconfirmed (POLICY §5), so the corridor is configurable
in ``[corridor]`` (``data/policy/corridor.toml``):

* **default — axis buffer**: the axis runs from the centroid of the first city in
  ``axis_cities`` (合肥市 340100) through the centroid of the second (六安市 341500) and
  on for ``extend_km`` beyond it (westward, towards 金寨); it is buffered by
  ``buffer_km`` on each side and clipped to the boundary of ``city_adcode`` (六安市).
  Centroids and buffers are computed in the Gauss–Krüger ``area_crs``. An explicit
  ``[[corridor.axis]]`` polyline (lon/lat points) replaces the centroid axis.
* **member list**: a non-empty ``members`` list of zone codes overrides the geometry;
  the corridor polygon is then the union of those zones' boundaries.

A zone belongs to a buffer corridor when its boundary's representative point lies
inside the polygon (``member_by = "geometry"``); codes in ``exclude`` never belong.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon
from shapely.geometry.base import BaseGeometry

from devzone.errors import ConfigError, InputError
from devzone.policy.sections import CorridorPolicy
from devzone.settings import area_crs as resolve_area_crs
from devzone.units import M2_PER_KM2, SRID

__all__ = [
    "CorridorGeometry",
    "axis_line",
    "corridor_geometry",
    "corridor_members",
    "inside_corridor",
]


@dataclass(frozen=True)
class CorridorGeometry:
    """The corridor polygon (CGCS2000) and how it was drawn."""

    name: str
    method: str  # "geometry" (axis buffer) or "list" (member list)
    geom: BaseGeometry | None
    description: str
    area_km2: float | None


def _as_multipolygon(geom: BaseGeometry | None) -> MultiPolygon | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "MultiPolygon":
        return geom  # type: ignore[return-value]
    polys = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    return MultiPolygon(polys) if polys else None


def _configured_axis(policy: CorridorPolicy, *, area_crs: str) -> tuple[LineString, str]:
    """The explicit ``[[corridor.axis]]`` polyline in ``area_crs``, and its description."""
    lonlat = [(p.lon, p.lat) for p in policy.axis]
    if len(lonlat) < 2:
        raise ConfigError("[[corridor.axis]] needs at least two points")
    line = gpd.GeoSeries([LineString(lonlat)], crs=SRID).to_crs(area_crs).iloc[0]
    places = "、".join(p.place for p in policy.axis if p.place)
    return line, f"沿配置的轴线 ({places or f'{len(lonlat)} 个点'})"


def _city_centroids(
    districts: gpd.GeoDataFrame | None, cities: list[str], *, area_crs: str
) -> tuple[list[np.ndarray], dict[str, str]]:
    """Centroids (in ``area_crs``) of the ``axis_cities``, and the district names."""
    if districts is None or districts.empty:
        raise InputError(
            "the corridor axis runs between the centroids of cities "
            f"{cities[0]} and {cities[1]}, but the district table is empty: load "
            "districts (e.g. data/reference/districts_wgs84.geojson) or set "
            "[corridor] members or [[corridor.axis]]",
            file="district",
        )
    proj = districts.to_crs(area_crs)
    codes = proj["adcode"].astype(str)
    centroids = []
    for code in cities:
        rows = proj[codes == code]
        if rows.empty:
            raise InputError(
                f"city {code} (corridor axis_cities) is not in the district table",
                file="district",
                field="adcode",
            )
        centroids.append(np.array(rows.geometry.union_all().centroid.coords[0]))
    return centroids, dict(zip(codes, proj["name"].astype(str), strict=False))


def axis_line(
    districts: gpd.GeoDataFrame | None,
    *,
    policy: CorridorPolicy,
    area_crs: str | None = None,
) -> tuple[LineString, str]:
    """The corridor axis in ``area_crs`` and a sentence saying how it was drawn.

    Parameters
    ----------
    districts
        ``district`` rows (``adcode``, ``name``, geometry in EPSG:4490), needed for
        the centroid axis.
    policy
        The ``[corridor]`` section.
    area_crs
        Projected CRS of the axis (:func:`devzone.settings.area_crs`).

    Examples
    --------
    >>> from devzone.policy import load_policy, replace
    >>> from devzone.policy.sections import AxisPoint
    >>> pol = replace(load_policy().corridor, axis=[AxisPoint(place="甲", lon=116.7, lat=31.8),
    ...                                             AxisPoint(place="乙", lon=116.4, lat=31.7)])
    >>> line, how = axis_line(None, policy=pol)
    >>> round(line.length / 1000, 1), how
    (30.5, '沿配置的轴线 (甲、乙)')
    """
    crs = resolve_area_crs(area_crs)
    if policy.axis:
        return _configured_axis(policy, area_crs=crs)
    cities = list(policy.axis_cities)
    if len(cities) != 2:
        raise ConfigError("[corridor] axis_cities must name two adcodes (from, to)")
    (a, b), names = _city_centroids(districts, cities, area_crs=crs)
    length = float(np.hypot(*(b - a)))
    if length == 0:
        raise ConfigError("[corridor] axis_cities have the same centroid")
    extend_m = policy.extend_km * 1000.0
    c = b + (b - a) / length * extend_m
    text = (
        f"{names.get(cities[0], cities[0])}几何中心 → {names.get(cities[1], cities[1])}"
        f"几何中心, 向前延伸 {extend_m / 1000:g} 千米"
    )
    return LineString([tuple(a), tuple(b), tuple(c)]), text


def _buffer_corridor(
    districts: gpd.GeoDataFrame | None, *, policy: CorridorPolicy, area_crs: str
) -> tuple[MultiPolygon | None, str]:
    """The axis buffered by ``buffer_km`` and clipped to ``city_adcode`` (EPSG:4490)."""
    line, how = axis_line(districts, policy=policy, area_crs=area_crs)
    if policy.buffer_km <= 0:
        raise ConfigError("[corridor] buffer_km must be positive")
    poly = line.buffer(policy.buffer_km * 1000.0)
    city = policy.city_adcode
    clipped = ""
    if city and districts is not None and len(districts):
        city_rows = districts[districts["adcode"].astype(str) == city]
        if len(city_rows):
            poly = poly.intersection(city_rows.to_crs(area_crs).geometry.union_all())
            clipped = f", 限定在{city_rows['name'].iloc[0]}境内"
    geom = _as_multipolygon(gpd.GeoSeries([poly], crs=area_crs).to_crs(SRID).iloc[0])
    return geom, f"{how}, 两侧各缓冲 {policy.buffer_km:g} 千米{clipped}"


def _listed_corridor(zones: gpd.GeoDataFrame, members: list[str]) -> MultiPolygon | None:
    """The union of the listed zones' boundaries."""
    chosen = zones[zones["zone_code"].astype(str).isin(members)]
    geoms = chosen.geometry.dropna() if isinstance(chosen, gpd.GeoDataFrame) else []
    return _as_multipolygon(shapely.union_all(list(geoms))) if len(geoms) else None


def corridor_geometry(
    districts: gpd.GeoDataFrame | None,
    zones: gpd.GeoDataFrame,
    *,
    policy: CorridorPolicy,
    area_crs: str | None = None,
) -> CorridorGeometry:
    """Draw the corridor polygon (走廊范围) from the ``[corridor]`` section.

    Returns
    -------
    CorridorGeometry
        Polygon in EPSG:4490 (``None`` when a member list names zones without
        boundaries), the method, a Chinese description and the area in km².

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from devzone.policy import load_policy, replace
    >>> z = gpd.GeoDataFrame({"zone_code": ["A"]}, geometry=[box(116.4, 31.7, 116.5, 31.8)],
    ...                      crs=SRID)
    >>> c = corridor_geometry(None, z, policy=replace(load_policy().corridor, members=["A"]))
    >>> c.method, c.description, round(c.area_km2)
    ('list', '按名单指定的开发区: A', 105)
    """
    crs = resolve_area_crs(area_crs)
    members = list(policy.members)
    if members:
        geom = _listed_corridor(zones, members)
        desc, method = "按名单指定的开发区: " + "、".join(members), "list"
    else:
        geom, desc = _buffer_corridor(districts, policy=policy, area_crs=crs)
        method = "geometry"
    area = None
    if geom is not None:
        area = float(gpd.GeoSeries([geom], crs=SRID).to_crs(crs).area.iloc[0] / M2_PER_KM2)
    return CorridorGeometry(policy.name, method, geom, desc, area)


def inside_corridor(features: gpd.GeoDataFrame, corridor: CorridorGeometry) -> pd.Series:
    """True where a feature's representative point lies in the corridor polygon.

    Runs through :func:`devzone.spatial.assign_by_location`, so the engine selected by
    ``engine_context`` (local, dask, postgis) does the work.
    """
    from devzone.spatial import assign_by_location

    out = pd.Series(False, index=features.index)
    if corridor.geom is None or features.empty:
        return out
    has = features.geometry.notna() & ~features.geometry.is_empty
    if not has.any():
        return out
    poly = gpd.GeoDataFrame({"corridor": [corridor.name]}, geometry=[corridor.geom], crs=SRID)
    hit = assign_by_location(features[has], poly, "corridor")
    out.loc[hit.index] = hit.notna().to_numpy()
    return out


def corridor_members(
    zones: pd.DataFrame,
    corridor: CorridorGeometry,
    *,
    policy: CorridorPolicy,
) -> pd.DataFrame:
    """Zones inside the corridor (走廊内开发区).

    Returns
    -------
    DataFrame
        ``zone_code``, ``zone_name``, ``member_by`` (``geometry``/``list``).

    Raises
    ------
    ConfigError
        When the member list names a zone that is not in ``dev_zone``.
    """
    exclude = set(policy.exclude)
    codes = zones["zone_code"].astype(str)
    names = zones["name"] if "name" in zones else pd.Series("", index=zones.index)
    if corridor.method == "list":
        members = list(policy.members)
        unknown = sorted(set(members) - set(codes))
        if unknown:
            raise ConfigError(
                "[corridor] members names zones that are not in the zone registry "
                f"(dev_zone): {', '.join(unknown)}"
            )
        inside = codes.isin(members)
        by = "list"
    else:
        inside = pd.Series(False, index=zones.index)
        if isinstance(zones, gpd.GeoDataFrame):
            inside = inside_corridor(zones, corridor)
        by = "geometry"
    inside &= ~codes.isin(exclude)
    out = pd.DataFrame(
        {"zone_code": codes[inside].to_numpy(), "zone_name": names[inside].to_numpy()}
    )
    out["member_by"] = by
    return out
