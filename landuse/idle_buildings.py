"""Buildings on idle-land units: start evidence (建筑基底) and floor area (用而未尽).

A building belongs to the unit whose ``parcel_code`` it carries, else to the unit holding
its representative point (:func:`devzone.spatial.assign_by_location`). The share of a
unit covered by footprints is the geometric overlay of
:func:`devzone.spatial.footprint_share` (so ``--engine local|dask|postgis`` applies);
the counted floor area is that of
:func:`devzone.landuse.intensity.building_measures`, so 用而未尽 agrees with
``parcel_intensity``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from devzone.landuse.idle_columns import as_geodataframe, column, number_column
from devzone.landuse.intensity import building_measures
from devzone.policy.sections import IntensityPolicy
from devzone.settings import area_crs as resolve_area_crs
from devzone.spatial import assign_by_location, footprint_share

__all__ = ["building_parcel", "building_totals"]


def _has_geometry(frame: gpd.GeoDataFrame) -> np.ndarray:
    return ~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()


def building_parcel(
    units: pd.DataFrame, buildings: pd.DataFrame, *, among: np.ndarray | None = None
) -> np.ndarray:
    """Position (in ``units``) of the unit each building stands on; NaN when none.

    By the building's ``parcel_code`` first, else by location (the unit containing the
    building's representative point, :func:`devzone.spatial.assign_by_location`). The
    spatial search only considers the units flagged in ``among`` (all when ``None``).

    Examples
    --------
    >>> u = pd.DataFrame({"parcel_code": ["A", "B"]})
    >>> building_parcel(u, pd.DataFrame({"parcel_code": ["B", "X", "A"]})).tolist()
    [1.0, nan, 0.0]
    """
    codes = column(units, "parcel_code", None)
    pos_of = pd.Series(np.arange(len(units)), index=codes.to_numpy())
    pos_of = pos_of[pos_of.index.notna() & ~pos_of.index.duplicated()]
    pos = column(buildings, "parcel_code", None).map(pos_of).to_numpy(dtype=float, copy=True)
    b = as_geodataframe(buildings)
    u = as_geodataframe(units)
    need = np.isnan(pos)
    if b is None or u is None or not need.any():
        return pos
    has_geom = _has_geometry(u)
    if among is not None:
        has_geom = has_geom & np.asarray(among, dtype=bool)
    if not has_geom.any():
        return pos
    polys = gpd.GeoDataFrame(
        {"_pos": np.flatnonzero(has_geom)}, geometry=u.geometry.values[has_geom], crs=u.crs
    )
    feats = b.loc[need, [b.geometry.name]]
    got = pd.to_numeric(
        pd.Series(assign_by_location(feats, polys, "_pos"), index=feats.index), errors="coerce"
    )
    pos[need] = got.to_numpy(dtype=float)
    return pos


def _counted_floor_area(
    buildings: pd.DataFrame,
    footprint: np.ndarray,
    *,
    policy: IntensityPolicy,
    area_crs: str,
) -> np.ndarray:
    """Counted floor area (计容) of each building, as in parcel intensity: storeys over
    8 m double, unknown floors 1 (:func:`devzone.landuse.intensity.building_measures`)."""
    measured = pd.DataFrame(
        {
            "footprint_m2": footprint,
            "floors": number_column(buildings, "floors").to_numpy(),
            "height_m": number_column(buildings, "height_m").to_numpy(),
            "floor_area_m2": number_column(buildings, "floor_area_m2").to_numpy(),
        },
        index=buildings.index,
    )
    counted = building_measures(measured, policy=policy, area_crs=area_crs)
    return counted["counted_floor_area_m2"].to_numpy(dtype=float)


def _overlay_share(
    units: pd.DataFrame,
    buildings: gpd.GeoDataFrame,
    share: pd.Series,
    *,
    share_for: np.ndarray | None,
    area_crs: str,
) -> pd.Series:
    """``share`` with the footprint overlay (:func:`devzone.spatial.footprint_share`)
    on the units that have a code and a geometry (and are flagged in ``share_for``)."""
    ug = as_geodataframe(units)
    if ug is None:
        return share
    code = column(units, "parcel_code", None)
    geo = code.notna().to_numpy() & _has_geometry(ug)
    if share_for is not None:
        geo = geo & np.asarray(share_for, dtype=bool)
    if not geo.any():
        return share
    parcels = gpd.GeoDataFrame(
        {"parcel_code": code[geo].to_numpy()}, geometry=ug.geometry.values[geo], crs=ug.crs
    )
    feats = gpd.GeoDataFrame(geometry=buildings.geometry.values, crs=buildings.crs)
    if feats.crs == parcels.crs:
        # Only footprints whose box meets one of these parcels' boxes can count.
        near = shapely.STRtree(np.asarray(parcels.geometry.values)).query(
            np.asarray(feats.geometry.values)
        )[0]
        feats = feats.iloc[np.unique(near)]
    got = footprint_share(parcels, feats, area_crs=area_crs)
    got = got[~got.index.duplicated()]
    share[geo] = code[geo].map(got).fillna(0.0).to_numpy()
    return share


def building_totals(
    units: pd.DataFrame,
    buildings: pd.DataFrame | None,
    *,
    policy: IntensityPolicy,
    area_crs: str | None = None,
    share_for: np.ndarray | None = None,
    totals_for: np.ndarray | None = None,
) -> pd.DataFrame:
    """Building footprint and floor area on each unit (建筑基底面积, 建筑面积).

    Parameters
    ----------
    units
        The units (:func:`devzone.landuse.idle_units.supply_units`): ``parcel_code``,
        ``area_m2`` and (a GeoDataFrame) ``geom``.
    buildings
        The ``building`` table or ``None``. A footprint is ``footprint_m2`` or the
        polygon's area in ``area_crs``.
    policy
        The ``[intensity]`` section (the counted floor area: storeys over
        ``double_storey_height_m`` count ``double_storey_factor`` times).
    area_crs
        Projected CRS for areas (:func:`devzone.settings.area_crs`).
    share_for
        Units whose ``footprint_share`` is needed (all when ``None``): the others
        already have an actual start date and need no footprint evidence (NaN there).
    totals_for
        Units whose footprint and floor totals must be sure (all when ``None``);
        buildings placed by location are only searched among them.

    Returns
    -------
    DataFrame
        Indexed like ``units``: ``footprint_m2`` (0 when none), ``footprint_share`` (the
        overlay where the unit has a geometry, else the summed footprints over
        ``area_m2``), ``floor_area_m2`` (NaN when no building with a known floor area),
        ``buildings``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"parcel_code": ["A"], "area_m2": [10000.0]})
    >>> b = pd.DataFrame({"parcel_code": ["A", "A"], "footprint_m2": [3000.0, 1000.0],
    ...                   "floors": [1, 2], "height_m": [12.0, 8.0]})
    >>> t = building_totals(u, b, policy=load_policy().intensity)
    >>> t.iloc[0].to_dict()  # 3000 × 2 (a 12 m storey) + 1000 × 2 floors
    {'footprint_m2': 4000.0, 'footprint_share': 0.4, 'floor_area_m2': 8000.0, 'buildings': 2.0}
    """
    n = len(units)
    out = pd.DataFrame(
        {
            "footprint_m2": np.zeros(n),
            "footprint_share": np.zeros(n),
            "floor_area_m2": np.full(n, np.nan),
            "buildings": np.zeros(n, dtype=np.int64),
        },
        index=units.index,
    )
    if buildings is None or not len(buildings) or not n:
        return out
    crs = resolve_area_crs(area_crs)
    bg = as_geodataframe(buildings)
    fp = number_column(buildings, "footprint_m2").to_numpy(copy=True)
    pos = building_parcel(units, buildings, among=totals_for)
    ok = ~np.isnan(pos)
    if bg is not None:
        # The footprint of each placed building without a floor area gives its floor
        # area (footprint × floors).
        need = ok & np.isnan(fp) & _has_geometry(bg)
        need &= np.isnan(number_column(buildings, "floor_area_m2").to_numpy())
        if need.any():
            fp[need] = bg.geometry[need].to_crs(crs).area.to_numpy()
    floor = _counted_floor_area(buildings, fp, policy=policy, area_crs=crs)

    p = pos[ok].astype(np.int64)
    out["footprint_m2"] = np.bincount(p, weights=np.nan_to_num(fp[ok]), minlength=n)
    out["buildings"] = np.bincount(p, minlength=n)
    fl = floor[ok]
    known = ~np.isnan(fl)
    floor_sum = np.bincount(p[known], weights=fl[known], minlength=n)
    has_floor = np.bincount(p[known], minlength=n) > 0
    out["floor_area_m2"] = np.where(has_floor, floor_sum, np.nan)

    area = number_column(units, "area_m2").where(lambda a: a > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (out["footprint_m2"] / area).fillna(0.0)
    if share_for is not None:
        # Not computed where no footprint evidence is needed (placement was restricted).
        share[~np.asarray(share_for, dtype=bool)] = np.nan
    if bg is not None:
        share = _overlay_share(units, bg, share, share_for=share_for, area_crs=crs)
    out["footprint_share"] = share.to_numpy()
    return out
