"""The map job (``devzone map``): database → frames → :mod:`devzone.maps` → one HTML file.

:func:`read_map_data` reads every layer from the database (``devzone.db.io.read``, each
optional), takes the parcels' areas (registered ``parcel.area_m2``, else measured by
:func:`devzone.landuse.performance.parcel_area_m2` in the area CRS) and joins each
parcel's results of the year / as-of date; :func:`run_map` hands the frames to
:func:`devzone.maps.build.build_map` and writes the page. The maps package only draws.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # noqa: F401  (load GDAL before SpatiaLite: the reverse order segfaults)
from sqlalchemy import Engine, func, inspect, select

from devzone.db.history import Vintage, data_vintage, vintage_note
from devzone.db.io import read, table_of
from devzone.errors import InputError
from devzone.landuse.performance import parcel_area_m2
from devzone.maps.build import basemap_of, build_map, render_html
from devzone.maps.data import MapData
from devzone.policy import Policy, load_policy
from devzone.settings import area_crs as resolve_area_crs
from devzone.units import M2_PER_MU, SRID

__all__ = ["latest_results", "map_period", "read_map_data", "run_map"]

ZONE_COLUMNS = [
    "zone_code",
    "name",
    "level",
    "zone_type",
    "lead_industry",
    "main_industries",
    "approved_area_ha",
    "geom",
]


def latest_results(engine: Engine) -> tuple[int | None, dt.date | None]:
    """Latest ``parcel_performance.year`` and ``parcel_idle_status.as_of_date`` stored."""
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


def map_period(
    engine: Engine, *, year: int | None = None, as_of: dt.date | None = None
) -> tuple[int, dt.date]:
    """The year and as-of date a map shows.

    As given; else the latest ``parcel_performance.year`` / ``parcel_idle_status``
    as-of date stored (:func:`latest_results`); else last year, and 31 December of
    the year.
    """
    last_year, last_as_of = latest_results(engine)
    year = year or last_year or dt.date.today().year - 1
    if as_of is None:
        as_of = last_as_of or dt.date(year, 12, 31)
    return year, as_of


# -- reading the layers -----------------------------------------------------------------


def _with_geometry(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Rows with a non-empty geometry; ``None`` when none is left."""
    if frame is None:
        return None
    frame = frame.loc[frame.geometry.notna() & ~frame.geometry.is_empty]
    return None if frame.empty else frame


def _only(df: pd.DataFrame, column: str, value: object) -> pd.DataFrame:
    """Rows of ``df`` whose ``column`` equals ``value`` (a date compares by day)."""
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


def _ensure(parcels: pd.DataFrame, columns: tuple[str, ...], empty: object = pd.NA) -> None:
    """Add each missing column, filled with ``empty`` (the layer had no rows)."""
    for col in columns:
        if col not in parcels.columns:
            parcels[col] = empty


def _read_outlines(engine: Engine, data: MapData, data_as_of: int | None = None) -> None:
    """Zones, districts and the corridor (with its member zones) into ``data``."""
    zones = read(engine, "dev_zone", columns=ZONE_COLUMNS, required=False, as_of=data_as_of)
    data.zones = _with_geometry(zones)
    if data.zones is None:
        data.notes.append("开发区: dev_zone 无边界数据, 图层未显示")
    columns = ["adcode", "name", "geom"]
    districts = read(engine, "district", columns=columns, required=False, as_of=data_as_of)
    data.districts = _with_geometry(districts)
    if data.districts is None:
        data.notes.append("行政区划: district 无边界数据, 图层未显示")
    corridor = read(engine, "corridor", columns=["name", "geom"], required=False)
    data.corridor = _with_geometry(corridor)
    if data.corridor is None:
        data.notes.append("合六经济走廊: corridor 无数据 (先运行 devzone report corridor)")
    members = read(engine, "corridor_zone", columns=["zone_code"], required=False)
    if members is not None:
        data.corridor_zones = members["zone_code"].dropna().astype(str)


def _read_parcels(
    engine: Engine,
    zones: pd.DataFrame | None,
    notes: list[str],
    area_crs: str,
    data_as_of: int | None = None,
) -> gpd.GeoDataFrame | None:
    """Parcels with geometry, their area in 亩 and their zone's name."""
    columns = ["parcel_code", "supervision_no", "zone_code", "holder", "area_m2", "geom"]
    parcels = read(engine, "parcel", columns=columns, required=False, as_of=data_as_of)
    parcels = _with_geometry(parcels)
    if parcels is None:
        notes.append("宗地: parcel 无界址数据, 宗地图层未显示")
        return None
    parcels = parcels.drop_duplicates("parcel_code")
    parcels = parcels.assign(area_mu=parcel_area_m2(parcels, area_crs=area_crs) / M2_PER_MU)
    if zones is not None:
        names = zones.drop_duplicates("zone_code").set_index("zone_code")["name"]
        parcels["zone_name"] = parcels["zone_code"].map(names)
    else:
        parcels["zone_name"] = pd.NA
    return parcels


def _attach_performance(
    engine: Engine, parcels: pd.DataFrame, data: MapData, year: int
) -> pd.DataFrame:
    """Grade, 亩均税收 and the firms of the year's evaluation (grade ``'none'`` without)."""
    cols = ["parcel_code", "grade", "tax_per_mu_wan", "enterprise_names"]
    perf = read(engine, "parcel_performance", columns=["year", *cols], required=False)
    perf = None if perf is None else _only(perf, "year", year)
    if perf is None or perf.empty:
        data.notes.append(f"亩均效益等级: 无 {year} 年评价结果 (先运行 devzone score)")
    else:
        data.has_performance = True
        parcels = _attach(parcels, perf, cols)
    _ensure(parcels, tuple(cols[1:]))
    parcels["grade"] = parcels["grade"].fillna("none").astype(str)
    return parcels


def _attach_intensity(
    engine: Engine, parcels: pd.DataFrame, data: MapData, year: int
) -> pd.DataFrame:
    """The FAR of the year's ``parcel_intensity`` rows (or rows without a year)."""
    inten = read(engine, "parcel_intensity", columns=["year", "parcel_code", "far"], required=False)
    if inten is not None:
        inten = inten.loc[inten["year"].isna() | (inten["year"] == year)]
        if not inten.empty:
            data.has_intensity = True
            parcels = _attach(parcels, inten, ["parcel_code", "far"])
    _ensure(parcels, ("far",), np.nan)
    return parcels


def _attach_idle(
    engine: Engine, parcels: pd.DataFrame, data: MapData, as_of: dt.date
) -> pd.DataFrame:
    """Idle status, fee and days idle as of ``as_of``."""
    columns = ["as_of_date", "parcel_code", "status", "idle_fee_wan", "days_idle"]
    idle = read(engine, "parcel_idle_status", columns=columns, required=False)
    idle = None if idle is None else _only(idle, "as_of_date", as_of)
    if idle is None or idle.empty:
        data.notes.append(f"闲置土地: 无 {as_of} 的认定结果 (先运行 devzone idle)")
    else:
        data.has_idle = True
        idle = idle.rename(columns={"status": "idle_status"})
        parcels = _attach(
            parcels, idle, ["parcel_code", "idle_status", "idle_fee_wan", "days_idle"]
        )
    _ensure(parcels, ("idle_status", "idle_fee_wan", "days_idle"))
    return parcels


def _attach_fit(engine: Engine, parcels: pd.DataFrame, data: MapData) -> pd.DataFrame:
    """Whether each parcel's industry fits its zone (``parcel_industry_fit``)."""
    cols = ["parcel_code", "fit", "industry_name"]
    fit = read(engine, "parcel_industry_fit", columns=cols, required=False)
    if fit is None:
        data.notes.append("产业不符宗地: parcel_industry_fit 无数据 (先运行 devzone zones fit)")
    else:
        data.has_fit = True
        parcels = _attach(parcels, fit, cols)
    _ensure(parcels, ("fit", "industry_name"))
    return parcels


def read_map_data(
    engine: Engine,
    *,
    year: int,
    as_of: dt.date,
    area_crs: str | None = None,
    data_as_of: int | None = None,
) -> MapData:
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
    area_crs
        Projected CRS measuring parcels without a registered area
        (:func:`devzone.settings.area_crs`).
    data_as_of
        A load batch: parcels, zones and districts as they stood then (the result
        tables are read as stored); ``None``: now.

    Returns
    -------
    MapData
        ``parcels`` has one row per parcel with geometry and the columns of
        :data:`devzone.maps.data.PARCEL_COLUMNS`; ``area_mu`` is the registered area,
        else the area measured in the area CRS.
    """
    data = MapData()
    _read_outlines(engine, data, data_as_of)
    crs = resolve_area_crs(area_crs)
    parcels = _read_parcels(engine, data.zones, data.notes, crs, data_as_of)
    if parcels is None:
        return data
    parcels = _attach_performance(engine, parcels, data, year)
    parcels = _attach_intensity(engine, parcels, data, year)
    parcels = _attach_idle(engine, parcels, data, as_of)
    parcels = _attach_fit(engine, parcels, data)
    data.parcels = gpd.GeoDataFrame(parcels, geometry="geom", crs=SRID).reset_index(drop=True)
    return data


# -- the job ----------------------------------------------------------------------------


def run_map(
    engine: Engine,
    *,
    year: int,
    as_of: dt.date,
    out_html: str | Path,
    basemap: str | None = "osm",
    config: str | Path | None = None,
    policy: Policy | None = None,
    data_as_of: Vintage | None = None,
) -> dict[str, Any]:
    """Write the planners' map of ``year`` (performance) and ``as_of`` (idle land).

    Parameters
    ----------
    engine
        The devzone database (GeoPackage or PostGIS).
    year
        Evaluation year of ``parcel_performance`` / ``parcel_intensity``.
    as_of
        As-of date of ``parcel_idle_status``.
    out_html
        The HTML file to write; it is self-contained (Leaflet and plugins inlined).
    basemap
        ``osm`` (WGS84 tiles), ``gaode`` (GCJ-02 tiles: every layer is shifted to
        GCJ-02) or ``none`` (plain background); ``None`` takes
        ``[maps] default_basemap``.
    config
        A city's policy TOML overriding ``data/policy/maps.toml`` (loaded once).
    policy
        The typed policy, instead of ``config``.
    data_as_of
        The data vintage of the parcels, zones and districts (``--data-as-of``).

    Returns
    -------
    dict
        ``{"outputs": [out_html], "headline": {...}}``.

    Raises
    ------
    ConfigError
        The basemap is not one of ``[maps.basemaps]``.
    InputError
        ``out_html`` cannot be written.
    """
    maps = (policy if policy is not None else load_policy(config)).maps
    basemap = basemap or maps.default_basemap
    basemap_of(maps, basemap)  # an unknown basemap fails before the database is read
    vintage = data_vintage(engine, data_as_of)
    read_at = vintage if data_as_of is not None else None
    data = read_map_data(engine, year=year, as_of=as_of, data_as_of=read_at)
    m, headline = build_map(data, year=year, as_of=as_of, basemap=basemap, policy=maps)
    html = render_html(m)
    out = Path(out_html)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write the map ({exc.strerror}); choose another --out", file=str(out)
        ) from exc
    headline["文件大小 size (MB)"] = round(out.stat().st_size / 1e6, 2)
    headline["数据版本 data vintage"] = vintage_note(engine, vintage).split(": ", 1)[1]
    return {"outputs": [out], "headline": headline}
