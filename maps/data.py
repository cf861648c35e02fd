"""Read what the maps show from the database (地图数据): one frame per layer.

Every layer is optional: a table that is not declared, not created, or holds no rows
for the year / as-of date is left out, and a Chinese note says why (the legend lists
the notes). Nothing here draws; :mod:`devzone.maps.build` turns the frames into HTML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # noqa: F401  (load GDAL before SpatiaLite: the reverse order segfaults)
from sqlalchemy import Engine

from devzone.crs import AREA_CRS
from devzone.db.io import read_table
from devzone.db.schema import SRID

__all__ = ["MU_M2", "MapData", "latest_results", "read_map_data"]

#: Square metres in one 亩 (1 亩 = 10000/15 m²).
MU_M2 = 10000.0 / 15.0


@dataclass
class MapData:
    """Frames behind one map; ``None`` where the layer is left out (see ``notes``)."""

    parcels: gpd.GeoDataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    districts: gpd.GeoDataFrame | None = None
    corridor: gpd.GeoDataFrame | None = None
    corridor_zones: pd.Series | None = None
    has_performance: bool = False
    has_idle: bool = False
    has_fit: bool = False
    has_intensity: bool = False
    notes: list[str] = field(default_factory=list)


def _try_read(
    engine: Engine, name: str, notes: list[str], what: str, columns: list[str] | None = None
) -> pd.DataFrame | None:
    """Read table ``name``; on a missing table add a note and return ``None``."""
    try:
        df = read_table(engine, name, columns=columns)
    except KeyError:
        notes.append(f"{what}: 表 {name} 不存在, 图层未显示")
        return None
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name != "geom":
        df = df.rename_geometry("geom")  # GeoPackage reads name it "geometry"
    return df


def latest_results(engine: Engine) -> tuple[int | None, dt.date | None]:
    """Latest ``parcel_performance.year`` and ``parcel_idle_status.as_of_date`` stored."""
    from sqlalchemy import func, inspect, select

    from devzone.db.io import table_of

    present = set(inspect(engine).get_table_names())
    out: list[object] = []
    for name, col in (("parcel_performance", "year"), ("parcel_idle_status", "as_of_date")):
        if name not in present:
            out.append(None)
            continue
        with engine.connect() as conn:
            out.append(conn.execute(select(func.max(table_of(name).c[col]))).scalar())
    year, as_of = out
    if as_of is not None and not isinstance(as_of, dt.date):
        as_of = pd.Timestamp(as_of).date()
    return (None if year is None else int(year)), as_of


def _only(df: pd.DataFrame, column: str, value: object) -> pd.DataFrame:
    if column not in df.columns:
        return df
    if isinstance(value, dt.date):
        mask = pd.to_datetime(df[column]).dt.date == value
    else:
        mask = df[column] == value
    return df.loc[mask]


def _attach(parcels: pd.DataFrame, facts: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Left-join ``facts[cols]`` to the parcels by ``parcel_code`` (last row per code)."""
    facts = facts.dropna(subset=["parcel_code"]).drop_duplicates("parcel_code", keep="last")
    return parcels.merge(facts[cols], on="parcel_code", how="left")


def _valid_geoms(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.loc[gdf.geometry.notna() & ~gdf.geometry.is_empty]


def read_map_data(engine: Engine, *, year: int, as_of: dt.date) -> MapData:
    """Parcels with their facts, zones, districts and the corridor for one map.

    Parameters
    ----------
    engine
        The devzone database.
    year
        Year of the performance evaluation (``parcel_performance.year``); the FAR
        comes from ``parcel_intensity`` rows of that year, or rows without a year.
    as_of
        As-of date of the idle-land status (``parcel_idle_status.as_of_date``).

    Returns
    -------
    MapData
        ``parcels`` has one row per parcel with geometry: ``parcel_code``, ``holder``,
        ``zone_code``, ``zone_name``, ``area_mu`` (registered area, else measured in
        the area CRS), ``grade`` (``'none'`` without evaluation), ``tax_per_mu_wan``,
        ``enterprise_names``, ``far``, ``idle_status``, ``idle_fee_wan``,
        ``days_idle``, ``fit``, ``industry_name``.
    """
    data = MapData()
    notes = data.notes
    parcels = _try_read(
        engine,
        "parcel",
        notes,
        "宗地",
        ["parcel_code", "supervision_no", "zone_code", "holder", "area_m2", "geom"],
    )
    zones = _try_read(
        engine,
        "dev_zone",
        notes,
        "开发区",
        [
            "zone_code",
            "name",
            "level",
            "zone_type",
            "lead_industry",
            "main_industries",
            "approved_area_ha",
            "geom",
        ],
    )
    if zones is not None:
        zones = _valid_geoms(zones)
        if zones.empty:
            notes.append("开发区: dev_zone 无边界数据, 图层未显示")
            zones = None
    data.zones = zones
    districts = _try_read(engine, "district", notes, "行政区划", ["adcode", "name", "geom"])
    if districts is not None:
        districts = _valid_geoms(districts)
        data.districts = None if districts.empty else districts
        if districts.empty:
            notes.append("行政区划: district 无边界数据, 图层未显示")

    corridor = _try_read(engine, "corridor", notes, "合六经济走廊", ["name", "geom"])
    members = _try_read(engine, "corridor_zone", notes, "走廊成员开发区", ["zone_code"])
    if corridor is not None and "geom" in corridor.columns:
        corridor = _valid_geoms(corridor)
        data.corridor = None if corridor.empty else corridor
        if corridor.empty:
            notes.append("合六经济走廊: corridor 无数据 (先运行 devzone zones corridor)")
    if members is not None and not members.empty:
        data.corridor_zones = members["zone_code"].dropna().astype(str)

    if parcels is None:
        return data
    parcels = _valid_geoms(parcels).drop_duplicates("parcel_code")
    if parcels.empty:
        notes.append("宗地: parcel 无界址数据, 宗地图层未显示")
        return data
    area_m2 = pd.to_numeric(parcels["area_m2"], errors="coerce").astype(float)
    unknown = ~(area_m2 > 0)  # NaN or not positive: measure (only these) in the area CRS
    if unknown.any():
        area_m2[unknown] = parcels.geometry[unknown].to_crs(AREA_CRS).area
    parcels = parcels.assign(area_mu=area_m2 / MU_M2)

    if zones is not None:
        names = zones.drop_duplicates("zone_code").set_index("zone_code")["name"]
        parcels["zone_name"] = parcels["zone_code"].map(names)
    else:
        parcels["zone_name"] = pd.NA

    perf = _try_read(
        engine,
        "parcel_performance",
        notes,
        "亩均效益等级",
        ["year", "parcel_code", "grade", "tax_per_mu_wan", "enterprise_names"],
    )
    if perf is not None:
        perf = _only(perf, "year", year)
        if perf.empty:
            notes.append(f"亩均效益等级: 无 {year} 年评价结果 (先运行 devzone score)")
        else:
            data.has_performance = True
            cols = ["parcel_code", "grade", "tax_per_mu_wan", "enterprise_names"]
            parcels = _attach(parcels, perf, cols)
    for col in ("grade", "tax_per_mu_wan", "enterprise_names"):
        if col not in parcels.columns:
            parcels[col] = pd.NA
    parcels["grade"] = parcels["grade"].fillna("none").astype(str)

    inten = _try_read(engine, "parcel_intensity", notes, "容积率", ["year", "parcel_code", "far"])
    if inten is not None:
        if "year" in inten.columns:
            inten = inten.loc[inten["year"].isna() | (inten["year"] == year)]
        if not inten.empty:
            data.has_intensity = True
            parcels = _attach(parcels, inten, ["parcel_code", "far"])
    if "far" not in parcels.columns:
        parcels["far"] = np.nan

    idle = _try_read(
        engine,
        "parcel_idle_status",
        notes,
        "闲置土地",
        ["as_of_date", "parcel_code", "status", "idle_fee_wan", "days_idle"],
    )
    if idle is not None:
        idle = _only(idle, "as_of_date", as_of)
        if idle.empty:
            notes.append(f"闲置土地: 无 {as_of} 的认定结果 (先运行 devzone idle)")
        else:
            data.has_idle = True
            idle = idle.rename(columns={"status": "idle_status"})
            cols = ["parcel_code", "idle_status", "idle_fee_wan", "days_idle"]
            parcels = _attach(parcels, idle, cols)
    for col in ("idle_status", "idle_fee_wan", "days_idle"):
        if col not in parcels.columns:
            parcels[col] = pd.NA

    fit = _try_read(
        engine,
        "parcel_industry_fit",
        notes,
        "产业不符宗地",
        ["parcel_code", "fit", "industry_name"],
    )
    if fit is not None:
        if fit.empty:
            notes.append("产业不符宗地: parcel_industry_fit 无数据 (先运行 devzone zones fit)")
        else:
            data.has_fit = True
            cols = [c for c in ("parcel_code", "fit", "industry_name") if c in fit.columns]
            parcels = _attach(parcels, fit, cols)
    for col in ("fit", "industry_name"):
        if col not in parcels.columns:
            parcels[col] = pd.NA

    data.parcels = gpd.GeoDataFrame(parcels, geometry="geom", crs=SRID).reset_index(drop=True)
    return data
