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
import shapely
from sqlalchemy import Engine, func, inspect, select

from devzone.db.history import Vintage, data_vintage, vintage_note
from devzone.db.io import read, table_of
from devzone.errors import ConfigError, InputError
from devzone.jobs.scope import SCOPE_KEY, scope_name
from devzone.landuse.performance import parcel_area_m2
from devzone.maps.build import basemap_of, build_map, render_html
from devzone.maps.data import MapData
from devzone.maps.tiles import local_basemap
from devzone.policy import Policy, load_policy
from devzone.settings import area_crs as resolve_area_crs
from devzone.units import M2_PER_MU, SRID
from devzone.vocab import IDLE_STATUSES

__all__ = ["latest_results", "map_period", "read_map_data", "run_map", "zone_summary"]

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


def _parcel_frame(
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


def zone_summary(
    parcels: pd.DataFrame | None, zones: pd.DataFrame, ranks: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per zone: its parcels' area, grade shares, idle land and its rank.

    ``area_mu``/``parcels``: the zone's parcels; ``share_a``/``share_d``: share of the
    graded area (grade not ``'none'``) graded A / D; ``idle_area_mu``/``idle_fee_wan``:
    parcels whose status is one of :data:`devzone.vocab.IDLE_STATUSES`; ``rank``: the
    ``zone_evaluation`` rank text of the year (``None`` when not evaluated).

    Examples
    --------
    >>> z = pd.DataFrame({"zone_code": ["Z1"], "name": ["甲"], "lead_industry": ["装备"],
    ...                   "main_industries": [None]})
    >>> p = pd.DataFrame({"zone_code": ["Z1", "Z1"], "area_mu": [10.0, 30.0],
    ...                   "grade": ["A", "D"], "idle_status": ["idle_fee", None],
    ...                   "idle_fee_wan": [2.5, None]})
    >>> row = zone_summary(p, z, None).iloc[0]
    >>> [row[k] for k in ("parcels", "share_a", "share_d", "idle_area_mu", "rank")]
    [2, 0.25, 0.75, 10.0, None]
    """
    out = zones[["zone_code", "name", "lead_industry", "main_industries"]].copy()
    out = out.drop_duplicates("zone_code").reset_index(drop=True)
    if parcels is not None and len(parcels):
        p = parcels.assign(
            area=pd.to_numeric(parcels["area_mu"], errors="coerce").fillna(0.0),
            fee=pd.to_numeric(parcels["idle_fee_wan"], errors="coerce").fillna(0.0),
        )
        graded = p["grade"].astype(str) != "none"
        idle = p["idle_status"].astype(object).isin(IDLE_STATUSES)
        p = p.assign(
            graded=p["area"].where(graded, 0.0),
            a=p["area"].where(p["grade"] == "A", 0.0),
            d=p["area"].where(p["grade"] == "D", 0.0),
            idle_area=p["area"].where(idle, 0.0),
            idle_fee=p["fee"].where(idle, 0.0),
        )
        g = p.groupby("zone_code").agg(
            area_mu=("area", "sum"),
            parcels=("area", "size"),
            graded=("graded", "sum"),
            a=("a", "sum"),
            d=("d", "sum"),
            idle_area_mu=("idle_area", "sum"),
            idle_fee_wan=("idle_fee", "sum"),
        )
        out = out.join(g, on="zone_code")
    for col in ("area_mu", "graded", "a", "d", "idle_area_mu", "idle_fee_wan"):
        if col not in out:
            out[col] = np.nan
    out["parcels"] = out.get("parcels", pd.Series(0, index=out.index)).fillna(0).astype(int)
    graded_area = out["graded"].where(out["graded"] > 0)
    out["share_a"] = (out["a"] / graded_area).astype(float)
    out["share_d"] = (out["d"] / graded_area).astype(float)
    out["rank"] = None
    if ranks is not None and not ranks.empty:
        r = ranks.dropna(subset=["zone_code", "rank"]).drop_duplicates("zone_code", keep="last")
        text = r["zone_type"].fillna("").astype(str) + " 第 " + r["rank"].astype(int).astype(str)
        text = (text + " 名").str.strip()
        out["rank"] = out["zone_code"].map(dict(zip(r["zone_code"], text, strict=True)))
        out["rank"] = out["rank"].astype(object).where(out["rank"].notna(), None)
    return out.drop(columns=["graded", "a", "d"]).astype(object).where(out.notna(), None)


def _attach_zone_summary(engine: Engine, data: MapData, year: int) -> None:
    """``data.zone_summary`` from the parcels' facts and ``zone_evaluation`` of the year."""
    if data.zones is None:
        return
    cols = ["year", "zone_code", "zone_type", "rank"]
    ranks = read(engine, "zone_evaluation", columns=cols, required=False)
    ranks = None if ranks is None else _only(ranks, "year", year)
    if ranks is None or ranks.empty:
        data.notes.append(f"开发区排名: 无 {year} 年评价结果 (先运行 devzone zones rank)")
    data.zone_summary = zone_summary(data.parcels, data.zones, ranks)


def _city(data: MapData) -> str | None:
    """The prefecture-level city (adcode ``xxxx00``) holding the middle of the data."""
    d = data.districts
    frame = next((f for f in (data.parcels, data.zones) if f is not None and len(f)), None)
    if d is None or frame is None:
        return None
    cities = d.loc[d["adcode"].astype(str).str.fullmatch(r"\d{4}(?<!00)00")]
    if cities.empty:
        return None
    x0, y0, x1, y1 = frame.total_bounds
    mid = shapely.Point((x0 + x1) / 2, (y0 + y1) / 2)
    hit = cities.loc[cities.geometry.covers(mid)]
    return str(hit["name"].iloc[0]) if len(hit) else None


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
    parcels = _parcel_frame(engine, data.zones, data.notes, crs, data_as_of)
    if parcels is None:
        _attach_zone_summary(engine, data, year)
        data.city = _city(data)
        return data
    parcels = _attach_performance(engine, parcels, data, year)
    parcels = _attach_intensity(engine, parcels, data, year)
    parcels = _attach_idle(engine, parcels, data, as_of)
    parcels = _attach_fit(engine, parcels, data)
    data.parcels = gpd.GeoDataFrame(parcels, geometry="geom", crs=SRID).reset_index(drop=True)
    _attach_zone_summary(engine, data, year)
    data.city = _city(data)
    return data


# -- the job ----------------------------------------------------------------------------


def run_map(  # noqa: PLR0913 (keyword-only options of the map job, one per CLI option)
    engine: Engine,
    *,
    year: int,
    as_of: dt.date,
    out_html: str | Path,
    basemap: str | None = "osm",
    config: str | Path | None = None,
    policy: Policy | None = None,
    tiles: str | None = None,
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
        The typed policy, instead of ``config``; ``policy.maps.tianditu_key`` fills
        ``{tk}`` in a basemap URL (the CLI sets it from ``--tianditu-key`` /
        ``DEVZONE_TIANDITU_KEY``).
    tiles
        A local XYZ tile folder, an ``.mbtiles`` file or an intranet URL template
        (:func:`devzone.maps.tiles.local_basemap`); replaces ``basemap``.
    data_as_of
        The data vintage of the parcels, zones and districts (``--data-as-of``).

    Returns
    -------
    dict
        ``{"outputs": [out_html], "headline": {...}, "network": bool}``: ``network``
        is whether the basemap needs a network (``False``: none or local tiles).

    Raises
    ------
    ConfigError
        The basemap is not one of ``[maps.basemaps]``, or needs a 天地图 key.
    InputError
        ``out_html`` cannot be written, or ``tiles`` holds no tiles.
    """
    maps = (policy if policy is not None else load_policy(config)).maps
    if tiles:
        local = local_basemap(tiles, Path(out_html))
        base, network = local.basemap, local.network
    else:
        base = basemap_of(maps, basemap or maps.default_basemap)  # fails before reading
        network = bool(base.url)
    key = maps.tianditu_key
    if "{tk}" in base.url + base.labels_url and not key:
        raise ConfigError(
            f"the {base.label} basemap needs a key: pass --tianditu-key or set "
            "DEVZONE_TIANDITU_KEY (or [maps] tianditu_key in your --config)"
        )
    vintage = data_vintage(engine, data_as_of)
    read_at = vintage if data_as_of is not None else None
    data = read_map_data(engine, year=year, as_of=as_of, data_as_of=read_at)
    m, headline = build_map(
        data, year=year, as_of=as_of, basemap=base, policy=maps, tianditu_key=key
    )
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
    scope = scope_name(engine)  # a county or zone role maps its own land (RLS)
    if scope:
        headline = {SCOPE_KEY: scope, **headline}
    headline["数据版本 data vintage"] = vintage_note(engine, vintage).split(": ", 1)[1]
    return {"outputs": [out], "headline": headline, "network": network}
