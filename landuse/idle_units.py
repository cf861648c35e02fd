"""The units judged for idleness (闲置土地认定对象) and their project progress.

A unit is a parcel (宗地) with its supply contract, or a supply record (供地结果) no
parcel links to. :func:`supply_units` builds them, :func:`attach_progress` adds the
latest project-progress record (项目进度) of each; :func:`devzone.landuse.idle.idle_status`
judges them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from devzone.landuse.idle_columns import column, number_column
from devzone.settings import area_crs as resolve_area_crs
from devzone.units import M2_PER_HA, SRID

__all__ = ["CONTRACT_COLUMNS", "PROGRESS_COLUMNS", "attach_progress", "supply_units"]

#: Columns of the project-progress record (项目进度) the rules use.
PROGRESS_COLUMNS = (
    "developed_area_m2",
    "invested_wan",
    "total_invest_wan",
    "suspended_date",
    "resumed_date",
    "government_cause",
    "government_cause_flag",
    "extended_start_date",
)

#: Contract columns whose presence shows a parcel was joined with a supply contract.
CONTRACT_COLUMNS = ("price_wan", "agreed_start_date", "area_ha", "contract_date", "supply_method")


def _as_units(parcels: pd.DataFrame) -> pd.DataFrame:
    units = parcels.copy()
    if "geom" in units.columns and not isinstance(units, gpd.GeoDataFrame):
        units = gpd.GeoDataFrame(units, geometry="geom", crs=SRID)
    if isinstance(units, gpd.GeoDataFrame) and units.crs is None:
        units = units.set_crs(SRID)
    return units


def _with_unlinked_supply(units: pd.DataFrame, supply: pd.DataFrame) -> pd.DataFrame:
    """Flag the supplied parcels and add the supply records no parcel links to."""
    nos = set(supply["supervision_no"].dropna())
    codes = set(supply["parcel_code"].dropna()) if "parcel_code" in supply else set()
    sup_no = column(units, "supervision_no", None)
    units["supplied"] = sup_no.isin(nos) | units["parcel_code"].isin(codes)
    linked_nos = set(sup_no[sup_no.isin(nos)]) | set(
        supply.loc[supply["parcel_code"].isin(set(units["parcel_code"])), "supervision_no"]
    )
    rest = supply[~supply["supervision_no"].isin(linked_nos)].copy()
    if not len(rest):
        return units
    rest["area_m2"] = pd.to_numeric(rest.get("area_ha"), errors="coerce") * M2_PER_HA
    rest["supplied"] = True
    rest = rest[[c for c in rest.columns if c in units.columns or c == "supplied"]]
    return gpd.GeoDataFrame(pd.concat([units, rest], ignore_index=True), geometry="geom", crs=SRID)


def supply_units(
    parcels: pd.DataFrame,
    supply: pd.DataFrame | None = None,
    *,
    area_crs: str | None = None,
) -> gpd.GeoDataFrame:
    """The units judged for idleness: every parcel, plus supply records without a parcel.

    Parameters
    ----------
    parcels
        Parcels joined with their contract (:func:`devzone.db.io.parcels_with_contract`).
    supply
        The ``land_supply`` table (供地结果). Its records that no parcel links to (by
        电子监管号 or 宗地代码) are added with ``parcel_code`` possibly missing and the
        contract's area (``area_ha`` × 10 000 m²). ``None``: a parcel is supplied when
        its contract columns were joined.
    area_crs
        Projected CRS used when a parcel has no registered area
        (:func:`devzone.settings.area_crs`).

    Returns
    -------
    GeoDataFrame
        One row per unit, with ``supplied`` (has a supply contract) and ``area_m2``
        filled (registered, else measured in ``area_crs``, else the contract's).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from devzone.units import SRID
    >>> p = gpd.GeoDataFrame({"parcel_code": ["P1", "P2"], "supervision_no": ["S1", None],
    ...                       "area_m2": [10000.0, 5000.0]}, crs=SRID,
    ...                      geometry=[box(116.5, 31.7, 116.6, 31.8)] * 2).rename_geometry("geom")
    >>> s = pd.DataFrame({"supervision_no": ["S1", "S9"], "parcel_code": ["P1", None],
    ...                   "area_ha": [1.0, 0.5]})
    >>> u = supply_units(p, s)
    >>> u[["supervision_no", "supplied", "area_m2"]].values.tolist()
    [['S1', True, 10000.0], [nan, False, 5000.0], ['S9', True, 5000.0]]
    """
    units = _as_units(parcels)
    if supply is not None and len(supply):
        units = _with_unlinked_supply(units, supply)
    else:
        # No supply table given: a unit is supplied when its contract columns were joined
        # (the join leaves them empty for parcels without a contract).
        contract = [c for c in CONTRACT_COLUMNS if c in units.columns]
        has = units[contract].notna().any(axis=1) if contract else False
        units["supplied"] = column(units, "supervision_no", None).notna() & has
    units = units.reset_index(drop=True)
    area = number_column(units, "area_m2")
    if "area_ha" in units.columns:
        area = area.fillna(pd.to_numeric(units["area_ha"], errors="coerce") * M2_PER_HA)
    if isinstance(units, gpd.GeoDataFrame):
        need = area.isna() & units.geometry.notna() & ~units.geometry.is_empty
        if need.any():
            area[need] = units.geometry[need].to_crs(resolve_area_crs(area_crs)).area
    units["area_m2"] = area
    units["supplied"] = units["supplied"].fillna(False).astype(bool)
    return units


def _empty_progress(out: pd.DataFrame, name: str) -> None:
    out[name] = pd.NaT if name.endswith("_date") else np.nan


def attach_progress(
    units: pd.DataFrame, progress: pd.DataFrame | None, *, as_of: object = None
) -> pd.DataFrame:
    """Add the project-progress columns (项目进度, :data:`PROGRESS_COLUMNS`) to each unit.

    A progress record matches a unit by 电子监管号, else by 宗地代码 (its
    ``project_key`` stands in for a missing one); of several records the latest
    ``report_date`` wins. With ``as_of``, a record filed after the as-of date
    (``report_date > as_of``) is not used for it: the land is judged on what was known
    that day (a record without a report date is used). The database keeps only the latest
    record of a project, so a record filed after the as-of date leaves the unit without
    progress for an earlier as-of date.

    Examples
    --------
    >>> u = pd.DataFrame({"parcel_code": ["P1", "P2"], "supervision_no": ["S1", "S2"]})
    >>> p = pd.DataFrame({"project_key": ["S1", "S1", "P2"],
    ...                   "report_date": pd.to_datetime(["2019-01-01", "2019-06-01", None]),
    ...                   "invested_wan": [10.0, 30.0, 5.0]})
    >>> attach_progress(u, p)["invested_wan"].tolist()
    [30.0, 5.0]
    >>> attach_progress(u, p, as_of="2019-05-31")["invested_wan"].tolist()
    [10.0, 5.0]
    """
    out = units.copy()
    if progress is None or not len(progress):
        for name in PROGRESS_COLUMNS:
            if name not in out.columns:
                _empty_progress(out, name)
        return out
    p = progress.copy()
    if as_of is not None and "report_date" in p.columns:
        filed = pd.to_datetime(p["report_date"], errors="coerce")
        p = p[~(filed > pd.Timestamp(as_of))]
    if "report_date" in p.columns:
        p = p.sort_values("report_date", na_position="first")
    key = column(p, "project_key", None)
    by_no = p.assign(_k=column(p, "supervision_no", None).fillna(key)).dropna(subset=["_k"])
    by_no = by_no.drop_duplicates("_k", keep="last").set_index("_k")
    by_code = p.assign(_k=column(p, "parcel_code", None).fillna(key)).dropna(subset=["_k"])
    by_code = by_code.drop_duplicates("_k", keep="last").set_index("_k")
    no = column(out, "supervision_no", None)
    code = column(out, "parcel_code", None)
    for name in PROGRESS_COLUMNS:
        if name not in p.columns:
            _empty_progress(out, name)
            continue
        a = no.map(by_no[name])
        b = code.map(by_code[name])
        out[name] = a.where(a.notna(), b)
    return out
